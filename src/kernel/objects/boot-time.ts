/**
 * When the machine booted, the way crash's `log -T` counts it: the crash time (whole seconds)
 * minus the uptime that jiffies give (jiffies_64 - INITIAL_JIFFIES, in whole seconds of HZ ticks).
 */
import type { Kernel } from '../kernel.js';

/** The timer frequency: NSEC_PER_SEC / tick_nsec (kernel/time/ntp.c), rounded (NTP trims tick_nsec slightly). */
export function kernelHz(k: Kernel): number | undefined {
  try {
    const tickNsec = k.readU64(k.sym('tick_nsec'));
    if (tickNsec === 0n) return undefined;
    const hz = Math.round(1e9 / Number(tickNsec));
    return hz >= 24 && hz <= 10000 ? hz : undefined;
  } catch {
    return undefined;
  }
}

/** Seconds since boot counted in jiffies: INITIAL_JIFFIES is (unsigned int)(-300 * HZ) (include/linux/jiffies.h). */
export function jiffiesUptimeSeconds(k: Kernel): number | undefined {
  const hz = kernelHz(k);
  if (!hz) return undefined;
  try {
    const name = k.hasSymbol('jiffies_64') ? 'jiffies_64' : 'jiffies';
    const j = k.readU64(k.sym(name));
    const initial = BigInt.asUintN(32, BigInt(-300 * hz));
    return Number(BigInt.asUintN(64, j - initial) / BigInt(hz));
  } catch {
    return undefined;
  }
}

/** Wall-clock seconds at the crash: VMCOREINFO's CRASHTIME, else the dump header's time. */
export function crashEpochSeconds(k: Kernel): number | undefined {
  return k.vmcoreinfo.crashTime ?? k.dump.meta.timestamp;
}

/** Boot time in epoch seconds (crash time minus jiffies uptime), undefined if either is unknown. */
export function bootEpochSeconds(k: Kernel): number | undefined {
  const now = crashEpochSeconds(k);
  const up = jiffiesUptimeSeconds(k);
  return now === undefined || up === undefined ? undefined : now - up;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** ctime()'s layout with the zone before the year, in UTC: "Thu Nov 26 13:47:25 UTC 2026". */
export function formatCtime(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} UTC ${d.getUTCFullYear()}`;
}
