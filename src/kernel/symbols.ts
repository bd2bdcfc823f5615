/**
 * Kernel symbols from the vmlinux symbol table, relocated by the KASLR offset.
 * Lookup by name (exact) and by address (nearest preceding symbol + offset, as crash's `sym` and
 * bt print them). Per-CPU symbols (section .data..percpu, link-time values from 0) and absolute
 * symbols are NOT relocated: they are offsets, not addresses.
 */

export interface RawSymbol {
  name: string;
  value: bigint;
  size: bigint;
  /** STT_*: 0 NOTYPE, 1 OBJECT, 2 FUNC, 3 SECTION, 4 FILE */
  type: number;
  /** STB_*: 0 LOCAL, 1 GLOBAL, 2 WEAK */
  bind: number;
  shndx: number;
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
}

const SHN_ABS = 0xfff1;
const STT_FILE = 4;
const STT_SECTION = 3;

export class SymbolTable {
  private readonly byName = new Map<string, KSymbol>();
  /** address-sorted symbols that are real addresses (not per-CPU, not absolute) */
  private readonly sorted: KSymbol[];
  private readonly addrs: BigUint64Array;
  private names: string[] | undefined;

  constructor(raw: Iterable<RawSymbol>, sections: (SectionInfo | undefined)[], readonly kaslrOffset: bigint) {
    const list: KSymbol[] = [];
    for (const s of raw) {
      if (!s.name || s.type === STT_FILE || s.type === STT_SECTION || s.shndx === 0) continue;
      // local compiler labels and the kernel's static-key/lockdep "keys" are not useful names
      if (s.name.startsWith('.L')) continue;
      const sec = s.shndx < 0xff00 ? sections[s.shndx] : undefined;
      const abs = s.shndx === SHN_ABS;
      const percpu = sec?.name === '.data..percpu';
      const relocate = !abs && !percpu && s.value >= 0xffffffff80000000n;
      const sym: KSymbol = {
        name: s.name,
        address: relocate ? s.value + kaslrOffset : s.value,
        size: s.size,
        kind: kindLetter(s, sec, abs),
        percpu,
      };
      list.push(sym);
      const prev = this.byName.get(s.name);
      // prefer a global over a local of the same name (several statics share names)
      if (!prev || (prev.kind === prev.kind.toLowerCase() && sym.kind !== sym.kind.toLowerCase())) {
        this.byName.set(s.name, sym);
      }
    }
    this.sorted = list
      .filter((s) => !s.percpu && s.kind !== 'A' && s.address >= 0xffff800000000000n)
      .sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : preferOrder(a, b)));
    this.addrs = new BigUint64Array(this.sorted.map((s) => s.address));
  }

  get count(): number {
    return this.byName.size;
  }

  lookup(name: string): KSymbol | undefined {
    return this.byName.get(name);
  }

  /** Address of a symbol; throws a one-line error if unknown. */
  address(name: string): bigint {
    const s = this.byName.get(name);
    if (!s) throw new Error(`symbol not found: ${name}`);
    return s.address;
  }

  /**
   * The symbol at or before `addr` and the offset into it. Returns undefined below the first
   * symbol, or when `addr` is beyond the end of the kernel image (_end) and not within a sized symbol.
   */
  nearest(addr: bigint): { symbol: KSymbol; offset: bigint } | undefined {
    let lo = 0;
    let hi = this.addrs.length - 1;
    if (hi < 0 || addr < this.addrs[0]!) return undefined;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.addrs[mid]! <= addr) lo = mid;
      else hi = mid - 1;
    }
    // several symbols at one address: take the first of the run (sorted by preference)
    let i = lo;
    while (i > 0 && this.addrs[i - 1] === this.addrs[lo]) i--;
    const symbol = this.sorted[i]!;
    const end = this.byName.get('_end');
    if (end && addr >= end.address) return undefined;
    return { symbol, offset: addr - symbol.address };
  }

  /** "func+0x1a" (crash style: `name+offset` in decimal for sym, hex with -x); plain name at offset 0. */
  describe(addr: bigint, hexOffset = true): string | undefined {
    const n = this.nearest(addr);
    if (!n) return undefined;
    if (n.offset === 0n) return n.symbol.name;
    return `${n.symbol.name}+${hexOffset ? '0x' + n.offset.toString(16) : n.offset.toString()}`;
  }

  /** Names starting with a prefix, sorted (tab completion). */
  complete(prefix: string, limit = 50): string[] {
    if (!this.names) this.names = [...this.byName.keys()].sort();
    let lo = 0;
    let hi = this.names.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.names[mid]! < prefix) lo = mid + 1;
      else hi = mid;
    }
    const out: string[] = [];
    for (let i = lo; i < this.names.length && out.length < limit && this.names[i]!.startsWith(prefix); i++) out.push(this.names[i]!);
    return out;
  }

  /** All symbols in address order (for `sym -l`, text scans). */
  *inAddressOrder(): Generator<KSymbol> {
    yield* this.sorted;
  }

  isText(addr: bigint): boolean {
    const n = this.nearest(addr);
    return !!n && (n.symbol.kind === 'T' || n.symbol.kind === 't' || n.symbol.kind === 'W');
  }
}

/** Among symbols at the same address, prefer globals, then functions/objects, then by name for determinism. */
function preferOrder(a: KSymbol, b: KSymbol): number {
  const ga = a.kind === a.kind.toUpperCase() ? 0 : 1;
  const gb = b.kind === b.kind.toUpperCase() ? 0 : 1;
  if (ga !== gb) return ga - gb;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function kindLetter(s: RawSymbol, sec: SectionInfo | undefined, abs: boolean): string {
  let c: string;
  if (abs) c = 'a';
  else if (s.bind === 2) return s.type === 1 ? 'V' : 'W';
  else if (!sec) c = '?';
  else if (sec.exec) c = 't';
  else if (sec.nobits) c = 'b';
  else if (sec.write) c = 'd';
  else if (sec.alloc) c = 'r';
  else c = 'n';
  return s.bind === 1 ? c.toUpperCase() : c;
}
