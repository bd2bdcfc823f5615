/**
 * The symbol table's columns (symbols.ts) as one warm-start cache part: a small header, then the typed
 * arrays, each padded to 8 bytes, then the names (ASCII, each ended by a NUL). Reading checks every length
 * and index: a file that does not add up is refused (undefined) and the table is rebuilt from .symtab.
 * The address order is a part of its own, written by the first session that looks an address up (`sys`
 * and `p` never do: a cold start does not sort 100k symbols for them).
 */
import { isAscii } from 'node:buffer';
import type { VmlinuxCache } from '../cache/vmlinux-cache.js';
import { SymbolTable, type SymbolColumns, type SymbolOrderStore } from './symbols.js';

export const SYMBOL_PART = 'symbols';
// 3: names NUL-ended (a vmlinux's .strtab as it is), one start per symbol, the order in its own part
export const SYMBOL_PART_VERSION = 3;
export const ORDER_PART = 'symbol-order';
export const ORDER_PART_VERSION = 1;
const HEADER = 16;
const pad8 = (n: number) => (n + 7) & ~7;

/** The columns as byte chunks; undefined when a name is not ASCII (the cache stores names as bytes). */
export function serializeSymbols(c: SymbolColumns): Uint8Array[] | undefined {
  // the builder's own bytes were checked ASCII when it made the names from them
  const names = c.nameBytes ?? Buffer.from(c.names, 'latin1');
  if (!c.nameBytes && !isAscii(names)) return undefined;
  const head = Buffer.alloc(HEADER);
  head.writeUInt32LE(c.kinds.length, 0);
  head.writeUInt32LE(c.hash.length, 4);
  head.writeUInt32LE(names.length, 12);
  const out: Uint8Array[] = [head];
  for (const a of [c.values, c.sizes, c.nameStart, c.hash, c.kinds, c.percpu, names]) {
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
  const namesLen = buf.readUInt32LE(12);
  if (hashLen < 2 || (hashLen & (hashLen - 1)) !== 0 || hashLen < n) return `bad hash table size ${hashLen}`;
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
  const kinds = take(n);
  const percpu = take(n);
  const names = take(namesLen);
  if (!vals || !sizes || !starts || !hash || !kinds || !percpu || !names) return 'cut short';
  if (p !== pad8(buf.length)) return `${buf.length - p} bytes too many`;
  const ab = buf.buffer;
  const c: SymbolColumns = {
    values: new BigUint64Array(ab, vals.at, n),
    sizes: new BigUint64Array(ab, sizes.at, n),
    nameStart: new Uint32Array(ab, starts.at, n),
    hash: new Int32Array(ab, hash.at, hashLen),
    kinds: new Uint8Array(ab, kinds.at, n),
    percpu: new Uint8Array(ab, percpu.at, n),
    names: buf.toString('latin1', names.at - buf.byteOffset, names.at - buf.byteOffset + namesLen),
  };
  // every index in range, every name ended: a bad file gives no answer rather than a wrong one
  const s = c.nameStart;
  if (namesLen === 0 || buf[names.at - buf.byteOffset + namesLen - 1] !== 0) return 'the names do not end with a NUL';
  for (let i = 0; i < n; i++) if (s[i]! >= namesLen) return `name offset ${i} out of range`;
  for (let i = 0; i < hashLen; i++) if (c.hash[i]! < 0 || c.hash[i]! > n) return `hash entry ${i} out of range`;
  for (let i = 0; i < n; i++) if (c.percpu[i]! > 1) return `per-CPU flag ${i} is not 0 or 1`;
  return c;
}

/** The address order part of `cache` (symbols.ts checks a stored order against the table before use). */
function orderStore(cache: VmlinuxCache): SymbolOrderStore {
  return {
    load() {
      const buf = cache.load(ORDER_PART, ORDER_PART_VERSION);
      if (!buf) return undefined;
      if (buf.length % 4 !== 0) {
        cache.corrupt(ORDER_PART, `${buf.length} bytes is not a whole number of entries`);
        return undefined;
      }
      return new Uint32Array(buf.buffer, buf.byteOffset, buf.length / 4);
    },
    save(order) {
      cache.save(ORDER_PART, ORDER_PART_VERSION, [new Uint8Array(order.buffer, order.byteOffset, order.byteLength)]);
    },
    rejected(reason) {
      cache.corrupt(ORDER_PART, reason);
    },
  };
}

/** The symbol table from the cache, else built (and cached); its address order is cached when first built. */
export function cachedSymbolTable(cache: VmlinuxCache, build: () => SymbolTable): SymbolTable {
  const buf = cache.load(SYMBOL_PART, SYMBOL_PART_VERSION);
  let table: SymbolTable | undefined;
  if (buf) {
    const c = deserializeSymbols(buf);
    if (typeof c !== 'string') table = new SymbolTable(c);
    else cache.corrupt(SYMBOL_PART, c);
  }
  if (!table) {
    table = build();
    const chunks = serializeSymbols(table.columns);
    if (chunks) cache.save(SYMBOL_PART, SYMBOL_PART_VERSION, chunks);
  }
  table.orderStore = orderStore(cache);
  return table;
}
