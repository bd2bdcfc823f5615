/** The ORC unwinder on hand-made stacks: CALL frames, a pt_regs frame, user mode, bad data. */
import { describe, expect, it } from 'vitest';
import { ORC_REG, type OrcEntry } from '../../src/kernel/arch/x86_64/orc.js';
import { PT_REG_NAMES, unwind, type PtRegsLayout } from '../../src/kernel/arch/x86_64/unwind.js';

const layout: PtRegsLayout = {
  size: 168,
  offsets: Object.fromEntries(PT_REG_NAMES.map((n, i) => [n, i * 8])) as PtRegsLayout['offsets'],
};

function mem(words: Map<bigint, bigint>) {
  return {
    readU64(a: bigint): bigint {
      const v = words.get(a);
      if (v === undefined) throw new Error(`page excluded: ${a.toString(16)}`);
      return v;
    },
  };
}

const call = (spOffset: number): OrcEntry => ({
  index: 0,
  ip: 0n,
  spOffset,
  bpOffset: 0,
  spReg: ORC_REG.SP,
  bpReg: 0,
  type: 'call',
  signal: false,
});

// functions: A at 0x1000 (frame 0x20), B at 0x2000 (frame 8), entry at 0x3000 (REGS at sp), end at 0x4000
const orc = {
  find(ip: bigint): OrcEntry | undefined {
    if (ip >= 0x1000n && ip < 0x2000n) return call(0x20);
    if (ip >= 0x2000n && ip < 0x3000n) return call(8);
    if (ip >= 0x3000n && ip < 0x4000n) return { ...call(0), type: 'regs', signal: true };
    if (ip >= 0x4000n && ip < 0x5000n) return { ...call(0), spReg: 0, type: 'end' };
    return undefined;
  },
};

describe('unwind', () => {
  it('walks CALL frames, reads a pt_regs frame and stops at user mode', () => {
    const w = new Map<bigint, bigint>();
    const sp = 0x10000n;
    w.set(sp + 0x18n, 0x2010n); // A's return address into B (CFA = sp + 0x20)
    w.set(sp + 0x20n, 0x3005n); // B's return address into the entry code (CFA = sp + 0x28)
    const regs = sp + 0x28n;
    PT_REG_NAMES.forEach((n, i) => w.set(regs + BigInt(i * 8), BigInt(i + 1)));
    w.set(regs + BigInt(layout.offsets.ip), 0x401000n);
    w.set(regs + BigInt(layout.offsets.cs), 0x33n);
    w.set(regs + BigInt(layout.offsets.sp), 0x7ffff000n);
    const r = unwind(mem(w), orc, layout, { ip: 0x1000n, sp, bp: 0n });
    expect(r.frames.map((f) => [f.ip, f.slot])).toEqual([
      [0x1000n, undefined],
      [0x2010n, sp + 0x18n],
      [0x3005n, sp + 0x20n],
    ]);
    expect(r.stop).toBe('user');
    expect(r.userRegs).toMatchObject({ address: regs, user: true, partial: false });
    expect(r.userRegs!.values.ip).toBe(0x401000n);
    expect(r.userRegs!.values.r15).toBe(1n);
  });

  it('looks up return addresses at ip - 1: a call at the very end of a function stays in it', () => {
    const w = new Map<bigint, bigint>([[0x10018n, 0x2000n]]); // returns to 0x2000 = first byte of B's neighbour
    const r = unwind(mem(w), orc, layout, { ip: 0x1000n, sp: 0x10000n, bp: 0n });
    // 0x2000 - 1 is in A's range: A's frame (0x20) is used, not B's: reads 0x10020 (missing)
    expect(r.frames.length).toBe(2);
    expect(r.stop).toBe('unreadable');
    expect(r.message).toMatch(/cannot read the return address at 10038: page excluded/);
  });

  it('stops at END_OF_STACK, on unknown text, and when the stack pointer does not move up', () => {
    const w = new Map<bigint, bigint>([[0x10018n, 0x4001n]]);
    expect(unwind(mem(w), orc, layout, { ip: 0x1000n, sp: 0x10000n, bp: 0n }).stop).toBe('end');
    const w2 = new Map<bigint, bigint>([[0x10018n, 0x9999n]]);
    expect(unwind(mem(w2), orc, layout, { ip: 0x1000n, sp: 0x10000n, bp: 0n })).toMatchObject({ stop: 'no-orc' });
    const loop = { find: () => call(-8) };
    expect(unwind(mem(new Map([[0xfff0n, 0x1000n]])), loop, layout, { ip: 0x1000n, sp: 0x10000n, bp: 0n }).stop).toBe(
      'bad-sp',
    );
  });
});
