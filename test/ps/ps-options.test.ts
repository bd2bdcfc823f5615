/**
 * ps -g -A -y -H -r against crash 9 run on k61-proc-truth (test/fixtures/ps), and -Y -I (newer crash options
 * crash 9.0.2 lacks) against the kernel's own fields: policy numbers, prio, idle tasks.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { allTasks } from '../../src/kernel/objects/tasks.js';
import { caseNames, describeCorpus, dumpPaths, repoRoot, skipWhenNoCases, vmlinuxPlain } from '../helpers/corpus.js';
import { breadthNorm, replOn } from '../helpers/repl.js';

skipWhenNoCases('ps options on k61-proc-truth');

if (caseNames().includes('k61-proc-truth')) {
  describeCorpus('ps options on k61-proc-truth', () => {
    let k: Kernel;
    let run: (l: string) => Promise<string>;
    beforeAll(async () => {
      const [d] = await dumpPaths('k61-proc-truth');
      k = openKernelSync(await vmlinuxPlain('k61-proc-truth'), d!.path);
      run = await replOn(k);
    }, 120_000);

    it('equals crash 9 for -g, -g PID, -A, -y, -H and -r', async () => {
      const text = readFileSync(join(repoRoot, 'test/fixtures/ps/k61-proc-truth.ps-options.crash9.out'), 'latin1');
      const parts = text.split(/^@@@ (.*)\n/m).slice(1);
      expect(parts.length).toBe(12);
      for (let i = 0; i < parts.length; i += 2)
        expect(breadthNorm(await run(parts[i]!)), parts[i]).toBe(breadthNorm(parts[i + 1]!));
    });

    it('-Y shows task->policy and task->prio; -I leaves out exactly the idle tasks', async () => {
      const table = allTasks(k);
      const rows = (await run('ps -Y')).split('\n').slice(1).filter(Boolean);
      expect(rows.length).toBe(table.tasks.length);
      for (const [i, t] of table.tasks.entries()) {
        const o = k.object('struct task_struct', t.address);
        const names = ['NORMAL', 'FIFO', 'RR', 'BATCH', 'ISO', 'IDLE', 'DEADLINE'];
        const cols = rows[i]!.slice(2).trim().split(/\s+/);
        expect(Number(cols[0])).toBe(t.pid);
        expect(cols[4]).toBe(names[o.field('policy').num()]);
        expect(Number(cols[5])).toBe(o.field('prio').num());
      }
      const noIdle = (await run('ps -I')).split('\n').slice(1).filter(Boolean);
      expect(noIdle.length).toBe(table.tasks.filter((t) => !t.idle).length);
      expect(noIdle.some((l) => /\[swapper\//.test(l))).toBe(false);
    });
  });
}
