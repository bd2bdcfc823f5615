/**
 * bt -a against crash 9.0.2's output on real dumps outside the shared corpus (test/fixtures/bt, README there):
 * a live QEMU dump-guest-memory dump (no panic: each CPU's registers are an exception block before #0)
 * and a k612-kbd-sysrq scenario dump whose keyboard IRQ interrupted softirq work on the IRQ stack over idle.
 * A fixture is compared only with the very dump it was made from (sha256), since CI remakes these dumps
 * with another machine state; then a rule check that holds for any QEMU dump runs instead (CI).
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import btCommand from '../../commands/bt.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { caseInfo, caseNames, corpusAvailable, vmlinuxPlain } from '../helpers/corpus.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'bt');
const CACHE = join(homedir(), '.cache', 'crash-ts-corpus');
const QEMU = process.env.CRASH_TS_QEMU_DUMPS ?? join(CACHE, 'qemu');
const SCENARIOS = process.env.CRASH_TS_SCENARIOS ?? join(CACHE, 'scenarios');

interface Entry {
  dir: string;
  file: string;
  sha256: string;
  release: string;
  command: string;
  crash9: string;
}

function dumpPath(e: Entry): string {
  const dir =
    e.dir === 'qemu' ? QEMU : e.dir.startsWith('scenarios/') ? join(SCENARIOS, e.dir.slice(10)) : join(CACHE, e.dir);
  return join(dir, e.file);
}

function sha256(path: string): string {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(1 << 20);
    for (let pos = 0; ; ) {
      const n = readSync(fd, buf, 0, buf.length, pos);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      pos += n;
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

async function vmlinuxFor(release: string): Promise<string> {
  const c = caseNames().find((n) => caseInfo(n).kernel_release === release);
  if (!c) throw new Error(`no corpus case with kernel ${release}`);
  return vmlinuxPlain(c);
}

const runBt = async (k: Kernel, words: string[]): Promise<string> =>
  renderText((await btCommand.run(new Session(k), parseArgs(words, btCommand.options))) as View);

const stripLevel = (l: string): string => l.replace(/^\s*#\d+ \[/, '#N [');

/**
 * crash 9 does not see an exception frame nested on the IRQ stack (an IRQ over softirq work): it prints
 * no register block and lists the interrupted function as a frame at its pt_regs.ip slot. The kernel's
 * own trace prints that block (`RIP: 0010:handle_softirqs+0x77/0x2c0`), so do we; the frames after it
 * are then numbered one lower than crash's. Returns both texts with that difference taken out: our blocks
 * that crash lacks, crash's pseudo-frames at those RIPs, and the frame numbers.
 */
function withoutNestedBlocks(ours: string, crash: string): { ours: string[]; crash: string[]; rips: string[] } {
  const o = ours.split('\n');
  const c = crash.split('\n');
  const rips: string[] = [];
  const keep: string[] = [];
  for (let i = 0; i < o.length; i++) {
    if (o[i]!.startsWith('    [exception RIP: ') && !c.includes(o[i]!)) {
      const rip = /RIP: ([0-9a-f]{16})/.exec(o[i + 1]!)![1]!;
      rips.push(rip);
      while (o[i + 1]?.startsWith('    ') && !o[i + 1]!.startsWith('    [')) i++;
      continue;
    }
    keep.push(o[i]!);
  }
  const crashKeep = c.filter((l) => !rips.some((r) => /^\s*#\d+ \[/.test(l) && l.endsWith(` at ${r}`)));
  return { ours: keep.map(stripLevel), crash: crashKeep.map(stripLevel), rips };
}

const entries = JSON.parse(readFileSync(join(FIX, 'dumps.json'), 'utf8')) as Entry[];
describe.skipIf(!corpusAvailable)(
  `bt against crash 9 fixtures${corpusAvailable ? '' : ' (skipped: no corpus for the vmlinux)'}`,
  () => {
    for (const e of entries) {
      const path = dumpPath(e);
      const present = existsSync(path);
      const same = present && sha256(path) === e.sha256;
      const title = `${e.dir}/${e.file}: ${e.command} equals crash 9 (${e.crash9})`;
      const why = !present ? `no dump at ${path}` : 'the dump there is another run than the fixture was made from';
      it.skipIf(!same)(
        same ? title : `${title} (skipped: ${why})`,
        async () => {
          const k = openKernelSync(await vmlinuxFor(e.release), path);
          try {
            const ours = (await runBt(k, e.command.split(' ').slice(1))).replace(/\n$/, '');
            const crash = readFileSync(join(FIX, e.crash9), 'utf8').replace(/\n$/, '');
            const d = withoutNestedBlocks(ours, crash);
            expect(d.ours.join('\n')).toBe(d.crash.join('\n'));
            if (d.rips.length === 0) expect(ours).toBe(crash);
            // our frame numbers run 0, 1, 2... in each task's backtrace
            for (const task of ours.split('\n\n')) {
              const levels = task
                .split('\n')
                .flatMap((l) => /^\s*#(\d+) \[/.exec(l)?.[1] ?? [])
                .map(Number);
              expect(levels).toEqual(levels.map((_, i) => i));
            }
          } finally {
            k.dump.close();
          }
        },
        120_000,
      );
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
describe.skipIf(!haveQemu)(
  haveQemu ? qTitle : `${qTitle} (skipped: run scripts/qemu/make-qemu-dumps.sh ${QEMU})`,
  () => {
    let k: Kernel;
    beforeAll(async () => {
      k = openKernelSync(await vmlinuxFor('6.1.0-56-cloud-amd64'), join(QEMU, QEMU_DUMPS[0]!));
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
