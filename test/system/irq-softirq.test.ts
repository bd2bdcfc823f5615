/**
 * irq -d on the corpus: the IDT's 256 vectors, the exceptions, the local APIC timer (LOCAL_TIMER_VECTOR 0xec) and
 * the spurious vector (0xff) entering their asm_ handlers (arch/x86/include/asm/irq_vectors.h, idtentry.h).
 * irq -b on the corpus: the softirq handlers the kernel registered with open_softirq() (kernel/softirq.c,
 * kernel/time/timer.c, net/core/dev.c, kernel/rcu/tree.c ...), one per vector of softirq_vec, named and at the
 * address the symbol table gives. Equal to crash 9 byte for byte on k510-sysrq-c, k61-softlockup, k612-warn.
 */
import { expect, it } from 'vitest';
import { caseNames, describeCorpus, skipWhenNoCases } from '../helpers/corpus.js';
import { openFirstDump } from '../helpers/corpus-command.js';

/** open_softirq()'s handler of each vector (HI, TIMER, NET_TX, NET_RX, BLOCK, IRQ_POLL, TASKLET, SCHED, HRTIMER, RCU) */
const HANDLERS = [
  ['tasklet_hi_action'],
  ['run_timer_softirq'],
  ['net_tx_action'],
  ['net_rx_action'],
  ['blk_done_softirq'],
  ['irq_poll_softirq'],
  ['tasklet_action'],
  // renamed in 6.10
  ['run_rebalance_domains', 'sched_balance_softirq'],
  ['hrtimer_run_softirq'],
  ['rcu_core_si'],
];

skipWhenNoCases('irq -b on the corpus');
for (const name of caseNames()) {
  describeCorpus(`irq -b on ${name}`, () => {
    const dump = openFirstDump(name);
    const run = dump.run;

    it('irq -d: the 256 IDT vectors, each entering its asm_ handler', async () => {
      const lines = (await run('irq -d')).split('\n').filter((l) => l);
      expect(lines).toHaveLength(256);
      lines.forEach((l, i) => expect(l.slice(0, 5)).toBe(`[${i}]`.padStart(5)));
      expect(lines[2]).toBe('  [2] asm_exc_nmi');
      expect(lines[14]).toBe(' [14] asm_exc_page_fault');
      expect(lines[0xec]).toBe('[236] asm_sysvec_apic_timer_interrupt');
      expect(lines[0xff]).toBe('[255] asm_sysvec_spurious_apic_interrupt');
    });

    it('every vector with the handler open_softirq() gave it, at its symbol address', async () => {
      const lines = (await run('irq -b')).split('\n').filter((l) => l);
      expect(lines[0]).toBe('SOFTIRQ_VEC      ACTION     ');
      expect(lines).toHaveLength(1 + HANDLERS.length);
      HANDLERS.forEach((names, i) => {
        const m = / {4}\[(\d+)\] +([0-9a-f]{16})  <(\w+)>$/.exec(lines[i + 1]!)!;
        expect(Number(m[1])).toBe(i);
        expect(names).toContain(m[3]);
        expect(BigInt('0x' + m[2])).toBe(dump.k.symbols.lookup(m[3]!)!.address);
      });
    });
  });
}
