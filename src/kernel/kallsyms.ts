/**
 * The kernel's own symbol table, decoded from the kallsyms tables in the dump's memory: what a vmcore
 * alone offers in place of a vmlinux's .symtab. Since Linux 6.0 VMCOREINFO names where the tables are
 * (SYMBOL(kallsyms_names) ...), on kernels built with CONFIG_KALLSYMS (and KALLSYMS_ALL for data symbols).
 *
 * The tables, as scripts/kallsyms.c writes them and kernel/kallsyms.c reads them:
 * - kallsyms_num_syms: u32, the number of symbols.
 * - kallsyms_names: per symbol, in address order, a length then that many token numbers. The length is
 *   one byte, or two when its top bit is set (low 7 bits first; 6.1+, for long Rust names). Each token
 *   number indexes kallsyms_token_index (u16 offsets into kallsyms_token_table, NUL-terminated strings).
 *   The expanded name's first character is the symbol's nm type letter (T t D d B b R r A V W ...).
 * - kallsyms_offsets: s32 per symbol, the address in one of three encodings:
 *   - kallsyms_relative_base present and CONFIG_KALLSYMS_ABSOLUTE_PERCPU (x86_64 SMP up to 6.14): a value
 *     >= 0 is the absolute address (the per-CPU offsets near 0), a negative one is base - 1 - value;
 *   - kallsyms_relative_base present, no absolute per-CPU (6.15 to 6.19): base + (u32)value;
 *   - no kallsyms_relative_base (7.0+): place-relative, the entry's own address + value.
 *   Which of the first two applies is decided by which one puts _stext where VMCOREINFO says it is.
 * kallsyms_markers and kallsyms_seqs_of_names (6.2+) only speed up the kernel's own lookups; a full decode
 * needs neither. kallsyms holds no sizes: a symbol's size is the distance to the next higher address.
 */
import type { VmcoreInfo } from './vmcoreinfo.js';

/** The VMCOREINFO SYMBOL() entries a decode needs (kallsyms_relative_base only before 7.0). */
export const KALLSYMS_EXPORTS = [
  'kallsyms_num_syms',
  'kallsyms_names',
  'kallsyms_token_table',
  'kallsyms_token_index',
  'kallsyms_offsets',
] as const;

export interface KallsymsLocation {
  numSyms: bigint;
  names: bigint;
  tokenTable: bigint;
  tokenIndex: bigint;
  offsets: bigint;
  relativeBase?: bigint;
}

/** Where VMCOREINFO says the tables are, or the list of entries it lacks. */
export function kallsymsLocation(info: VmcoreInfo): KallsymsLocation | { missing: string[] } {
  const missing = KALLSYMS_EXPORTS.filter((n) => info.symbol(n) === undefined);
  if (missing.length) return { missing };
  return {
    numSyms: info.symbol('kallsyms_num_syms')!,
    names: info.symbol('kallsyms_names')!,
    tokenTable: info.symbol('kallsyms_token_table')!,
    tokenIndex: info.symbol('kallsyms_token_index')!,
    offsets: info.symbol('kallsyms_offsets')!,
    relativeBase: info.symbol('kallsyms_relative_base'),
  };
}

/** Reads kernel-image memory at a runtime address (throws a one-line error when it cannot). */
export type ImageReader = (addr: bigint, length: number) => Buffer;

/** The decoded table: parallel arrays in kallsyms order (ascending address). */
export interface Kallsyms {
  readonly count: number;
  readonly names: string[];
  /** the nm type letter of each symbol, as a char code */
  readonly types: Uint8Array;
  readonly addresses: BigUint64Array;
  /** which address encoding the kernel uses (for messages and tests) */
  readonly encoding: 'absolute-percpu' | 'relative-base' | 'place-relative';
}

/** Above any real symbol count (Debian's 7.x kernel has ~250,000 with KALLSYMS_ALL). */
const MAX_SYMS = 4_000_000;
/** Longest compressed name (KSYM_NAME_LEN is 512 since 6.1; the two-byte length allows 2^14). */
const MAX_NAME_TOKENS = 0x3fff;
/** Reading kallsyms_names in slices of this size: one read per slice, not per symbol. */
const CHUNK = 1 << 16;

export class KallsymsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KallsymsError';
  }
}

/** Decode every symbol. `stext` (VMCOREINFO's SYMBOL(_stext)) decides between the two relative-base encodings. */
export function readKallsyms(read: ImageReader, loc: KallsymsLocation, stext: bigint | undefined): Kallsyms {
  const count = read(loc.numSyms, 4).readUInt32LE(0);
  if (count === 0 || count > MAX_SYMS) throw new KallsymsError(`kallsyms_num_syms is ${count}: not a symbol count`);

  const index = read(loc.tokenIndex, 512);
  const tokenOffsets: number[] = [];
  let maxOffset = 0;
  for (let t = 0; t < 256; t++) {
    const o = index.readUInt16LE(t * 2);
    tokenOffsets.push(o);
    if (o > maxOffset) maxOffset = o;
  }
  // the last token starts at the highest offset; no token is longer than a symbol name
  const table = read(loc.tokenTable, maxOffset + 512);
  const tokens: string[] = tokenOffsets.map((o) => {
    const end = table.indexOf(0, o);
    if (end < 0) throw new KallsymsError(`kallsyms_token_table: token at offset ${o} has no end`);
    return table.toString('latin1', o, end);
  });

  // names are assembled as bytes (tokens are ASCII) and turned into strings once each
  const tokenBytes = tokens.map((t) => Buffer.from(t, 'latin1'));
  const scratch = Buffer.allocUnsafe(MAX_NAME_TOKENS * 16);
  const names = new Array<string>(count);
  const types = new Uint8Array(count);
  let chunkStart = loc.names;
  let chunk = read(chunkStart, CHUNK);
  let pos = 0;
  const ensure = (n: number): void => {
    if (pos + n <= chunk.length) return;
    chunkStart += BigInt(pos);
    chunk = read(chunkStart, Math.max(CHUNK, n));
    pos = 0;
  };
  for (let i = 0; i < count; i++) {
    ensure(2);
    let len = chunk[pos++]!;
    if (len & 0x80) len = (len & 0x7f) | (chunk[pos++]! << 7);
    if (len === 0 || len > MAX_NAME_TOKENS)
      throw new KallsymsError(`kallsyms_names: symbol ${i} has length ${len}: the table is damaged`);
    ensure(len);
    let n = 0;
    for (let j = 0; j < len; j++) {
      const tb = tokenBytes[chunk[pos + j]!]!;
      for (let b = 0; b < tb.length; b++) scratch[n++] = tb[b]!;
    }
    pos += len;
    types[i] = scratch[0]!;
    names[i] = scratch.toString('latin1', 1, n);
  }

  const raw = read(loc.offsets, count * 4);
  // a BigUint64Array stores each value modulo 2^64
  const addresses = new BigUint64Array(count);
  let encoding: Kallsyms['encoding'];
  if (loc.relativeBase === undefined) {
    encoding = 'place-relative';
    for (let i = 0; i < count; i++) addresses[i] = loc.offsets + BigInt(i * 4 + raw.readInt32LE(i * 4));
  } else {
    const base = read(loc.relativeBase, 8).readBigUInt64LE(0);
    const absolutePercpu = (v: number): bigint => (v >= 0 ? BigInt(v) : base - 1n - BigInt(v));
    const relative = (i: number): bigint => base + BigInt(raw.readUInt32LE(i * 4));
    const at = names.indexOf('_stext');
    // up to 6.14 x86_64 SMP kernels store per-CPU symbols as absolute values; _stext tells which
    encoding =
      at >= 0 && stext !== undefined && relative(at) === stext
        ? 'relative-base'
        : at >= 0 && stext !== undefined && absolutePercpu(raw.readInt32LE(at * 4)) === stext
          ? 'absolute-percpu'
          : raw.readInt32LE(0) >= 0 && raw.readInt32LE((count - 1) * 4) < 0
            ? 'absolute-percpu'
            : 'relative-base';
    for (let i = 0; i < count; i++)
      addresses[i] = encoding === 'relative-base' ? relative(i) : absolutePercpu(raw.readInt32LE(i * 4));
  }
  return { count, names, types, addresses, encoding };
}
