/**
 * System-wide facts of the dumped kernel, each read by name through the type info: utsname,
 * the crash time and uptime (timekeeping), load average, memory size, CPU speed, taint, the
 * in-kernel config. Every reader throws a one-line error when its data is missing from the dump.
 */
import { gunzipSync } from 'node:zlib';
import type { Kernel } from '../kernel.js';
import { FieldError } from '../value.js';

export interface UtsName {
  sysname: string;
  nodename: string;
  release: string;
  version: string;
  machine: string;
  domainname: string;
}

/** init_uts_ns.name (struct new_utsname); the kdump header's copy when the page is missing. */
export function utsname(k: Kernel): UtsName {
  try {
    const n = k.variable('init_uts_ns', 'struct uts_namespace').field('name');
    const f = (x: string): string => n.field(x).cstring(65);
    return {
      sysname: f('sysname'),
      nodename: f('nodename'),
      release: f('release'),
      version: f('version'),
      machine: f('machine'),
      domainname: f('domainname'),
    };
  } catch (e) {
    const u = k.dump.meta.utsname;
    if (u) return { ...u, domainname: '' };
    throw e;
  }
}

/**
 * The names the core timekeeper has had (kernel/time/timekeeping.c): `tk_core`, a static struct of a
 * seqcount and the timekeeper (`struct tk_data` since 6.13), up to 6.16; since the auxiliary clocks of
 * 6.17 an array `timekeeper_data[TIMEKEEPERS_MAX]` of struct tk_data whose element 0 (TIMEKEEPER_CORE)
 * is the same thing.
 */
export const TIMEKEEPER_SYMBOLS = ['tk_core', 'timekeeper_data'];

/**
 * The core timekeeper's address. Before 6.13 BTF does not describe tk_core's anonymous wrapper, so the
 * timekeeper's offset is the seqcount's size rounded up to 8.
 */
export function timekeeperAddress(k: Kernel): bigint {
  const name = TIMEKEEPER_SYMBOLS.find((n) => k.hasSymbol(n));
  if (name === undefined) throw new FieldError(`no timekeeper: none of ${TIMEKEEPER_SYMBOLS.join(', ')} is a symbol`);
  const base = k.sym(name);
  if (k.findType('struct tk_data')) return base + BigInt(k.offsetOf('struct tk_data', 'timekeeper'));
  const seq = k.findType('seqcount_raw_spinlock_t') ? k.sizeOf('seqcount_raw_spinlock_t') : 4;
  return base + BigInt((seq + 7) & ~7);
}

/** Wall-clock seconds at the crash (timekeeper.xtime_sec; the dump header's time as a fallback). */
export function crashTime(k: Kernel): number {
  try {
    return Number(k.object('struct timekeeper', timekeeperAddress(k)).field('xtime_sec').value());
  } catch (e) {
    const t = k.dump.meta.timestamp ?? k.vmcoreinfo.crashTime;
    if (t !== undefined) return t;
    throw e;
  }
}

/**
 * Seconds since boot: the monotonic clock (xtime + wall_to_monotonic) plus offs_boot (time spent
 * suspended), as /proc/uptime counts it. Not jiffies: its INITIAL_JIFFIES offset fools readers.
 */
export function uptimeSeconds(k: Kernel): number {
  const tk = k.object('struct timekeeper', timekeeperAddress(k));
  const xsec = tk.field('xtime_sec').value();
  const mono = tk.field('tkr_mono');
  const xnsec = mono.field('xtime_nsec').value() >> mono.field('shift').value();
  const wtm = tk.field('wall_to_monotonic');
  let ns = (xsec + wtm.field('tv_sec').value()) * 1_000_000_000n + wtm.field('tv_nsec').value() + xnsec;
  // offs_boot (time spent suspended) exists since 3.17; a read error is an error, not 0
  if (tk.has('offs_boot')) ns += tk.field('offs_boot').value();
  return Number(ns / 1_000_000_000n);
}

/** crash's day/time layout: "00:00:09", "2 days, 03:04:05". */
export function formatUptime(secs: number): string {
  const d = Math.floor(secs / 86400);
  const h = Math.floor((secs % 86400) / 3600);
  const m = Math.floor((secs % 3600) / 60);
  const s = secs % 60;
  const hms = [h, m, s].map((x) => String(x).padStart(2, '0')).join(':');
  return d > 0 ? `${d} day${d === 1 ? '' : 's'}, ${hms}` : hms;
}

/** avenrun[3]: fixed point with FSHIFT 11 bits. */
export function loadAverage(k: Kernel): bigint[] {
  const b = k.read(k.sym('avenrun'), 24);
  return [0, 8, 16].map((o) => b.readBigUInt64LE(o));
}

/** "0.16, 0.03, 0.01": LOAD_INT/LOAD_FRAC of include/linux/sched/loadavg.h, rounded as /proc/loadavg. */
export function formatLoadAverage(avenrun: bigint[]): string {
  const FSHIFT = 11n;
  const FIXED_1 = 1n << FSHIFT;
  return avenrun
    .map((raw) => {
      const x = raw + FIXED_1 / 200n;
      const int = x >> FSHIFT;
      const frac = ((x & (FIXED_1 - 1n)) * 100n) >> FSHIFT;
      return `${int}.${String(frac).padStart(2, '0')}`;
    })
    .join(', ');
}

/** Physical pages present: the sum of every online node's node_present_pages. */
export function physicalPages(k: Kernel): bigint {
  const cached = k.cache.get('objects/physpages') as bigint | undefined;
  if (cached !== undefined) return cached;
  let total = 0n;
  if (k.hasSymbol('node_data')) {
    const nodes = nodeIds(k);
    for (const nid of nodes) {
      const pg = k.readU64(k.sym('node_data') + BigInt(nid) * 8n);
      if (pg === 0n) continue;
      total += k.object('struct pglist_data', pg).field('node_present_pages').value();
    }
  } else if (k.hasSymbol('contig_page_data')) {
    total = k.variable('contig_page_data', 'struct pglist_data').field('node_present_pages').value();
  }
  if (total === 0n) total = BigInt(k.dump.meta.maxPfn ?? 0n);
  k.cache.set('objects/physpages', total);
  return total;
}

/**
 * How many hex digits crash gives a physical address in its page and memory-block tables: those of the memory
 * size (present pages times the 4 KiB page), so 9 once memory passes 4 GiB (8 at 384 MiB, 7 at 128 MiB).
 */
export function physicalAddressDigits(k: Kernel): number {
  return (physicalPages(k) << 12n).toString(16).length;
}

/**
 * The page count ps's %MEM divides by, as crash computes it: every page frame up to the top of memory
 * (max_pfn; x86_64's high_memory is __va(max_pfn << PAGE_SHIFT)), holes included, so slightly more than
 * the present pages MEMORY counts. Falls back to the present pages.
 */
export function percentBasePages(k: Kernel): bigint {
  try {
    const maxPfn = k.hasSymbol('max_pfn') ? k.readU64(k.sym('max_pfn')) : 0n;
    if (maxPfn > 0n && maxPfn < 1n << 40n) return maxPfn;
  } catch {
    // unreadable: present pages
  }
  return physicalPages(k);
}

function nodeIds(k: Kernel): number[] {
  // node_states[N_ONLINE] is a nodemask; without it, node 0 only
  try {
    const nOnline = Number(k.types.enumValue?.('N_ONLINE', 'node_states') ?? 1n);
    const size = k.sizeOf('nodemask_t');
    const buf = k.read(k.sym('node_states') + BigInt(nOnline * size), size);
    const out: number[] = [];
    for (let i = 0; i < size * 8 && i < 1024; i++) if ((buf[i >> 3]! >> (i & 7)) & 1) out.push(i);
    return out.length ? out : [0];
  } catch {
    return [0];
  }
}

/**
 * crash's size layout (pages_to_size in crash's memory.c): one decimal, a trailing ".0" dropped, so
 * "767.5 MB", "2 GB", "1.5 GB"; below 1 MB whole kilobytes.
 */
export function formatMemorySize(bytes: bigint): string {
  const KB = 1024;
  const MB = KB * KB;
  const GB = MB * KB;
  const n = Number(bytes);
  const f = (unit: number, name: string): string => `${(n / unit).toFixed(1).replace(/\.0$/, '')} ${name}`;
  if (n >= GB) return f(GB, 'GB');
  if (n >= MB) return f(MB, 'MB');
  return `${Math.floor(n / KB)} KB`;
}

/**
 * The memory size sys shows. The present pages fall short of the installed size (firmware and the
 * kernel reserve some), so a 1 GiB guest has ~1023.5 MB present; like crash's get_memory_size we
 * round up to the next GiB when it is at most 64 MiB away ("1 GB"), and keep the exact figure
 * otherwise ("767.5 MB" for a 768 MiB guest, whose next GiB is 256 MiB away).
 */
export function installedMemoryBytes(presentBytes: bigint): bigint {
  const GiB = 1n << 30n;
  const next = ((presentBytes + GiB - 1n) / GiB) * GiB;
  return next - presentBytes <= 64n << 20n ? next : presentBytes;
}

/** CPUs present (the larger of __cpu_present_mask and the online mask) and online. */
export function cpuCounts(k: Kernel): { present: number; online: number } {
  const online = k.onlineCpus.length;
  let present = online;
  try {
    present = Math.max(online, k.cpuMask('__cpu_present_mask').length);
  } catch {
    /* keep online */
  }
  return { present, online };
}

/** CPU speed in MHz: cpu_khz / 1000 (x86); undefined when the kernel has no such variable. */
export function cpuMhz(k: Kernel): number | undefined {
  for (const name of ['cpu_khz', 'tsc_khz']) {
    if (!k.hasSymbol(name)) continue;
    try {
      const khz = k.readU32(k.sym(name));
      if (khz > 0) return Math.floor(khz / 1000);
    } catch {
      /* next */
    }
  }
  return undefined;
}

export interface Taint {
  mask: bigint;
  /** the letter of each set bit (taint_flags[bit].c_true), in bit order */
  letters: string;
}

/** tainted_mask and its letters from the kernel's own taint_flags[] table. */
export function taint(k: Kernel): Taint {
  const mask = k.readU64(k.sym('tainted_mask'));
  let letters = '';
  if (mask !== 0n && k.hasSymbol('taint_flags') && k.findType('struct taint_flag')) {
    const size = BigInt(k.sizeOf('struct taint_flag'));
    const off = BigInt(k.offsetOf('struct taint_flag', 'c_true'));
    for (let bit = 0n; bit < 64n; bit++) {
      if (!((mask >> bit) & 1n)) continue;
      try {
        const c = k.read(k.sym('taint_flags') + bit * size + off, 1)[0]!;
        letters += c >= 0x20 && c < 0x7f ? String.fromCharCode(c) : '?';
      } catch {
        letters += '?';
      }
    }
  }
  return { mask, letters };
}

/**
 * The kernel's own .config when built with CONFIG_IKCONFIG: gzip data between the
 * "IKCFG_ST" and "IKCFG_ED" markers (kernel/configs.c, kernel_config_data[_end]).
 * Returns undefined when the kernel does not carry it.
 */
export function kernelConfig(k: Kernel): string | undefined {
  if (!k.hasSymbol('kernel_config_data')) return undefined;
  const start = k.sym('kernel_config_data');
  const end = k.hasSymbol('kernel_config_data_end') ? k.sym('kernel_config_data_end') : start + 1n * 1024n * 1024n;
  const len = Number(end - start);
  if (len <= 0 || len > 16 * 1024 * 1024) throw new Error(`kernel_config_data: implausible size ${len}`);
  let data = k.read(start, len);
  const st = data.indexOf('IKCFG_ST');
  if (st >= 0) data = data.subarray(st + 8);
  const ed = data.lastIndexOf('IKCFG_ED');
  if (ed >= 0) data = data.subarray(0, ed);
  return gunzipSync(data).toString('latin1');
}
