/**
 * mach's IRQ STACKS (and bt's IRQ-stack range) on every made dump: the stack is whole pages, so its base is
 * page-aligned, and hardirq_stack_ptr holds its top up to 5.11 and its top minus 8 from 5.12
 * (arch/x86/kernel/irq_64.c, "x86/irq/64: Adjust the per CPU irq stack pointer by 8"). crash-ts took the
 * pointer for top-8 on every kernel and put 5.10's IRQ stacks 8 bytes too high (crosscheck-crash9 on
 * k510-sysrq-c: ffffb12f00000008 where crash 9 says ffffb12f00000000).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { machineLayout } from '../../src/kernel/objects/machine.js';
import { cpuStackRanges } from '../../src/kernel/arch/x86_64/stacks.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { describeWithDumps, madeDumpsPresent, missingMadeDumps, vmlinuxOfRelease } from '../helpers/made-dumps.js';

/** the raw per-CPU hardirq_stack_ptr */
function hardirqStackPtr(k: Kernel, cpu: number): bigint {
  if (k.hasSymbol('hardirq_stack_ptr')) return k.readU64(k.perCpu('hardirq_stack_ptr', cpu));
  return k.readU64(k.perCpu('pcpu_hot', cpu) + BigInt(k.offsetOf('struct pcpu_hot', 'hardirq_stack_ptr')));
}

const before512 = (release: string): boolean => {
  const [maj, min] = release.split(/[.-]/).map(Number) as [number, number];
  return maj < 5 || (maj === 5 && min < 12);
};

const dumps = madeDumpsPresent();
const gone = missingMadeDumps();

describeWithDumps(
  'IRQ stacks on the made dumps: page-aligned, hardirq_stack_ptr read as its kernel wrote it',
  dumps.length === 0 ? `none of the made dumps (${gone.slice(0, 2).join(', ')} ...)` : undefined,
  () => {
    const opened: { name: string; release: string; k: Kernel }[] = [];
    beforeAll(async () => {
      for (const d of dumps) {
        const v = await vmlinuxOfRelease(d.facts.kernel_release);
        if (v) opened.push({ name: d.name, release: d.facts.kernel_release, k: openKernelSync(v, d.path) });
      }
    }, 300_000);
    afterAll(() => opened.forEach((o) => o.k.dump.close()));

    it('every IRQ stack starts on a page, and its top is the pointer (before 5.12) or the pointer + 8', () => {
      expect(opened.length).toBeGreaterThan(0);
      let checked = 0;
      for (const { name, release, k } of opened) {
        const l = machineLayout(k);
        for (const s of l.irqStacks) {
          expect(s.base % 4096n, `${name} CPU ${s.cpu} base ${s.base.toString(16)}`).toBe(0n);
          const top = s.base + BigInt(l.irqStackSize);
          const p = hardirqStackPtr(k, s.cpu);
          checked++;
          expect({ name, p }).toEqual({ name, p: before512(release) ? top : top - 8n });
          // bt's range is mach's
          const r = cpuStackRanges(k, s.cpu).find((x) => x.kind === 'irq');
          expect({ name, base: r?.base, top: r?.top }).toEqual({ name, base: s.base, top });
        }
      }
      // a CPU whose per-CPU pointer a lossy dump dropped is left out of mach; the others are many
      expect(checked).toBeGreaterThan(opened.length);
    });
  },
);
