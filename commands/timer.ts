/** timer: the pending timers of each CPU's timer wheel, by expiry, in crash's layout. */
import { CommandError, type Args, type Command } from '../src/command.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { cpuCounts } from '../src/kernel/objects/system.js';
import {
  hrtimerBases,
  jiffiesNow,
  timerBases,
  type HrClockBase,
  type TimerBase,
} from '../src/kernel/objects/timers.js';
import { jiffiesSinceBoot, kernelHz } from '../src/kernel/objects/boot-time.js';
import { text, type View } from '../src/render/view.js';
import { fit } from '../src/render/mem/fields.js';
import type { Session } from '../src/session.js';
import { parseCpuList } from '../src/repl/cpu-list.js';

const HELP = `timer - pending kernel timers

SYNOPSIS
  timer [-r] [-C CPU]

Shows jiffies, then every timer (struct timer_list) waiting on each CPU's timer wheel, one table
per timer base, ordered by expiry: EXPIRES (in jiffies), TTE (time to expire: EXPIRES - jiffies,
negative when the timer was already due), the timer_list address and the callback function.
Kernels from 6.9 have three bases per CPU (BASE_LOCAL for pinned timers, BASE_GLOBAL, BASE_DEF for
deferrable ones); all three are shown (crash 9 shows only the first two, and calls the second
BASE_DEF). An offline CPU's bases are shown too (they stay allocated; crash shows them alike).

OPTIONS
  -r       the high-resolution timers instead: each CPU's hrtimer clock bases (monotonic, realtime,
           boottime, TAI, and their soft variants) with the clock's time at the crash (CURRENT, ns)
           and each pending hrtimer: soft and hard expiry, time to expire, address and function
  -C CPU   only this CPU (a number, or a list such as 0,2-3)

EXAMPLES
  timer
  timer -r
  timer -C 1`;

const hex = (v: bigint): string => v.toString(16);

function baseLines(k: Kernel, b: TimerBase, flen: number): string[] {
  const lines = [`TIMER_BASES[${b.cpu}][${b.name}]: ${hex(b.address)}`];
  // TTE's column fits the widest value and a minus sign (crash sizes it the same way)
  const highest = b.timers.reduce(
    (m, t) => ((t.tte < 0n ? -t.tte : t.tte) > m ? (t.tte < 0n ? -t.tte : t.tte) : m),
    0n,
  );
  const tlen = Math.max(String(highest).length + 1, 3);
  lines.push(`  ${'EXPIRES'.padEnd(flen)}     ${'TTE'.padEnd(tlen)}     TIMER_LIST     FUNCTION`);
  for (const t of b.timers) {
    const sym = k.symbols.describe(t.function, true) ?? '';
    lines.push(
      `  ${String(t.expires).padStart(flen)}  ${String(t.tte).padStart(tlen)}  ${hex(t.address).padStart(16)}  ${hex(t.function).padStart(16)}  <${sym}>`,
    );
  }
  if (!b.timers.length) lines.push('  (none)');
  if (b.brokenChains)
    lines.push(
      `  (${b.brokenChains} timer chain${b.brokenChains === 1 ? '' : 's'} cut short: entries not in the dump)`,
    );
  return lines;
}

/**
 * timer -r: crash sizes the SOFTEXPIRES, EXPIRES and TTE columns from the last (latest) timer of the base,
 * at least 11, 7 and its own width; the CURRENT time is the clock's time at the crash.
 */
function hrBaseLines(k: Kernel, b: HrClockBase): string[] {
  const fn = b.getTime ? (k.symbols.describe(b.getTime, true) ?? b.getTime.toString(16)) : '';
  const lines = [`  CLOCK: ${b.index}  HRTIMER_CLOCK_BASE: ${hex(b.address)}${fn ? `  [${fn}]` : ''}`];
  if (!b.timers.length) return [...lines, b.broken ? '  (unreadable: the timer tree is not in the dump)' : '  (empty)'];
  const last = b.timers.at(-1)!;
  const expLen = Math.max(String(last.expires).length, 7);
  const softLen = Math.max(String(last.softExpires).length, 11);
  const tteLen = String(last.expires - b.now).length;
  lines.push(
    `  ${fit('CURRENT', softLen, 'center-right')}`,
    `  ${fit(String(b.now), softLen, 'center-right')}`,
    `  ${fit('SOFTEXPIRES', softLen, 'center-right')}  ${fit('EXPIRES', expLen, 'center-right')}  ${fit('TTE', tteLen, 'center-right')}  ${'    HRTIMER'.padEnd(16)}  ${'    FUNCTION'.padEnd(16)}`,
  );
  for (const t of b.timers) {
    const sym = k.symbols.describe(t.function, true) ?? '';
    lines.push(
      `  ${fit(String(t.softExpires), softLen, 'center-right')}  ${fit(String(t.expires), expLen, 'center-right')}  ${String(t.expires - b.now).padStart(tteLen)}  ${hex(t.address)}  ${hex(t.function)}  <${sym}>`,
    );
  }
  if (b.broken)
    lines.push(`  (${b.broken} tree node${b.broken === 1 ? '' : 's'} not in the dump: their timers are missing)`);
  return lines;
}

function hrtimerView(k: Kernel, only: Set<number> | undefined, present: number): View {
  const hz = kernelHz(k);
  if (!hz) throw new CommandError("timer -r: HZ is unknown, so the clocks' current time is too");
  const ticksNs = jiffiesSinceBoot(k, hz) * (1_000_000_000n / BigInt(hz));
  const lines: string[] = [];
  const data = [];
  for (let cpu = 0; cpu < present; cpu++) {
    if (only && !only.has(cpu)) continue;
    if (lines.length) lines.push('');
    try {
      const { cpuBase, bases } = hrtimerBases(k, cpu, ticksNs);
      lines.push(`CPU: ${cpu}  HRTIMER_CPU_BASE: ${hex(cpuBase)}`);
      bases.forEach((b, i) => {
        if (i) lines.push('');
        lines.push(...hrBaseLines(k, b));
      });
      data.push({ cpu, cpuBase, bases });
    } catch (e) {
      lines.push(`CPU: ${cpu}  (unreadable: ${(e as Error).message})`);
    }
  }
  return text(lines, data);
}

const timer: Command = {
  name: 'timer',
  summary: 'pending timers of each CPU',
  help: HELP,
  needsDump: true,
  options: { C: '=cpu', r: 'high-resolution timers' },
  run(session: Session, args: Args): View {
    const k = session.kernel;
    if (!k) throw new CommandError('no dump is open');
    const { present } = cpuCounts(k);
    const only = args.flags.C !== undefined ? new Set(parseCpuList(String(args.flags.C), present)) : undefined;
    if (args.flags.r) return hrtimerView(k, only, present);
    let jiffies: bigint;
    try {
      jiffies = jiffiesNow(k);
    } catch (e) {
      throw new CommandError(`cannot read jiffies: ${(e as Error).message}`);
    }
    const flen = Math.max(String(jiffies).length, 'JIFFIES'.length);
    const lines = ['JIFFIES'.padEnd(flen), String(jiffies).padStart(flen), ''];
    const data: TimerBase[] = [];
    let shown = 0;
    for (let cpu = 0; cpu < present; cpu++) {
      if (only && !only.has(cpu)) continue;
      if (shown++) lines.push('');
      try {
        for (const b of timerBases(k, cpu, jiffies)) {
          data.push(b);
          lines.push(...baseLines(k, b, flen));
        }
      } catch (e) {
        lines.push(`TIMER_BASES[${cpu}]: (unreadable: ${(e as Error).message})`);
      }
    }
    return text(lines, { jiffies, bases: data });
  },
};

export default timer;
