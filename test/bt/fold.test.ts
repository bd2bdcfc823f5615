/** foldExceptionFrames: which interrupted functions stay numbered frames after their register block. */
import { describe, expect, it } from 'vitest';
import { foldExceptionFrames, type BtFrame } from '../../src/kernel/arch/x86_64/backtrace.js';
import type { StackRange } from '../../src/kernel/arch/x86_64/stacks.js';
import { PT_REG_NAMES, type PtRegsValues, type RegsBlock } from '../../src/kernel/arch/x86_64/unwind.js';

const task: StackRange = { kind: 'task', label: 'task stack', base: 0x10000n, top: 0x14000n };
const nmi: StackRange = { kind: 'NMI', label: 'NMI exception stack', base: 0x20000n, top: 0x21000n };
const stacks = [task, nmi];
const regs = (address: bigint | undefined, sp: bigint): RegsBlock => {
  const values = Object.fromEntries(PT_REG_NAMES.map((n) => [n, 0n])) as PtRegsValues;
  return { address, values: { ...values, ip: 0xffffffff81000010n, sp, cs: 0x10n }, partial: false, user: false };
};
const frame = (level: number, slot: bigint, symbol: string, extra: Partial<BtFrame> = {}): BtFrame => ({
  level,
  ip: 0xffffffff81000000n + BigInt(level),
  slot,
  sp: slot + 8n,
  symbol,
  offset: 1n,
  exact: false,
  stack: stacks.find((s) => slot >= s.base && slot < s.top),
  ...extra,
});

describe('foldExceptionFrames', () => {
  it('same stack: the block moves to the caller, the interrupted function is no frame, levels renumber', () => {
    const r = regs(0x13e28n, 0x13ed8n);
    const out = foldExceptionFrames(
      [
        frame(0, 0x13e20n, 'asm_sysvec_apic_timer_interrupt'),
        frame(1, 0x13ed8n, 'pv_native_safe_halt', { exact: true, regs: r }),
        frame(2, 0x13ed8n, 'default_idle'),
        frame(3, 0x13ee0n, 'default_idle_call'),
      ],
      stacks,
    );
    expect(out.map((f) => [f.level, f.symbol, f.regs === r])).toEqual([
      [0, 'asm_sysvec_apic_timer_interrupt', false],
      [1, 'default_idle', true],
      [2, 'default_idle_call', false],
    ]);
  });
  it('after a stack switch (pt_regs on the NMI stack, interrupted on the task stack) the function stays a frame', () => {
    const r = regs(0x20f58n, 0x13e98n);
    const frames = [
      frame(0, 0x20ef0n, 'end_repeat_nmi'),
      frame(1, 0x13e98n, 'native_safe_halt', { exact: true, regs: r }),
      frame(2, 0x13e98n, 'amd_e400_idle'),
    ];
    expect(foldExceptionFrames(frames, stacks).map((f) => f.symbol)).toEqual([
      'end_repeat_nmi',
      'native_safe_halt',
      'amd_e400_idle',
    ]);
  });
  it('a CPU note (registers on no stack) folds; a block with nothing after it stays', () => {
    const r = regs(undefined, 0x13e88n);
    expect(
      foldExceptionFrames(
        [frame(0, 0x13e88n, 'read_hpet', { exact: true, regs: r }), frame(1, 0x13e88n, 'ktime_get')],
        stacks,
      ).map((f) => [f.level, f.symbol, f.regs === r]),
    ).toEqual([[0, 'ktime_get', true]]);
    expect(foldExceptionFrames([frame(0, 0x13e88n, 'read_hpet', { exact: true, regs: r })], stacks)).toHaveLength(1);
  });
});
