/**
 * bt on every corpus dump, against the crashed kernel's own console Call Trace (ground truth) and
 * crash 9's golden output (the layout reference, checked line by line; the lines where crash 9 is
 * wrong are recognized by rule, not listed).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import bt from '../../commands/bt.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { allTasks } from '../../src/kernel/objects/tasks.js';
import { renderText } from '../../src/render/text.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { caseDir, caseInfo, caseNames, describeCorpus, dumpPaths, vmlinuxPlain } from '../helpers/corpus.js';

/** The reliable (not "?") functions of the first Call Trace after the panic line of the console log. */
function consoleTrace(serial: string): string[] {
  const lines = serial.split('\n');
  const panicAt = lines.findIndex((l) => l.includes('Kernel panic - not syncing'));
  const traces = lines.flatMap((l, i) => (l.includes('Call Trace:') ? [i] : []));
  const after = traces.filter((i) => panicAt >= 0 && i > panicAt);
  const before = traces.filter((i) => panicAt < 0 || i < panicAt);
  const start = after[0] ?? before[before.length - 1];
  if (start === undefined) return [];
  let frames: string[] = [];
  for (const l of lines.slice(start + 1)) {
    const t = l.replace(/^\[\s*[\d.]+\]\s*/, '').trim();
    if (['<TASK>', '<NMI>', '<IRQ>', '</NMI>', '</IRQ>'].includes(t)) continue;
    if (t === '</TASK>' || /^(RIP:|Code:|RSP:|Kernel Offset|---\[)/.test(t)) break;
    const m = /^(\?\s+)?([\w.]+)\+0x[0-9a-f]+\/0x[0-9a-f]+/.exec(t);
    if (!m) {
      if (frames.length) break;
      continue;
    }
    if (!m[1]) frames.push(m[2]!);
  }
  if (frames.includes('panic')) frames = frames.slice(frames.indexOf('panic'));
  while (frames.length && ['dump_stack_lvl', 'dump_stack', 'dump_header', 'show_stack'].includes(frames[0]!))
    frames.shift();
  return frames;
}

const frameFns = (out: string): string[] =>
  [...out.matchAll(/^\s*#\d+\s+\[[0-9a-f]+\]\s+([\w.]+)/gm)].map((m) => m[1]!);

function isSubsequence(needle: string[], hay: string[]): boolean {
  let i = 0;
  for (const h of hay) if (i < needle.length && h === needle[i]) i++;
  return i === needle.length;
}

interface Opened {
  k: Kernel;
  s: Session;
  goldenDir: string;
  run: (cmd: string) => string;
}

function open(vmlinux: string, dumpPath: string, goldenDir: string): Opened {
  const k = openKernelSync(vmlinux, dumpPath);
  const s = new Session(k);
  const run = (cmd: string): string => {
    const argv = cmd.split(/\s+/).filter(Boolean).slice(1);
    try {
      return renderText(bt.run(s, parseArgs(argv, bt.options)) as never);
    } catch (e) {
      return `bt: ${(e as Error).message}\n`;
    }
  };
  return { k, s, goldenDir, run };
}

/**
 * Compare our lines with crash's. Allowed differences, each checked:
 * - a frame crash does not show, whose return address is the first byte of the NEXT symbol (a call
 *   to a noreturn function at a function's end: crash looks the address up without the -1 the
 *   kernel's unwinder uses, and loses the frame); the frame numbers after it shift by one;
 * - a function name that is an alias (same address) of crash's (__x64_sys_pause / __ia32_sys_pause).
 * Returns the list of differences explained, for the record.
 */
function compareWithCrash(k: Kernel, ours: string, crash: string): string[] {
  // -f stack words: the same address -> value pairs on both sides (their grouping into lines
  // follows the frames, so it shifts where crash loses a frame)
  const isWords = (l: string): boolean => /^ {4}[0-9a-f]{16}: /.test(l);
  const words = (lines: string[]): Map<string, string> => {
    const m = new Map<string, string>();
    for (const l of lines.filter(isWords)) {
      const [addr, ...vals] = l.trim().split(/:?\s+/);
      vals.forEach((v, n) => m.set((BigInt('0x' + addr) + BigInt(n * 8)).toString(16), v));
    }
    return m;
  };
  const allA = ours.trimEnd().split('\n');
  const allB = crash.trimEnd().split('\n');
  expect([...words(allA)].sort()).toEqual([...words(allB)].sort());
  const a = allA.filter((l) => !isWords(l));
  const b = allB.filter((l) => !isWords(l));
  const explained: string[] = [];
  const norm = (l: string): string => l.replace(/^\s*#\d+ /, '#N ');
  const frameRe = /^\s*#\d+ \[([0-9a-f]+)\] ([\w.]+) at ([0-9a-f]+)$/;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x !== undefined && y !== undefined && norm(x) === norm(y)) {
      i++;
      j++;
      continue;
    }
    const fx = x !== undefined ? frameRe.exec(x) : null;
    const fy = y !== undefined ? frameRe.exec(y) : null;
    if (fx && fy && fx[1] === fy[1] && fx[3] === fy[3]) {
      const sa = k.symbols.lookup(fx[2]!);
      const sb = k.symbols.lookup(fy[2]!);
      expect(sa && sb && sa.address === sb.address, `alias ${fx[2]} / ${fy[2]}`).toBe(true);
      explained.push(`alias: ${fx[2]} for crash's ${fy[2]}`);
      i++;
      j++;
      continue;
    }
    if (fx) {
      const ip = BigInt('0x' + fx[3]);
      const at = k.symbols.nearest(ip);
      expect(at?.offset, `extra frame ${x} must return to the first byte of a following symbol`).toBe(0n);
      expect(at?.symbol.name).not.toBe(fx[2]);
      explained.push(`frame crash misses: ${fx[2]} (returns to ${at?.symbol.name})`);
      i++;
      continue;
    }
    expect.fail(`line differs from crash 9:\n  ours:  ${x}\n  crash: ${y}`);
  }
  return explained;
}

/** The dump a case's golden output is compared with (its kdump-zlib, else the first with a golden). */
async function goldenDump(name: string): Promise<{ path: string; golden: string } | undefined> {
  for (const d of await dumpPaths(name)) {
    const g = join(caseDir(name), 'golden', 'crash-9', d.file);
    if (!existsSync(g)) continue;
    if (d.dump.unreadable_tasks?.length) continue; // incomplete dump: crash's answers are no reference
    return { path: d.path, golden: g };
  }
  return undefined;
}

describeCorpus('bt on the corpus dumps', () => {
  for (const name of caseNames()) {
    describe(name, () => {
      let o: Opened | undefined;
      beforeAll(async () => {
        const d = await goldenDump(name);
        if (d) o = open(await vmlinuxPlain(name), d.path, d.golden);
      }, 120_000);

      it('the panic task holds the console Call Trace, in order', () => {
        const info = caseInfo(name);
        const out = o!.run('bt');
        if (info.panic.pid !== null) expect(out).toMatch(new RegExp(`^PID: ${info.panic.pid}\\s`));
        const want = consoleTrace(readFileSync(join(caseDir(name), 'serial-first-kernel.log'), 'utf8'));
        expect(isSubsequence(want, frameFns(out)), `want ${want.join(' ')}\ngot ${frameFns(out).join(' ')}`).toBe(true);
      });

      it('bt, bt -a and bt -f equal crash 9 line by line, but for crash errors', () => {
        for (const [file, cmd] of [
          ['02_bt.out', 'bt'],
          ['03_bt_-a.out', 'bt -a'],
          ['04_bt_-f.out', 'bt -f'],
        ]) {
          const g = join(o!.goldenDir, file!);
          if (!existsSync(g)) continue;
          compareWithCrash(o!.k, o!.run(cmd!), readFileSync(g, 'utf8'));
        }
      });

      it('bt PID of the workload tasks equals crash 9', () => {
        const index = JSON.parse(readFileSync(join(o!.goldenDir, 'index.json'), 'utf8')) as {
          commands: { file: string }[];
        };
        const names = index.commands.map((c) => c.file);
        let n = 0;
        for (const f of names) {
          const m = /^\d+_bt_(\d+)\.out$/.exec(f ?? '');
          if (!m) continue;
          compareWithCrash(o!.k, o!.run(`bt ${m[1]}`), readFileSync(join(o!.goldenDir, f!), 'utf8'));
          n++;
        }
        expect(n).toBeGreaterThan(5);
      });

      it('foreach bt: every task backtrace equals crash 9', () => {
        const g = join(o!.goldenDir, '30_foreach_bt.out');
        const blocks = readFileSync(g, 'utf8').trimEnd().split('\n\n');
        expect(blocks.length).toBe(allTasks(o!.k).tasks.length);
        for (const b of blocks) {
          const task = /TASK: ([0-9a-f]+)/.exec(b)![1]!;
          compareWithCrash(o!.k, o!.run(`bt ${task}`), b);
        }
      });

      it('every CPU: the walk of its active task reaches the registers the CPU saved', () => {
        const k = o!.k;
        const out = o!.run('bt -a');
        const blocks = out.trimEnd().split('\n\n');
        expect(blocks.length).toBe(k.dump.cpus.length);
        for (const [cpu, task] of allTasks(k).active) {
          const regs = k.dump.cpus[k.onlineCpus.indexOf(cpu)]!.regs;
          const block = blocks.find((b) => b.includes(`TASK: ${task.toString(16).padStart(16, '0')}`))!;
          expect(block).toBeDefined();
          if ((regs.cs & 3n) !== 0n) {
            // stopped in user mode: the walk ends at exactly the saved user registers
            expect(block).toContain(
              `RIP: ${regs.rip.toString(16).padStart(16, '0')}  RSP: ${regs.rsp.toString(16).padStart(16, '0')}`,
            );
            expect(frameFns(block)[0]).toBe('crash_nmi_callback');
          } else {
            expect(frameFns(block)).toContain('panic');
          }
          expect(block).not.toMatch(/bt: /);
        }
      });

      if (name === 'k61-nmi') {
        it('the NMI: the panic CPU crosses from the NMI stack to the interrupted idle stack', () => {
          const out = o!.run('bt');
          const lines = out.split('\n');
          const sw = lines.indexOf('--- <NMI exception stack> ---');
          expect(sw).toBeGreaterThan(0);
          expect(lines.slice(0, sw).some((l) => l.includes('[exception RIP: '))).toBe(true);
          // frames before the switch are on the NMI stack (cpu_entry_area), after it on another stack
          const slot = (l: string): bigint => BigInt('0x' + /\[([0-9a-f]+)\]/.exec(l)![1]);
          const before = lines
            .slice(0, sw)
            .filter((l) => /^\s*#\d+/.test(l))
            .map(slot);
          const after = lines
            .slice(sw)
            .filter((l) => /^\s*#\d+/.test(l))
            .map(slot);
          expect(before.every((a) => a >> 39n === before[0]! >> 39n)).toBe(true);
          expect(after.every((a) => a >> 39n !== before[0]! >> 39n)).toBe(true);
          expect(frameFns(out)).toEqual(expect.arrayContaining(['exc_nmi', 'do_idle']));
        });
      }
    });
  }

  describe('k612-sysrq-c kdump-zlib: a dump that lost pages (makedumpfile 1.7.2 on 6.12)', () => {
    let o: Opened | undefined;
    let lost: { pid: number; comm: string }[] = [];
    beforeAll(async () => {
      if (!caseNames().includes('k612-sysrq-c')) return;
      const d = (await dumpPaths('k612-sysrq-c')).find((x) => x.file === 'vmcore.kdump-zlib');
      if (!d) return;
      lost = d.dump.unreadable_tasks ?? [];
      o = open(
        await vmlinuxPlain('k612-sysrq-c'),
        d.path,
        join(caseDir('k612-sysrq-c'), 'golden', 'crash-9', 'vmcore.kdump-zlib-mdf179'),
      );
    }, 120_000);

    it("bt -a still equals the complete dump's golden output", () => {
      if (!o) return;
      compareWithCrash(o.k, o.run('bt -a'), readFileSync(join(o.goldenDir, '03_bt_-a.out'), 'utf8'));
    });

    it('names exactly what is missing for the tasks the dump lost', () => {
      if (!o) return;
      expect(lost.length).toBeGreaterThan(0);
      for (const t of lost) {
        const out = o.run(`bt ${t.pid}`);
        expect(out).toMatch(
          new RegExp(
            `^bt: PID ${t.pid}: task [0-9a-f]+ cannot be read: .*page excluded: kernel virtual address [0-9a-f]+`,
          ),
        );
      }
    });
  });
});
