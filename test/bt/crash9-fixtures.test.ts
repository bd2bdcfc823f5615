/**
 * bt -a in crash 9.0.2's layout, on dumps any machine can remake (scripts/qemu; CI makes them). crash's own
 * `bt -a` output on two such dumps is kept in test/fixtures/bt (a live QEMU dump; a keyboard-IRQ panic on 6.12),
 * but a remade dump holds another machine state, so the texts cannot be compared whole (they were once, pinned
 * to one dump's sha256, and skipped everywhere else). What holds for every run:
 *  - each line we print has the shape of a line crash printed there (same words, columns and field widths,
 *    values aside): `layoutShape` below;
 *  - the QEMU rules further down (the note's registers as an exception block, then the caller as #0).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import btCommand from '../../commands/bt.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { corpusAvailable } from '../helpers/corpus.js';
import {
  CI_QEMU_FILES,
  describeWithDumps,
  qemuDumpsDir as QEMU,
  scenariosDir,
  vmlinuxOfRelease,
} from '../helpers/made-dumps.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'bt');
const CRASH9 = ['qemu-bt-a.crash9.txt', 'k612-kbd-sysrq-irq-bt-a.crash9.txt'];

const runBt = async (k: Kernel, words: string[]): Promise<string> =>
  renderText((await btCommand.run(new Session(k), parseArgs(words, btCommand.options))) as View);

/**
 * A bt line with its values taken out: the task header's pid, address, CPU and command, symbol names, hex
 * words and digits become placeholders of the same width, so two lines have one shape when crash would lay
 * them out alike.
 */
export function layoutShape(line: string): string {
  return line
    .replace(/^PID: (\d{1,7} *)(?= TASK: )/, (_m, f: string) => `PID: ${'p'.repeat(f.length)}`) // %-7ld: width, not digits
    .replace(/COMMAND: ".*"$/, 'COMMAND: "C"')
    .replace(/\[exception RIP: [\w.]+(\+\d+)?\]/, '[exception RIP: S]')
    .replace(/\] [\w.]+ at ([0-9a-f]{16})( \[\w+\])?$/, '] S at $1')
    .replace(/\b[0-9a-f]{4,16}\b/g, (h) => 'h'.repeat(h.length))
    .replace(/\d/g, 'd');
}

const crashShapes = new Set(
  [
    ...CRASH9.flatMap((f) => readFileSync(join(FIX, f), 'utf8').replace(/\n$/, '').split('\n')),
    // a CPU stopped by the crash NMI while it was on the NMI stack itself: crash 9 prints this marker
    // (corpus k61-nmi, golden/crash-9 bt -a); which CPU state a remade dump catches varies by run
    '--- <NMI exception stack> ---',
  ].map(layoutShape),
);

/**
 * crash-ts's own one-line note under a task header when makedumpfile left the task_struct out of the dump
 * (seen on 7.x dumps made by Debian 12's makedumpfile 1.7.2): crash 9 prints nothing usable there.
 */
const ourNote = /^ {4}\(the task_struct cannot be read: .+\)$/;
// the header crash-ts prints for a CPU's current task whose task_struct the dump lost (pid and comm unknown;
// crash 9 shows no such task): it comes with the note above
const ourLostHeader = /^PID: \?\s+TASK: [0-9a-f]{16}\s+CPU: \d+\s+COMMAND: "\?"$/;

/** The made dumps to lay out: every QEMU dump and every scenario whose kernel we have a vmlinux for. */
function madeDumps(): { name: string; path: string; release: string }[] {
  const out = CI_QEMU_FILES.filter((f) => f.endsWith('.vmcore') && existsSync(join(QEMU, f))).map((f) => ({
    name: `qemu/${f}`,
    path: join(QEMU, f),
    release: '6.1.0-56-cloud-amd64',
  }));
  if (existsSync(scenariosDir))
    for (const d of readdirSync(scenariosDir).sort()) {
      const dir = join(scenariosDir, d);
      if (!existsSync(join(dir, 'vmcore.kdump-zlib')) || !existsSync(join(dir, 'case.json'))) continue;
      const release = (JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { kernel_release: string })
        .kernel_release;
      out.push({ name: `scenarios/${d}`, path: join(dir, 'vmcore.kdump-zlib'), release });
    }
  return out;
}

it('layoutShape keeps what crash lays out and drops the values', () => {
  expect(layoutShape(' #9 [ffffd54b00100cf8] input_event at ffffffff8f5a3553')).toBe(
    ' #d [hhhhhhhhhhhhhhhh] S at hhhhhhhhhhhhhhhh',
  );
  expect(layoutShape('PID: 156      TASK: ffff8e0481adc8c0  CPU: 0    COMMAND: "ct-spinner"')).toBe(
    'PID: pppppppp TASK: hhhhhhhhhhhhhhhh  CPU: d    COMMAND: "C"',
  );
  expect(layoutShape('PID: 10226    TASK: ffff8e0481adc8c0  CPU: 1    COMMAND: "ct-many"')).toBe(
    layoutShape('PID: 156      TASK: ffff8e0481adc8c0  CPU: 0    COMMAND: "ct-spinner"'),
  );
  expect(layoutShape('    RBP: 0000000000000002   R8: 0000000000000000   R9: 0000000000000000')).toBe(
    '    RBP: hhhhhhhhhhhhhhhh   Rd: hhhhhhhhhhhhhhhh   Rd: hhhhhhhhhhhhhhhh',
  );
  expect(crashShapes.has(layoutShape('    CS: 0010  SS: 0018'))).toBe(true);
  expect(crashShapes.has(layoutShape('    CS: 0010 SS: 0018'))).toBe(false);
});

const dumps = corpusAvailable ? madeDumps() : [];
describeWithDumps(
  'bt -a on remade dumps: every line has the shape of a line crash 9 prints',
  !corpusAvailable
    ? 'no corpus (for the vmlinux)'
    : dumps.length
      ? undefined
      : `no made dumps in ${QEMU} or ${scenariosDir}; scripts/qemu/make-qemu-dumps.sh, make-scenario.sh`,
  () => {
    for (const d of dumps) {
      it(`${d.name} (${d.release})`, async () => {
        const vmlinux = await vmlinuxOfRelease(d.release);
        expect(vmlinux, `a vmlinux of ${d.release}`).toBeDefined();
        const k = openKernelSync(vmlinux!, d.path);
        try {
          const lines = (await runBt(k, ['-a'])).replace(/\n$/, '').split('\n');
          const strange = lines.filter(
            (l) => l !== '' && !ourNote.test(l) && !ourLostHeader.test(l) && !crashShapes.has(layoutShape(l)),
          );
          expect(strange).toEqual([]);
          expect(lines.filter((l) => l.startsWith('PID: ')).length).toBe(k.presentCpus.length);
        } finally {
          k.dump.close();
        }
      }, 120_000);
    }
  },
);

/**
 * Any QEMU dump (CI makes its own): every CPU stopped in kernel mode shows its registers as crash does,
 * an `[exception RIP: fn+off]` block with the note's RIP and RSP and a last line `CS: 0010  SS: ...`
 * without ORIG_RAX (not saved by a crash kernel), then #0 is the caller at or above RSP; after
 * `--- <IRQ stack> ---` the entry frame is shown at its pt_regs, which ends at the interrupted RSP
 * rounded down to 16 bytes (the CPU aligns the stack before pushing the interrupt frame).
 */
const QEMU_DUMPS = ['qemu-kdump-zlib.vmcore', 'qemu-elf.vmcore'].filter((f) => existsSync(join(QEMU, f)));
const haveQemu = corpusAvailable && QEMU_DUMPS.length > 0;
const qTitle = 'bt on a live QEMU dump: CPU registers as an exception block before #0';
describeWithDumps(
  qTitle,
  !corpusAvailable
    ? 'no corpus (for the vmlinux)'
    : haveQemu
      ? undefined
      : `no QEMU dumps in ${QEMU}; run scripts/qemu/make-qemu-dumps.sh ${QEMU}`,
  () => {
    let k: Kernel;
    beforeAll(async () => {
      k = openKernelSync((await vmlinuxOfRelease('6.1.0-56-cloud-amd64'))!, join(QEMU, QEMU_DUMPS[0]!));
    }, 120_000);
    afterAll(() => k?.dump.close());

    it('each kernel-mode CPU: its note registers as the block, then the caller as #0', async () => {
      const h16 = (v: bigint): string => v.toString(16).padStart(16, '0');
      let kernelCpus = 0;
      for (const [i, cpu] of k.onlineCpus.entries()) {
        const r = k.dump.cpus[i]!.regs;
        const lines = (await runBt(k, ['-c', String(cpu)])).split('\n');
        expect(lines[0]).toMatch(new RegExp(`^PID: \\d+\\s+TASK: [0-9a-f]{16}  CPU: ${cpu}\\s+COMMAND: ".+"$`));
        if ((r.cs & 3n) !== 0n) continue;
        kernelCpus++;
        const n = k.symbols.nearest(r.rip)!;
        expect(lines[1]).toBe(`    [exception RIP: ${n.symbol.name}${n.offset ? '+' + n.offset : ''}]`);
        expect(lines[2]).toMatch(new RegExp(`^    RIP: ${h16(r.rip)}  RSP: ${h16(r.rsp)}  RFLAGS: [0-9a-f]{8}$`));
        expect(lines[3]).toContain(`RAX: ${h16(r.rax)}`);
        expect(lines[8]).toBe(`    CS: ${h16(r.cs & 0xffffn).slice(12)}  SS: ${h16(r.ss & 0xffffn).slice(12)}`);
        const f0 = /^ #0 \[([0-9a-f]{16})\] (\S+) at [0-9a-f]{16}$/.exec(lines[9]!);
        expect(f0, lines.join('\n')).not.toBeNull();
        expect(BigInt('0x' + f0![1]) >= r.rsp).toBe(true);
        const sw = lines.indexOf('--- <IRQ stack> ---');
        if (sw > 0 && lines[sw + 2]?.startsWith('    [exception RIP: ')) {
          const at = BigInt('0x' + /\[([0-9a-f]{16})\]/.exec(lines[sw + 1]!)![1]);
          const rsp = BigInt('0x' + /RSP: ([0-9a-f]{16})/.exec(lines[sw + 3]!)![1]);
          expect(at).toBe((rsp & ~15n) - BigInt(k.sizeOf('struct pt_regs')));
        }
      }
      expect(kernelCpus).toBeGreaterThan(0);
    });
  },
);
