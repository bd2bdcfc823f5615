/**
 * log -a on every corpus dump: the audit records still queued for kauditd are exactly as many as the queues'
 * own qlen counters say (an independent count kept by skb_queue_tail), and with none crash's line
 * "kernel audit log is empty" is all that is printed (crash 9 prints the same on these dumps).
 */
import { expect, it } from 'vitest';
import { auditRecords } from '../../src/kernel/objects/audit.js';
import { caseNames, describeCorpus, skipWhenNoCases } from '../helpers/corpus.js';
import { openFirstDump } from '../helpers/corpus-command.js';

skipWhenNoCases('log -a on each corpus case');

for (const name of caseNames()) {
  describeCorpus(`log -a on ${name}`, () => {
    const dump = openFirstDump(name);
    const run = dump.run;

    it('lists as many records as the queues count, or says the log is empty', async () => {
      const log = auditRecords(dump.k)!;
      expect(log).toBeDefined();
      let qlen = 0;
      for (const q of ['audit_hold_queue', 'audit_retry_queue', 'audit_queue'])
        if (dump.k.hasSymbol(q)) qlen += dump.k.object('struct sk_buff_head', dump.k.sym(q)).field('qlen').num();
      if (log.problems.length) return; // a queue on a page the dump lacks: named in the output
      expect(log.records.length).toBe(qlen);
      const out = await run('log -a');
      if (!qlen) expect(out).toBe('log: kernel audit log is empty\n');
      else for (const r of log.records) expect(out).toContain(`type=${r.type} ${r.text}\n`);
    });
  });
}
