/**
 * The per-CPU hard-IRQ stack must be found on every corpus kernel: 6.1 keeps its pointer in the
 * per-CPU variable hardirq_stack_ptr, 6.2-6.14 in struct pcpu_hot's member hardirq_stack_ptr. Without
 * it a panic in IRQ context (keyboard sysrq, a driver's interrupt handler) loses its
 * "--- <IRQ stack> ---" line and the machine_kexec frame (the recovery scans only known stacks).
 * Regression: 6.12 was looked up under a member name no kernel has, so bt never saw its IRQ stacks.
 */
import { expect, it } from 'vitest';
import { openKernelSync } from '../../src/kernel/open.js';
import { cpuStackRanges, threadSize } from '../../src/kernel/arch/x86_64/stacks.js';
import { caseInfo, describeCorpus, dumpPaths, vmlinuxPlain } from '../helpers/corpus.js';

for (const name of ['k61-sysrq-c', 'k612-sysrq-c']) {
  describeCorpus(`IRQ stacks (${name})`, () => {
    it('every online CPU has one IRQ stack of THREAD_SIZE, distinct from the others, whose pointer slot lies inside it', async () => {
      const dump = (await dumpPaths(name))[0]!;
      const k = openKernelSync(await vmlinuxPlain(name), dump.path);
      expect(k.vmcoreinfo.osrelease).toBe(caseInfo(name).kernel_release);
      const irq = k.onlineCpus.map((cpu) => cpuStackRanges(k, cpu).find((r) => r.kind === 'irq'));
      expect(irq.length).toBe(2); // the corpus guests have 2 vCPUs
      for (const r of irq) {
        expect(r, 'IRQ stack found').toBeDefined();
        expect(r!.top - r!.base).toBe(threadSize(k));
        expect(r!.label).toBe('IRQ stack');
        // the kernel stores "top - 8" (irq_64.c); that word must be readable stack memory
        expect(() => k.readU64(r!.top - 8n)).not.toThrow();
      }
      expect(new Set(irq.map((r) => r!.base)).size).toBe(irq.length);
    });
  });
}
