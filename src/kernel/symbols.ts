/**
 * Kernel symbols from the vmlinux symbol table, relocated by the KASLR offset.
 * Lookup by name (exact) and by address (nearest preceding symbol + offset, as crash's `sym` and
 * bt print them). Per-CPU symbols (section .data..percpu, link-time values from 0) and absolute
 * symbols are NOT relocated: they are offsets, not addresses.
 */

import { isAscii } from 'node:buffer';
import type { RawSymbolEntries } from '../elf/symbols.js';
import type { Arena } from '../dump/zeroed.js';

/** Columnar access to an ELF symbol table (src/elf's SymbolTable): no object per symbol. */
export interface SymbolSource {
  readonly count: number;
  name(i: number): string;
  value(i: number): bigint;
  size(i: number): bigint;
  type(i: number): number;
  bind(i: number): number;
  shndx(i: number): number;
  /** the table's bytes, when the source is an ELF64 little-endian table: the build then decodes nothing itself */
  entries?(): RawSymbolEntries | undefined;
}

export interface SectionInfo {
  name: string;
  /** SHF_EXECINSTR */
  exec: boolean;
  /** SHF_ALLOC */
  alloc: boolean;
  /** SHF_WRITE */
  write: boolean;
  /** SHT_NOBITS (.bss) */
  nobits: boolean;
}

export interface KSymbol {
  name: string;
  /** runtime address (relocated), or the per-CPU offset for per-CPU symbols */
  address: bigint;
  size: bigint;
  /** System.map-style type letter: T t D d B b R r A V W */
  kind: string;
  percpu: boolean;
  /** the loaded module the symbol belongs to (module symbols come from the dump's kallsyms) */
  module?: string;
  /** for module symbols: st_info of the kallsyms Elf64_Sym (binding and type) */
  elfInfo?: number;
}

/** Symbols outside the vmlinux image (loaded modules), consulted where the vmlinux has none. */
export interface ExtraSymbols {
  nearest(addr: bigint): { symbol: KSymbol; offset: bigint } | undefined;
  lookup(name: string): KSymbol | undefined;
}

const SHN_ABS = 0xfff1;
const SHN_XINDEX = 0xffff;
const STT_FILE = 4;
const STT_SECTION = 3;

/**
 * The table's columns: only the symbols worth a name (no file/section/undefined symbols, no .L labels),
 * the names in one string, a name hash table and (built on first use) the link-time address order. This is
 * also the form the warm-start cache stores (symbol-cache.ts).
 */
export interface SymbolColumns {
  /**
   * the names, each ended by a NUL: name i starts at nameStart[i] and runs to the next NUL. Built from a
   * vmlinux this is its .strtab as it is (names of symbols not kept and shared tails included: the linker
   * lets `foo` point into `bar_foo`), so that the cold start copies no name.
   */
  names: string;
  /** the same names as bytes (latin1), when the builder had them: the cache writes them as they are */
  nameBytes?: Uint8Array;
  nameStart: Uint32Array;
  values: BigUint64Array;
  sizes: BigUint64Array;
  /** System.map letter as a char code */
  kinds: Uint8Array;
  /** 1 when the value is a per-CPU offset */
  percpu: Uint8Array;
  /** open addressing over nameHash(): index + 1, 0 empty (a global wins over a local of the same name) */
  hash: Int32Array;
  /**
   * indexes of real kernel addresses, in link-time address order (KASLR moves them all alike); absent until
   * an address is first looked up (symbolOrder() builds it): the first answer of most commands needs none
   */
  order?: Uint32Array;
}

/**
 * A table's symbols read one at a time when asked (the warm-start cache's file, symbol-cache.ts), until a
 * question needs every column (an address lookup, completion, the count): columns() then reads them all.
 * Indexes are those of the columns.
 */
export interface SymbolRecords {
  indexOf(name: string): number | undefined;
  name(i: number): string;
  value(i: number): bigint;
  size(i: number): bigint;
  /** System.map letter as a char code */
  kind(i: number): number;
  percpu(i: number): boolean;
  columns(): SymbolColumns;
  /** the link-time address order as stored (an address lookup then reads only what it visits), if it is */
  ordered?(): OrderedSymbols | undefined;
}

/**
 * The symbols of the link-time address order, read when asked: position j's symbol and its link-time value.
 * A stored order found wrong while read throws StoredOrderError (after its note): the lookup runs again on
 * the columns.
 */
export interface OrderedSymbols {
  readonly length: number;
  link(j: number): bigint;
  index(j: number): number;
}

export class StoredOrderError extends Error {
  override name = 'StoredOrderError';
}

/** Where a table's link-time address order is kept between sessions (symbol-cache.ts). */
export interface SymbolOrderStore {
  /** a stored order (checked by the table before use), or undefined */
  load(): Uint32Array | undefined;
  save(order: Uint32Array, c: SymbolColumns): void;
  /** a stored order that did not fit the table */
  rejected(reason: string): void;
}

/** The columns' address order: the store's when it fits, else built (and stored). */
export function symbolOrder(c: SymbolColumns, store?: SymbolOrderStore): Uint32Array {
  if (c.order) return c.order;
  const got = store?.load();
  if (got) {
    const why = orderProblem(c, got);
    if (!why) return (c.order = got);
    store!.rejected(why);
  }
  c.order = addressOrder(c, 0n);
  store?.save(c.order, c);
  return c.order;
}

/** Why `order` is not the columns' address order (a stored one is never trusted blindly); undefined if it is. */
export function orderProblem(c: SymbolColumns, order: Uint32Array): string | undefined {
  const n = c.kinds.length;
  let sortable = 0;
  const v32 = new Uint32Array(c.values.buffer, c.values.byteOffset, 2 * n);
  const hi = HOST_LE ? 1 : 0;
  for (let i = 0; i < n; i++) if (isOrdered(c, i, v32[2 * i + hi]!)) sortable++;
  if (order.length !== sortable) return `${order.length} ordered of ${sortable} symbols`;
  for (let j = 0; j < order.length; j++) {
    const i = order[j]!;
    if (i >= n || !isOrdered(c, i, v32[2 * i + hi]!)) return `order entry ${j} out of range`;
  }
  // link-time addresses never decrease along the order (compared as 32-bit halves: no bigint per symbol)
  for (let j = 1; j < order.length; j++) {
    const a = 2 * order[j - 1]!;
    const b = 2 * order[j]!;
    if (v32[b + hi]! < v32[a + hi]! || (v32[b + hi] === v32[a + hi] && v32[b + 1 - hi]! < v32[a + 1 - hi]!))
      return `address order broken at ${j}`;
  }
  return undefined;
}

/** Is symbol i in the link-time address order (a kernel address: not per-CPU, not absolute)? */
function isOrdered(c: SymbolColumns, i: number, high: number): boolean {
  const k = c.kinds[i]!;
  return !c.percpu[i] && k !== 65 /* A */ && k !== 97 /* a */ && high >= 0xffff8000;
}

export class SymbolTable {
  private cols: SymbolColumns | undefined;
  /** where symbols are read from until the columns are needed */
  private readonly records: SymbolRecords | undefined;
  private sortedAddrs: BigUint64Array | undefined;
  private sortedNames: string[] | undefined;
  private nameBuf: Buffer | null | undefined;
  private extra: ExtraSymbols | undefined;
  private readonly objects = new Map<number, KSymbol>();
  /** the address order for the current offset (the link-time one unless the offset is negative), on first use */
  private orderNow: Uint32Array | undefined;
  /** where the link-time address order is kept between sessions (the warm-start cache), if anywhere */
  orderStore: SymbolOrderStore | undefined;
  private distinct: number | undefined;

  /**
   * `kaslrOffset` may be set later with relocate() (the offset is computed from link-time values
   * that this table provides through linkValue()).
   */
  constructor(
    raw: SymbolSource | SymbolColumns | SymbolRecords,
    sections: (SectionInfo | undefined)[] = [],
    public kaslrOffset = 0n,
  ) {
    if ('indexOf' in raw) this.records = raw;
    else this.cols = 'nameStart' in raw ? raw : buildColumns(raw, sections);
  }

  /** every column (read whole on first use when the table reads records) */
  private get c(): SymbolColumns {
    return (this.cols ??= this.records!.columns());
  }

  /** the address order at the current offset */
  private get order(): Uint32Array {
    return (this.orderNow ??=
      this.kaslrOffset >= 0n ? symbolOrder(this.c, this.orderStore) : addressOrder(this.c, this.kaslrOffset));
  }

  /** The table's columns (for the warm-start cache). */
  get columns(): SymbolColumns {
    return this.c;
  }

  private nameOf(i: number): string {
    if (!this.cols) return this.records!.name(i);
    const at = this.c.nameStart[i]!;
    const bytes = this.nameBuffer();
    if (bytes) return bytes.toString('latin1', at, bytes.indexOf(0, at));
    return this.c.names.slice(at, this.c.names.indexOf('\0', at));
  }

  /** the columns' name bytes as a Buffer (when they have them) */
  private nameBuffer(): Buffer | undefined {
    if (this.nameBuf === undefined) {
      const b = this.c.nameBytes;
      this.nameBuf = b ? Buffer.from(b.buffer, b.byteOffset, b.length) : null;
    }
    return this.nameBuf ?? undefined;
  }

  private indexOf(name: string): number | undefined {
    // names are NUL-ended in one string: a NUL in the name asked for would match across two of them
    if (name.includes('\0')) return undefined;
    return this.cols ? columnIndexOf(this.cols, name) : this.records!.indexOf(name);
  }

  /** runtime address of symbol i: image addresses move by the KASLR offset, offsets do not */
  private addressOf(i: number): bigint {
    const v = this.cols ? this.cols.values[i]! : this.records!.value(i);
    const percpu = this.cols ? this.cols.percpu[i] === 1 : this.records!.percpu(i);
    return !percpu && v >= 0xffffffff80000000n ? v + this.kaslrOffset : v;
  }

  /** addressOf() for the whole address order, done in 32-bit halves: no bigint per symbol. */
  private buildAddrs(): BigUint64Array {
    const order = this.order;
    const { values, percpu } = this.c;
    const addrs = new BigUint64Array(order.length);
    const out = new Uint32Array(addrs.buffer);
    const v32 = new Uint32Array(values.buffer, values.byteOffset, 2 * values.length);
    const lo = HOST_LE ? 0 : 1;
    const hi = 1 - lo;
    const off = BigInt.asUintN(64, this.kaslrOffset);
    const offLo = Number(off & 0xffffffffn);
    const offHi = Number(off >> 32n);
    for (let j = 0; j < order.length; j++) {
      const i = order[j]!;
      let vl = v32[2 * i + lo]!;
      let vh = v32[2 * i + hi]!;
      // image addresses (>= 0xffffffff80000000) move by the offset, modulo 2^64 as a bigint sum stored here would
      if (percpu[i] === 0 && vh === 0xffffffff && vl >= 0x80000000) {
        const sum = vl + offLo;
        vl = sum >>> 0;
        vh = (vh + offHi + (sum > 0xffffffff ? 1 : 0)) >>> 0;
      }
      out[2 * j + lo] = vl;
      out[2 * j + hi] = vh;
    }
    return (this.sortedAddrs = addrs);
  }

  /** how many distinct names */
  get count(): number {
    if (this.distinct === undefined) {
      let n = 0;
      for (const e of this.c.hash) if (e !== 0) n++;
      this.distinct = n;
    }
    return this.distinct;
  }

  private symbolAt(i: number): KSymbol {
    let o = this.objects.get(i);
    if (!o) {
      o = {
        name: this.nameOf(i),
        address: this.addressOf(i),
        size: this.cols ? this.cols.sizes[i]! : this.records!.size(i),
        kind: String.fromCharCode(this.cols ? this.cols.kinds[i]! : this.records!.kind(i)),
        percpu: this.cols ? this.cols.percpu[i] === 1 : this.records!.percpu(i),
      };
      this.objects.set(i, o);
    }
    return o;
  }

  /** Set the KASLR offset once it is known (before any address lookup). */
  relocate(kaslrOffset: bigint): void {
    if (kaslrOffset === this.kaslrOffset) return;
    this.kaslrOffset = kaslrOffset;
    this.objects.clear();
    this.sortedAddrs = undefined;
    // a positive offset moves every image address alike: the link-time order holds (the getter decides)
    this.orderNow = undefined;
  }

  /** The link-time value of a symbol (as in the vmlinux file), not relocated. */
  linkValue(name: string): bigint | undefined {
    const i = this.indexOf(name);
    return i === undefined ? undefined : this.cols ? this.cols.values[i] : this.records!.value(i);
  }

  lookup(name: string): KSymbol | undefined {
    const i = this.indexOf(name);
    return i === undefined ? undefined : this.symbolAt(i);
  }

  /** A symbol by name in the vmlinux, else in the loaded modules ("name" or "module:name"): for names users type. */
  lookupAny(name: string): KSymbol | undefined {
    return this.lookup(name) ?? this.extra?.lookup(name);
  }

  /** Where addresses and names beyond the vmlinux are looked up (the kernel's loaded modules). */
  setExtra(extra: ExtraSymbols | undefined): void {
    this.extra = extra;
  }

  /** Address of a symbol; throws a one-line error if unknown. */
  address(name: string): bigint {
    const i = this.indexOf(name);
    if (i === undefined) throw new Error(`symbol not found: ${name}`);
    return this.addressOf(i);
  }

  /**
   * The symbol at or before `addr` and the offset into it. Undefined below the first symbol and at
   * or beyond the end of the kernel image (_end).
   */
  nearest(addr: bigint): { symbol: KSymbol; offset: bigint } | undefined {
    try {
      return this.nearestIn(this.addressView(), addr);
    } catch (e) {
      if (!(e instanceof StoredOrderError)) throw e;
      return this.nearestIn(this.addressView(), addr); // the stored order was dropped: the columns' now
    }
  }

  private nearestIn(a: AddressView, addr: bigint): { symbol: KSymbol; offset: bigint } | undefined {
    const n = a.length;
    if (n === 0 || addr < a.at(0)) return this.extra?.nearest(addr);
    const end = this.indexOf('_end');
    const pastEnd = end !== undefined && addr >= this.addressOf(end);
    if (pastEnd && addr < 0xffffffffff000000n) return this.extra?.nearest(addr);
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (a.at(mid) <= addr) lo = mid;
      else hi = mid - 1;
    }
    // several symbols at one address: the first of the run is the preferred one
    let i = lo;
    const found = a.at(lo);
    while (i > 0 && a.at(i - 1) === found) i--;
    const symbol = this.symbolAt(a.index(i));
    // the top 16 MB (fixmap, vsyscall; -1 as a word) is named only by a symbol placed there, never by the last
    // symbol of the image (__init_scratch_end + 2 GB)
    if (pastEnd && symbol.address < 0xffffffffff000000n) return this.extra?.nearest(addr);
    return { symbol, offset: addr - symbol.address };
  }

  /** Every symbol exactly at a kernel-image address (aliases: __x64_sys_getpid, __do_sys_getpid...). */
  aliases(addr: bigint): KSymbol[] {
    void this.c; // every column: the order's runtime addresses are walked
    const n = this.nearest(addr);
    if (!n || n.offset !== 0n || !this.sortedAddrs) return n && n.offset === 0n ? [n.symbol] : [];
    const a = this.sortedAddrs;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (a[mid]! < addr) lo = mid + 1;
      else hi = mid;
    }
    const out: KSymbol[] = [];
    for (let i = lo; i < a.length && a[i] === addr; i++) out.push(this.symbolAt(this.order[i]!));
    return out.length ? out : [n.symbol];
  }

  /** "func+0x1a" (hex offset), or "func+26" with hexOffset false; the plain name at offset 0. */
  describe(addr: bigint, hexOffset = true): string | undefined {
    const n = this.nearest(addr);
    if (!n) return undefined;
    if (n.offset === 0n) return n.symbol.name;
    return `${n.symbol.name}+${hexOffset ? '0x' + n.offset.toString(16) : n.offset.toString()}`;
  }

  /** Names starting with a prefix, sorted (tab completion). */
  complete(prefix: string, limit = 50): string[] {
    if (!this.sortedNames) {
      const all: string[] = [];
      for (const e of this.c.hash) if (e !== 0) all.push(this.nameOf(e - 1));
      this.sortedNames = all.sort();
    }
    const names = this.sortedNames;
    let lo = 0;
    let hi = names.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (names[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: string[] = [];
    for (let i = lo; i < names.length && out.length < limit && names[i]!.startsWith(prefix); i++) out.push(names[i]!);
    return out;
  }

  /**
   * The address order's runtime addresses: the columns', or (a warm start that has read no column whole)
   * the stored order's, read as a lookup visits them.
   */
  private addressView(): AddressView {
    const stored = !this.cols && this.kaslrOffset >= 0n ? this.records!.ordered?.() : undefined;
    if (!stored) {
      const a = this.sortedAddrs ?? this.buildAddrs();
      const order = this.order;
      return { length: a.length, at: (j) => a[j]!, index: (j) => order[j]! };
    }
    const off = this.kaslrOffset;
    // ordered symbols are never per-CPU: image addresses move by the offset (as addressOf)
    return {
      length: stored.length,
      at: (j) => {
        const v = stored.link(j);
        return v >= 0xffffffff80000000n ? BigInt.asUintN(64, v + off) : v;
      },
      index: (j) => stored.index(j),
    };
  }

  /** How many symbols the address order holds (image addresses: no per-CPU offsets, no absolute values). */
  get orderedCount(): number {
    return this.order.length;
  }

  /** The runtime addresses of the address order, ascending (built once). */
  orderedAddresses(): BigUint64Array {
    return this.sortedAddrs ?? this.buildAddrs();
  }

  /** The j-th symbol of the address order. */
  orderedSymbol(j: number): KSymbol {
    return this.symbolAt(this.order[j]!);
  }

  /** The j-th symbol's size, without making its object. */
  orderedSize(j: number): bigint {
    return this.c.sizes[this.order[j]!]!;
  }

  /** All address-sorted symbols (for `sym -l`, text scans). */
  *inAddressOrder(): Generator<KSymbol> {
    for (const i of this.order) yield this.symbolAt(i);
  }

  /** The per-CPU symbols (offsets, not addresses), in no particular order. */
  *perCpuSymbols(): Generator<KSymbol> {
    for (const e of this.c.hash) if (e !== 0 && this.c.percpu[e - 1]) yield this.symbolAt(e - 1);
  }

  isText(addr: bigint): boolean {
    const n = this.nearest(addr);
    return !!n && (n.symbol.kind === 'T' || n.symbol.kind === 't' || n.symbol.kind === 'W');
  }
}

/** The index of the symbol named `name` (no NUL in it) in the columns' hash table. */
export function columnIndexOf(c: SymbolColumns, name: string): number | undefined {
  const { hash, nameStart } = c;
  const mask = hash.length - 1;
  const len = name.length;
  const bytes = c.nameBytes;
  if (bytes) {
    for (let slot = nameHash(name) & mask, n = 0; n <= mask; slot = (slot + 1) & mask, n++) {
      const e = hash[slot]!;
      if (e === 0) return undefined;
      const at = nameStart[e - 1]!;
      if (bytes[at + len] === 0 && bytesAre(bytes, at, name)) return e - 1;
    }
    return undefined;
  }
  const names = c.names;
  for (let slot = nameHash(name) & mask, n = 0; n <= mask; slot = (slot + 1) & mask, n++) {
    const e = hash[slot]!;
    if (e === 0) return undefined;
    const at = nameStart[e - 1]!;
    if (names.charCodeAt(at + len) === 0 && names.startsWith(name, at)) return e - 1;
  }
  return undefined;
}

/** The address order's runtime addresses and symbol indexes, by position. */
interface AddressView {
  length: number;
  at(j: number): bigint;
  index(j: number): number;
}

/** Do the bytes at `at` spell `name` (char codes as latin1 bytes)? */
function bytesAre(bytes: Uint8Array, at: number, name: string): boolean {
  for (let i = 0; i < name.length; i++) if (bytes[at + i] !== name.charCodeAt(i)) return false;
  return true;
}

const KERNEL_SPACE = 0xffff800000000000n;
const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isLocalCode(kind: number): boolean {
  return kind >= 97 && kind <= 122;
}

/**
 * Among symbols at the same address, prefer globals; among those, the first in .symtab order
 * (the caller's last tie-break), which is the name crash prints (__x64_sys_pause over its
 * __ia32_sys_pause alias).
 */
function preferOrder(ka: number, kb: number): number {
  return (isLocalCode(ka) ? 1 : 0) - (isLocalCode(kb) ? 1 : 0);
}

/** nm's letter as a char code: T/t text, D/d data, B/b bss, R/r read-only, A/a absolute, W/V weak */
function kindCode(type: number, bind: number, sec: SectionInfo | undefined, abs: boolean): number {
  let c: number;
  if (bind === 2) return type === 1 ? 86 /* V */ : 87 /* W */;
  if (abs)
    c = 97; // a
  else if (!sec)
    c = 63; // ?
  else if (sec.exec)
    c = 116; // t
  else if (sec.nobits)
    c = 98; // b
  else if (sec.write)
    c = 100; // d
  else if (sec.alloc)
    c = 114; // r
  else c = 110; // n
  return bind === 1 && c !== 63 ? c - 32 : c;
}

/** FNV-1a over a name's char codes (the symbol hash table's hash). */
export function nameHash(name: string): number {
  return hashRange(name, 0, name.length);
}

function hashRange(s: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** The columns of a raw ELF symbol table. */
function buildColumns(raw: SymbolSource, sections: (SectionInfo | undefined)[], arena?: Arena): SymbolColumns {
  const entries = raw.entries?.();
  return (entries && columnsFromEntries(entries, sections, arena)) ?? buildColumnsByName(raw, sections);
}

/**
 * The columns of a raw ELF symbol table, their arrays carved out of `arena` (zeroed memory made on the thread
 * pool: symbolArenaBytes() of it) when given.
 */
export function buildSymbolColumns(
  raw: SymbolSource,
  sections: (SectionInfo | undefined)[],
  arena?: Arena,
): SymbolColumns {
  return buildColumns(raw, sections, arena);
}

/** The bytes of zeroed memory a table of `count` ELF symbols is built in (columnsFromEntries' arrays). */
export function symbolArenaBytes(count: number): number {
  // nameStart and hashes (4 bytes each), kinds and percpu (1), values and sizes (8), the hash table
  return 8 * (Math.ceil((4 * 2 * count + 2 * count + 16 * count) / 8) + 8) + 4 * tableSize(count);
}

/** The hash table's size for m names: a power of two, at least twice m. */
function tableSize(m: number): number {
  let size = 2;
  while (size < m * 2) size *= 2;
  return size;
}

/**
 * The columns straight from the ELF table's bytes (ELF64 little-endian entries) and its string table: no
 * string, bigint or object per symbol, no decoding pass, no name copied (the names string is .strtab itself;
 * a kernel has ~115k symbols, 2.5 MB of names). One pass over the kept names hashes them. Undefined when
 * .strtab is not ASCII (the names string counts UTF-16 units, bytes would not match): the caller goes by name.
 *
 * Each loop is a function of its own and the rare cases are table lookups, not branches: these loops run
 * once per process, and V8 compiles them while they run (on-stack replacement). An operation it has not seen
 * run by then (a branch taken only later, the code after the loop) sends it back to the interpreter and
 * it compiles again: the same work cost ~1.5x more before.
 */
function columnsFromEntries(
  r: RawSymbolEntries,
  sections: (SectionInfo | undefined)[],
  arena?: Arena,
): SymbolColumns | undefined {
  const strtab = new Uint8Array(r.strtab.buffer, r.strtab.byteOffset, r.strtab.length);
  const limit = strtab.length;
  // the names string must end with a NUL (a name at the end of a table cut short ends there)
  if (limit === 0 || !isAscii(strtab)) return undefined;
  const n = r.count;
  const e: EntryViews = {
    w: new Uint32Array(r.table.buffer, r.table.byteOffset, n * 6),
    b: new Uint8Array(r.table.buffer, r.table.byteOffset, n * 24),
    h16: new Uint16Array(r.table.buffer, r.table.byteOffset, n * 12),
    xindex: r.xindex,
  };
  const nameStart = arena ? arena.u32(n) : new Uint32Array(n);
  const hashes = arena ? arena.i32(n) : new Int32Array(n);
  const kindCodes = arena ? arena.u8(n) : new Uint8Array(n);
  const allValues = arena ? arena.u64(n) : new BigUint64Array(n);
  const allSizes = arena ? arena.u64(n) : new BigUint64Array(n);
  const allPercpu = arena ? arena.u8(n) : new Uint8Array(n);
  let percpuSec = -1;
  for (let x = 0; x < sections.length; x++) if (sections[x]?.name === '.data..percpu') percpuSec = x;
  const out: ScanOut = { nameStart, hashes, kindCodes, values: allValues, sizes: allSizes, percpu: allPercpu };
  const m = scanEntries(n, e, strtab, sectionLetters(sections), percpuSec, out);
  // views, not copies: every page copied is a page fault more (costly in a VM), and the tails are never touched
  const values = allValues.subarray(0, m);
  const sizes = allSizes.subarray(0, m);
  const percpu = allPercpu.subarray(0, m);
  const kinds = kindCodes.subarray(0, m);
  const hash = nameHashTable(m, hashes, nameStart, strtab, kinds, arena ? arena.i32(tableSize(m)) : undefined);
  // a table whose last name runs to its end gets the NUL the names need
  const bytes = strtab[limit - 1] === 0 ? strtab : Buffer.concat([strtab, new Uint8Array(1)]);
  return withLazyNames({ nameBytes: bytes, nameStart: nameStart.subarray(0, m), values, sizes, kinds, percpu, hash });
}

/**
 * Columns whose names string is made from their bytes only if something asks for it: the table itself looks
 * names up and reads them as bytes (2.5 MB not decoded into a string at every cold start).
 */
export function withLazyNames(c: Omit<SymbolColumns, 'names'> & { nameBytes: Uint8Array }): SymbolColumns {
  let text: string | undefined;
  const bytes = c.nameBytes;
  return Object.defineProperty(c, 'names', {
    get: () => (text ??= Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('latin1')),
    enumerable: true,
  }) as SymbolColumns;
}

/** What scanEntries fills, per kept entry. */
interface ScanOut {
  nameStart: Uint32Array;
  hashes: Int32Array;
  kindCodes: Uint8Array;
  values: BigUint64Array;
  sizes: BigUint64Array;
  percpu: Uint8Array;
}

/** 32-bit, byte and 16-bit views of the 24-byte entries. */
interface EntryViews {
  w: Uint32Array;
  b: Uint8Array;
  h16: Uint16Array;
  xindex: Buffer | undefined;
}

/** st_shndx of entry i (SHN_XINDEX resolved). */
function shndxOf(e: EntryViews, i: number): number {
  const shndx = e.h16[i * 12 + 3]!;
  return shndx === SHN_XINDEX && e.xindex && (i + 1) * 4 <= e.xindex.length ? e.xindex.readUInt32LE(i * 4) : shndx;
}

/**
 * nm's lower-case letter by section index (0..0xffff): t/b/d/r/n by the section's flags, `a` for SHN_ABS,
 * `?` for none. kindCode() is this plus the binding.
 */
function sectionLetters(sections: (SectionInfo | undefined)[]): Uint8Array {
  const out = new Uint8Array(0x10000).fill(63 /* ? */);
  for (let x = 0; x < Math.min(sections.length, 0xff00); x++) {
    const sec = sections[x];
    if (sec) out[x] = kindCode(0, 0, sec, false);
  }
  out[SHN_ABS] = 97; // a
  return out;
}

/** The kept entries: name offset, name hash, letter, value, size, per-CPU flag; returns how many. */
function scanEntries(
  n: number,
  e: EntryViews,
  strtab: Uint8Array,
  letters: Uint8Array,
  percpuSec: number,
  out: ScanOut,
): number {
  const { w, b } = e;
  const { nameStart, hashes, kindCodes, percpu } = out;
  // 64-bit fields as 32-bit halves: no bigint
  const v32 = new Uint32Array(out.values.buffer, out.values.byteOffset, 2 * n);
  const s32 = new Uint32Array(out.sizes.buffer, out.sizes.byteOffset, 2 * n);
  const hiHalf = HOST_LE ? 1 : 0;
  const limit = strtab.length;
  // by st_info (bind << 4 | type): 0 drop (file, section), 1 as the section says, 2 upper case, else the letter
  const byInfo = new Uint8Array(256).fill(1);
  for (let info = 0; info < 256; info++) {
    const type = info & 0xf;
    const bind = info >> 4;
    if (type === STT_FILE || type === STT_SECTION) byInfo[info] = 0;
    else if (bind === 2) byInfo[info] = type === 1 ? 86 /* V */ : 87; /* W */
    else if (bind === 1) byInfo[info] = 2;
  }
  let m = 0;
  for (let i = 0; i < n; i++) {
    const how = byInfo[b[i * 24 + 4]!]!;
    const shndx = shndxOf(e, i);
    const off = w[i * 6]!;
    if (how === 0 || shndx === 0 || off >= limit) continue;
    let c = strtab[off]!;
    const second = strtab[off + 1]!;
    // no name; local compiler labels (.L) are not useful names
    if (c === 0 || (c === 46 ? 1 : 0) & (second === 76 ? 1 : 0)) continue;
    let h = 0x811c9dc5;
    for (let x = off; x < limit && (c = strtab[x]!) !== 0; x++) h = Math.imul(h ^ c, 16777619);
    const letter = shndx < 0x10000 ? letters[shndx]! : 63;
    const o = i * 6;
    v32[2 * m] = w[o + 2]!;
    v32[2 * m + 1] = w[o + 3]!;
    s32[2 * m] = w[o + 4]!;
    s32[2 * m + 1] = w[o + 5]!;
    // per-CPU symbols hold offsets from __per_cpu_start (0); linker symbols in that section
    // with image addresses (__init_begin) are ordinary addresses
    percpu[m] = (shndx === percpuSec ? 1 : 0) & (v32[2 * m + hiHalf]! < 0xffff8000 ? 1 : 0);
    nameStart[m] = off;
    hashes[m] = h;
    // 1: the section's letter; 2: upper case unless `?`; else weak (V/W) whatever the section. Every
    // comparison runs for every symbol (the globals come after all the locals in an ELF table)
    const upper = how === 2 ? 32 : 0;
    const cased = letter - (letter === 63 ? 0 : upper);
    kindCodes[m] = how > 2 ? how : cased;
    m++;
  }
  return m;
}

/** The name hash table of the kept entries (hashTable() with the names as bytes). */
function nameHashTable(
  m: number,
  hashes: Int32Array,
  nameStart: Uint32Array,
  strtab: Uint8Array,
  kinds: Uint8Array,
  /** the zeroed table to fill (tableSize(m) entries), else a new one */
  table?: Int32Array,
): Int32Array {
  const size = tableSize(m);
  const hash = table ?? new Int32Array(size);
  const mask = size - 1;
  for (let j = 0; j < m; j++) {
    let slot = (hashes[j]! >>> 0) & mask;
    for (;;) {
      const e = hash[slot]!;
      if (e === 0) {
        hash[slot] = j + 1;
        break;
      }
      // names compared only when their hashes are equal: a probe mostly meets another name
      if (hashes[e - 1] === hashes[j] && sameName(strtab, nameStart[e - 1]!, nameStart[j]!)) {
        // a global wins over a local of the same name; otherwise the first one stays
        if (isLocalCode(kinds[e - 1]!) && !isLocalCode(kinds[j]!)) hash[slot] = j + 1;
        break;
      }
      slot = (slot + 1) & mask;
    }
  }
  return hash;
}

/** Do the NUL-ended names at `x` and `y` hold the same bytes? */
function sameName(b: Uint8Array, x: number, y: number): boolean {
  if (x === y) return true;
  for (;;) {
    const c = b[x++];
    if (c !== b[y++]) return false;
    if (c === 0 || c === undefined) return true;
  }
}

/**
 * The name hash table over m symbols: index + 1 per slot, open addressing. Among symbols of one name a
 * global wins over a local; otherwise the first one stays.
 */
function hashTable(
  m: number,
  hashOf: (j: number) => number,
  same: (e: number, j: number) => boolean,
  kinds: Uint8Array,
): Int32Array {
  let size = 2;
  while (size < m * 2) size *= 2;
  const hash = new Int32Array(size);
  const mask = size - 1;
  for (let j = 0; j < m; j++) {
    let slot = (hashOf(j) >>> 0) & mask;
    for (;;) {
      const e = hash[slot]!;
      if (e === 0) {
        hash[slot] = j + 1;
        break;
      }
      if (same(e - 1, j)) {
        if (isLocalCode(kinds[e - 1]!) && !isLocalCode(kinds[j]!)) hash[slot] = j + 1;
        break;
      }
      slot = (slot + 1) & mask;
    }
  }
  return hash;
}

/** The columns through the source's accessors (a string and bigints per symbol). */
function buildColumnsByName(raw: SymbolSource, sections: (SectionInfo | undefined)[]): SymbolColumns {
  const n = raw.count;
  const keep: number[] = [];
  const nameList: string[] = [];
  const kindList: number[] = [];
  for (let i = 0; i < n; i++) {
    const type = raw.type(i);
    const shndx = raw.shndx(i);
    if (type === STT_FILE || type === STT_SECTION || shndx === 0) continue;
    const name = raw.name(i);
    // local compiler labels are not useful names; a name cannot hold the names string's separator
    if (!name || (name.charCodeAt(0) === 46 /* . */ && name.startsWith('.L')) || name.includes('\0')) continue;
    const sec = shndx < 0xff00 ? sections[shndx] : undefined;
    keep.push(i);
    nameList.push(name);
    kindList.push(kindCode(type, raw.bind(i), sec, shndx === SHN_ABS));
  }
  const m = keep.length;
  const nameStart = new Uint32Array(m);
  const values = new BigUint64Array(m);
  const sizes = new BigUint64Array(m);
  const kinds = Uint8Array.from(kindList);
  const percpu = new Uint8Array(m);
  let at = 0;
  for (let j = 0; j < m; j++) {
    const i = keep[j]!;
    nameStart[j] = at;
    at += nameList[j]!.length + 1;
    const value = raw.value(i);
    values[j] = value;
    sizes[j] = raw.size(i);
    const shndx = raw.shndx(i);
    const sec = shndx < 0xff00 ? sections[shndx] : undefined;
    // per-CPU symbols hold offsets from __per_cpu_start (0); linker symbols in that section
    // with image addresses (__init_begin) are ordinary addresses
    if (sec !== undefined && sec.name === '.data..percpu' && value < KERNEL_SPACE) percpu[j] = 1;
  }
  const names = nameList.join('\0') + '\0';
  const hash = hashTable(
    m,
    (j) => nameHash(nameList[j]!),
    (e, j) => nameList[e] === nameList[j],
    kinds,
  );
  return { names, nameStart, values, sizes, kinds, percpu, hash };
}

/** Indexes of the symbols at real kernel addresses, sorted by their address at `kaslrOffset`. */
function addressOrder(c: SymbolColumns, kaslrOffset: bigint): Uint32Array {
  const n = c.kinds.length;
  const keys = new Float64Array(n);
  const sortable: number[] = [];
  // the values as 32-bit halves: no bigint per symbol unless the offset is not 0
  const v32 = new Uint32Array(c.values.buffer, c.values.byteOffset, 2 * n);
  const lo = HOST_LE ? 0 : 1;
  for (let i = 0; i < n; i++) {
    const k = c.kinds[i]!;
    if (c.percpu[i] || k === 65 /* A */ || k === 97 /* a */) continue;
    let hi = v32[2 * i + 1 - lo]!;
    let low = v32[2 * i + lo]!;
    if (kaslrOffset !== 0n && hi >= 0xffffffff && low >= 0x80000000) {
      const a = c.values[i]! + kaslrOffset;
      hi = Number(a >> 32n);
      low = Number(a & 0xffffffffn);
    }
    if (hi < 0xffff8000) continue; // below KERNEL_SPACE
    sortable.push(i);
    // kernel addresses are < 2^47 above KERNEL_SPACE: exact as a double, so the sort needs no BigInt
    keys[i] = (hi - 0xffff8000) * 4294967296 + low;
  }
  const kinds = c.kinds;
  return (
    packedSort(sortable, keys, kinds) ??
    Uint32Array.from(sortable.sort((a, b) => keys[a]! - keys[b]! || preferOrder(kinds[a]!, kinds[b]!) || a - b))
  );
}

/**
 * The same order by the typed array's native sort: each symbol becomes one 64-bit number, (address -
 * lowest address) | local-code bit | index, so ties break as preferOrder and then by index. Undefined
 * when the addresses span too much for that to fit in 64 bits (the comparator sort is then used).
 */
function packedSort(sortable: number[], keys: Float64Array, kinds: Uint8Array): Uint32Array | undefined {
  const m = sortable.length;
  if (m === 0) return new Uint32Array(0);
  let min = Infinity;
  let max = -Infinity;
  let maxIndex = 0;
  for (const i of sortable) {
    const k = keys[i]!;
    if (k < min) min = k;
    if (k > max) max = k;
    if (i > maxIndex) maxIndex = i;
  }
  const indexBits = Math.max(1, Math.ceil(Math.log2(maxIndex + 1)));
  const shift = indexBits + 1; // + the local-code bit
  const rangeBits = Math.ceil(Math.log2(max - min + 1));
  if (shift > 31 || rangeBits + shift > 64) return undefined;
  const packed = new BigUint64Array(m);
  const halves = new Uint32Array(packed.buffer);
  const loHalf = HOST_LE ? 0 : 1;
  const lowRoom = 2 ** (32 - shift); // how much of the address fits beside the tie-breakers in the low half
  for (let j = 0; j < m; j++) {
    const i = sortable[j]!;
    const rel = keys[i]! - min;
    const relLow = rel % lowRoom;
    halves[2 * j + loHalf] = ((relLow * 2 ** shift) >>> 0) + (isLocalCode(kinds[i]!) ? 2 ** indexBits : 0) + i;
    halves[2 * j + 1 - loHalf] = Math.floor(rel / lowRoom);
  }
  packed.sort();
  const out = new Uint32Array(m);
  const indexMask = 2 ** indexBits - 1;
  for (let j = 0; j < m; j++) out[j] = halves[2 * j + loHalf]! & indexMask;
  return out;
}
