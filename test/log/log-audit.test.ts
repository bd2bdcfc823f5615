/**
 * log -a on every corpus dump: the audit records still queued for kauditd are exactly as many as the queues'
 * own qlen counters say (an independent count kept by skb_queue_tail), and with none crash's line
 * "kernel audit log is empty" is all that is printed (crash 9 prints the same on these dumps).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { auditRecords } from '../../src/kernel/objects/audit.js';
import { caseNames, describeCorpus, dumpPaths, skipWhenNoCases, vmlinuxPlain } from '../helpers/corpus.js';
import { replOn } from '../helpers/repl.js';

skipWhenNoCases('log -a on each corpus case');

for (const name of caseNames()) {
  describeCorpus(`log -a on ${name}`, () => {
    let k: Kernel;
    let run: (l: string) => Promise<string>;
    beforeAll(async () => {
      const d = (await dumpPaths(name))[0]!;
      k = openKernelSync(await vmlinuxPlain(name), d.path);
      run = await replOn(k);
    }, 120_000);
    afterAll(() => k?.dump.close());

    it('lists as many records as the queues count, or says the log is empty', async () => {
      const log = auditRecords(k)!;
      expect(log).toBeDefined();
      let qlen = 0;
      for (const q of ['audit_hold_queue', 'audit_retry_queue', 'audit_queue'])
        if (k.hasSymbol(q)) qlen += k.object('struct sk_buff_head', k.sym(q)).field('qlen').num();
      if (log.problems.length) return; // a queue on a page the dump lacks: named in the output
      expect(log.records.length).toBe(qlen);
      const out = await run('log -a');
      if (!qlen) expect(out).toBe('log: kernel audit log is empty\n');
      else for (const r of log.records) expect(out).toContain(`type=${r.type} ${r.text}\n`);
    });
  });
}
