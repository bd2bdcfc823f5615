/**
 * sys and the kernel model never turn a failed read into a plausible answer: an unreadable tainted_mask
 * is said (not "untainted"), an unreadable totalram_pages or per-CPU counter delta is an error naming
 * it (not 0 or a partial sum). The bundled sample with one page excluded (test/badinput/excluded-page.ts).
 */
import { describe, expect, it } from 'vitest';
import sysCommand from '../../commands/sys.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { percpuCounterSum, totalRamPages } from '../../src/kernel/objects/tasks.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { sampleKernels } from '../badinput/excluded-page.js';

const sample = sampleKernels();
const k0 = sample.base;
const without = sample.without;

const sys = (k: Kernel): string =>
  renderText(sysCommand.run(new Session(k), parseArgs([], sysCommand.options)) as View);

describe('unreadable values in sys and the kernel model', () => {
  it('tainted_mask unreadable: sys says so instead of showing an untainted kernel', () => {
    expect(sys(k0())).not.toMatch(/tainted_mask/);
    const out = sys(without(k0().sym('tainted_mask')));
    expect(out).toMatch(/^WARNING: tainted_mask cannot be read: KERNEL may lack its \[TAINTED\] mark$/m);
  });

  it('totalram_pages unreadable: an error naming it, not 0', () => {
    expect(totalRamPages(k0())).toBeGreaterThan(0n);
    const k = without(k0().sym('_totalram_pages'));
    expect(() => totalRamPages(k)).toThrow(/^total RAM pages unreadable \(_totalram_pages: page excluded/);
  });

  it('a percpu_counter whose CPU delta is unreadable: an error, not a partial sum', () => {
    const pc = k0().variable('vm_committed_as', 'struct percpu_counter');
    const deltas = pc.field('counters').value();
    expect(typeof percpuCounterSum(k0(), pc)).toBe('bigint');
    const k = without(deltas + k0().perCpuOffset(k0().onlineCpus.at(-1)!));
    expect(() => percpuCounterSum(k, k.variable('vm_committed_as', 'struct percpu_counter'))).toThrow(/page excluded/);
  });
});
