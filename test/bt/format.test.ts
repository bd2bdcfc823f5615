/** crash's layout of frames, exception blocks and stack switches, on a hand-made backtrace. */
import { describe, expect, it } from 'vitest';
import type { Backtrace } from '../../src/kernel/arch/x86_64/backtrace.js';
import { formatBacktrace } from '../../src/kernel/arch/x86_64/bt-format.js';
import type { StackRange } from '../../src/kernel/arch/x86_64/stacks.js';
import { PT_REG_NAMES, type PtRegsValues } from '../../src/kernel/arch/x86_64/unwind.js';
import type { Kernel } from '../../src/kernel/kernel.js';

const syms = [
  { name: 'handle_irq_event', address: 0xffffffff81100000n },
  { name: 'asm_common_interrupt', address: 0xffffffff81c00000n },
  { name: 'native_safe_halt', address: 0xffffffff81a00000n },
];
const fakeKernel = {
  symbols: {
    nearest(a: bigint) {
      const s = syms.filter((x) => x.address <= a).sort((p, q) => (p.address > q.address ? -1 : 1))[0];
      return s ? { symbol: { ...s, kind: 'T', size: 0x100n, percpu: false }, offset: a - s.address } : undefined;
    },
  },
  readU64: (a: bigint) => a & 0xffffn,
} as unknown as Kernel;

const irq: StackRange = { kind: 'irq', label: 'IRQ stack', base: 0xffff888000100000n, top: 0xffff888000104000n };
const task: StackRange = { kind: 'task', label: 'task stack', base: 0xffffc90000010000n, top: 0xffffc90000014000n };
const regs = Object.fromEntries(PT_REG_NAMES.map((n, i) => [n, BigInt(i)])) as PtRegsValues;
regs.ip = 0xffffffff81a0000bn;
regs.sp = 0xffffc90000013e98n;
regs.cs = 0x10n;
regs.ss = 0x18n;
regs.flags = 0x246n;

const bt: Backtrace = {
  task: { task: 0xffff888003dfc800n, pid: 0, comm: 'swapper/1', cpu: 1, active: true },
  frames: [
    {
      level: 0,
      ip: 0xffffffff81100010n,
      slot: 0xffff888000103f00n,
      sp: 0xffff888000103f08n,
      symbol: 'handle_irq_event',
      offset: 0x10n,
      exact: true,
      stack: irq,
    },
    {
      level: 1,
      ip: 0xffffffff81c00020n,
      slot: 0xffffc90000013e40n,
      sp: 0xffffc90000013e48n,
      symbol: 'asm_common_interrupt',
      offset: 0x20n,
      exact: false,
      stack: task,
    },
    {
      level: 2,
      ip: regs.ip,
      slot: regs.sp,
      sp: regs.sp,
      symbol: 'native_safe_halt',
      offset: 0xbn,
      exact: true,
      stack: task,
      regs: { address: 0xffffc90000013e50n, values: regs, partial: false, user: false },
    },
  ],
  stop: 'end',
  start: 'cpu-registers',
  stacks: [task, irq],
};

describe('formatBacktrace', () => {
  it('prints a switch line when the walk leaves a per-CPU stack, the exception block before the resumed frame', () => {
    expect(formatBacktrace(fakeKernel, bt)).toEqual([
      'PID: 0        TASK: ffff888003dfc800  CPU: 1    COMMAND: "swapper/1"',
      ' #0 [ffff888000103f00] handle_irq_event at ffffffff81100010',
      '--- <IRQ stack> ---',
      ' #1 [ffffc90000013e40] asm_common_interrupt at ffffffff81c00020',
      '    [exception RIP: native_safe_halt+11]',
      '    RIP: ffffffff81a0000b  RSP: ffffc90000013e98  RFLAGS: 00000246',
      '    RAX: 000000000000000a  RBX: 0000000000000005  RCX: 000000000000000b',
      '    RDX: 000000000000000c  RSI: 000000000000000d  RDI: 000000000000000e',
      '    RBP: 0000000000000004   R8: 0000000000000009   R9: 0000000000000008',
      '    R10: 0000000000000007  R11: 0000000000000006  R12: 0000000000000003',
      '    R13: 0000000000000002  R14: 0000000000000001  R15: 0000000000000000',
      '    ORIG_RAX: 000000000000000f  CS: 0010  SS: 0018',
      ' #2 [ffffc90000013e98] native_safe_halt at ffffffff81a0000b',
    ]);
  });
  it("the exception RIP's offset follows the output radix, not -x (crash: gdb's radix)", () => {
    const rip = (o: Parameters<typeof formatBacktrace>[2]) =>
      formatBacktrace(fakeKernel, bt, o).find((l) => l.includes('[exception RIP'));
    expect(rip({ symbolOffsets: true, hexOffsets: true })).toBe('    [exception RIP: native_safe_halt+11]');
    expect(rip({ radix16: true })).toBe('    [exception RIP: native_safe_halt+0xb]');
  });
  it('-s/-x offsets and -f words between frames of one stack', () => {
    const out = formatBacktrace(
      fakeKernel,
      {
        ...bt,
        frames: bt.frames
          .slice(1, 2)
          .concat([{ ...bt.frames[1]!, level: 2, slot: 0xffffc90000013e60n, regs: undefined }]),
      },
      { symbolOffsets: true, hexOffsets: true, frameWords: true },
    );
    expect(out.slice(1)).toEqual([
      ' #1 [ffffc90000013e40] asm_common_interrupt+0x20 at ffffffff81c00020',
      '    ffffc90000013e48: 0000000000003e48 0000000000003e50 ',
      '    ffffc90000013e58: 0000000000003e58 0000000000003e60 ',
      ' #2 [ffffc90000013e60] asm_common_interrupt+0x20 at ffffffff81c00020',
    ]);
  });
});
