/**
 * runq on every corpus dump: equal to crash 9's stored runq and runq -t; every task it lists as queued is
 * runnable (on_rq set, state RU) and on that CPU, every runnable task that is not running is queued somewhere,
 * the current task is the one ps marks active; -T, -m, -g, -d agree with the same queues; JSON.
 */
import { expect, it } from 'vitest';

import { flatTasks, runQueue } from '../../src/kernel/objects/sched.js';
import { allTasks, stateLetters } from '../../src/kernel/objects/tasks.js';
import { caseNames, describeCorpus, skipWhenNoCases } from '../helpers/corpus.js';

import { itEqualsStoredRuns, openCaseDumps } from '../helpers/corpus-command.js';

skipWhenNoCases('runq on each corpus case');

for (const name of caseNames()) {
  describeCorpus(`runq on ${name}`, () => {
    const opened = openCaseDumps(name);

    itEqualsStoredRuns('equals crash 9 on every stored runq command', name, opened, /^runq\b/);

    it('queues exactly the runnable tasks that are not running, each on its own CPU', () => {
      for (const { k } of opened) {
        const table = allTasks(k);
        const queued = new Set<bigint>();
        for (const cpu of k.onlineCpus) {
          const q = runQueue(k, cpu);
          expect(q.curr).toBe(table.active.get(cpu));
          for (const e of [...flatTasks(q.rt), ...flatTasks(q.cfs, q.cfsCurrGroup), ...q.dl]) {
            const t = table.byAddress.get(e.task);
            if (!t) continue; // a task the lossy dump cannot show
            expect(t.cpu, `pid ${t.pid}`).toBe(cpu);
            expect(stateLetters(t), `pid ${t.pid}`).toBe('RU');
            queued.add(e.task);
          }
        }
        for (const t of table.tasks) {
          if (t.idle || stateLetters(t) !== 'RU' || table.active.get(t.cpu) === t.address) continue;
          const onRq = k.object('struct task_struct', t.address).field('on_rq').num();
          if (onRq === 1) expect(queued.has(t.address), `pid ${t.pid} ${t.comm} runnable but not queued`).toBe(true);
        }
      }
    });

    it('-t -T -m -g -d and JSON', async () => {
      const { k, run } = opened[0]!;
      const table = allTasks(k);
      const cpus = k.onlineCpus;
      const t = (await run('runq -t')).split('\n').filter(Boolean);
      expect(t.length).toBe(cpus.length * 2);
      const T = (await run('runq -T')).split('\n').filter(Boolean);
      expect(T[0]).toMatch(/CPU \d+: 0\.00 secs$/);
      const m = await run('runq -m');
      for (const cpu of cpus) expect(m).toContain(`CPU ${cpu}: [`);
      const g = await run('runq -g');
      for (const cpu of cpus) {
        const cur = table.byAddress.get(table.active.get(cpu)!);
        if (cur && !cur.idle)
          expect(g).toContain(`TASK: ${cur.address.toString(16)}  COMMAND: "${cur.comm}" [CURRENT]`);
      }
      const d = await run('runq -d');
      for (const cpu of cpus) expect(d).toContain(`CPU ${cpu}\n`);
      await run('set output json');
      const doc = JSON.parse(await run('runq')) as { cpu: number; current: string }[];
      await run('set output text');
      expect(doc.map((q) => q.cpu)).toEqual(cpus);
      expect(doc.map((q) => BigInt(q.current))).toEqual(cpus.map((c) => table.active.get(c)));
    });
  });
}
