/**
 * The symbol table's columns (symbols.ts) as one warm-start cache part: a small header, then the typed
 * arrays, each padded to 8 bytes, then the names (ASCII, each ended by a NUL). The part is read at offsets
 * (a PagedPart): a name looked up reads its hash slots, its name and its entries (a few pages of 4 KiB), and
 * the whole file is read only when a question needs every column (an address lookup: `sym`, `bt`, `kmem` of
 * an address). Every read is checked, and every index: a file that does not add up is refused with one note
 * and the table is rebuilt from .symtab, also when that is found in the middle of a session.
 * The address order is a part of its own, written by the first session that looks an address up (`sys`
 * and `p` never do: a cold start does not sort 100k symbols for them).
 */
import { isAscii } from 'node:buffer';
import { CacheCorrupt, PAGE, type PagedPart, type VmlinuxCache } from '../cache/vmlinux-cache.js';
import {
  columnIndexOf,
  nameHash,
  SymbolTable,
  StoredOrderError,
  type OrderedSymbols,
  type SymbolColumns,
  type SymbolOrderStore,
  type SymbolRecords,
} from './symbols.js';

export const SYMBOL_PART = 'symbols';
// 3: names NUL-ended (a vmlinux's .strtab as it is), one start per symbol, the order in its own part
// 4: read at offsets (a CRC per page)
export const SYMBOL_PART_VERSION = 4;
export const ORDER_PART = 'symbol-order';
// 2: read at offsets, each position's link-time value beside its index (a lookup reads what it visits)
export const ORDER_PART_VERSION = 2;
const HEADER = 16;
/** n rounded up to a multiple of 8 (not with 32-bit operators: a bad header's sizes may be up to 2^35) */
const pad8 = (n: number) => n + ((8 - (n % 8)) % 8);

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

/** The address order part: m, then the indexes (u32), then their link-time values (u64), each padded to 8. */
function serializeOrder(order: Uint32Array, c: SymbolColumns): Uint8Array[] {
  const head = Buffer.alloc(8);
  head.writeUInt32LE(order.length, 0);
  const links = new BigUint64Array(order.length);
  for (let j = 0; j < order.length; j++) links[j] = c.values[order[j]!]!;
  const idx = new Uint8Array(order.buffer, order.byteOffset, order.byteLength);
  const pad = new Uint8Array(pad8(idx.length) - idx.length);
  return [head, idx, pad, new Uint8Array(links.buffer)];
}

/** Where an order part's two arrays start, or why its length does not add up. */
function orderLayout(part: PagedPart): { m: number; links: number } | string {
  if (part.length < 8) return 'too short';
  const m = part.u32(0);
  const links = 8 + pad8(4 * m);
  return links + 8 * m === part.length ? { m, links } : `${part.length} bytes for ${m} entries`;
}

/** The address order part of `cache` (symbols.ts checks a stored order against the table before use). */
function orderStore(cache: VmlinuxCache): SymbolOrderStore & { dropped: boolean } {
  return {
    /** found wrong while read at offsets (noted then): not read again, rebuilt */
    dropped: false,
    load() {
      if (this.dropped) return undefined;
      const part = cache.openPaged(ORDER_PART, ORDER_PART_VERSION);
      if (!part) return undefined;
      try {
        const at = orderLayout(part);
        if (typeof at === 'string') return part.fail(at);
        const whole = part.whole();
        part.close();
        return new Uint32Array(whole.buffer, whole.byteOffset + 8, at.m);
      } catch (e) {
        if (e instanceof CacheCorrupt) return undefined;
        throw e;
      }
    },
    save(order, c) {
      cache.savePaged(ORDER_PART, ORDER_PART_VERSION, serializeOrder(order, c));
    },
    rejected(reason) {
      cache.corrupt(ORDER_PART, reason);
    },
  };
}

/** Where each column of a serialized table starts in its payload. */
interface Layout {
  n: number;
  hashLen: number;
  namesLen: number;
  values: number;
  sizes: number;
  starts: number;
  hash: number;
  kinds: number;
  percpu: number;
  names: number;
}

/** The layout a payload's header gives, or why it does not add up to `length` bytes. */
function layoutOf(n: number, hashLen: number, namesLen: number, length: number): Layout | string {
  if (hashLen < 2 || (hashLen & (hashLen - 1)) !== 0 || hashLen < n) return `bad hash table size ${hashLen}`;
  const values = HEADER;
  const sizes = values + pad8(8 * n);
  const starts = sizes + pad8(8 * n);
  const hash = starts + pad8(4 * n);
  const kinds = hash + pad8(4 * hashLen);
  const percpu = kinds + pad8(n);
  const names = percpu + pad8(n);
  const end = names + pad8(namesLen);
  if (namesLen === 0) return 'no names';
  if (end !== length) return end > length ? 'cut short' : `${length - end} bytes too many`;
  return { n, hashLen, namesLen, values, sizes, starts, hash, kinds, percpu, names };
}

/**
 * The symbols of a cached part, each read when asked. A page that fails its check, or an entry out of range,
 * is one note (the part's) and the table built again: from then on every answer comes from it.
 */
class CachedSymbols implements SymbolRecords {
  private rebuilt: SymbolColumns | undefined;
  /** the stored address order, read at offsets (null: none usable) */
  private order: OrderedSymbols | null | undefined;

  private constructor(
    private readonly part: PagedPart,
    private readonly at: Layout,
    private readonly rebuild: () => SymbolColumns,
    private readonly orders?: { dropped: boolean },
    private readonly cache?: VmlinuxCache,
  ) {}

  /** The records of an opened part, or undefined (the part noted why). */
  static open(
    part: PagedPart,
    rebuild: () => SymbolColumns,
    orders?: { dropped: boolean },
    cache?: VmlinuxCache,
  ): CachedSymbols | undefined {
    try {
      if (part.length < HEADER) part.fail('too short');
      const at = layoutOf(part.u32(0), part.u32(4), part.u32(12), part.length);
      if (typeof at === 'string') part.fail(at);
      // the names end with a NUL: a name is read up to the next one
      if (part.u8(at.names + at.namesLen - 1) !== 0) part.fail('the names do not end with a NUL');
      return new CachedSymbols(part, at, rebuild, orders, cache);
    } catch (e) {
      if (e instanceof CacheCorrupt) return undefined;
      throw e;
    }
  }

  /** Answer from the file, else (it was found corrupt) from the table built again. */
  private read<T>(fromFile: () => T, fromColumns: (c: SymbolColumns) => T): T {
    if (!this.rebuilt) {
      try {
        return fromFile();
      } catch (e) {
        if (!(e instanceof CacheCorrupt)) throw e;
        this.rebuilt = this.rebuild();
      }
    }
    return fromColumns(this.rebuilt);
  }

  private entry(i: number): number {
    if (!(i >= 0 && i < this.at.n)) this.part.fail(`symbol ${i} of ${this.at.n}`);
    return i;
  }

  indexOf(name: string): number | undefined {
    return this.read(
      () => {
        const { part, at } = this;
        const mask = at.hashLen - 1;
        const len = name.length;
        for (let slot = nameHash(name) & mask, k = 0; k <= mask; slot = (slot + 1) & mask, k++) {
          const e = part.i32(at.hash + 4 * slot);
          if (e === 0) return undefined;
          if (e < 0 || e > at.n) part.fail(`hash entry ${slot} out of range`);
          const start = this.nameStart(e - 1);
          if (start + len >= at.namesLen) continue;
          const b = part.bytes(at.names + start, len + 1);
          let same = b[len] === 0;
          for (let x = 0; same && x < len; x++) same = b[x] === name.charCodeAt(x);
          if (same) return e - 1;
        }
        return undefined;
      },
      (c) => columnIndexOf(c, name),
    );
  }

  private nameStart(i: number): number {
    const start = this.part.u32(this.at.starts + 4 * i);
    if (start >= this.at.namesLen) this.part.fail(`name offset ${i} out of range`);
    return start;
  }

  name(i: number): string {
    return this.read(
      () => {
        const { part, at } = this;
        const from = at.names + this.nameStart(this.entry(i));
        // to the next NUL (the names end with one), a page at a time
        for (let p = from; p < at.names + at.namesLen; ) {
          const page = part.page(p);
          const off = p % PAGE;
          const stop = page.indexOf(0, off);
          if (stop >= 0) return part.bytes(from, p - off + stop - from).toString('latin1');
          p += page.length - off;
        }
        return part.fail(`name ${i} is not ended`);
      },
      (c) => c.names.slice(c.nameStart[i]!, c.names.indexOf('\0', c.nameStart[i]!)),
    );
  }

  value(i: number): bigint {
    return this.read(
      () => this.part.u64(this.at.values + 8 * this.entry(i)),
      (c) => c.values[i]!,
    );
  }

  size(i: number): bigint {
    return this.read(
      () => this.part.u64(this.at.sizes + 8 * this.entry(i)),
      (c) => c.sizes[i]!,
    );
  }

  kind(i: number): number {
    return this.read(
      () => this.part.u8(this.at.kinds + this.entry(i)),
      (c) => c.kinds[i]!,
    );
  }

  percpu(i: number): boolean {
    return this.read(
      () => {
        const f = this.part.u8(this.at.percpu + this.entry(i));
        if (f > 1) this.part.fail(`per-CPU flag ${i} is not 0 or 1`);
        return f === 1;
      },
      (c) => c.percpu[i] === 1,
    );
  }

  /**
   * The stored address order, read at offsets: each position visited is checked (its index in range, a kernel
   * address, the symbol's own value); one that is not drops it, and the columns build it again.
   */
  ordered(): OrderedSymbols | undefined {
    if (this.order === undefined) this.order = (this.cache && this.openOrder(this.cache)) ?? null;
    return this.rebuilt ? undefined : (this.order ?? undefined);
  }

  private openOrder(cache: VmlinuxCache): OrderedSymbols | undefined {
    const part = cache.openPaged(ORDER_PART, ORDER_PART_VERSION);
    const lay = part && orderLayout(part);
    if (!part || typeof lay !== 'object') {
      if (part) part.reject(lay as string);
      // absent, or refused with its note: the columns build it (and store it) without reading it again
      if (this.orders) this.orders.dropped = true;
      return undefined;
    }
    const { m, links } = lay;
    // position j, checked: its index in range, its value that symbol's (a kernel address, not per-CPU)
    const entry = (j: number): { i: number; v: bigint } => {
      try {
        if (!(j >= 0 && j < m)) return part.fail(`position ${j} of ${m}`);
        const i = part.u32(8 + 4 * j);
        const v = part.u64(links + 8 * j);
        const absolute = i < this.at.n && (this.kind(i) === 65 || this.kind(i) === 97);
        if (i >= this.at.n || v < 0xffff800000000000n || this.value(i) !== v || this.percpu(i) || absolute)
          return part.fail(`position ${j} does not name symbol ${i}'s value`);
        return { i, v };
      } catch (e) {
        if (!(e instanceof CacheCorrupt)) throw e;
        // one note (the part's); the lookup runs again on the columns, which build the order (and store it)
        this.order = null;
        if (this.orders) this.orders.dropped = true;
        throw new StoredOrderError(e.message);
      }
    };
    return { length: m, link: (j) => entry(j).v, index: (j) => entry(j).i };
  }

  columns(): SymbolColumns {
    return this.read(
      () => {
        const c = deserializeSymbols(this.part.whole());
        if (typeof c === 'string') this.part.fail(c);
        this.part.close();
        return c;
      },
      (c) => c,
    );
  }
}

/** The symbol table from the cache, else built (and cached); its address order is cached when first built. */
export function cachedSymbolTable(cache: VmlinuxCache, build: () => SymbolTable): SymbolTable {
  const rebuild = (): SymbolColumns => {
    const t = build();
    save(cache, t);
    return t.columns;
  };
  const orders = orderStore(cache);
  const part = cache.openPaged(SYMBOL_PART, SYMBOL_PART_VERSION);
  const records = part && CachedSymbols.open(part, rebuild, orders, cache);
  let table: SymbolTable;
  if (records) table = new SymbolTable(records);
  else {
    table = build();
    save(cache, table);
  }
  table.orderStore = orders;
  return table;
}

function save(cache: VmlinuxCache, table: SymbolTable): void {
  const chunks = serializeSymbols(table.columns);
  if (chunks) cache.savePaged(SYMBOL_PART, SYMBOL_PART_VERSION, chunks);
}
