/**
 * bt -e (src/kernel/arch/x86_64/eframe-search.ts): the register sets a scan of the stack finds, against the ones
 * the ORC unwind went through. On every corpus dump and the CI's oops scenarios, for the active task of every CPU:
 * each exception frame bt unwound through on the task's own stack (a kernel-mode one: an Oops's page fault, an
 * interrupt; the user-mode one at the system call entry) is found at the same address with the same registers.
 * bt -E searches every CPU's IRQ stack and IST stacks the same way.
 * Checked by hand against crash 9.0.2 (bt -E too, on k61-nmi, k612-proc-truth, k61-sysrq-c and four made dumps) on k61-nmi, k61-kill-init-nokaslr, k612-proc-truth, k61-oops and the crash
 * kinds of test/sample/scenario-crash-kinds (bt -e, bt -e -a, foreach bt -e byte for byte).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backtrace } from '../../src/kernel/arch/x86_64/backtrace.js';
import { searchExceptionFrames } from '../../src/kernel/arch/x86_64/eframe-search.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { allTasks } from '../../src/kernel/objects/tasks.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { caseInfo, caseNames, describeCorpus, skipWhenNoCases } from '../helpers/corpus.js';
import { openFirstDump } from '../helpers/corpus-command.js';
import { describeWithDumps, scenarioVmcore, scenariosDir, vmlinuxOfRelease } from '../helpers/made-dumps.js';
import { replOn } from '../helpers/repl.js';

/** The active tasks' unwound register sets on their own stacks all lie among the frames the search finds. */
function checkActiveTasks(k: Kernel): number {
  let checked = 0;
  for (const task of allTasks(k).active.values()) {
    const bt = backtrace(k, task);
    const stack = bt.stacks.find((r) => r.kind === 'task');
    if (!stack) continue;
    const found = new Map(searchExceptionFrames(k, stack).map((f) => [f.address, f]));
    const unwound = [...bt.frames.map((f) => f.regs), bt.userRegs].filter(
      (r) => r?.address !== undefined && !r.partial && r.address >= stack.base && r.address < stack.top,
    );
    for (const r of unwound) {
      const f = found.get(r!.address!);
      expect(f, `pid ${bt.task.pid}: the frame at ${r!.address!.toString(16)}`).toBeDefined();
      expect({ ...f!.values, cs: f!.values.cs & 0xffffn, ss: f!.values.ss & 0xffffn }).toEqual(r!.values);
      expect(f!.user).toBe(r!.user);
      checked++;
    }
  }
  return checked;
}

skipWhenNoCases('bt -e on the corpus');
for (const name of caseNames()) {
  describeCorpus(`bt -e on ${name}`, () => {
    const dump = openFirstDump(name);

    it("bt -E: every CPU's IRQ and IST stacks searched; the register sets bt unwound on them found there", async () => {
      const k = dump.k;
      const out = await dump.run('bt -E');
      const cpus = allTasks(k).active.size;
      for (let c = 0; c < cpus; c++) {
        expect(out).toContain(`CPU ${c} IRQ STACK:`);
        // QEMU's CPUs: double fault, NMI and debug stacks (no #MC handler under TCG: the list stops there)
        for (const n of ['DOUBLEFAULT', 'NMI', 'DEBUG']) expect(out).toContain(`CPU ${c} ${n} EXCEPTION STACK:`);
      }
      let checked = 0;
      for (const task of allTasks(k).active.values()) {
        const bt = backtrace(k, task);
        for (const f of bt.frames) {
          const a = f.regs?.address;
          if (
            a === undefined ||
            f.regs!.partial ||
            bt.stacks.some((r) => r.kind === 'task' && a >= r.base && a < r.top)
          )
            continue;
          expect(out, `pid ${bt.task.pid}`).toContain(`EXCEPTION FRAME AT: ${a.toString(16).padStart(16, '0')}`);
          checked++;
        }
      }
      if (name.includes('nmi')) expect(checked).toBeGreaterThan(0);
    });

    it("finds every exception frame the unwind went through on the active tasks' stacks", () => {
      const n = checkActiveTasks(dump.k);
      // a panic task in a system call has at least its user-mode frame (the corpus's are all syscalls or NMIs)
      if (!caseInfo(name).case.includes('nmi')) expect(n).toBeGreaterThan(0);
    });
  });
}

for (const name of ['k61-oops', 'k612-oops']) {
  const dir = join(scenariosDir, name);
  const dump = scenarioVmcore(dir);
  const missing =
    dump && existsSync(join(dir, 'case.json')) ? undefined : `no ${dir} (scripts/qemu/make-scenario.sh ${name} ${dir})`;
  describeWithDumps(`bt -e on ${name}`, missing, () => {
    let k: Kernel;
    let run: (line: string) => Promise<string>;
    beforeAll(async () => {
      const release = (JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { kernel_release: string })
        .kernel_release;
      const v = await vmlinuxOfRelease(release);
      if (!v) throw new Error(`no vmlinux of ${release}`);
      k = openKernelSync(v, dump!);
      run = await replOn(k);
    }, 120_000);
    afterAll(() => k?.dump.close());

    it("the Oops's page-fault frame and the system call's user-mode frame, as bt unwound them", async () => {
      expect(checkActiveTasks(k)).toBeGreaterThanOrEqual(2);
      const out = await run('bt -e');
      expect(out).toMatch(
        /^ {2}KERNEL-MODE EXCEPTION FRAME AT: [0-9a-f]{16}\n {4}\[exception RIP: ct_oops_write_null\+\d+\]$/m,
      );
      expect(out).toMatch(/^ {2}USER-MODE EXCEPTION FRAME AT: [0-9a-f]{16}\n {4}RIP: [0-9a-f]{16}/m);
      expect(await run('bt -e -x')).toMatch(/\[exception RIP: ct_oops_write_null\+\d+\]/);
    });
  });
}

describe('bt -e options', () => {
  it('is listed in the help', async () => {
    const { default: bt } = await import('../../commands/bt.js');
    expect(bt.help).toMatch(/^ {2}-e {8}search the task's stack/m);
  });
});
