/**
 * bt against the crashed kernel's own console Call Trace, token by token, on the scenario dumps
 * (scripts/qemu/make-scenario.sh NAME ~/.cache/crash-ts-corpus/scenarios/NAME; CI makes k612-kbd-sysrq):
 * every function from `panic` on, and every `RIP: 0010:fn+off` exception line as an `[exception RIP: fn+off]`
 * block at the same place. An exception frame whose interrupted code ran on the same stack (an IRQ over
 * softirq on the IRQ stack, a timer interrupt over idle on the task stack) is that block only: the
 * interrupted function is not a numbered frame as well (the kernel prints it only in the RIP line; so does
 * crash for the task-stack case — for the nested IRQ-stack case crash loses the block, see fixtures/README).
 * Skips visibly without scenario dumps ($CRASH_TS_SCENARIOS or ~/.cache/crash-ts-corpus/scenarios).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import btCommand from '../../commands/bt.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { corpusAvailable } from '../helpers/corpus.js';
import { describeWithDumps, scenariosDir, vmlinuxOfRelease } from '../helpers/made-dumps.js';
import { btTrace, consoleTrace } from './console-trace.js';

/**
 * Two tokens (`fn` or `RIP fn+off`) naming the same address under different names. Where symbols share an
 * address the kernel's kallsyms and crash choose differently (5.10's console prints __do_softirq and
 * asm_call_irq_on_stack where crash 9, and crash-ts with it, names __softirqentry_text_start, a linker label,
 * and asm_call_sysvec_on_stack): the same frame either way.
 */
function aliases(k: Kernel, ours: string, theirs: string | undefined): boolean {
  const parse = (t: string) => /^(RIP )?([\w.]+)(\+\d+)?$/.exec(t);
  const a = parse(ours);
  const b = theirs === undefined ? null : parse(theirs);
  if (!a || !b || a[1] !== b[1] || a[3] !== b[3] || a[2] === b[2]) return false;
  const x = k.symbols.lookup(a[2]!);
  const y = k.symbols.lookup(b[2]!);
  return x !== undefined && y !== undefined && x.address === y.address;
}

const ROOT = scenariosDir;
const scenarios = existsSync(ROOT)
  ? readdirSync(ROOT)
      .filter((d) => existsSync(join(ROOT, d, 'vmcore.kdump-zlib')) && existsSync(join(ROOT, d, 'case.json')))
      .sort()
  : [];

const have = corpusAvailable && scenarios.length > 0;
const title = 'bt equals the console Call Trace of the scenario dumps';
describeWithDumps(
  title,
  !corpusAvailable
    ? 'no corpus (for the vmlinux)'
    : have
      ? undefined
      : `no scenario dumps in ${ROOT}; scripts/qemu/make-scenario.sh`,
  () => {
    for (const name of scenarios) {
      describe(name, () => {
        let k: Kernel | undefined;
        let release = '';
        beforeAll(async () => {
          release = (JSON.parse(readFileSync(join(ROOT, name, 'case.json'), 'utf8')) as { kernel_release: string })
            .kernel_release;
          const v = await vmlinuxOfRelease(release);
          if (v) k = openKernelSync(v, join(ROOT, name, 'vmcore.kdump-zlib'));
        }, 120_000);
        afterAll(() => k?.dump.close());

        const truth = consoleTrace(readFileSync(join(ROOT, name, 'serial-first-kernel.log'), 'utf8'));
        // from `panic` on; an oops that went to crash_kexec without panic(): its whole Call Trace
        const anchor = truth.includes('panic') ? 'panic' : truth[0];
        const what = 'frames and exception blocks from panic on are the console Call Trace';
        it.skipIf(!anchor)(anchor ? what : `${what} (skipped: the console log holds no panic Call Trace)`, async () => {
          expect(k, `no vmlinux for ${release} (corpus or cache)`).toBeDefined();
          const text = renderText((await btCommand.run(new Session(k!), parseArgs([], btCommand.options))) as View);
          const want = truth.slice(truth.indexOf(anchor!));
          const ours = btTrace(text);
          expect(ours.indexOf(anchor!), text).toBeGreaterThanOrEqual(0);
          const got = ours.slice(ours.indexOf(anchor!)).map((t, i) => (aliases(k!, t, want[i]) ? want[i]! : t));
          expect(got, text).toEqual(want);
          // a block on the same stack as the code it interrupted is followed by the caller, never by a
          // numbered frame of the interrupted function itself
          const lines = text.split('\n');
          lines.forEach((l, i) => {
            const m = /^ {4}\[exception RIP: ([\w.]+)\+\d+\]$/.exec(l);
            if (!m) return;
            const after = lines.slice(i + 1).find((x) => !x.startsWith('    '))!;
            if (!after.startsWith('--- <')) expect(after).not.toContain(` ${m[1]} at `);
          });
          // after leaving the IRQ stack, the entry frame is shown at its pt_regs (as crash): the struct
          // ends at the interrupted RSP rounded down to 16 bytes (the CPU aligns before the IRET frame)
          const sw = lines.indexOf('--- <IRQ stack> ---');
          if (sw > 0 && lines[sw + 2]?.startsWith('    [exception RIP: ')) {
            const at = BigInt('0x' + /\[([0-9a-f]{16})\]/.exec(lines[sw + 1]!)![1]);
            const rsp = BigInt('0x' + /RSP: ([0-9a-f]{16})/.exec(lines[sw + 3]!)![1]);
            expect(at).toBe((rsp & ~15n) - BigInt(k!.sizeOf('struct pt_regs')));
          }
        });
      });
    }
  },
);
