/**
 * foreach with the per-task commands (files, vm, task -R, sig) on k61-proc-truth: byte for byte against crash 9
 * run on the same dump (test/fixtures/foreach), each task's block the same as the command run alone, and the
 * shared files_struct / mm of threads read once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { allTasks } from '../../src/kernel/objects/tasks.js';
import { caseNames, describeCorpus, dumpPaths, repoRoot, skipWhenNoCases, vmlinuxPlain } from '../helpers/corpus.js';
import { breadthNorm, replOn } from '../helpers/repl.js';

skipWhenNoCases('foreach files/vm/task/sig on k61-proc-truth');

const fixture = (f: string): string =>
  readFileSync(join(repoRoot, 'test/fixtures/foreach', `k61-proc-truth.foreach-${f}.crash9.out`), 'latin1');

if (caseNames().includes('k61-proc-truth')) {
  describeCorpus('foreach files/vm/task/sig on k61-proc-truth', () => {
    let k: Kernel;
    let run: (l: string) => Promise<string>;
    beforeAll(async () => {
      const [d] = await dumpPaths('k61-proc-truth');
      k = openKernelSync(await vmlinuxPlain('k61-proc-truth'), d!.path);
      run = await replOn(k);
    }, 120_000);

    it('foreach files, foreach vm and foreach task -R pid equal crash 9', async () => {
      expect(breadthNorm(await run('foreach files'))).toBe(breadthNorm(fixture('files')));
      expect(breadthNorm(await run('foreach vm'))).toBe(breadthNorm(fixture('vm')));
      expect(breadthNorm(await run('foreach task -R pid'))).toBe(breadthNorm(fixture('task-R-pid')));
    });

    it('foreach sig: one block per task, each the same as sig PID', async () => {
      const all = await run('foreach sig');
      const blocks = all.split(/\n(?=PID: )/);
      expect(blocks.length).toBe(allTasks(k).tasks.length);
      for (const t of allTasks(k)
        .tasks.filter((x) => x.pid > 0)
        .slice(0, 10)) {
        const alone = breadthNorm(await run(`sig ${t.pid}`));
        expect(
          blocks.some((b) => breadthNorm(b) === alone),
          `pid ${t.pid}`,
        ).toBe(true);
      }
    });

    it('selects with the shared task words: foreach sleep files, foreach IN vm -R busybox', async () => {
      const sleeps = allTasks(k).tasks.filter((t) => t.comm === 'sleep');
      const out = await run('foreach sleep files');
      expect(out.split('\n').filter((l) => l.startsWith('PID: ')).length).toBe(sleeps.length);
      const ref = await run('foreach IN vm -R busybox');
      const rows = ref.split('\n').filter((x) => /^[0-9a-f]{16} +[0-9a-f]+ +[0-9a-f]+ +[0-9a-f]+ /.test(x));
      expect(rows.length).toBeGreaterThan(0);
      for (const l of rows) expect(l).toMatch(/busybox$/);
    });
  });
}
