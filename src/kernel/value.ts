/**
 * Typed access to kernel objects in the dump: a KObject is (type, address). Fields are found by
 * NAME through the type info (BTF/DWARF), so the same reader works on every kernel layout.
 *
 *   k.object('struct task_struct', addr).field('comm').cstring()
 *   k.object('struct task_struct', addr).field('parent').field('pid').num()   // pointers deref'd
 */
import { findMemberPath, resolve, typeName, type Type } from './types/type.js';
import type { Memory } from './memory.js';
import type { TypeSource } from './types/type.js';

export class FieldError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FieldError';
  }
}

export interface ObjectContext {
  mem: Memory;
  types: TypeSource;
}

export class KObject {
  constructor(
    readonly ctx: ObjectContext,
    readonly type: Type,
    readonly address: bigint,
    /** for bitfield members: bit position within the storage at `address` and width */
    readonly bits?: { offset: number; size: number },
  ) {}

  get resolved(): Type {
    return resolve(this.type);
  }

  get typeName(): string {
    return typeName(this.type);
  }

  /** Does the struct (or the struct a pointer points to) have this member (dotted paths allowed)? */
  has(path: string): boolean {
    const t = this.structType();
    return !!t && !!findMemberPath(t, path);
  }

  /**
   * A member by name (dotted paths through embedded structs; anonymous members searched).
   * On a pointer to a struct, dereferences first (like C's ->).
   */
  field(path: string): KObject {
    let base: KObject = this;
    if (base.resolved.kind === 'pointer') base = base.deref();
    const st = base.resolved;
    if (st.kind !== 'struct' && st.kind !== 'union') {
      throw new FieldError(`${base.typeName} has no member ${path}: not a struct`);
    }
    const found = findMemberPath(st, path);
    if (!found) throw new FieldError(`${base.typeName} has no member "${path}"`);
    const byteOff = Math.floor(found.bitOffset / 8);
    if (found.member.bitSize) {
      return new KObject(this.ctx, found.member.type, base.address + BigInt(byteOff), {
        offset: found.bitOffset % 8,
        size: found.member.bitSize,
      });
    }
    return new KObject(this.ctx, found.member.type, base.address + BigInt(byteOff));
  }

  /** The first of several member names that exists (kernel versions renamed fields: state/__state). */
  fieldAny(...names: string[]): KObject {
    for (const n of names) if (this.has(n)) return this.field(n);
    throw new FieldError(`${this.typeName} has none of the members ${names.join(', ')}`);
  }

  /** *ptr: the object a pointer points to. */
  deref(): KObject {
    const t = this.resolved;
    if (t.kind !== 'pointer') throw new FieldError(`cannot dereference ${this.typeName}: not a pointer`);
    const target = t.target ?? { kind: 'void', name: 'void', size: 0 };
    const addr = this.value();
    if (addr === 0n) throw new FieldError(`NULL pointer (${this.typeName}) at ${this.address.toString(16)}`);
    return new KObject(this.ctx, target, addr);
  }

  /** Element i of an array, or ptr[i]. */
  index(i: number | bigint): KObject {
    const t = this.resolved;
    const idx = BigInt(i);
    if (t.kind === 'array' && t.target) {
      return new KObject(this.ctx, t.target, this.address + idx * BigInt(resolve(t.target).size));
    }
    if (t.kind === 'pointer' && t.target) {
      return new KObject(this.ctx, t.target, this.value() + idx * BigInt(resolve(t.target).size));
    }
    throw new FieldError(`cannot index ${this.typeName}`);
  }

  /** Reinterpret as another type at the same address. */
  cast(type: Type): KObject {
    return new KObject(this.ctx, type, this.address);
  }

  get size(): number {
    return this.resolved.size;
  }

  /** The value of an integer, enum, bool, char or pointer (bitfields handled), sign-extended if signed. */
  value(): bigint {
    const t = this.resolved;
    let size = t.size;
    if (t.kind === 'pointer') size = 8;
    if (!(t.kind === 'int' || t.kind === 'enum' || t.kind === 'pointer')) {
      throw new FieldError(`${this.typeName} is not a scalar`);
    }
    if (size <= 0 || size > 16) throw new FieldError(`${this.typeName}: unsupported size ${size}`);
    const n = Math.min(size, 8);
    // straight from the dump's cached page when the value lies in one page (no buffer per field)
    const at = this.ctx.mem.scalarAt?.(this.address, n);
    let v = at ? readUnsigned(at.page, n, at.offset) : readUnsigned(this.ctx.mem.read(this.address, n), n, 0);
    if (this.bits) {
      v = (v >> BigInt(this.bits.offset)) & ((1n << BigInt(this.bits.size)) - 1n);
      if (t.signed && this.bits.size > 0 && (v >> BigInt(this.bits.size - 1)) & 1n) v -= 1n << BigInt(this.bits.size);
      return v;
    }
    if (t.signed && t.kind !== 'pointer') v = BigInt.asIntN(size * 8, v);
    return v;
  }

  /** value() as a JS number (for counts, pids, small ints). */
  num(): number {
    return Number(this.value());
  }

  /** A C string: char array contents up to NUL, or the string a char* points to. */
  cstring(max = 4096): string {
    const t = this.resolved;
    if (t.kind === 'array') {
      const len = Math.min(t.length ?? max, max);
      return cstr(this.ctx.mem.read(this.address, len));
    }
    if (t.kind === 'pointer') {
      const p = this.value();
      if (p === 0n) return '';
      return this.ctx.mem.readCString(p, max);
    }
    throw new FieldError(`${this.typeName} is not a string`);
  }

  /** The raw bytes of the object. */
  bytes(): Buffer {
    return this.ctx.mem.read(this.address, this.size);
  }

  private structType(): Type | undefined {
    let t = this.resolved;
    if (t.kind === 'pointer' && t.target) t = resolve(t.target);
    return t.kind === 'struct' || t.kind === 'union' ? t : undefined;
  }
}

function readUnsigned(buf: Buffer, size: number, at: number): bigint {
  switch (size) {
    case 1:
      return BigInt(buf.readUInt8(at));
    case 2:
      return BigInt(buf.readUInt16LE(at));
    case 4:
      return BigInt(buf.readUInt32LE(at));
    case 8:
      return buf.readBigUInt64LE(at);
    default: {
      let v = 0n;
      for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[at + i]!);
      return v;
    }
  }
}

export function cstr(buf: Buffer): string {
  const nul = buf.indexOf(0);
  return buf.toString('latin1', 0, nul < 0 ? buf.length : nul);
}
