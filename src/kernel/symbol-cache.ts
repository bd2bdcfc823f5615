/**
 * The symbol table's columns (symbols.ts) as one warm-start cache part: a small header, then the typed
 * arrays, each padded to 8 bytes, then the names (ASCII, each ended by a NUL). Reading checks every length
 * and index: a file that does not add up is refused (undefined) and the table is rebuilt from .symtab.
 */
import { isAscii } from 'node:buffer';
import type { VmlinuxCache } from '../cache/vmlinux-cache.js';
import { symbolOrder, SymbolTable, type SymbolColumns } from './symbols.js';

export const SYMBOL_PART = 'symbols';
// 2: names NUL-ended (a vmlinux's .strtab as it is), one start per symbol
export const SYMBOL_PART_VERSION = 2;
const HEADER = 16;
const pad8 = (n: number) => (n + 7) & ~7;

/** The columns as byte chunks; undefined when a name is not ASCII (the cache stores names as bytes). */
export function serializeSymbols(c: SymbolColumns): Uint8Array[] | undefined {
  // the builder's own bytes were checked ASCII when it made the names from them
  const names = c.nameBytes ?? Buffer.from(c.names, 'latin1');
  if (!c.nameBytes && !isAscii(names)) return undefined;
  const order = symbolOrder(c);
  const head = Buffer.alloc(HEADER);
  head.writeUInt32LE(c.kinds.length, 0);
  head.writeUInt32LE(c.hash.length, 4);
  head.writeUInt32LE(order.length, 8);
  head.writeUInt32LE(names.length, 12);
  const out: Uint8Array[] = [head];
  for (const a of [c.values, c.sizes, c.nameStart, c.hash, order, c.kinds, c.percpu, names]) {
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    out.push(bytes);
    if (pad8(bytes.length) > bytes.length) out.push(new Uint8Array(pad8(bytes.length) - bytes.length));
  }
  return out;
}

/** Columns over a cached payload (8-byte aligned), or a reason it is not one. */
export function deserializeSymbols(buf: Buffer): SymbolColumns | string {
  if (buf.length < HEADER) return 'too short';
  if (buf.byteOffset % 8 !== 0) return 'misaligned';
  const n = buf.readUInt32LE(0);
  const hashLen = buf.readUInt32LE(4);
  const orderLen = buf.readUInt32LE(8);
  const namesLen = buf.readUInt32LE(12);
  if (hashLen < 2 || (hashLen & (hashLen - 1)) !== 0 || hashLen < n) return `bad hash table size ${hashLen}`;
  if (orderLen > n) return `${orderLen} ordered of ${n} symbols`;
  let p = HEADER;
  const take = (bytes: number): { at: number } | undefined => {
    if (p + bytes > buf.length) return undefined;
    const at = buf.byteOffset + p;
    p += pad8(bytes);
    return { at };
  };
  const vals = take(n * 8);
  const sizes = take(n * 8);
  const starts = take(n * 4);
  const hash = take(hashLen * 4);
  const order = take(orderLen * 4);
  const kinds = take(n);
  const percpu = take(n);
  const names = take(namesLen);
  if (!vals || !sizes || !starts || !hash || !order || !kinds || !percpu || !names) return 'cut short';
  if (p !== pad8(buf.length)) return `${buf.length - p} bytes too many`;
  const ab = buf.buffer;
  const c: SymbolColumns = {
    values: new BigUint64Array(ab, vals.at, n),
    sizes: new BigUint64Array(ab, sizes.at, n),
    nameStart: new Uint32Array(ab, starts.at, n),
    hash: new Int32Array(ab, hash.at, hashLen),
    order: new Uint32Array(ab, order.at, orderLen),
    kinds: new Uint8Array(ab, kinds.at, n),
    percpu: new Uint8Array(ab, percpu.at, n),
    names: buf.toString('latin1', names.at - buf.byteOffset, names.at - buf.byteOffset + namesLen),
  };
  // every index in range, names in order: a bad file gives no answer rather than a wrong one
  const s = c.nameStart;
  if (namesLen === 0 || buf[names.at - buf.byteOffset + namesLen - 1] !== 0) return 'the names do not end with a NUL';
  for (let i = 0; i < n; i++) if (s[i]! >= namesLen) return `name offset ${i} out of range`;
  for (let i = 0; i < hashLen; i++) if (c.hash[i]! < 0 || c.hash[i]! > n) return `hash entry ${i} out of range`;
  for (let i = 0; i < orderLen; i++) if (c.order![i]! >= n) return `order entry ${i} out of range`;
  for (let i = 0; i < n; i++) if (c.percpu[i]! > 1) return `per-CPU flag ${i} is not 0 or 1`;
  // link-time addresses never decrease along the order (compared as 32-bit halves: no bigint per symbol)
  const v32 = new Uint32Array(ab, vals.at, 2 * n);
  const o = c.order!;
  for (let j = 1; j < orderLen; j++) {
    const a = 2 * o[j - 1]!;
    const b = 2 * o[j]!;
    if (v32[b + 1]! < v32[a + 1]! || (v32[b + 1] === v32[a + 1] && v32[b]! < v32[a]!))
      return `address order broken at ${j}`;
  }
  return c;
}

/** The symbol table from the cache, else built (and cached). */
export function cachedSymbolTable(cache: VmlinuxCache, build: () => SymbolTable): SymbolTable {
  const buf = cache.load(SYMBOL_PART, SYMBOL_PART_VERSION);
  if (buf) {
    const c = deserializeSymbols(buf);
    if (typeof c !== 'string') return new SymbolTable(c);
    cache.corrupt(SYMBOL_PART, c);
  }
  const table = build();
  const chunks = serializeSymbols(table.columns);
  if (chunks) cache.save(SYMBOL_PART, SYMBOL_PART_VERSION, chunks);
  return table;
}
