/**
 * runq on every corpus dump: equal to crash 9's stored runq and runq -t; every task it lists as queued is
 * runnable (on_rq set, state RU) and on that CPU, every runnable task that is not running is queued somewhere,
 * the current task is the one ps marks active; -T, -m, -g, -d agree with the same queues; JSON.
 */
import { beforeAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { flatTasks, runQueue } from '../../src/kernel/objects/sched.js';
import { allTasks, stateLetters } from '../../src/kernel/objects/tasks.js';
import { caseNames, describeCorpus, dumpPaths, skipWhenNoCases, vmlinuxPlain } from '../helpers/corpus.js';
import { expectCrashOrMore, goldenCommands } from '../helpers/golden-index.js';
import { crashOutput, replOn } from '../helpers/repl.js';

skipWhenNoCases('runq on each corpus case');

for (const name of caseNames()) {
  describeCorpus(`runq on ${name}`, () => {
    const opened: { file: string; k: Kernel; run: (l: string) => Promise<string> }[] = [];
    beforeAll(async () => {
      const vml = await vmlinuxPlain(name);
      for (const d of await dumpPaths(name)) {
        const k = openKernelSync(vml, d.path);
        opened.push({ file: d.file, k, run: await replOn(k) });
      }
    }, 120_000);

    it('equals crash 9 on every stored runq command', async () => {
      let compared = 0;
      for (const { file, run } of opened) {
        for (const cmd of goldenCommands(name, file, /^runq\b/)) {
          const want = crashOutput(name, file, cmd);
          if (want === undefined) continue;
          expectCrashOrMore(await run(cmd), want, `${file}: ${cmd}`);
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(0);
    });

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
