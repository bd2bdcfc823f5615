/**
 * A bare `:` after a per-CPU symbol names the current context's CPU (the panic task's, or the `set` task's),
 * as crash 9 prints it: `p this_cpu_off:` and `struct rq.cpu runqueues:` on every corpus case, checked against
 * the CPU the task table gives the task.
 */
import { beforeAll, expect, it } from 'vitest';
import { allTasks, findTaskByAddress } from '../../src/kernel/objects/tasks.js';
import { caseNames, describeCorpus, skipWhenNoCases } from '../helpers/corpus.js';
import { openCaseSession, type Opened } from './session.js';

skipWhenNoCases('per-CPU ":" on each corpus case');
for (const name of caseNames()) {
  describeCorpus(`per-CPU ":" on ${name}`, () => {
    let o: Opened;
    beforeAll(async () => {
      o = await openCaseSession(name);
    }, 120_000);

    it("names the current task's CPU, and follows set", async () => {
      const { k, s } = o;
      const cpu = findTaskByAddress(k, s.currentTask()!)!.cpu;
      // this_cpu_off: each CPU's own per-CPU offset (cpu_number moved into pcpu_hot in 6.2)
      const off = (c: number) => new RegExp(`^per_cpu\\(this_cpu_off, ${c}\\) = \\$\\d+ = ${k.perCpuOffset(c)}\\n$`);
      expect(await o.run('p this_cpu_off:')).toMatch(off(cpu));
      const rq = k.perCpuPtr(k.symbols.lookup('runqueues')!.address, cpu).toString(16);
      expect(await o.run('struct rq.cpu runqueues:')).toBe(`[${cpu}]: ${rq}\n  cpu = ${cpu},\n`);
      // a task last on another CPU (when the kernel had more than one)
      const other = allTasks(k).tasks.find((t) => t.cpu !== cpu && !t.idle);
      if (!other) return;
      await o.run(`set ${other.pid}`);
      expect(await o.run('p this_cpu_off:')).toMatch(off(other.cpu));
    });
  });
}
