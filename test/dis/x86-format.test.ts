/**
 * The instruction text of src/disasm against GNU libopcodes (objdump 2.40 on these exact bytes, and gdb
 * 16.2 inside crash 9 where the two differ): prefixes iced drops, implicit operands, segments of
 * string instructions, zero displacements, scales, branch targets and rip-relative comments.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { Disassembler } from '../../src/disasm/x86_64.js';

const AT = 0xffffffff81000000n;

/** bytes (hex) → the text libopcodes prints for them at AT */
const CASES: [string, string][] = [
  ['0f1f440000', 'nopl   0x0(%rax,%rax,1)'],
  ['66662e0f1f840000000000', 'data16 cs nopw 0x0(%rax,%rax,1)'],
  ['6666662e0f1f840000000000', 'data16 data16 cs nopw 0x0(%rax,%rax,1)'],
  ['2e0f1f840000000000', 'cs nopl 0x0(%rax,%rax,1)'],
  ['3e0f1f440000', 'ds nopl 0x0(%rax,%rax,1)'],
  ['3e0fae38', 'ds clflush (%rax)'],
  ['2e488b00', 'cs mov (%rax),%rax'],
  ['64488b00', 'mov    %fs:(%rax),%rax'],
  ['65488b042528000000', 'mov    %gs:0x28,%rax'],
  ['f348ab', 'rep stos %rax,%es:(%rdi)'],
  ['f348a5', 'rep movsq %ds:(%rsi),%es:(%rdi)'],
  ['a6', 'cmpsb  %es:(%rdi),%ds:(%rsi)'],
  ['f3a6', 'repz cmpsb %es:(%rdi),%ds:(%rsi)'],
  ['ac', 'lods   %ds:(%rsi),%al'],
  ['ae', 'scas   %es:(%rdi),%al'],
  ['6e', 'outsb  %ds:(%rsi),(%dx)'],
  ['6c', 'insb   (%dx),%es:(%rdi)'],
  ['ec', 'in     (%dx),%al'],
  ['ee', 'out    %al,(%dx)'],
  ['f3c3', 'repz ret'],
  ['c3', 'ret'],
  ['c20800', 'ret    $0x8'],
  ['f0ff00', 'lock incl (%rax)'],
  ['f0480fb10a', 'lock cmpxchg %rcx,(%rdx)'],
  ['4d69e4c0080000', 'imul   $0x8c0,%r12,%r12'],
  ['486bc003', 'imul   $0x3,%rax,%rax'],
  // gdb 16's libopcodes writes the implicit count of D1 shifts (binutils 2.40's objdump: `shr %rax`)
  ['48d1e8', 'shr    $1,%rax'],
  ['ff14c5000000a0', 'call   *-0x60000000(,%rax,8)'],
  ['ff35c8000000', 'push   0xc8(%rip)        # 0xffffffff810000ce'],
  ['488d3d00000000', 'lea    0x0(%rip),%rdi        # 0xffffffff81000007'],
  ['488d0cf500000000', 'lea    0x0(,%rsi,8),%rcx'],
  ['0f01c8', 'monitor %rax,%ecx,%edx'],
  ['0f01c9', 'mwait  %eax,%ecx'],
  ['0f21d0', 'mov    %db2,%rax'],
  ['3effe0', 'notrack jmp *%rax'],
  ['2e7400', 'je,pn  0xffffffff81000003'],
  ['e8fbffffff', 'call   0xffffffff81000000'],
  ['0f0b', 'ud2'],
  ['cc', 'int3'],
  ['f390', 'pause'],
  ['f30f1efa', 'endbr64'],
  // a REX prefix with a bit the instruction does not use is named whole (crash 9 after `dis -b 2` on the 6.1
  // kernel's x86_pmu ... sgx functions, where decoding starts inside an instruction); used ones are not
  ['442408', 'rex.R and $0x8,%al'],
  ['4c2410', 'rex.WR and $0x10,%al'],
  ['4ec12902', 'rex.WRX shrq $0x2,(%rcx)'],
  ['45b04c', 'rex.RB mov $0x4c,%r8b'],
  ['400053bf', 'rex add %dl,-0x41(%rbx)'],
  ['41b04c', 'mov    $0x4c,%r8b'],
  ['4088c6', 'mov    %al,%sil'],
  ['4c89e7', 'mov    %r12,%rdi'],
  ['415c', 'pop    %r12'],
];

describe('x86_64 instruction text (libopcodes forms)', () => {
  let d: Disassembler;
  beforeAll(async () => {
    d = await Disassembler.load();
  });

  for (const [hex, want] of CASES) {
    it(`${hex} → ${want}`, () => {
      const [ins] = d.decode(Buffer.from(hex, 'hex'), AT, 1);
      expect(ins?.text).toBe(want);
      expect(ins?.length).toBe(hex.length / 2);
    });
  }

  it('gives branch and rip-relative targets for the caller to name', () => {
    const [call, lea] = d.decode(Buffer.from('e8fbffffff488d3df9ffffff', 'hex'), AT);
    expect(call!.branchTarget).toBe(AT);
    expect(lea!.ripTarget).toBe(AT + 5n + 7n - 7n);
  });

  it('a byte that starts no instruction is (bad), one byte long, and decoding goes on', () => {
    const ins = d.decode(Buffer.from('0690', 'hex'), AT);
    expect(ins.map((i) => [i.text, i.length])).toEqual([
      ['(bad)', 1],
      ['nop', 1],
    ]);
  });

  it('an instruction cut by the end of the bytes is not returned', () => {
    expect(d.decode(Buffer.from('90e8fbff', 'hex'), AT).map((i) => i.text)).toEqual(['nop']);
  });
});
