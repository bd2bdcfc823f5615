/**
 * waitq on every corpus dump, against the workload the guest ran (case.json): corpus-tree sits in wait4() for
 * its child corpus-tree2, so it is the one task on its own signal->wait_chldexit; corpus-zparent never reaps
 * its zombie child and sleeps elsewhere, so its queue is empty. The three ways of naming a queue (symbol,
 * STRUCT.MEMBER ADDRESS, ADDRESS) must agree, and crash's messages for a bad member or a missing address hold.
 */
import { expect, it } from 'vitest';
import { findTaskByPid, taskHeader } from '../../src/kernel/objects/tasks.js';
import { caseInfo, caseNames, describeCorpus, skipWhenNoCases } from '../helpers/corpus.js';
import { openFirstDump } from '../helpers/corpus-command.js';

skipWhenNoCases('waitq on each corpus case');

for (const name of caseNames()) {
  describeCorpus(`waitq on ${name}`, () => {
    const dump = openFirstDump(name);
    const run = dump.run;
    const workload = (comm: string): number =>
      (caseInfo(name) as unknown as { workload: { pid: number; comm: string }[] }).workload.find(
        (w) => w.comm === comm,
      )!.pid;

    const signalOf = (pid: number): bigint =>
      dump.k.object('struct task_struct', findTaskByPid(dump.k, pid)!.address).field('signal').value();

    it('a parent in wait4() is on its signal_struct.wait_chldexit; a parent that never reaps is not', async () => {
      const tree = findTaskByPid(dump.k, workload('corpus-tree'))!;
      const sig = signalOf(tree.pid).toString(16);
      expect(await run(`waitq signal_struct.wait_chldexit ${sig}`)).toBe(taskHeader(tree) + '\n');
      // the same queue by its own address
      const head = BigInt('0x' + sig) + BigInt(dump.k.offsetOf('struct signal_struct', 'wait_chldexit'));
      expect(await run(`waitq ${head.toString(16)}`)).toBe(taskHeader(tree) + '\n');
      // a dump that lost the task's page (makedumpfile 1.7.2 on 6.12) cannot say; case.json lists it
      const zpid = workload('corpus-zparent');
      if (!findTaskByPid(dump.k, zpid)) {
        const lost = caseInfo(name).dumps.flatMap(
          (d) => (d as { unreadable_tasks?: { pid: number }[] }).unreadable_tasks ?? [],
        );
        expect(lost.map((t) => t.pid)).toContain(zpid);
        return;
      }
      const zsig = signalOf(zpid);
      const zhead = zsig + BigInt(dump.k.offsetOf('struct signal_struct', 'wait_chldexit'));
      expect(await run(`waitq signal_struct.wait_chldexit ${zsig.toString(16)}`)).toBe(
        `wait queue ${zhead.toString(16)} is empty\n`,
      );
    });

    it('names an empty global queue, and says what is wrong with a bad request', async () => {
      expect(await run('waitq log_wait')).toMatch(/^wait queue "log_wait" \([0-9a-f]{16}\) is (empty\n)?/);
      expect(await run('waitq signal_struct.nosuch ffff000000000000')).toBe(
        'nosuch is not a member of signal_struct\n',
      );
      expect(await run('waitq signal_struct.wait_chldexit')).toBe('must supply an address for signal_struct\n');
      expect(await run('waitq no_such_symbol_here')).toBe('waitq: cannot resolve "no_such_symbol_here"\n');
    });
  });
}
