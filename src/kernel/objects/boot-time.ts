/**
 * When the machine booted, the way crash's `log -T` counts it: the crash time (whole seconds)
 * minus the uptime that jiffies give (jiffies_64 - INITIAL_JIFFIES, in whole seconds of HZ ticks).
 */
import type { Kernel } from '../kernel.js';
import { printkRecords } from './printk.js';
import { kernelConfig, uptimeSeconds } from './system.js';

/** HZ values Linux configs choose from (kernel/Kconfig.hz). */
const HZ_CHOICES = [100, 250, 300, 1000];

/**
 * The timer frequency, by the first route the dump offers: NSEC_PER_SEC / tick_nsec (kernel/time/ntp.c,
 * rounded: NTP trims tick_nsec slightly; the variable is gone in 7.x), CONFIG_HZ of the in-kernel config,
 * else the HZ choice for which jiffies count the timekeeper's uptime.
 */
export function kernelHz(k: Kernel): number | undefined {
  const cached = k.cache.get('objects/hz') as number | null | undefined;
  if (cached !== undefined) return cached ?? undefined;
  const hz = hzFromTickNsec(k) ?? hzFromConfig(k) ?? hzFromUptime(k);
  k.cache.set('objects/hz', hz ?? null);
  return hz;
}

function hzFromTickNsec(k: Kernel): number | undefined {
  try {
    if (!k.hasSymbol('tick_nsec')) return undefined;
    const tickNsec = k.readU64(k.sym('tick_nsec'));
    if (tickNsec === 0n) return undefined;
    const hz = Math.round(1e9 / Number(tickNsec));
    return hz >= 24 && hz <= 10000 ? hz : undefined;
  } catch {
    return undefined;
  }
}

function hzFromConfig(k: Kernel): number | undefined {
  try {
    const m = /^CONFIG_HZ=(\d+)$/m.exec(kernelConfig(k) ?? '');
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The HZ choice whose jiffies count (jiffies_64 - INITIAL_JIFFIES) / HZ lands within 2 s of the timekeeper's uptime. */
export function hzFromUptime(k: Kernel): number | undefined {
  try {
    const up = uptimeSeconds(k);
    const j = readJiffies(k);
    return matchHz(j, up);
  } catch {
    return undefined;
  }
}

/** The HZ of HZ_CHOICES for which `jiffies` (jiffies_64) means `uptime` seconds since boot, if exactly one does. */
export function matchHz(jiffies: bigint, uptime: number): number | undefined {
  const fits = HZ_CHOICES.filter((hz) => Math.abs(jiffiesToSeconds(jiffies, hz) - uptime) <= 2);
  return fits.length === 1 ? fits[0] : undefined;
}

function readJiffies(k: Kernel): bigint {
  return k.readU64(k.sym(k.hasSymbol('jiffies_64') ? 'jiffies_64' : 'jiffies'));
}

/** Ticks since boot: jiffies_64 - INITIAL_JIFFIES (the count jiffies starts from, 300 s before it wraps). */
export function jiffiesSinceBoot(k: Kernel, hz: number): bigint {
  return BigInt.asUintN(64, readJiffies(k) - BigInt.asUintN(32, BigInt(-300 * hz)));
}

/** Whole seconds of jiffies since boot: INITIAL_JIFFIES is (unsigned int)(-300 * HZ) (include/linux/jiffies.h). */
function jiffiesToSeconds(j: bigint, hz: number): number {
  const initial = BigInt.asUintN(32, BigInt(-300 * hz));
  return Number(BigInt.asUintN(64, j - initial) / BigInt(hz));
}

/** How the uptime was found: the route used and each route before it that the dump lacks. */
export interface UptimeReading {
  seconds: number;
  /** 'timekeeper' (what /proc/uptime reads), 'jiffies', or 'log' (the newest printk record's stamp) */
  route: 'timekeeper' | 'jiffies' | 'log';
  /** one line per route that failed, naming what is missing */
  missing: string[];
}

/** The uptime by every route the dump offers: the timekeeper, then jiffies and HZ, then the log's last stamp. */
export function uptimeReading(k: Kernel): UptimeReading {
  const missing: string[] = [];
  try {
    return { seconds: uptimeSeconds(k), route: 'timekeeper', missing };
  } catch (e) {
    missing.push(`timekeeper: ${(e as Error).message}`);
  }
  const jiffiesUp = jiffiesUptimeSeconds(k);
  if (jiffiesUp !== undefined) return { seconds: jiffiesUp, route: 'jiffies', missing };
  missing.push('jiffies: no jiffies_64 or no HZ (tick_nsec, CONFIG_HZ)');
  try {
    const recs = printkRecords(k);
    const last = recs[recs.length - 1];
    if (last) return { seconds: Math.floor(Number(last.tsNsec) / 1e9), route: 'log', missing };
    missing.push('log: no records');
  } catch (e) {
    missing.push(`log: ${(e as Error).message}`);
  }
  throw new Error(`no route to the uptime: ${missing.join('; ')}`);
}

/** Seconds since boot counted in jiffies, with kernelHz's HZ. */
export function jiffiesUptimeSeconds(k: Kernel): number | undefined {
  const hz = kernelHz(k);
  if (!hz) return undefined;
  try {
    return jiffiesToSeconds(readJiffies(k), hz);
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
