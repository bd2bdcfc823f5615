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
  /** name -> index into the columns below (a global wins over a local of the same name) */
  private readonly byName = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly addresses: bigint[] = [];
  private readonly sizes: bigint[] = [];
  private readonly kinds: string[] = [];
  private readonly percpus: boolean[] = [];
  /** indexes of real kernel addresses (not per-CPU, not absolute), sorted by address */
  private readonly order: Uint32Array;
  private readonly sortedAddrs: BigUint64Array;
  private sortedNames: string[] | undefined;
  private readonly objects = new Map<number, KSymbol>();

  constructor(raw: readonly RawSymbol[], sections: (SectionInfo | undefined)[], readonly kaslrOffset: bigint) {
    const keys = new Float64Array(raw.length);
    const sortable: number[] = [];
    for (const s of raw) {
      if (!s.name || s.type === STT_FILE || s.type === STT_SECTION || s.shndx === 0) continue;
      // local compiler labels are not useful names
      if (s.name.charCodeAt(0) === 46 /* . */ && s.name.startsWith('.L')) continue;
      const sec = s.shndx < 0xff00 ? sections[s.shndx] : undefined;
      const abs = s.shndx === SHN_ABS;
      // per-CPU symbols hold offsets from __per_cpu_start (0); linker symbols in that section
      // with image addresses (__init_begin) are ordinary addresses
      const percpu = sec !== undefined && sec.name === '.data..percpu' && s.value < KERNEL_SPACE;
      const relocate = !percpu && s.value >= 0xffffffff80000000n;
      const address = relocate ? s.value + kaslrOffset : s.value;
      const kind = kindLetter(s, sec, abs);
      const i = this.names.length;
      this.names.push(s.name);
      this.addresses.push(address);
      this.sizes.push(s.size);
      this.kinds.push(kind);
      this.percpus.push(percpu);
      const prev = this.byName.get(s.name);
      if (prev === undefined || (isLocal(this.kinds[prev]!) && !isLocal(kind))) this.byName.set(s.name, i);
      if (!percpu && kind !== 'A' && kind !== 'a' && address >= KERNEL_SPACE) {
        sortable.push(i);
        // kernel addresses are < 2^47 above KERNEL_SPACE: exact as a double, so the sort needs no BigInt
        keys[i] = Number(address - KERNEL_SPACE);
      }
    }
    const kinds = this.kinds;
    const names = this.names;
    sortable.sort((a, b) => keys[a]! - keys[b]! || preferOrder(kinds[a]!, names[a]!, kinds[b]!, names[b]!));
    this.order = Uint32Array.from(sortable);
    this.sortedAddrs = new BigUint64Array(sortable.length);
    for (let j = 0; j < sortable.length; j++) this.sortedAddrs[j] = this.addresses[sortable[j]!]!;
  }

  get count(): number {
    return this.byName.size;
  }

  private symbolAt(i: number): KSymbol {
    let o = this.objects.get(i);
    if (!o) {
      o = { name: this.names[i]!, address: this.addresses[i]!, size: this.sizes[i]!, kind: this.kinds[i]!, percpu: this.percpus[i]! };
      this.objects.set(i, o);
    }
    return o;
  }

  lookup(name: string): KSymbol | undefined {
    const i = this.byName.get(name);
    return i === undefined ? undefined : this.symbolAt(i);
  }

  /** Address of a symbol; throws a one-line error if unknown. */
  address(name: string): bigint {
    const i = this.byName.get(name);
    if (i === undefined) throw new Error(`symbol not found: ${name}`);
    return this.addresses[i]!;
  }

  /**
   * The symbol at or before `addr` and the offset into it. Undefined below the first symbol and at
   * or beyond the end of the kernel image (_end).
   */
  nearest(addr: bigint): { symbol: KSymbol; offset: bigint } | undefined {
    const a = this.sortedAddrs;
    if (a.length === 0 || addr < a[0]!) return undefined;
    const end = this.byName.get('_end');
    if (end !== undefined && addr >= this.addresses[end]! && addr < 0xffffffffff000000n) return undefined;
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
    const symbol = this.symbolAt(this.order[i]!);
    return { symbol, offset: addr - symbol.address };
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
    for (const i of this.order) yield this.symbolAt(i);
  }

  isText(addr: bigint): boolean {
    const n = this.nearest(addr);
    return !!n && (n.symbol.kind === 'T' || n.symbol.kind === 't' || n.symbol.kind === 'W');
  }
}

const KERNEL_SPACE = 0xffff800000000000n;

function isLocal(kind: string): boolean {
  return kind >= 'a' && kind <= 'z';
}

/** Among symbols at the same address, prefer globals, then functions/objects, then by name for determinism. */
function preferOrder(ka: string, na: string, kb: string, nb: string): number {
  const ga = isLocal(ka) ? 1 : 0;
  const gb = isLocal(kb) ? 1 : 0;
  if (ga !== gb) return ga - gb;
  return na < nb ? -1 : na > nb ? 1 : 0;
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
