/**
 * The panic task's own task_struct on a page the dump lacks (makedumpfile older than the kernel excludes
 * such pages: seen on a 6.12 keyboard-sysrq dump where the interrupted task's struct was gone). The default
 * context must stay the panic CPU's task — not fall back to another CPU — and bt must still unwind it from
 * the panic CPU's saved registers, with the pid from the pid table and the command from the console line.
 * Made deterministic here: a real corpus dump whose pages holding the panic task_struct read as excluded.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import btCommand from '../../commands/bt.js';
import psCommand from '../../commands/ps.js';
import sysCommand from '../../commands/sys.js';
import { PageError, type DumpFile } from '../../src/dump/types.js';
import { openDump } from '../../src/dump/open.js';
import { ElfFile } from '../../src/elf/elf-file.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { allTasks } from '../../src/kernel/objects/tasks.js';
import { openKernelOn, openKernelSync } from '../../src/kernel/open.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { caseDir, caseInfo, describeCorpus, dumpPaths, vmlinuxPlain } from '../helpers/corpus.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { btTrace, consoleTrace } from './console-trace.js';

/** The same dump with some page frames reading as excluded. */
function hidingPages(dump: DumpFile, pfns: Set<bigint>): DumpFile {
  const hidden = (paddr: bigint, len: number): bigint | undefined => {
    for (let p = paddr >> 12n; p <= (paddr + BigInt(Math.max(len, 1)) - 1n) >> 12n; p++) if (pfns.has(p)) return p;
    return undefined;
  };
  return {
    meta: dump.meta,
    vmcoreinfo: dump.vmcoreinfo,
    notes: dump.notes,
    cpus: dump.cpus,
    readPhys(paddr, length) {
      const p = hidden(paddr, length);
      if (p !== undefined) throw new PageError(p << 12n, 'excluded');
      return dump.readPhys(paddr, length);
    },
    isPresent: (paddr) => hidden(paddr, 1) === undefined && dump.isPresent(paddr),
    close: () => dump.close(),
  };
}

for (const name of ['k61-sysrq-c', 'k612-sysrq-c']) {
  describeCorpus(`${name}: the panic task's task_struct excluded from the dump`, () => {
    let k: Kernel;
    let panicTask: bigint;
    /** read from the same dump with every page in place */
    let panicPpid: number;
    beforeAll(async () => {
      const vmlinux = await vmlinuxPlain(name);
      const dumpPath = (await dumpPaths(name))[0]!.path;
      const whole = openKernelSync(vmlinux, dumpPath);
      const t = allTasks(whole).panicTask!;
      panicTask = t.address;
      panicPpid = t.ppid;
      const pfns = new Set<bigint>();
      const size = BigInt(whole.sizeOf('struct task_struct'));
      for (let a = t.address & ~4095n; a < t.address + size; a += 4096n) pfns.add(whole.mem.vtop(a) >> 12n);
      whole.dump.close();
      k = openKernelOn(vmlinux, dumpPath, ElfFile.open(vmlinux), hidingPages(openDump(dumpPath), pfns));
    }, 120_000);
    afterAll(() => k?.dump.close());

    it('the task is unreadable, yet stays the default context, named from the pid table and the console', () => {
      const c = caseInfo(name);
      expect(allTasks(k).panicTask).toBeUndefined();
      expect(allTasks(k).unreadable.map((u) => u.address)).toContain(panicTask);
      const s = new Session(k);
      expect(s.currentTask()).toBe(panicTask);
      const text = renderText(sysCommand.run(s, parseArgs(['-banner'], sysCommand.options)) as View);
      expect(text).toContain(`         PID: ${c.panic.pid}\n`);
      expect(text).toContain(`     COMMAND: "${c.panic.comm}"\n`);
      expect(text).toContain(`         CPU: ${c.panic.cpu}\n`);
      expect(text).toContain('       STATE: (unreadable) (PANIC)\n');
      expect(text).toMatch(
        / NOTE: the task_struct cannot be read \(.*page excluded.*\); PID from the pid table, COMMAND from the console log/,
      );
    });

    it('ps lists it as the running task of its CPU, its parent from the children list of the parent, and says so', () => {
      const c = caseInfo(name);
      const text = renderText(psCommand.run(new Session(k), parseArgs([], psCommand.options)) as View);
      const hex = panicTask.toString(16).padStart(16, '0');
      const ppid = panicPpid;
      const row = text.split('\n').find((l) => l.includes(hex));
      expect(row).toBe(
        `>${String(c.panic.pid).padStart(8)}${String(ppid).padStart(8)}${String(c.panic.cpu).padStart(4)}  ${hex}  RU   0.0        0        0  ${c.panic.comm}`,
      );
      expect(text).toContain(
        `ps: the row of pid ${c.panic.pid} (CPU ${c.panic.cpu}): running on that CPU at the crash`,
      );
      // merging that row in keeps crash's order: the idle tasks (pid 0) by CPU, swapper/0 (init_task, an
      // address in the kernel image, above every other task's) first (found on a k7-oom dump)
      const idleCpus = text
        .split('\n')
        .map((l) => l.slice(1).trim().split(/\s+/))
        .filter((f) => f[0] === '0' && f[1] === '0' && /^[0-9a-f]{16}$/.test(f[3] ?? ''))
        .map((f) => Number(f[2]));
      expect(idleCpus.length).toBeGreaterThan(1);
      expect(idleCpus).toEqual([...idleCpus].sort((a, b) => a - b));
    });

    it('bt unwinds it from the panic CPU registers: the console Call Trace, header from pid table and log', async () => {
      const c = caseInfo(name);
      const text = renderText((await btCommand.run(new Session(k), parseArgs([], btCommand.options))) as View);
      const hex = panicTask.toString(16).padStart(16, '0');
      expect(text.split('\n')[0]).toBe(
        `PID: ${String(c.panic.pid).padEnd(8)} TASK: ${hex}  CPU: ${String(c.panic.cpu).padEnd(3)}  COMMAND: "${c.panic.comm}"`,
      );
      const truth = consoleTrace(readFileSync(join(caseDir(name), 'serial-first-kernel.log'), 'utf8'));
      const ours = btTrace(text);
      expect(truth.length).toBeGreaterThan(3);
      expect(ours.slice(ours.indexOf('panic')), text).toEqual(truth.slice(truth.indexOf('panic')));
      expect(text).toMatch(/^ {4}RIP: 0000[0-9a-f]{12} {2}RSP: 0000[0-9a-f]{12}/m); // the user-mode block at the syscall
      // named by its PID or its address, the same task gets the same unwind, not "cannot be read"
      for (const word of [String(c.panic.pid), `0x${panicTask.toString(16)}`]) {
        const named = renderText((await btCommand.run(new Session(k), parseArgs([word], btCommand.options))) as View);
        expect(named, `bt ${word}`).toBe(text);
      }
    });
  });
}
