/**
 * Scalar members of one struct in kernel memory, read straight from the dump's cached pages: each page the
 * struct covers is translated and fetched once, then members are read at plain-number offsets in it. A reader
 * of many structs of one type (10,000 task_structs) otherwise pays, per member, a member lookup, a bigint
 * address, a translation and a page-cache lookup. Offsets come from the type info (memberSlot), never
 * hard-coded. A member on a missing page throws the MemoryError a field read of it throws (same address).
 */
import { findMemberPath, resolve, type Type } from './types/type.js';
import { FieldError } from './value.js';
import type { Memory } from './memory.js';
import { s64le, u64le } from './u64.js';

const PAGE = 4096;
const PAGE_LOW_BITS = 4095n;

/** Where a scalar member is and how to read it. */
export interface MemberSlot {
  offset: number;
  size: number;
  signed: boolean;
}

/** The slot of an integer, enum or pointer member (dotted paths allowed), or undefined if the type lacks it. */
export function memberSlot(struct: Type, path: string): MemberSlot | undefined {
  const found = findMemberPath(struct, path);
  if (!found || found.member.bitSize || found.bitOffset % 8 !== 0) return undefined;
  const t = resolve(found.member.type);
  if (t.kind !== 'int' && t.kind !== 'enum' && t.kind !== 'pointer') return undefined;
  const size = t.kind === 'pointer' ? 8 : t.size;
  if (size !== 1 && size !== 2 && size !== 4 && size !== 8) return undefined;
  return { offset: found.bitOffset / 8, size, signed: t.kind !== 'pointer' && !!t.signed };
}

export class StructReader {
  /** the struct's offset in its first page */
  private readonly low: number;
  /** the pages fetched so far, by index from the struct's first page: the first two in fields (no array to grow for
   * a struct of one or two pages, most of them), the others in `more` */
  private page0: Buffer | undefined;
  private page1: Buffer | undefined;
  private more: (Buffer | undefined)[] | undefined;

  constructor(
    private readonly mem: Memory,
    readonly address: bigint,
  ) {
    this.low = Number(address & PAGE_LOW_BITS);
  }

  /**
   * Fetch now the pages holding bytes [from, to) of the struct, for a reader about to read members all over that
   * span (10,000 task_structs): the member reads then only index pages already fetched, and the fetching code stays
   * out of them (each stays small for the optimizing compiler). A page that cannot be fetched is left to the member
   * read that needs it, which throws its error naming the member's address, as without load().
   */
  load(from: number, to: number): this {
    const first = Math.floor((this.low + from) / PAGE);
    const last = Math.floor((this.low + to - 1) / PAGE);
    for (let i = first; i <= last; i++) {
      if (this.pageAtIndex(i)) continue;
      try {
        const got = this.mem.pageOf(this.address + BigInt(i * PAGE - this.low));
        if (got) this.keep(i, got);
      } catch {
        /* read by the member that needs it, which says what is missing */
      }
    }
    return this;
  }

  /** A member's value as a bigint (sign-extended when signed), as KObject.value() gives it. */
  value(slot: MemberSlot): bigint {
    const page = this.page(slot.offset, slot.size);
    const at = (this.low + slot.offset) % PAGE;
    if (page) {
      switch (slot.size) {
        case 8:
          return slot.signed ? s64le(page, at) : u64le(page, at);
        default:
          return BigInt(this.small(page, at, slot));
      }
    }
    const b = this.mem.read(this.address + BigInt(slot.offset), slot.size);
    if (slot.size === 8) return slot.signed ? b.readBigInt64LE(0) : b.readBigUInt64LE(0);
    return BigInt(this.small(b, 0, slot));
  }

  /** A member of at most 4 bytes as a number (sign-extended when signed). */
  num(slot: MemberSlot): number {
    if (slot.size === 8) return Number(this.value(slot));
    const page = this.page(slot.offset, slot.size);
    if (page) return this.small(page, (this.low + slot.offset) % PAGE, slot);
    return this.small(this.mem.read(this.address + BigInt(slot.offset), slot.size), 0, slot);
  }

  /** A u64 at a byte offset in the struct (a list_head's next/prev). */
  u64(offset: number): bigint {
    const page = this.page(offset, 8);
    if (page) return u64le(page, (this.low + offset) % PAGE);
    return this.mem.readU64(this.address + BigInt(offset));
  }

  /** A member's value when its page was already fetched for another member, else undefined (nothing is read). */
  peek(slot: MemberSlot): bigint | undefined {
    const start = this.low + slot.offset;
    const index = Math.floor(start / PAGE);
    if (!this.pageAtIndex(index) || Math.floor((start + slot.size - 1) / PAGE) !== index) return undefined;
    return this.value(slot);
  }

  /** A char array member up to its first NUL (at most `length` bytes), latin1, as KObject.cstring() reads it. */
  chars(offset: number, length: number): string {
    const page = this.page(offset, length);
    let b: Buffer;
    let at = 0;
    if (page) {
      b = page;
      at = (this.low + offset) % PAGE;
    } else b = this.mem.read(this.address + BigInt(offset), length);
    const nul = b.indexOf(0, at);
    const end = nul < 0 || nul > at + length ? at + length : nul;
    return b.toString('latin1', at, end);
  }

  private small(b: Buffer, at: number, slot: MemberSlot): number {
    switch (slot.size) {
      case 1:
        return slot.signed ? b.readInt8(at) : b.readUInt8(at);
      case 2:
        return slot.signed ? b.readInt16LE(at) : b.readUInt16LE(at);
      case 4:
        return slot.signed ? b.readInt32LE(at) : b.readUInt32LE(at);
      default:
        throw new FieldError(`unsupported member size ${slot.size}`);
    }
  }

  /**
   * The cached page holding bytes [offset, offset+length) of the struct, or undefined when they cross a page or
   * the memory has no page access (then the caller reads through Memory.read, as a field read does).
   */
  private page(offset: number, length: number): Buffer | undefined {
    const start = this.low + offset;
    const index = Math.floor(start / PAGE);
    if (Math.floor((start + length - 1) / PAGE) !== index) return undefined;
    return this.pageAtIndex(index) ?? this.fetch(index, offset);
  }

  private pageAtIndex(index: number): Buffer | undefined {
    return index === 0 ? this.page0 : index === 1 ? this.page1 : this.more?.[index];
  }

  private keep(index: number, page: Buffer): void {
    if (index === 0) this.page0 = page;
    else if (index === 1) this.page1 = page;
    else (this.more ??= [])[index] = page;
  }

  /** The page of index `index` not fetched yet (see page()). */
  private fetch(index: number, offset: number): Buffer | undefined {
    // a dump page other than 4 KiB (never on x86_64): no shortcut
    const got = this.mem.pageOf(this.address + BigInt(offset));
    if (!got) return undefined;
    this.keep(index, got);
    return got;
  }
}
