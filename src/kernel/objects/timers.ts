/**
 * The timer wheel (kernel/time/timer.c, 4.8+): per-CPU timer_bases[NR_BASES], each a struct
 * timer_base whose vectors[] are hlist heads of struct timer_list (linked through .entry).
 * NR_BASES is 1 without NO_HZ_COMMON, 2 (BASE_STD, BASE_DEF) up to 6.8, and 3 from 6.9 (BASE_LOCAL,
 * BASE_GLOBAL, BASE_DEF: the pinned/unpinned split of the timer-migration rework).
 */
import type { Kernel } from '../kernel.js';
import { resolve } from '../types/type.js';
import { rbRootInorder } from './rbtree.js';

export interface Timer {
  address: bigint;
  expires: bigint;
  function: bigint;
  /** expires - jiffies, signed */
  tte: bigint;
}

export interface TimerBase {
  cpu: number;
  index: number;
  /** the kernel's name of this base: BASE_STD/BASE_DEF, or BASE_LOCAL/BASE_GLOBAL/BASE_DEF from 6.9 */
  name: string;
  address: bigint;
  /** sorted by expiry */
  timers: Timer[];
  /** hlist chains that could not be followed to their end (entries on pages the dump lacks) */
  brokenChains: number;
}

const BASE_NAMES: Record<number, string[]> = {
  1: ['BASE_STD'],
  2: ['BASE_STD', 'BASE_DEF'],
  3: ['BASE_LOCAL', 'BASE_GLOBAL', 'BASE_DEF'],
};

/** How many timer bases each CPU has: the length of the per-CPU timer_bases array (its BTF VAR type). */
export function timerBaseCount(k: Kernel): number {
  const t = k.types.variableType?.('timer_bases');
  const len = t ? resolve(t).length : undefined;
  if (len && len >= 1 && len <= 3) return len;
  // no type for the variable: NO_HZ_COMMON kernels (sysctl_timer_migration) have two, as crash assumes
  return k.hasSymbol('sysctl_timer_migration') ? 2 : 1;
}

export function jiffiesNow(k: Kernel): bigint {
  return k.readU64(k.sym('jiffies'));
}

export function timerBases(k: Kernel, cpu: number, jiffies: bigint): TimerBase[] {
  const count = timerBaseCount(k);
  const size = BigInt(k.sizeOf('struct timer_base'));
  const first = k.perCpu('timer_bases', cpu);
  const out: TimerBase[] = [];
  for (let i = 0; i < count; i++) {
    const address = first + BigInt(i) * size;
    out.push({ cpu, index: i, name: BASE_NAMES[count]![i]!, address, ...wheelTimers(k, address, jiffies) });
  }
  return out;
}

function wheelTimers(k: Kernel, base: bigint, jiffies: bigint): { timers: Timer[]; brokenChains: number } {
  const vectors = k.object('struct timer_base', base).field('vectors');
  const n = vectors.resolved.length ?? 0;
  const heads = k.read(vectors.address, n * 8);
  const entryOff = BigInt(k.offsetOf('struct timer_list', 'entry'));
  const expiresOff = BigInt(k.offsetOf('struct timer_list', 'expires'));
  const functionOff = BigInt(k.offsetOf('struct timer_list', 'function'));
  const timers: Timer[] = [];
  let brokenChains = 0;
  for (let v = 0; v < n; v++) {
    let node = heads.readBigUInt64LE(v * 8);
    const seen = new Set<bigint>();
    // an hlist ends in NULL; a chain that loops or leaves the dump is cut there
    while (node !== 0n && !seen.has(node) && seen.size < 100_000) {
      seen.add(node);
      const timer = node - entryOff;
      try {
        const expires = k.readU64(timer + expiresOff);
        timers.push({
          address: timer,
          expires,
          function: k.readU64(timer + functionOff),
          tte: BigInt.asIntN(64, expires - jiffies),
        });
        node = k.readU64(node);
      } catch {
        brokenChains++;
        break;
      }
    }
  }
  timers.sort((a, b) => (a.expires < b.expires ? -1 : a.expires > b.expires ? 1 : 0));
  return { timers, brokenChains };
}

export interface HrTimer {
  address: bigint;
  softExpires: bigint;
  expires: bigint;
  function: bigint;
}

export interface HrClockBase {
  index: number;
  address: bigint;
  /** the base's get_time function (ktime_get, ktime_get_real, ...), 0 where the kernel has none */
  getTime: bigint;
  /** the clock's time at the crash in ns: jiffies since boot in ns, plus the base's offset */
  now: bigint;
  /** in expiry order (the timerqueue's rb-tree, leftmost first) */
  timers: HrTimer[];
  broken: number;
}

/**
 * The high-resolution timers of one CPU (kernel/time/hrtimer.c): per-CPU hrtimer_bases, a struct
 * hrtimer_cpu_base whose clock_base[] each keep a timerqueue (an rb-tree of struct hrtimer.node).
 */
export function hrtimerBases(k: Kernel, cpu: number, ticksNs: bigint): { cpuBase: bigint; bases: HrClockBase[] } {
  const cpuBase = k.perCpu('hrtimer_bases', cpu);
  const bases = k.object('struct hrtimer_cpu_base', cpuBase).field('clock_base');
  const n = bases.resolved.length ?? 0;
  const nodeOff = BigInt(k.offsetOf('struct hrtimer', 'node'));
  const out: HrClockBase[] = [];
  for (let i = 0; i < n; i++) {
    const b = bases.index(i);
    const offset = b.has('offset') ? BigInt.asIntN(64, b.field('offset').value()) : 0n;
    const walk = rbRootInorder(k, b.field('active').field('rb_root').field('rb_root').address);
    out.push({
      index: i,
      address: b.address,
      getTime: b.has('get_time') ? b.field('get_time').value() : 0n,
      now: ticksNs + offset,
      broken: walk.broken.length,
      timers: walk.nodes.map((node) => {
        const t = k.object('struct hrtimer', node - nodeOff);
        return {
          address: t.address,
          softExpires: BigInt.asIntN(64, t.field('_softexpires').value()),
          expires: BigInt.asIntN(64, t.field('node').field('expires').value()),
          function: t.field('function').value(),
        };
      }),
    });
  }
  return { cpuBase, bases: out };
}
