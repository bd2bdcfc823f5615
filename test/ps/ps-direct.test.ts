/**
 * `ps PID` and `ps -p PID` answer without building the task table (a dump of 10,000 tasks is not read for one):
 * the pid table's entry for that pid, the task and its parents read directly. On every corpus dump (the damaged
 * ones too) the answer is the same as the table's, and the table is still unbuilt afterwards.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import psCommand from '../../commands/ps.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { allTasks, builtTaskTable, taskByPidDirect } from '../../src/kernel/objects/tasks.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { caseInfo, caseNames, describeCorpus, dumpPaths, skipWhenNoCases, vmlinuxPlain } from '../helpers/corpus.js';

skipWhenNoCases('ps PID without the task table');

for (const name of caseNames()) {
  describeCorpus(`ps PID and ps -p PID without the task table on ${name}`, () => {
    let k: Kernel;
    beforeAll(async () => {
      const d = (await dumpPaths(name))[0]!;
      k = openKernelSync(await vmlinuxPlain(name), d.path);
    }, 120_000);
    afterAll(() => k?.dump.close());
    // a task the dump lacks is one error line, the same on both routes
    const ps = async (words: string[]): Promise<string> => {
      try {
        return renderText((await psCommand.run(new Session(k), parseArgs(words, psCommand.options))) as View);
      } catch (e) {
        return `error: ${(e as Error).message}`;
      }
    };

    it('gives the lines the task table gives, for pid 1, the workload and the panic task', async () => {
      const info = caseInfo(name);
      const pids = [1, ...(info.workload ?? []).map((w) => w.pid), info.panic?.pid].filter(
        (p): p is number => typeof p === 'number' && p > 0,
      );
      const words = [...new Set(pids)].map(String);
      const answered = words.filter((w) => taskByPidDirect(k, Number(w)));
      expect(answered.length).toBeGreaterThan(0);
      const direct: string[] = [];
      for (const w of words) direct.push(await ps(['-p', w]));
      // the parent chains of the pids the direct route answered did not need the table
      if (answered.length === words.length) expect(builtTaskTable(k)).toBeUndefined();
      // (6.1's RSS column sums every thread's own counters: there ps PID builds the table)
      for (const w of words) direct.push(await ps([w]));
      direct.push(await ps(words));
      allTasks(k);
      const table: string[] = [];
      for (const w of words) table.push(await ps(['-p', w]));
      for (const w of words) table.push(await ps([w]));
      table.push(await ps(words));
      expect(direct).toEqual(table);
    });
  });
}
