/**
 * An open ELF file (vmlinux, a module, an ELF vmcore): headers and tables are read at open, section
 * contents, notes and symbols on first use. All reads go through a RandomAccessFile at offsets.
 */
import { FileError, openMaybeCompressed, RandomAccessFile } from '../dump/file.js';
import type { Note } from '../dump/types.js';
import { PT_LOAD, PT_NOTE, SHT_DYNSYM, SHT_NOBITS, SHT_NOTE, SHT_SYMTAB, SHT_SYMTAB_SHNDX } from './constants.js';
import { ElfError } from './errors.js';
import type { Fields } from './fields.js';
import { readElfHeader, readTables, type ElfHeader, type ProgramHeader, type SectionHeader } from './headers.js';
import { parseNotes } from './notes.js';
import { SymbolTable, type ElfSymbol } from './symbols.js';

/**
 * The most note bytes read from one file. A vmcore's notes are an NT_PRSTATUS (and, from QEMU, a CPU
 * state note) per CPU plus VMCOREINFO: about 1 KiB per CPU, so 8192 CPUs fit in 16 MiB with room.
 */
const MAX_NOTE_BYTES = 16 << 20;

export interface ElfOpenOptions {
  tolerateCutSections?: boolean;
}

export class ElfFile {
  readonly header: ElfHeader;
  readonly programHeaders: readonly ProgramHeader[];
  /** every section header, index = section number (entry 0 is the null section) */
  readonly sections: readonly SectionHeader[];
  /** non-fatal problems found so far (bad name table, cut note segment, ...), each naming the file */
  readonly warnings: string[] = [];
  private readonly fields: Fields;
  private readonly byName = new Map<string, SectionHeader>();
  private cachedNotes: Note[] | undefined;
  private readonly tableCache = new Map<number, SymbolTable>();
  private readonly objectCache = new Map<number, ElfSymbol[]>();
  /** sections read ahead (readAhead), by index, until readSection takes them */
  private readonly readBefore = new Map<number, Buffer>();

  /**
   * Open a path (gzip-compressed files are decompressed once into a cache). Throws ElfError.
   * `tolerateCutSections`: a section header table past the end of the file (a cut core) becomes a
   * warning and no sections, instead of an error.
   */
  static open(path: string, opts: ElfOpenOptions = {}): ElfFile {
    let file: RandomAccessFile;
    try {
      file = openMaybeCompressed(path);
    } catch (e) {
      if (e instanceof FileError) throw new ElfError(path, e.message.replace(`${path}: `, ''));
      throw e;
    }
    try {
      return new ElfFile(file, opts);
    } catch (e) {
      file.close();
      throw e;
    }
  }

  /** Parse an already open file; `file.displayName` is used in errors. */
  constructor(
    readonly file: RandomAccessFile,
    opts: ElfOpenOptions = {},
  ) {
    const { header, fields } = wrapFileErrors(this.name, () => readElfHeader(file, this.name));
    this.header = header;
    this.fields = fields;
    const t = wrapFileErrors(this.name, () =>
      readTables(file, this.name, header, fields, this.warnings, opts.tolerateCutSections),
    );
    this.sections = t.sections;
    this.programHeaders = t.programHeaders;
    for (const s of this.sections) if (s.name && !this.byName.has(s.name)) this.byName.set(s.name, s);
  }

  /** the file name used in messages (the path the user gave) */
  get name(): string {
    return this.file.displayName;
  }

  /** The first section with this name. */
  section(name: string): SectionHeader | undefined {
    return this.byName.get(name);
  }

  /**
   * Read these sections on libuv's thread pool (RandomAccessFile.readAhead); the next readSection of each returns
   * the bytes read. Resolves when all are read; a failed read is left to readSection, which reads it again and
   * says what is wrong.
   */
  async readAhead(secs: readonly SectionHeader[]): Promise<void> {
    await Promise.all(
      secs.map(async (sec) => {
        if (sec.type === SHT_NOBITS || sec.size === 0n || sec.offset + sec.size > BigInt(this.file.size)) return;
        try {
          this.readBefore.set(sec.index, await this.file.readAhead(Number(sec.offset), Number(sec.size)));
        } catch {
          // readSection reads it again
        }
      }),
    );
  }

  /** Has readAhead() read this section (and readSection not taken it yet)? */
  hasReadAhead(sec: SectionHeader): boolean {
    return this.readBefore.has(sec.index);
  }

  /** The raw bytes of a section (SHT_NOBITS: an empty Buffer). Meant for small-to-medium sections. */
  readSection(sec: SectionHeader): Buffer {
    const early = this.readBefore.get(sec.index);
    if (early) {
      this.readBefore.delete(sec.index); // read ahead for one use: not kept here
      return early;
    }
    if (sec.type === SHT_NOBITS || sec.size === 0n) return Buffer.alloc(0);
    if (sec.offset + sec.size > BigInt(this.file.size)) {
      throw new ElfError(
        this.name,
        `section ${sec.name || sec.index} (offset 0x${sec.offset.toString(16)}, size 0x${sec.size.toString(16)}) runs past the end of the file (size ${this.file.size})`,
      );
    }
    return this.file.read(sec.offset, Number(sec.size));
  }

  /** Raw bytes at a file offset. Throws ElfError past the end of the file. */
  read(offset: bigint, length: number): Buffer {
    return wrapFileErrors(this.name, () => this.file.read(offset, length));
  }

  /**
   * Bytes at a virtual address, through the file-backed part of the PT_LOAD segments (e.g. vmlinux
   * .rodata); undefined when the range is not wholly file-backed in one segment.
   */
  readVirtual(vaddr: bigint, length: number): Buffer | undefined {
    const end = vaddr + BigInt(length);
    for (const p of this.programHeaders) {
      if (p.type !== PT_LOAD) continue;
      if (vaddr >= p.vaddr && end <= p.vaddr + p.filesz) {
        const off = p.offset + (vaddr - p.vaddr);
        if (off + BigInt(length) > BigInt(this.file.size)) return undefined;
        return this.file.read(off, length);
      }
    }
    return undefined;
  }

  /**
   * Every note, from the PT_NOTE segments (or, with none, the SHT_NOTE sections). A note area cut
   * short by the end of the file, or malformed, yields the notes before the damage plus a warning.
   */
  notes(): Note[] {
    if (this.cachedNotes) return this.cachedNotes;
    const areas: { what: string; offset: bigint; size: bigint }[] = [];
    for (const p of this.programHeaders) {
      if (p.type === PT_NOTE) areas.push({ what: `PT_NOTE segment ${p.index}`, offset: p.offset, size: p.filesz });
    }
    if (areas.length === 0) {
      for (const s of this.sections) {
        if (s.type === SHT_NOTE)
          areas.push({ what: `note section ${s.name || s.index}`, offset: s.offset, size: s.size });
      }
    }
    const notes: Note[] = [];
    const fileSize = BigInt(this.file.size);
    const seen = new Set<string>();
    let budget = BigInt(MAX_NOTE_BYTES);
    for (const a of areas) {
      // a damaged program header table can name one note area thousands of times, or claim gigabytes
      const key = `${a.offset}:${a.size}`;
      if (seen.has(key)) continue;
      seen.add(key);
      let size = a.size;
      if (a.offset >= fileSize) {
        this.warnings.push(`${this.name}: ${a.what} at offset 0x${a.offset.toString(16)} is past the end of the file`);
        continue;
      }
      if (a.offset + size > fileSize) {
        this.warnings.push(
          `${this.name}: ${a.what} is cut short: ${fileSize - a.offset} of ${size} bytes are in the file`,
        );
        size = fileSize - a.offset;
      }
      if (size > budget) {
        this.warnings.push(
          `${this.name}: ${a.what} (${size} bytes) is past the ${MAX_NOTE_BYTES >> 20} MiB of notes any dump holds; ${budget > 0n ? `only its first ${budget} bytes are read` : 'ignored'}`,
        );
        size = budget;
        if (size === 0n) continue;
      }
      budget -= size;
      const r = parseNotes(this.file.read(a.offset, Number(size)), this.header.littleEndian);
      notes.push(...r.notes);
      if (r.error) this.warnings.push(`${this.name}: ${a.what}: ${r.error}`);
    }
    this.cachedNotes = notes;
    return notes;
  }

  /** The static symbol table (.symtab, SHT_SYMTAB) in compact form (fast: typed arrays); undefined if none. */
  symbolTable(): SymbolTable | undefined {
    const sec = this.sections.find((s) => s.type === SHT_SYMTAB);
    return sec && this.symbolTableOf(sec);
  }

  /** The sections symbolTable() reads: .symtab, its string table and its SHT_SYMTAB_SHNDX section, if any. */
  symbolTableSections(): SectionHeader[] {
    const sec = this.sections.find((s) => s.type === SHT_SYMTAB);
    if (!sec) return [];
    const strSec = this.sections[sec.link];
    const shndxSec = this.sections.find((s) => s.type === SHT_SYMTAB_SHNDX && s.link === sec.index);
    return [sec, ...(strSec ? [strSec] : []), ...(shndxSec ? [shndxSec] : [])];
  }

  /** The dynamic symbol table (.dynsym, SHT_DYNSYM) in compact form; undefined if none. */
  dynamicSymbolTable(): SymbolTable | undefined {
    const sec = this.sections.find((s) => s.type === SHT_DYNSYM);
    return sec && this.symbolTableOf(sec);
  }

  /** .symtab as objects, all entries incl. the null entry 0 (index = position); [] if none. */
  symbols(): ElfSymbol[] {
    return this.symbolObjects(SHT_SYMTAB);
  }

  /** .dynsym as objects; [] if none. */
  dynamicSymbols(): ElfSymbol[] {
    return this.symbolObjects(SHT_DYNSYM);
  }

  /** The symbols of one SHT_SYMTAB/SHT_DYNSYM section, decoded once and cached. */
  symbolTableOf(sec: SectionHeader): SymbolTable {
    const cached = this.tableCache.get(sec.index);
    if (cached) return cached;
    const defaultEntsize = this.fields.is64 ? 24 : 16;
    const entsize = sec.entsize === 0n ? defaultEntsize : Number(sec.entsize);
    if (entsize < defaultEntsize) {
      throw new ElfError(this.name, `symbol table ${sec.name} has entry size ${entsize}, expected ${defaultEntsize}`);
    }
    const table = this.readSection(sec); // bounded by the file size
    const count = Math.floor(table.length / entsize);
    const strSec = this.sections[sec.link];
    if (!strSec) throw new ElfError(this.name, `symbol table ${sec.name} links to missing string table ${sec.link}`);
    const strtab = this.readSection(strSec);
    const shndxSec = this.sections.find((s) => s.type === SHT_SYMTAB_SHNDX && s.link === sec.index);
    const t = new SymbolTable(table, count, entsize, strtab, this.fields, shndxSec && this.readSection(shndxSec));
    this.tableCache.set(sec.index, t);
    return t;
  }

  close(): void {
    this.file.close();
  }

  private symbolObjects(type: number): ElfSymbol[] {
    const sec = this.sections.find((s) => s.type === type);
    if (!sec) return [];
    let objs = this.objectCache.get(sec.index);
    if (!objs) this.objectCache.set(sec.index, (objs = this.symbolTableOf(sec).all()));
    return objs;
  }
}

/** Turn a FileError (read past the end...) into an ElfError naming the file. */
function wrapFileErrors<T>(name: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof FileError)
      throw new ElfError(name, e.message.startsWith(`${name}: `) ? e.message.slice(name.length + 2) : e.message);
    throw e;
  }
}
