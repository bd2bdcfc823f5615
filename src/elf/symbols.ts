/**
 * Symbol tables (SHT_SYMTAB / SHT_DYNSYM): Elf64_Sym is {name u32, info u8, other u8, shndx u16,
 * value u64, size u64} (24 bytes); Elf32_Sym is {name, value, size (u32 each), info, other, shndx}
 * (16 bytes). A kernel vmlinux has 100k-200k of them, so this is one tight loop over one buffer.
 */
import { isAscii } from 'node:buffer';
import { SHN_XINDEX } from './constants.js';
import type { Fields } from './fields.js';

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface ElfSymbol {
  /** position in its table (entry 0 is the reserved null symbol) */
  index: number;
  name: string;
  value: bigint;
  size: bigint;
  /** ELF_ST_TYPE(st_info): STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_SECTION, STT_FILE, ... */
  type: number;
  /** ELF_ST_BIND(st_info): STB_LOCAL, STB_GLOBAL, STB_WEAK */
  bind: number;
  /** ELF_ST_VISIBILITY(st_other): STV_DEFAULT, STV_HIDDEN, ... */
  visibility: number;
  /** st_shndx, with SHN_XINDEX resolved through SHT_SYMTAB_SHNDX when present */
  shndx: number;
}

/** A symbol table's columns as decoded (SymbolTable.columns()). */
export interface RawSymbolColumns {
  strtab: Buffer;
  nameOffsets: Uint32Array;
  values: BigUint64Array;
  sizes: BigUint64Array;
  /** st_info */
  infos: Uint8Array;
  shndxs: Uint32Array;
}

/** A symbol table's bytes in the common layout (ELF64, little-endian like the host, 24-byte entries, aligned). */
export interface RawSymbolEntries {
  count: number;
  /** count entries of 24 bytes, 4-byte aligned */
  table: Buffer;
  strtab: Buffer;
  /** the SHT_SYMTAB_SHNDX section, if any */
  xindex?: Buffer;
}

/**
 * One symbol table, decoded into typed arrays (no per-symbol objects, so ~200k symbols cost a few
 * milliseconds and no garbage-collector churn). Names are decoded when asked for.
 */
export class SymbolTable {
  readonly count: number;
  private nameOffsets!: Uint32Array;
  private values!: BigUint64Array;
  private sizes!: BigUint64Array;
  private infos!: Uint8Array;
  private others!: Uint8Array;
  private shndxs!: Uint32Array;
  private decodeName: ((off: number) => string) | undefined;
  private readonly strtab: Buffer;
  private decoded = false;

  /**
   * `count` entries of `entsize` bytes in `table`, names in `strtab`; `xindex` is the matching
   * SHT_SYMTAB_SHNDX section (32-bit section index per symbol), if any. Decoded on first use.
   */
  constructor(
    private readonly table: Buffer,
    count: number,
    private readonly entsize: number,
    strtab: Buffer,
    private readonly f: Fields,
    private readonly xindex?: Buffer,
  ) {
    this.count = count;
    this.strtab = strtab;
  }

  /** The table's bytes when they are in the common layout (nothing decoded); undefined otherwise. */
  entries(): RawSymbolEntries | undefined {
    const { table, f } = this;
    if (!(f.is64 && f.littleEndian && HOST_LITTLE_ENDIAN && this.entsize === 24 && table.byteOffset % 4 === 0))
      return undefined;
    return { count: this.count, table, strtab: this.strtab, xindex: this.xindex };
  }

  private decode(): void {
    if (this.decoded) return;
    this.decoded = true;
    const { table, count, entsize, f, xindex } = this;
    this.nameOffsets = new Uint32Array(count);
    this.values = new BigUint64Array(count);
    this.sizes = new BigUint64Array(count);
    this.infos = new Uint8Array(count);
    this.others = new Uint8Array(count);
    this.shndxs = new Uint32Array(count);
    const le = f.littleEndian;
    const dv = new DataView(table.buffer, table.byteOffset, table.byteLength);
    // 64-bit fields are copied as two 32-bit halves into the BigUint64Arrays' memory: creating a
    // bigint per field here costs more than everything else together.
    const values32 = new Uint32Array(this.values.buffer);
    const sizes32 = new Uint32Array(this.sizes.buffer);
    const lo = HOST_LITTLE_ENDIAN ? 0 : 1;
    const hi = 1 - lo;
    const wordLo = le ? 0 : 4;
    const wordHi = 4 - wordLo;
    if (this.entries()) {
      this.decodeAligned(table, count, xindex);
      return;
    }
    for (let i = 0; i < count; i++) {
      const o = i * entsize;
      this.nameOffsets[i] = dv.getUint32(o, le);
      let shndx: number;
      if (f.is64) {
        this.infos[i] = table[o + 4]!;
        this.others[i] = table[o + 5]!;
        shndx = dv.getUint16(o + 6, le);
        values32[2 * i + lo] = dv.getUint32(o + 8 + wordLo, le);
        values32[2 * i + hi] = dv.getUint32(o + 8 + wordHi, le);
        sizes32[2 * i + lo] = dv.getUint32(o + 16 + wordLo, le);
        sizes32[2 * i + hi] = dv.getUint32(o + 16 + wordHi, le);
      } else {
        values32[2 * i + lo] = dv.getUint32(o + 4, le);
        sizes32[2 * i + lo] = dv.getUint32(o + 8, le);
        this.infos[i] = table[o + 12]!;
        this.others[i] = table[o + 13]!;
        shndx = dv.getUint16(o + 14, le);
      }
      if (shndx === SHN_XINDEX && xindex && (i + 1) * 4 <= xindex.length) {
        shndx = le ? xindex.readUInt32LE(i * 4) : xindex.readUInt32BE(i * 4);
      }
      this.shndxs[i] = shndx;
    }
  }

  /** The common case (ELF64, little-endian like the host, 24-byte entries, aligned): 32-bit views, no DataView. */
  private decodeAligned(table: Buffer, count: number, xindex: Buffer | undefined): void {
    const w = new Uint32Array(table.buffer, table.byteOffset, count * 6);
    const h = new Uint16Array(table.buffer, table.byteOffset, count * 12);
    const values32 = new Uint32Array(this.values.buffer);
    const sizes32 = new Uint32Array(this.sizes.buffer);
    for (let i = 0; i < count; i++) {
      const o = i * 6;
      this.nameOffsets[i] = w[o]!;
      this.infos[i] = table[i * 24 + 4]!;
      this.others[i] = table[i * 24 + 5]!;
      let shndx = h[i * 12 + 3]!;
      values32[2 * i] = w[o + 2]!;
      values32[2 * i + 1] = w[o + 3]!;
      sizes32[2 * i] = w[o + 4]!;
      sizes32[2 * i + 1] = w[o + 5]!;
      if (shndx === SHN_XINDEX && xindex && (i + 1) * 4 <= xindex.length) shndx = xindex.readUInt32LE(i * 4);
      this.shndxs[i] = shndx;
    }
  }

  /**
   * The decoded columns themselves (read-only by contract): for builders that must not make a string or
   * a bigint per symbol. `strtab` holds the names (NUL-terminated, at `nameOffsets`).
   */
  columns(): RawSymbolColumns {
    this.decode();
    return {
      strtab: this.strtab,
      nameOffsets: this.nameOffsets,
      values: this.values,
      sizes: this.sizes,
      infos: this.infos,
      shndxs: this.shndxs,
    };
  }

  name(i: number): string {
    this.decode();
    // the decoder turns the whole string table into one JS string: only once names are asked for
    this.decodeName ??= nameDecoder(this.strtab);
    return this.decodeName(this.nameOffsets[i]!);
  }
  value(i: number): bigint {
    this.decode();
    return this.values[i]!;
  }
  size(i: number): bigint {
    this.decode();
    return this.sizes[i]!;
  }
  type(i: number): number {
    this.decode();
    return this.infos[i]! & 0xf;
  }
  bind(i: number): number {
    this.decode();
    return this.infos[i]! >> 4;
  }
  visibility(i: number): number {
    this.decode();
    return this.others[i]! & 0x3;
  }
  shndx(i: number): number {
    this.decode();
    return this.shndxs[i]!;
  }

  /** Symbol `i` as an object. */
  get(i: number): ElfSymbol {
    this.decode();
    return {
      index: i,
      name: this.name(i),
      value: this.values[i]!,
      size: this.sizes[i]!,
      type: this.infos[i]! & 0xf,
      bind: this.infos[i]! >> 4,
      visibility: this.others[i]! & 0x3,
      shndx: this.shndxs[i]!,
    };
  }

  /** Every symbol as an object (convenient; ~10x slower than the typed accessors for a vmlinux). */
  all(): ElfSymbol[] {
    const out: ElfSymbol[] = new Array(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.get(i);
    return out;
  }
}

/**
 * Name lookup into a string table. An all-ASCII table (every kernel's) is turned into one JS string
 * once and names are slices of it, which is much faster than one Buffer decode per symbol.
 */
function nameDecoder(strtab: Buffer): (off: number) => string {
  if (isAscii(strtab)) {
    const s = strtab.toString('latin1');
    return (off) => {
      if (off >= s.length) return '';
      const end = s.indexOf('\0', off);
      return s.slice(off, end < 0 ? s.length : end);
    };
  }
  return (off) => {
    if (off >= strtab.length) return '';
    const end = strtab.indexOf(0, off);
    return strtab.toString('utf8', off, end < 0 ? strtab.length : end);
  };
}
