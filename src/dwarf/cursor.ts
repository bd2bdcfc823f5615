/**
 * A little-endian read cursor over one Buffer: fixed-size integers, LEB128, C strings. Every read is
 * bounds-checked and throws DwarfError naming the section and the absolute offset, so corrupt input is
 * one clear line. `base` is the absolute section offset of buf[0] (a unit read on its own still reports
 * section offsets).
 */
import { DwarfError } from './errors.js';

export class Cursor {
  pos: number;

  constructor(
    readonly buf: Buffer,
    readonly section: string,
    /** section offset of buf[0] */
    readonly base = 0,
    pos = 0,
    /** exclusive end inside buf */
    readonly end = buf.length,
  ) {
    this.pos = pos;
  }

  get offset(): number {
    return this.base + this.pos;
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  fail(reason: string, at = this.pos): never {
    throw new DwarfError(this.section, this.base + at, reason);
  }

  need(n: number): void {
    if (this.pos + n > this.end) this.fail(`${n}-byte read runs past the end (${this.end - this.pos} bytes left)`);
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  u24(): number {
    this.need(3);
    const b = this.buf;
    const v = b[this.pos]! | (b[this.pos + 1]! << 8) | (b[this.pos + 2]! << 16);
    this.pos += 3;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  i8(): number {
    this.need(1);
    return this.buf.readInt8(this.pos++);
  }

  i16(): number {
    this.need(2);
    const v = this.buf.readInt16LE(this.pos);
    this.pos += 2;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.buf.readInt32LE(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }

  /** A u64 known to be a file/section offset or size: a number, refusing values past 2^53. */
  u64n(): number {
    const v = this.u64();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`64-bit value 0x${v.toString(16)} is too large`, this.pos - 8);
    return Number(v);
  }

  /** An unsigned integer of `size` bytes (1, 2, 4 or 8) as a number (8-byte values must be < 2^53). */
  uN(size: number): number {
    switch (size) {
      case 1:
        return this.u8();
      case 2:
        return this.u16();
      case 4:
        return this.u32();
      case 8:
        return this.u64n();
      default:
        return this.fail(`unsupported integer size ${size}`);
    }
  }

  /** An address of `size` bytes as a bigint. */
  addr(size: number): bigint {
    return size === 8 ? this.u64() : BigInt(this.uN(size));
  }

  /** Unsigned LEB128 as a number (values past 2^53 are refused: DWARF uses them for sizes and indexes). */
  uleb(): number {
    const b = this.buf;
    let p = this.pos;
    if (p < this.end) {
      const first = b[p]!;
      if (first < 0x80) {
        this.pos = p + 1;
        return first;
      }
    }
    let result = 0;
    let mul = 1;
    for (;;) {
      if (p >= this.end) this.fail('LEB128 number runs past the end');
      const byte = b[p++]!;
      result += (byte & 0x7f) * mul;
      if (byte < 0x80) break;
      mul *= 128;
      if (mul > 2 ** 63) this.fail('LEB128 number too long');
    }
    if (result > Number.MAX_SAFE_INTEGER) this.fail('LEB128 number too large');
    this.pos = p;
    return result;
  }

  /** Unsigned LEB128 as a bigint (full 64 bits). */
  ulebBig(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.u8();
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) break;
      shift += 7n;
      if (shift > 70n) this.fail('LEB128 number too long');
    }
    return BigInt.asUintN(64, result);
  }

  /** Signed LEB128 as a number (line advances, bounds; |value| < 2^53). */
  sleb(): number {
    let result = 0;
    let mul = 1;
    let byte: number;
    do {
      byte = this.u8();
      result += (byte & 0x7f) * mul;
      mul *= 128;
      if (mul > 2 ** 70) this.fail('LEB128 number too long');
    } while (byte >= 0x80);
    if (byte & 0x40) result -= mul;
    return result;
  }

  /** Signed LEB128 as a bigint (enumerator values, constants). */
  slebBig(): bigint {
    let result = 0n;
    let shift = 0n;
    let byte: number;
    do {
      byte = this.u8();
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if (shift > 70n) this.fail('LEB128 number too long');
    } while (byte >= 0x80);
    if (byte & 0x40) result -= 1n << shift;
    return BigInt.asIntN(64, result);
  }

  skipUleb(): void {
    const b = this.buf;
    let p = this.pos;
    while (p < this.end && b[p]! >= 0x80) p++;
    if (p >= this.end) this.fail('LEB128 number runs past the end');
    this.pos = p + 1;
  }

  /** A NUL-terminated string (UTF-8). */
  cstring(): string {
    const nul = this.buf.indexOf(0, this.pos);
    if (nul < 0 || nul >= this.end) this.fail('string runs past the end');
    const s = this.buf.toString('utf8', this.pos, nul);
    this.pos = nul + 1;
    return s;
  }

  skipCString(): void {
    const nul = this.buf.indexOf(0, this.pos);
    if (nul < 0 || nul >= this.end) this.fail('string runs past the end');
    this.pos = nul + 1;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  bytes(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
}

/** The NUL-terminated string at `offset` of a string section (.debug_str, .debug_line_str). */
export function stringAt(buf: Buffer, offset: number, section: string): string {
  if (offset < 0 || offset >= buf.length) throw new DwarfError(section, offset, 'string offset past the end');
  const nul = buf.indexOf(0, offset);
  if (nul < 0) throw new DwarfError(section, offset, 'string runs past the end');
  return buf.toString('utf8', offset, nul);
}
