/**
 * task on every corpus dump against crash 9's stored `task -R` runs; on k61-proc-truth the whole task_struct
 * and thread_info of the panic task and three more -R forms (hex, dotted and nested members, a kernel thread),
 * byte for byte against crash 9 run on the same dump (test/fixtures/task); members named without -R; JSON.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { caseNames, describeCorpus, dumpPaths, repoRoot, skipWhenNoCases } from '../helpers/corpus.js';
import { expectCrashOrMore, goldenCommands } from '../helpers/golden-index.js';
import { breadthNorm, crashOutput, replOn } from '../helpers/repl.js';
import { vmlinuxPlain } from '../helpers/corpus.js';

skipWhenNoCases('task on each corpus case');

const fixture = (f: string): string => readFileSync(join(repoRoot, 'test', 'fixtures', 'task', f), 'latin1');

for (const name of caseNames()) {
  describeCorpus(`task on ${name}`, () => {
    const opened: { file: string; k: Kernel; run: (l: string) => Promise<string> }[] = [];
    beforeAll(async () => {
      const vml = await vmlinuxPlain(name);
      const all = await dumpPaths(name);
      const stored = all.filter((d) => goldenCommands(name, d.file, /^task\b/).length > 0);
      for (const d of stored.length ? stored : all.slice(0, 1)) {
        const k = openKernelSync(vml, d.path);
        opened.push({ file: d.file, k, run: await replOn(k) });
      }
    }, 120_000);

    it('equals crash 9 on every stored task command', async () => {
      let compared = 0;
      for (const { file, run } of opened) {
        for (const cmd of goldenCommands(name, file, /^task\b/)) {
          const want = crashOutput(name, file, cmd);
          if (want === undefined) continue;
          expectCrashOrMore(await run(cmd), want, `${file}: ${cmd}`);
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(0);
    });

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
