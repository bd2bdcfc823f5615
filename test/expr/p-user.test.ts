/**
 * p -u on the QEMU dump (complete memory, user pages included): the expression reads the user memory of the
 * `set` process. ct-sleeper's argv[0] (at its mm->arg_start) is the workload binary's path, printed as gdb
 * prints a char pointer; a kernel address and an unmapped one are each one line; a kernel thread has no user
 * memory to read.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { allTasks } from '../../src/kernel/objects/tasks.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { describeWithDumps, qemuDumpsDir, vmlinuxOfRelease } from '../helpers/made-dumps.js';
import { replOn } from '../helpers/repl.js';

const dump = join(qemuDumpsDir, 'qemu-elf.vmcore');
const factsFile = join(qemuDumpsDir, 'qemu-facts.json');
const missing = [dump, factsFile].filter((f) => !existsSync(f));

describeWithDumps(
  "p -u: expressions over a process's user memory",
  missing.length ? `no ${missing.join(', ')} (scripts/qemu/make-qemu-dumps.sh)` : undefined,
  () => {
    let k: Kernel;
    let run: (line: string) => Promise<string>;
    let sleeper: { pid: number; task: bigint; mm: bigint };
    beforeAll(async () => {
      const facts = JSON.parse(readFileSync(factsFile, 'utf8')) as {
        kernel_release: string;
        workload: { pid: number; comm: string }[];
      };
      const vml = await vmlinuxOfRelease(facts.kernel_release);
      if (!vml) throw new Error(`no vmlinux of ${facts.kernel_release}`);
      k = openKernelSync(vml, dump);
      run = await replOn(k);
      const pid = facts.workload.find((w) => w.comm === 'ct-sleeper')!.pid;
      const t = allTasks(k).tasks.find((x) => x.pid === pid)!;
      sleeper = { pid, task: t.address, mm: t.mm };
    }, 120_000);

    it("reads ct-sleeper's argv[0] through its page tables, as gdb prints a char pointer", async () => {
      await run(`set ${sleeper.pid}`);
      const mm = k.object('struct mm_struct', sleeper.mm);
      const argStart = mm.field('arg_start').value();
      expect(argStart >> 44n).toBe(7n); // a user stack address (0x7ff...)
      const hex = '0x' + argStart.toString(16);
      expect(await run(`p -u (char *)${hex}`)).toMatch(new RegExp(`^\\$\\d+ = ${hex} "/bin/ct-workload"\\n$`));
      // '/' is 47; "/bin" as 4 bytes little-endian is 0x6e69622f
      expect(await run(`p -u *(char *)${hex}`)).toMatch(/^\$\d+ = 47 '\/'\n$/);
      expect(await run(`p -u -x *(int *)${hex}`)).toMatch(/^\$\d+ = 0x6e69622f\n$/);
      expect(await run(`p -u ((char *)${hex})[3]`)).toMatch(/^\$\d+ = 110 'n'\n$/);
      // without -u the same address is not a kernel one
      expect(await run(`p *(char *)${hex}`)).not.toMatch(/47 '\/'/);
    });

    it('refuses a kernel address and names an unmapped user one, each in one line', async () => {
      await run(`set ${sleeper.pid}`);
      expect(await run(`p -u ((struct task_struct *)0x${sleeper.task.toString(16)})->pid`)).toMatch(
        /^p: not a user address \(p -u reads user memory only\): kernel virtual address ffff[0-9a-f]+\n$/,
      );
      expect(await run('p -u *(long *)0x10')).toMatch(/^p: not mapped: .*user virtual address 10\n$/);
    });

    it('a kernel thread has no user memory: one line naming it', async () => {
      await run('set 2');
      expect(await run('p -u *(char *)0x7ffd00000000')).toMatch(
        /^p: -u: the current context \(task [0-9a-f]+, "kthreadd"\) is a kernel thread without user memory\n$/,
      );
    });
  },
);
