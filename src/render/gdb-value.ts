/**
 * Values printed the way crash's `p` and `struct ADDR` print them (gdb with `set print pretty on`, as
 * crash runs it): structs in braces, a member a line, two spaces a level; arrays inline `{1, 2, 3}`,
 * arrays of structs `{{ ... }, { ... }}`; char arrays as strings with octal escapes (`"swapper/0\000..."`,
 * one trailing NUL dropped); pointers in hex with `<symbol+offset>` when they point into the kernel image,
 * char pointers followed by the string; enums by name; `/x /d /u /o /t /c /a` formats; crash's radix 16.
 * crash runs gdb with no `<repeats N times>` folding and at most 256 elements of an array or string.
 */
import type { Kernel } from '../kernel/kernel.js';
import { gdbSymbolAt } from '../kernel/expr/symbol-at.js';
import type { Value } from '../kernel/expr/index.js';
import { declare } from '../kernel/types/format.js';
import { findMember, resolve, type Member, type Type } from '../kernel/types/type.js';

export interface PrintOptions {
  /** gdb's /FMT letter: x d u o t c a s z */
  format?: string;
  /** crash's output radix (`set radix 16`, `p -x`, `struct -x`): integers in hex */
  radix?: 10 | 16;
}

/** gdb's `print elements` limit as crash sets it. */
export const PRINT_MAX = 256;

const MAX_DEPTH = 24;

/** The text gdb prints after `$N = ` for a value (several lines for a struct). */
export function formatValue(k: Kernel, v: Value, o: PrintOptions = {}): string {
  const t = resolve(v.type);
  const buf = valueBytes(k, v);
  const p = new Printer(k, o);
  if (t.kind === 'function') return `{${declare(v.type, '', 0)}} ${p.address(v.address ?? 0n, true)}`;
  let prefix = '';
  if (t.kind === 'pointer' && (!o.format || o.format === 's') && !isPlainCharPointer(v.type))
    prefix = `(${declare(v.type, '', 0)}) `;
  return prefix + p.value(v.type, buf, 0, v.bits, 0, v.address);
}

/**
 * Members of a struct object, one block each, as crash's `struct NAME.m1,m2 ADDR` (and `task -R`) print
 * them: `  name = value,` at two spaces, nested structs below it; the comma is there unless the member
 * is its struct's last. A dotted path (`se.load`) keeps its dots in the label.
 */
export function formatMembers(k: Kernel, obj: Value, paths: string[], o: PrintOptions = {}): string[] {
  const out: string[] = [];
  const p = new Printer(k, o);
  for (const path of paths) {
    let type = obj.type;
    let addr = obj.address ?? 0n;
    let bits: { offset: number; size: number } | undefined;
    let last = false;
    for (const part of path.split('.')) {
      const st = resolve(type);
      const f = st.kind === 'struct' || st.kind === 'union' ? findMember(st, part) : undefined;
      if (!f) throw new Error(`invalid data structure reference: ${path}`);
      const members = st.members ?? [];
      last = isLastMember(members, f.member);
      addr += BigInt(Math.floor(f.bitOffset / 8));
      type = f.member.type;
      bits = f.member.bitSize ? { offset: f.bitOffset % 8, size: f.member.bitSize } : undefined;
    }
    const size = resolve(type).kind === 'pointer' ? 8 : resolve(type).size;
    const buf = k.read(addr, bits ? Math.ceil((bits.offset + bits.size) / 8) : size);
    const text = p.value(type, buf, 0, bits, 1, addr);
    out.push(...`  ${path} = ${text}${last ? '' : ','}`.split('\n'));
  }
  return out;
}

function isLastMember(members: Member[], m: Member): boolean {
  return members.length > 0 && members[members.length - 1] === m;
}

/** A value's bytes: read from the dump for an object in memory, built for a computed one. */
function valueBytes(k: Kernel, v: Value): Buffer {
  const t = resolve(v.type);
  const size = t.kind === 'pointer' ? 8 : t.kind === 'function' ? 0 : t.size;
  if (v.scalar !== undefined) {
    const b = Buffer.alloc(Math.max(size, 8));
    b.writeBigUInt64LE(BigInt.asUintN(64, v.scalar));
    return b;
  }
  if (v.address === undefined || size === 0) return Buffer.alloc(0);
  if (v.bits) return k.read(v.address, Math.ceil((v.bits.offset + v.bits.size) / 8));
  return k.read(v.address, size);
}

/** `char *` (any qualifiers on the char): gdb prints no `(type)` before these, the string says it. */
function isPlainCharPointer(t: Type): boolean {
  if (t.kind !== 'pointer' || !t.target) return false;
  let c = t.target;
  for (let i = 0; i < 8 && (c.kind === 'const' || c.kind === 'volatile') && c.target; i++) c = c.target;
  return c.kind === 'int' && c.name === 'char';
}

function isCharType(t: Type): boolean {
  const r = resolve(t);
  return r.kind === 'int' && r.size === 1 && !!r.isChar && !r.isBool;
}

class Printer {
  constructor(
    private readonly k: Kernel,
    private readonly o: PrintOptions,
  ) {}

  /** A value of type `type` at buf[off...], printed at nesting `recurse` (gdb's recurse). */
  value(
    type: Type,
    buf: Buffer,
    off: number,
    bits: { offset: number; size: number } | undefined,
    recurse: number,
    addr?: bigint,
  ): string {
    const t = resolve(type);
    if (recurse > MAX_DEPTH) return '...';
    switch (t.kind) {
      case 'struct':
      case 'union':
        return this.struct(t, buf, off, recurse, addr);
      case 'array':
        return this.array(t, buf, off, recurse, addr);
      case 'pointer':
        return this.pointer(t, readInt(buf, off, 8, false));
      case 'int':
      case 'enum': {
        const raw = readInt(buf, off, t.size, false);
        let v = raw;
        if (bits) v = (raw >> BigInt(bits.offset)) & ((1n << BigInt(bits.size)) - 1n);
        const width = bits ? bits.size : t.size * 8;
        if (t.signed) v = BigInt.asIntN(width, v);
        return this.integer(t, v, width);
      }
      case 'float':
        return t.size === 4 ? String(buf.readFloatLE(off)) : t.size === 8 ? String(buf.readDoubleLE(off)) : '<float>';
      case 'function':
        return `{${declare(type, '', 0)}} ${this.address(addr ?? 0n, true)}`;
      case 'void':
        return 'void';
      default:
        return '<unknown type>';
    }
  }

  private struct(t: Type, buf: Buffer, off: number, recurse: number, addr?: bigint): string {
    const members = t.members ?? [];
    if (members.length === 0) return '{<No data fields>}';
    let s = '{';
    members.forEach((m, i) => {
      if (i > 0) s += ',';
      s += '\n' + ' '.repeat(2 + 2 * recurse);
      if (m.name) s += `${m.name} = `;
      const byte = Math.floor(m.bitOffset / 8);
      const bits = m.bitSize ? { offset: m.bitOffset % 8, size: m.bitSize } : undefined;
      s += this.value(m.type, buf, off + byte, bits, recurse + 1, addr === undefined ? undefined : addr + BigInt(byte));
    });
    return s + '\n' + ' '.repeat(2 * recurse) + '}';
  }

  private array(t: Type, buf: Buffer, off: number, recurse: number, addr?: bigint): string {
    const el = t.target!;
    const len = t.length ?? 0;
    const fmt = this.o.format;
    if (isCharType(el) && (!fmt || fmt === 's')) {
      if (len === 0) return this.address(addr ?? 0n, true) + ' ' + this.cString(addr ?? 0n);
      return quoteString(buf.subarray(off, off + len), true);
    }
    const elSize = resolve(el).kind === 'pointer' ? 8 : resolve(el).size;
    if (len === 0) return '0x' + (addr ?? 0n).toString(16);
    const parts: string[] = [];
    const n = Math.min(len, PRINT_MAX);
    for (let i = 0; i < n; i++)
      parts.push(
        this.value(
          el,
          buf,
          off + i * elSize,
          undefined,
          recurse + 1,
          addr === undefined ? undefined : addr + BigInt(i * elSize),
        ),
      );
    return `{${parts.join(', ')}${len > n ? '...' : ''}}`;
  }

  private pointer(t: Type, v: bigint): string {
    const fmt = this.o.format;
    if (fmt && fmt !== 's' && fmt !== 'a') return this.formatted(v, 8, false);
    const target = t.target ? resolve(t.target) : undefined;
    if (target?.kind === 'function') return this.address(v, true);
    let s = this.address(v, true);
    if (target && isCharType(target) && v !== 0n) s += ' ' + this.cString(v);
    return s;
  }

  /** `0xADDR <sym+off>` (the symbol when the address is in the kernel image). */
  address(v: bigint, withSymbol: boolean): string {
    const sym = withSymbol ? gdbSymbolAt(this.k, v) : undefined;
    return `0x${v.toString(16)}${sym ? ` <${sym}>` : ''}`;
  }

  /** The string a char pointer points to, at most PRINT_MAX characters, `...` after when longer. */
  private cString(addr: bigint): string {
    let bytes: Buffer;
    try {
      bytes = readUpTo(this.k, addr, PRINT_MAX + 1);
    } catch {
      return `<error: Cannot access memory at address 0x${addr.toString(16)}>`;
    }
    const nul = bytes.indexOf(0);
    if (nul >= 0 && nul <= PRINT_MAX) return quoteString(bytes.subarray(0, nul), false);
    return quoteString(bytes.subarray(0, PRINT_MAX), false) + '...';
  }

  private integer(t: Type, v: bigint, width: number): string {
    const fmt = this.o.format;
    if (fmt) {
      if (fmt === 'c') return charLiteral(BigInt.asIntN(8, v), this.o.radix);
      if (fmt === 'a') return this.address(BigInt.asUintN(64, v), true);
      return this.formatted(v, Math.ceil(width / 8), !!t.signed, width);
    }
    if (t.kind === 'enum') return enumName(t, v);
    // crash in hex (set radix 16, p -x, struct -x) prints a bool or a char as its number alone: x86 = 0xf
    if (this.o.radix === 16 && (t.isBool || isCharType(t))) return '0x' + BigInt.asUintN(width, v).toString(16);
    if (t.isBool) return v === 0n ? 'false' : v === 1n ? 'true' : String(v);
    if (isCharType(t)) return charLiteral(v, this.o.radix);
    if (this.o.radix === 16) return '0x' + BigInt.asUintN(width, v).toString(16);
    return v.toString();
  }

  /** gdb's /x /d /u /o /t /z of an integer of `size` bytes. */
  private formatted(v: bigint, size: number, signed: boolean, width = size * 8): string {
    const u = BigInt.asUintN(width, v);
    switch (this.o.format) {
      case 'x':
        return '0x' + u.toString(16);
      case 'z':
        return '0x' + u.toString(16).padStart(Math.ceil(width / 4), '0');
      case 'o':
        return u === 0n ? '0' : '0' + u.toString(8);
      case 't':
        return u.toString(2);
      case 'd':
        return BigInt.asIntN(width, v).toString();
      case 'u':
        return u.toString();
      default:
        return signed ? BigInt.asIntN(width, v).toString() : u.toString();
    }
  }
}

function readInt(buf: Buffer, off: number, size: number, signed: boolean): bigint {
  let v = 0n;
  const n = Math.min(size, 8, Math.max(0, buf.length - off));
  for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[off + i]!);
  return signed ? BigInt.asIntN(size * 8, v) : v;
}

/** Read up to `max` bytes, stopping early at a page that cannot be read (strings near the end of a page). */
function readUpTo(k: Kernel, addr: bigint, max: number): Buffer {
  try {
    return k.read(addr, max);
  } catch (err) {
    const pageEnd = Number((addr | 0xfffn) + 1n - addr);
    if (pageEnd >= max) throw err;
    const first = k.read(addr, pageEnd);
    if (first.indexOf(0) >= 0) return first;
    throw err;
  }
}

function enumName(t: Type, v: bigint): string {
  const es = t.enumerators ?? [];
  const hit = es.find((e) => e.value === v);
  if (hit) return hit.name;
  // a flag enum (every enumerator a distinct bit): gdb prints (A | B | unknown: 0x..)
  const flags = es.length > 0 && es.every((e) => e.value > 0n && (e.value & (e.value - 1n)) === 0n);
  if (flags && v > 0n) {
    const names: string[] = [];
    let rest = v;
    for (const e of es)
      if ((rest & e.value) !== 0n) {
        names.push(e.name);
        rest &= ~e.value;
      }
    if (rest !== 0n) names.push(`unknown: 0x${rest.toString(16)}`);
    return `(${names.join(' | ')})`;
  }
  return v.toString();
}

const NAMED_ESCAPES: Record<number, string> = {
  7: '\\a',
  8: '\\b',
  9: '\\t',
  10: '\\n',
  11: '\\v',
  12: '\\f',
  13: '\\r',
  27: '\\033',
};

function escapeChar(c: number, quote: string): string {
  if (c === 92) return '\\\\';
  if (String.fromCharCode(c) === quote) return '\\' + quote;
  if (c >= 32 && c < 127) return String.fromCharCode(c);
  return NAMED_ESCAPES[c] ?? '\\' + c.toString(8).padStart(3, '0');
}

/** `65 'A'`, `0 '\000'` (gdb's char value). */
function charLiteral(v: bigint, radix?: 10 | 16): string {
  const num = radix === 16 ? '0x' + BigInt.asUintN(8, v).toString(16) : v.toString();
  return `${num} '${escapeChar(Number(BigInt.asUintN(8, v)), "'")}'`;
}

/**
 * A char array or string in double quotes. For a whole array (`array` true) one trailing NUL is dropped
 * and at most PRINT_MAX characters show, `...` after the quote when there were more.
 */
export function quoteString(bytes: Buffer, array: boolean): string {
  let n = bytes.length;
  let cut = false;
  if (array && n > PRINT_MAX) {
    n = PRINT_MAX;
    cut = true;
  } else if (array && n > 0 && bytes[n - 1] === 0) n--;
  let s = '"';
  for (let i = 0; i < n; i++) {
    const wide = bytes[i]! >= 0x80 ? printableUtf8(bytes, i, n) : undefined;
    if (wide) {
      s += wide;
      i += Buffer.byteLength(wide) - 1;
    } else s += escapeChar(bytes[i]!, '"');
  }
  return s + '"' + (cut ? '...' : '');
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The printable character a valid UTF-8 sequence at bytes[i] encodes, if it is one: gdb in a UTF-8 locale (as
 * crash runs under C.UTF-8 or any xx_XX.UTF-8) prints such a character as itself inside a string, and every
 * other byte above 0x7f as an octal escape.
 */
function printableUtf8(bytes: Buffer, i: number, end: number): string | undefined {
  const b = bytes[i]!;
  const len = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
  if (!len || i + len > end) return undefined;
  let text: string;
  try {
    text = UTF8.decode(bytes.subarray(i, i + len));
  } catch {
    return undefined;
  }
  // one character, not a control, format, private-use or unassigned one
  return [...text].length === 1 && !/\p{C}/u.test(text) ? text : undefined;
}
