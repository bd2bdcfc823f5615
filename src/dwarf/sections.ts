/**
 * The DWARF sections of an ELF file, read at file offsets through src/elf. A plain section is never read
 * whole unless asked (`all()`, meant for the small ones: .debug_abbrev, .debug_str, .debug_line_str,
 * .debug_aranges); .debug_info is read a unit at a time with `read()`. A compressed section
 * (SHF_COMPRESSED with a zlib or zstd Chdr, or a GNU `.zdebug_*` section) must be inflated whole: it is,
 * once, on first use.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { inflateSync } from 'node:zlib';
import { createRequire } from 'node:module';
import type * as fzstdModule from 'fzstd';
import type { ElfFile } from '../elf/index.js';
import { SHF_COMPRESSED, SHT_NOBITS } from '../elf/constants.js';
import type { SectionHeader } from '../elf/headers.js';
import { DwarfError } from './errors.js';

// fzstd is required on the first zstd-compressed section (rare): not imported at every start-up
const requireHere = createRequire(import.meta.url);
let fzstdLoaded: typeof fzstdModule | undefined;
const zstdDecompress: typeof fzstdModule.decompress = (data, out) =>
  (fzstdLoaded ??= requireHere('fzstd') as typeof fzstdModule).decompress(data, out);

const ELFCOMPRESS_ZLIB = 1;
const ELFCOMPRESS_ZSTD = 2;
/** a decompressed DWARF section larger than this is refused (a corrupt header must not allocate gigabytes) */
const MAX_INFLATED = 2 ** 31 - 1;

export class DwarfSection {
  private whole: Buffer | undefined;
  private fd: number | undefined;

  constructor(
    readonly name: string,
    private readonly elf: ElfFile,
    private readonly header: SectionHeader,
    /** uncompressed size */
    readonly size: number,
    private readonly compressed: 'zlib' | 'zstd' | 'gnu-zlib' | undefined,
  ) {}

  /**
   * A few bytes (unit headers): one pread on a descriptor of our own, not through the file's 64 KiB
   * block cache (2,172 unit headers would otherwise read 140 MB).
   */
  readSmall(offset: number, length: number): Buffer {
    if (this.whole || this.compressed || length > 4096) return this.read(offset, length);
    if (offset < 0 || length < 0 || offset + length > this.size) return this.read(offset, length); // the error
    try {
      this.fd ??= openSync(this.elf.file.path, 'r');
      const out = Buffer.alloc(length);
      const n = readSync(this.fd, out, 0, length, Number(this.header.offset) + offset);
      if (n !== length) return this.read(offset, length);
      return out;
    } catch {
      return this.read(offset, length);
    }
  }

  /** Whether the section is in memory whole (read by all(), or compressed: then always read whole). */
  get loaded(): boolean {
    return !!this.whole || !!this.compressed;
  }

  /** Close the descriptor readSmall opened (the ElfFile's own stays open). */
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Bytes [offset, offset+length) of the (uncompressed) section. */
  read(offset: number, length: number): Buffer {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new DwarfError(
        this.name,
        offset,
        `read of ${length} bytes runs past the end of the section (size 0x${this.size.toString(16)})`,
      );
    }
    if (this.whole || this.compressed) return this.all().subarray(offset, offset + length);
    try {
      return this.elf.read(this.header.offset + BigInt(offset), length);
    } catch (e) {
      throw new DwarfError(this.name, offset, (e as Error).message);
    }
  }

  /** The whole section (decompressed), read once and kept. */
  all(): Buffer {
    if (this.whole) return this.whole;
    let raw: Buffer;
    try {
      raw = this.elf.readSection(this.header);
    } catch (e) {
      throw new DwarfError(this.name, 0, (e as Error).message);
    }
    this.whole = this.compressed ? this.inflate(raw) : raw;
    return this.whole;
  }

  private inflate(raw: Buffer): Buffer {
    const is64 = this.elf.header.class === 64;
    let data: Buffer;
    let want = this.size;
    if (this.compressed === 'gnu-zlib') data = raw.subarray(12);
    else data = raw.subarray(is64 ? 24 : 12);
    let out: Buffer;
    try {
      if (this.compressed === 'zstd') {
        const u8 = zstdDecompress(new Uint8Array(data.buffer, data.byteOffset, data.length), new Uint8Array(want));
        out = Buffer.from(u8.buffer, u8.byteOffset, u8.length);
      } else {
        out = inflateSync(data, { maxOutputLength: Math.max(want, 1) });
      }
    } catch (e) {
      throw new DwarfError(this.name, 0, `cannot decompress (${this.compressed}): ${(e as Error).message}`);
    }
    if (out.length !== want) {
      throw new DwarfError(this.name, 0, `decompressed to ${out.length} bytes, the header says ${want}`);
    }
    want = out.length;
    return out;
  }
}

/** The DWARF sections of one ELF file, found by name; undefined for absent ones. */
export class DwarfSections {
  private readonly cache = new Map<string, DwarfSection | null>();

  constructor(readonly elf: ElfFile) {}

  /** Whether the file has DWARF debugging information (.debug_info, plain or compressed). */
  get present(): boolean {
    return this.get('.debug_info') !== undefined;
  }

  get(name: string): DwarfSection | undefined {
    let s = this.cache.get(name);
    if (s === undefined) {
      s = this.open(name) ?? null;
      this.cache.set(name, s);
    }
    return s ?? undefined;
  }

  /** The section, or a DwarfError saying it is missing. */
  need(name: string): DwarfSection {
    const s = this.get(name);
    if (!s) throw new DwarfError(name, 0, 'section missing');
    return s;
  }

  private open(name: string): DwarfSection | undefined {
    const plain = this.elf.section(name);
    if (plain && plain.type !== SHT_NOBITS) {
      if ((plain.flags & SHF_COMPRESSED) === 0n)
        return new DwarfSection(name, this.elf, plain, Number(plain.size), undefined);
      return this.compressedSection(name, plain);
    }
    const gnu = this.elf.section('.z' + name.slice(1));
    if (gnu && gnu.size >= 12n) {
      const head = this.elf.read(gnu.offset, 12);
      if (head.toString('latin1', 0, 4) !== 'ZLIB') throw new DwarfError(gnu.name, 0, 'no ZLIB magic');
      return new DwarfSection(name, this.elf, gnu, checkSize(name, head.readBigUInt64BE(4)), 'gnu-zlib');
    }
    return undefined;
  }

  private compressedSection(name: string, h: SectionHeader): DwarfSection {
    const is64 = this.elf.header.class === 64;
    const little = this.elf.header.littleEndian;
    const chdrSize = is64 ? 24 : 12;
    if (h.size < BigInt(chdrSize)) throw new DwarfError(name, 0, 'compressed section shorter than its header');
    const c = this.elf.read(h.offset, chdrSize);
    const type = little ? c.readUInt32LE(0) : c.readUInt32BE(0);
    const size = is64
      ? little
        ? c.readBigUInt64LE(8)
        : c.readBigUInt64BE(8)
      : BigInt(little ? c.readUInt32LE(4) : c.readUInt32BE(4));
    if (type === ELFCOMPRESS_ZLIB) return new DwarfSection(name, this.elf, h, checkSize(name, size), 'zlib');
    if (type === ELFCOMPRESS_ZSTD) return new DwarfSection(name, this.elf, h, checkSize(name, size), 'zstd');
    throw new DwarfError(name, 0, `unknown compression type ${type}`);
  }
}

function checkSize(name: string, size: bigint): number {
  if (size > BigInt(MAX_INFLATED)) throw new DwarfError(name, 0, `decompressed size ${size} is too large`);
  return Number(size);
}
