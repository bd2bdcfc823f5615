import { describe, expect, it } from 'vitest';
import { s64le, u64le } from '../../src/kernel/u64.js';

describe('u64le / s64le (one bigint per read)', () => {
  it("equal Node's readBigUInt64LE / readBigInt64LE at every offset of a page", () => {
    const b = Buffer.alloc(4096);
    for (let i = 0; i < b.length; i++) b[i] = (i * 131 + 7) & 255;
    // kernel pointers, list poison, -1 and 0 among them
    b.writeBigUInt64LE(0xffff888003a1c0c0n, 8);
    b.writeBigUInt64LE(0xdead000000000122n, 16);
    b.writeBigInt64LE(-1n, 24);
    b.writeBigUInt64LE(0n, 32);
    for (let at = 0; at + 8 <= b.length; at++) {
      expect(u64le(b, at)).toBe(b.readBigUInt64LE(at));
      expect(s64le(b, at)).toBe(b.readBigInt64LE(at));
    }
    expect(u64le(b, 8)).toBe(0xffff888003a1c0c0n);
    expect(s64le(b, 24)).toBe(-1n);
  });

  it('read inside a Buffer that is a view at an odd offset of its memory', () => {
    const whole = Buffer.from([9, 1, 2, 3, 4, 5, 6, 7, 0x88, 9]);
    const view = whole.subarray(1, 9);
    expect(u64le(view, 0)).toBe(0x8807060504030201n);
    expect(s64le(view, 0)).toBe(-0x77f8f9fafbfcfdffn);
  });

  it('refuses a read past the end as Buffer does', () => {
    const b = Buffer.alloc(12);
    expect(() => u64le(b, 5)).toThrow(RangeError);
    expect(() => s64le(b, -1)).toThrow(RangeError);
  });
});
