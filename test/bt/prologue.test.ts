/** Stack depth from a function's prologue (for functions objtool leaves without ORC data). */
import { describe, expect, it } from 'vitest';
import { prologueDepth } from '../../src/kernel/arch/x86_64/prologue.js';

const bytes = (hex: string): Buffer => Buffer.from(hex.replace(/\s+/g, ''), 'hex');

describe('prologueDepth', () => {
  // 6.1's __crash_kexec: call __fentry__; push %rbx; mov $1,%edx; sub $0xb0,%rsp; mov %gs:0x28,%rax;
  // mov %rax,0xa8(%rsp); xor %eax,%eax; lock cmpxchg ...
  const crashKexec61 = bytes(`e8 eb 70 f0 ff 53 ba 01 00 00 00 48 81 ec b0 00 00 00 65 48 8b 04 25 28 00 00 00
    48 89 84 24 a8 00 00 00 31 c0 f0 0f b1 15 0b da 1d 02 85 c0 75 50`);
  it('follows call/push/mov/sub and stops at the first instruction it does not size', () => {
    expect(prologueDepth(crashKexec61, 0x76)).toEqual({ depth: 8 + 0xb0, rbpSaved: undefined });
    expect(prologueDepth(crashKexec61, 5)).toEqual({ depth: 0, rbpSaved: undefined });
    expect(prologueDepth(crashKexec61, 6)?.depth).toBe(8);
  });
  it('accepts endbr64 before the ftrace call (6.12 layout) and notes a pushed %rbp', () => {
    const code = bytes('f3 0f 1e fa e8 27 ec eb ff 55 48 89 e5 41 54 48 83 ec 10 e8 00 00 00 00');
    expect(prologueDepth(code, 100)).toEqual({ depth: 8 + 8 + 0x10, rbpSaved: 8 });
  });
  it('gives up on a function that realigns %rsp before its frame is set', () => {
    expect(prologueDepth(bytes('48 83 e4 f0 c3'), 10)).toBeUndefined();
  });
});
