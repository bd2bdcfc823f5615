/**
 * Kernel symbols from the vmlinux symbol table, relocated by the KASLR offset.
 * Lookup by name (exact) and by address (nearest preceding symbol + offset, as crash's `sym` and
 * bt print them). Per-CPU symbols (section .data..percpu, link-time values from 0) and absolute
 * symbols are NOT relocated: they are offsets, not addresses.
 */

/** Columnar access to an ELF symbol table (src/elf's SymbolTable): no object per symbol. */
export interface SymbolSource {
  readonly count: number;
  name(i: number): string;
  value(i: number): bigint;
  size(i: number): bigint;
  type(i: number): number;
  bind(i: number): number;
  shndx(i: number): number;
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
const STT_FILE = 4;
const STT_SECTION = 3;

export class SymbolTable {
  /** name -> index into raw (a global wins over a local of the same name) */
  private readonly byName = new Map<string, number>();
  /** per raw symbol: System.map letter as a char code, 0 when the symbol is skipped */
  private readonly kinds: Uint8Array;
  /** per raw symbol: 1 when its value is a per-CPU offset */
  private readonly percpu: Uint8Array;
  /** address-sorted indexes of real kernel addresses, built on the first by-address lookup */
  private order: Uint32Array | undefined;
  private sortedAddrs: BigUint64Array | undefined;
  private sortedNames: string[] | undefined;
  private extra: ExtraSymbols | undefined;
  private readonly objects = new Map<number, KSymbol>();
  private readonly sizes: BigUint64Array;

  /** names decoded once, by raw index */
  private readonly names: string[];
  private readonly values: BigUint64Array;

  /**
   * `kaslrOffset` may be set later with relocate() (the offset is computed from link-time values
   * that this table provides through linkValue()).
   */
  constructor(
    raw: SymbolSource,
    sections: (SectionInfo | undefined)[],
    public kaslrOffset = 0n,
  ) {
    const n = raw.count;
    this.names = new Array<string>(n);
    this.values = new BigUint64Array(n);
    this.sizes = new BigUint64Array(n);
    this.kinds = new Uint8Array(n);
    this.percpu = new Uint8Array(n);
    const byName = this.byName;
    const kinds = this.kinds;
    for (let i = 0; i < n; i++) {
      const type = raw.type(i);
      const shndx = raw.shndx(i);
      if (type === STT_FILE || type === STT_SECTION || shndx === 0) continue;
      const name = raw.name(i);
      if (!name) continue;
      const value = raw.value(i);
      this.names[i] = name;
      this.values[i] = value;
      this.sizes[i] = raw.size(i);
      // local compiler labels are not useful names
      if (name.charCodeAt(0) === 46 /* . */ && name.startsWith('.L')) continue;
      const sec = shndx < 0xff00 ? sections[shndx] : undefined;
      // per-CPU symbols hold offsets from __per_cpu_start (0); linker symbols in that section
      // with image addresses (__init_begin) are ordinary addresses
      if (sec !== undefined && sec.name === '.data..percpu' && value < KERNEL_SPACE) this.percpu[i] = 1;
      const kind = kindCode(type, raw.bind(i), sec, shndx === SHN_ABS);
      kinds[i] = kind;
      const prev = byName.get(name);
      if (prev === undefined || (isLocalCode(kinds[prev]!) && !isLocalCode(kind))) byName.set(name, i);
    }
  }

  /** runtime address of raw symbol i: image addresses move by the KASLR offset, offsets do not */
  private addressOf(i: number): bigint {
    const v = this.values[i]!;
    return this.percpu[i] === 0 && v >= 0xffffffff80000000n ? v + this.kaslrOffset : v;
  }

  private buildOrder(): void {
    const n = this.names.length;
    const keys = new Float64Array(n);
    const sortable: number[] = [];
    for (let i = 0; i < n; i++) {
      const k = this.kinds[i]!;
      if (k === 0 || this.percpu[i] || k === 65 /* A */ || k === 97 /* a */) continue;
      const a = this.addressOf(i);
      if (a < KERNEL_SPACE) continue;
      sortable.push(i);
      // kernel addresses are < 2^47 above KERNEL_SPACE: exact as a double, so the sort needs no BigInt
      keys[i] = Number(a - KERNEL_SPACE);
    }
    const kinds = this.kinds;
    sortable.sort((a, b) => keys[a]! - keys[b]! || preferOrder(kinds[a]!, kinds[b]!) || a - b);
    this.order = Uint32Array.from(sortable);
    const addrs = new BigUint64Array(sortable.length);
    for (let j = 0; j < sortable.length; j++) addrs[j] = this.addressOf(sortable[j]!);
    this.sortedAddrs = addrs;
  }

  get count(): number {
    return this.byName.size;
  }

  private symbolAt(i: number): KSymbol {
    let o = this.objects.get(i);
    if (!o) {
      o = {
        name: this.names[i]!,
        address: this.addressOf(i),
        size: this.sizes[i]!,
        kind: String.fromCharCode(this.kinds[i]!),
        percpu: this.percpu[i] === 1,
      };
      this.objects.set(i, o);
    }
    return o;
  }

  /** Set the KASLR offset once it is known (before any address lookup). */
  relocate(kaslrOffset: bigint): void {
    if (kaslrOffset === this.kaslrOffset && this.order) return; // same offset: keep the address order
    this.kaslrOffset = kaslrOffset;
    this.objects.clear();
    this.order = undefined;
    this.sortedAddrs = undefined;
  }

  /** The link-time value of a symbol (as in the vmlinux file), not relocated. */
  linkValue(name: string): bigint | undefined {
    const i = this.byName.get(name);
    return i === undefined ? undefined : this.values[i];
  }

  lookup(name: string): KSymbol | undefined {
    const i = this.byName.get(name);
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
    const i = this.byName.get(name);
    if (i === undefined) throw new Error(`symbol not found: ${name}`);
    return this.addressOf(i);
  }

  /**
   * The symbol at or before `addr` and the offset into it. Undefined below the first symbol and at
   * or beyond the end of the kernel image (_end).
   */
  nearest(addr: bigint): { symbol: KSymbol; offset: bigint } | undefined {
    if (!this.sortedAddrs) this.buildOrder();
    const a = this.sortedAddrs!;
    if (a.length === 0 || addr < a[0]!) return this.extra?.nearest(addr);
    const end = this.byName.get('_end');
    if (end !== undefined && addr >= this.addressOf(end) && addr < 0xffffffffff000000n)
      return this.extra?.nearest(addr);
    let lo = 0;
    let hi = a.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (a[mid]! <= addr) lo = mid;
      else hi = mid - 1;
    }
    // several symbols at one address: the first of the run is the preferred one
    let i = lo;
    while (i > 0 && a[i - 1] === a[lo]) i--;
    const symbol = this.symbolAt(this.order![i]!);
    return { symbol, offset: addr - symbol.address };
  }

  /** Every symbol exactly at a kernel-image address (aliases: __x64_sys_getpid, __do_sys_getpid...). */
  aliases(addr: bigint): KSymbol[] {
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
    for (let i = lo; i < a.length && a[i] === addr; i++) out.push(this.symbolAt(this.order![i]!));
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
    if (!this.sortedNames) this.sortedNames = [...this.byName.keys()].sort();
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

  /** All address-sorted symbols (for `sym -l`, text scans). */
  *inAddressOrder(): Generator<KSymbol> {
    if (!this.order) this.buildOrder();
    for (const i of this.order!) yield this.symbolAt(i);
  }

  /** The per-CPU symbols (offsets, not addresses), in no particular order. */
  *perCpuSymbols(): Generator<KSymbol> {
    for (const i of this.byName.values()) if (this.percpu[i]) yield this.symbolAt(i);
  }

  isText(addr: bigint): boolean {
    const n = this.nearest(addr);
    return !!n && (n.symbol.kind === 'T' || n.symbol.kind === 't' || n.symbol.kind === 'W');
  }
}

const KERNEL_SPACE = 0xffff800000000000n;

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
