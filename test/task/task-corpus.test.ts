/**
 * task on every corpus dump against crash 9's stored `task -R` runs; on k61-proc-truth the whole task_struct
 * and thread_info of the panic task and three more -R forms (hex, dotted and nested members, a kernel thread),
 * byte for byte against crash 9 run on the same dump (test/fixtures/task); members named without -R; JSON.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { caseNames, describeCorpus, repoRoot, skipWhenNoCases } from '../helpers/corpus.js';
import { itEqualsStoredRuns, openCaseDumps } from '../helpers/corpus-command.js';
import { breadthNorm } from '../helpers/repl.js';

skipWhenNoCases('task on each corpus case');

const fixture = (f: string): string => readFileSync(join(repoRoot, 'test', 'fixtures', 'task', f), 'latin1');

for (const name of caseNames()) {
  describeCorpus(`task on ${name}`, () => {
    const opened = openCaseDumps(name, /^task\b/);

    itEqualsStoredRuns('equals crash 9 on every stored task command', name, opened, /^task\b/);

    if (name === 'k61-proc-truth') {
      it('prints the whole task_struct and thread_info as crash 9 does', async () => {
        const { run } = opened[0]!;
        expect(breadthNorm(await run('task'))).toBe(breadthNorm(fixture('k61-proc-truth.task.crash9.out')));
      });
      it('-x, dotted and nested members, a kernel thread, as crash 9 does', async () => {
        const { run } = opened[0]!;
        const parts = fixture('k61-proc-truth.task-R.crash9.out')
          .split(/^@@@ (.*)\n/m)
          .slice(1);
        for (let i = 0; i < parts.length; i += 2)
          expect(breadthNorm(await run(parts[i]!))).toBe(breadthNorm(parts[i + 1]!));
      });
    }

    it('takes member names without -R, refuses words that are neither, gives JSON', async () => {
      const { run } = opened[0]!;
      expect(await run('task pid,comm 1')).toBe(await run('task -R pid,comm 1'));
      expect(await run('task nosuchmember 1')).toBe('task: invalid task, pid, or task_struct member: nosuchmember\n');
      await run('set output json');
      const doc = JSON.parse(await run('task -R pid 1')) as { pid: number; text: string[] };
      await run('set output text');
      expect(doc.pid).toBe(1);
      expect(doc.text).toEqual(['  pid = 1,']);
    });
  });
}
