/**
 * The decoded kallsyms table (kallsyms.ts) seen as a symbol source like a vmlinux's .symtab, so that
 * SymbolTable (symbols.ts) and everything above it work the same on either. kallsyms keeps only what
 * SymbolTable needs: a name, an address and nm's type letter. The letter is turned back into the ELF
 * binding, type and a stand-in section with the flags that give the same letter again; sizes, which
 * kallsyms does not keep, are the distance to the next higher address (as the kernel's own
 * kallsyms_lookup_size_offset() computes them).
 *
 * Addresses are runtime ones (KASLR applied): the source gives them back as link-time values by
 * subtracting the offset, and SymbolTable relocates them again, like a vmlinux's.
 */
import { SHN_ABS, STB_GLOBAL, STB_LOCAL, STB_WEAK, STT_FUNC, STT_OBJECT } from '../elf/constants.js';
import type { Kallsyms } from './kallsyms.js';
import type { SectionInfo, SymbolSource } from './symbols.js';

const IMAGE_START = 0xffffffff80000000n;
/** The tables scripts/kallsyms generates (6.12 lists them in kallsyms itself; 6.1 does not). */
const KALLSYMS_TABLE =
  /^kallsyms_(?:offsets|relative_base|num_syms|names|markers|token_table|token_index|addresses|seqs_of_names)$/;

/** Stand-in sections, indexed by the shndx the source reports. */
export const KALLSYMS_SECTIONS: (SectionInfo | undefined)[] = [
  undefined,
  { name: '.text', exec: true, alloc: true, write: false, nobits: false },
  { name: '.data', exec: false, alloc: true, write: true, nobits: false },
  { name: '.bss', exec: false, alloc: true, write: true, nobits: true },
  { name: '.rodata', exec: false, alloc: true, write: false, nobits: false },
  // up to 6.14 x86_64 per-CPU symbols are offsets from 0, shown by kallsyms as absolute ('A')
  { name: '.data..percpu', exec: false, alloc: true, write: true, nobits: false },
];
const TEXT = 1;
const DATA = 2;
const BSS = 3;
const RODATA = 4;
const PERCPU = 5;

/** An extra symbol known from elsewhere (VMCOREINFO names the kallsyms tables, which kallsyms leaves out). */
export interface ExtraSymbol {
  name: string;
  address: bigint;
  letter: string;
}

export class KallsymsSource implements SymbolSource {
  readonly count: number;
  private readonly names: string[];
  private readonly letters: Uint8Array;
  private readonly values: BigUint64Array;
  private readonly sizes: BigUint64Array;
  private readonly percpuEnd: bigint;

  constructor(ks: Kallsyms, kaslrOffset: bigint, extra: ExtraSymbol[] = []) {
    const n = ks.count + extra.length;
    this.count = n;
    this.names = [...ks.names, ...extra.map((e) => e.name)];
    this.letters = new Uint8Array(n);
    this.letters.set(ks.types);
    extra.forEach((e, i) => (this.letters[ks.count + i] = e.letter.charCodeAt(0)));
    const runtime = new BigUint64Array(n);
    runtime.set(ks.addresses);
    extra.forEach((e, i) => (runtime[ks.count + i] = e.address));
    this.values = new BigUint64Array(n);
    for (let i = 0; i < n; i++) {
      const a = runtime[i]!;
      this.values[i] = a >= IMAGE_START ? a - kaslrOffset : a;
    }
    const end = this.names.indexOf('__per_cpu_end');
    this.percpuEnd = end >= 0 ? this.values[end]! : 0n;
    // size: up to the next higher address of the (address-sorted) kallsyms part, or of an extra symbol (the
    // kallsyms tables themselves, which kallsyms does not list: the symbol before them ends there, as in .symtab)
    this.sizes = new BigUint64Array(n);
    const stops = this.values
      .slice(ks.count)
      .filter((v) => v >= IMAGE_START)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let stop = stops.length - 1;
    let higher = 0n;
    for (let i = ks.count - 1; i >= 0; i--) {
      const v = this.values[i]!;
      if (i + 1 < ks.count && this.values[i + 1]! > v) higher = this.values[i + 1]!;
      while (stop >= 0 && stops[stop]! > v) {
        if (higher <= v || stops[stop]! < higher) higher = stops[stop]!;
        stop--;
      }
      // the last per-CPU symbol ends the per-CPU area, not at the image's first symbol
      if (higher > v && v >= IMAGE_START === higher >= IMAGE_START) this.sizes[i] = higher - v;
      // the tables scripts/kallsyms writes are labels without a size (.symtab says 0), where a kernel lists them
      if (KALLSYMS_TABLE.test(this.names[i]!)) this.sizes[i] = 0n;
    }
  }

  name(i: number): string {
    return this.names[i]!;
  }

  value(i: number): bigint {
    return this.values[i]!;
  }

  size(i: number): bigint {
    return this.sizes[i]!;
  }

  private letter(i: number): string {
    return String.fromCharCode(this.letters[i]!);
  }

  type(i: number): number {
    return 'TtWw'.includes(this.letter(i)) ? STT_FUNC : STT_OBJECT;
  }

  bind(i: number): number {
    const c = this.letter(i);
    if ('WwVv'.includes(c)) return STB_WEAK;
    return c >= 'a' && c <= 'z' ? STB_LOCAL : STB_GLOBAL;
  }

  shndx(i: number): number {
    switch (this.letter(i).toLowerCase()) {
      case 't':
      case 'w':
        return TEXT;
      case 'd':
      case 'v':
        return DATA;
      case 'b':
        return BSS;
      case 'a':
        return this.values[i]! < this.percpuEnd || this.names[i] === '__per_cpu_end' ? PERCPU : SHN_ABS;
      default:
        return RODATA;
    }
  }
}
