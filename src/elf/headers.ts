/**
 * The ELF file header, program header table and section header table (System V gABI, "ELF Header",
 * "Program Header", "Sections"), for ELF32 and ELF64 in either byte order.
 */
import type { RandomAccessFile } from '../dump/file.js';
import { ELFCLASS32, ELFCLASS64, ELFDATA2LSB, ELFDATA2MSB, PN_XNUM, SHN_XINDEX, SHT_NOBITS } from './constants.js';
import { ElfError } from './errors.js';
import { Fields } from './fields.js';

export interface ElfHeader {
  /** 32 or 64 (EI_CLASS) */
  class: 32 | 64;
  littleEndian: boolean;
  /** EI_OSABI, EI_ABIVERSION */
  osabi: number;
  abiVersion: number;
  /** e_type: ET_EXEC, ET_DYN, ET_CORE, ... */
  type: number;
  /** e_machine: EM_X86_64, ... */
  machine: number;
  version: number;
  entry: bigint;
  phoff: bigint;
  shoff: bigint;
  flags: number;
  ehsize: number;
  phentsize: number;
  shentsize: number;
  /** the real number of program headers (PN_XNUM resolved through section 0's sh_info) */
  phnum: number;
  /** the real number of section headers (0 in e_shnum resolved through section 0's sh_size) */
  shnum: number;
  /** the real section name table index (SHN_XINDEX resolved through section 0's sh_link) */
  shstrndx: number;
}

export interface ProgramHeader {
  index: number;
  /** p_type: PT_LOAD, PT_NOTE, ... */
  type: number;
  /** p_flags: PF_X=1, PF_W=2, PF_R=4 */
  flags: number;
  offset: bigint;
  vaddr: bigint;
  paddr: bigint;
  filesz: bigint;
  memsz: bigint;
  align: bigint;
}

export interface SectionHeader {
  index: number;
  /** from the section name string table; '' when it has none */
  name: string;
  /** sh_name: offset of the name in the section name string table */
  nameOffset: number;
  /** sh_type: SHT_PROGBITS, SHT_SYMTAB, SHT_NOBITS, ... */
  type: number;
  flags: bigint;
  addr: bigint;
  offset: bigint;
  size: bigint;
  link: number;
  info: number;
  addralign: bigint;
  entsize: bigint;
}

const EHDR_SIZE = { 32: 52, 64: 64 } as const;
const PHDR_SIZE = { 32: 32, 64: 56 } as const;
const SHDR_SIZE = { 32: 40, 64: 64 } as const;

/** Read and check e_ident and the rest of the file header (counts not yet resolved for PN_XNUM etc.). */
export function readElfHeader(file: RandomAccessFile, name: string): { header: ElfHeader; fields: Fields } {
  if (file.size < 16) throw new ElfError(name, `not an ELF file (only ${file.size} bytes)`);
  const ident = file.read(0, 16);
  if (ident.readUInt32BE(0) !== 0x7f454c46) throw new ElfError(name, 'not an ELF file (bad magic)');
  const cls = ident[4] === ELFCLASS64 ? 64 : ident[4] === ELFCLASS32 ? 32 : undefined;
  if (!cls) throw new ElfError(name, `unknown ELF class ${ident[4]}`);
  if (ident[5] !== ELFDATA2LSB && ident[5] !== ELFDATA2MSB)
    throw new ElfError(name, `unknown ELF data encoding ${ident[5]}`);
  const f = new Fields(ident[5] === ELFDATA2LSB, cls === 64);
  if (file.size < EHDR_SIZE[cls]) throw new ElfError(name, `ELF header cut short (file is ${file.size} bytes)`);
  const b = file.read(0, EHDR_SIZE[cls]);
  // ELF32 and ELF64 headers differ only in the width of e_entry/e_phoff/e_shoff
  const w = cls === 64 ? 8 : 4;
  const o = 24 + 3 * w; // e_flags
  const header: ElfHeader = {
    class: cls,
    littleEndian: f.littleEndian,
    osabi: ident[7]!,
    abiVersion: ident[8]!,
    type: f.u16(b, 16),
    machine: f.u16(b, 18),
    version: f.u32(b, 20),
    entry: f.word(b, 24),
    phoff: f.word(b, 24 + w),
    shoff: f.word(b, 24 + 2 * w),
    flags: f.u32(b, o),
    ehsize: f.u16(b, o + 4),
    phentsize: f.u16(b, o + 6),
    phnum: f.u16(b, o + 8),
    shentsize: f.u16(b, o + 10),
    shnum: f.u16(b, o + 12),
    shstrndx: f.u16(b, o + 14),
  };
  return { header, fields: f };
}

/** Check a table of `count` entries of `entsize` bytes at `offset` lies inside the file. */
function checkTable(
  file: RandomAccessFile,
  name: string,
  what: string,
  offset: bigint,
  count: number,
  entsize: number,
  minEntsize: number,
): void {
  if (count === 0) return;
  if (entsize < minEntsize) throw new ElfError(name, `${what} entry size ${entsize} is smaller than ${minEntsize}`);
  const end = offset + BigInt(count) * BigInt(entsize);
  if (end > BigInt(file.size)) {
    throw new ElfError(
      name,
      `${what} (${count} entries at offset 0x${offset.toString(16)}) runs past the end of the file (size ${file.size})`,
    );
  }
}

/**
 * Read the section header table and the program header table, resolving the extended numbering
 * (e_shnum == 0, e_shstrndx == SHN_XINDEX, e_phnum == PN_XNUM: the real values live in section 0).
 * Mutates `header` so its counts are the real ones. With `tolerateCutSections`, a section table
 * lying past the end of the file is a warning (no sections) instead of an error.
 */
export function readTables(
  file: RandomAccessFile,
  name: string,
  header: ElfHeader,
  f: Fields,
  warnings: string[],
  tolerateCutSections = false,
): { sections: SectionHeader[]; programHeaders: ProgramHeader[] } {
  const cls = header.class;
  const sections: SectionHeader[] = [];
  const shEnd = header.shoff + BigInt(Math.max(header.shnum, 1) * header.shentsize);
  if (header.shoff !== 0n && tolerateCutSections && shEnd > BigInt(file.size) && header.phnum !== PN_XNUM) {
    // a core cut short loses its trailing section table; its memory is described by program headers
    warnings.push(
      `${name}: section header table at offset 0x${header.shoff.toString(16)} is past the end of the file (size ${file.size}); ignored`,
    );
    header.shnum = 0;
  } else if (header.shoff !== 0n) {
    if (header.shentsize < SHDR_SIZE[cls]) {
      throw new ElfError(name, `section header entry size ${header.shentsize} is smaller than ${SHDR_SIZE[cls]}`);
    }
    checkTable(file, name, 'section header table', header.shoff, 1, header.shentsize, SHDR_SIZE[cls]);
    const s0 = parseSection(file.read(header.shoff, SHDR_SIZE[cls]), 0, f);
    if (header.shnum === 0) {
      if (s0.size > BigInt(Math.floor(file.size / SHDR_SIZE[cls]))) {
        throw new ElfError(name, `section count ${s0.size} (from section 0) is larger than the file allows`);
      }
      header.shnum = Number(s0.size);
    }
    if (header.shstrndx === SHN_XINDEX) header.shstrndx = s0.link;
    if (header.phnum === PN_XNUM) header.phnum = s0.info;
    checkTable(file, name, 'section header table', header.shoff, header.shnum, header.shentsize, SHDR_SIZE[cls]);
    for (const [b, o, i] of tableEntries(file, header.shoff, header.shnum, header.shentsize, SHDR_SIZE[cls]))
      sections.push(parseSection(b, o, f, i));
    nameSections(file, name, header, sections, warnings);
  } else {
    header.shnum = 0;
    if (header.phnum === PN_XNUM)
      throw new ElfError(name, 'program header count is PN_XNUM but there is no section 0 to hold it');
  }

  const programHeaders: ProgramHeader[] = [];
  if (header.phnum > 0) {
    checkTable(file, name, 'program header table', header.phoff, header.phnum, header.phentsize, PHDR_SIZE[cls]);
    for (const [b, o, i] of tableEntries(file, header.phoff, header.phnum, header.phentsize, PHDR_SIZE[cls]))
      programHeaders.push(parseProgramHeader(b, o, f, i));
  }
  return { sections, programHeaders };
}

/**
 * The entries of a header table as (buffer, offset, index). A table of standard-size entries is read at
 * once; a damaged header's larger entry size (up to 64 KiB each, times up to 65535 entries: 4 GiB) makes
 * the table mostly padding, so then each entry's used bytes are read alone rather than the whole span.
 */
function* tableEntries(
  file: RandomAccessFile,
  offset: bigint,
  count: number,
  entsize: number,
  used: number,
): Generator<[Buffer, number, number]> {
  if (entsize === used) {
    const table = file.read(offset, count * entsize);
    for (let i = 0; i < count; i++) yield [table, i * entsize, i];
    return;
  }
  for (let i = 0; i < count; i++) yield [file.read(offset + BigInt(i * entsize), used), 0, i];
}

function parseSection(b: Buffer, o: number, f: Fields, index = 0): SectionHeader {
  const w = f.is64 ? 8 : 4;
  // Elf64_Shdr: name, type (4 each), flags, addr, offset, size (8 each), link, info (4 each), addralign, entsize (8 each)
  const flagsOff = o + 8;
  const linkOff = flagsOff + 4 * w;
  return {
    index,
    name: '',
    nameOffset: f.u32(b, o),
    type: f.u32(b, o + 4),
    flags: f.word(b, flagsOff),
    addr: f.word(b, flagsOff + w),
    offset: f.word(b, flagsOff + 2 * w),
    size: f.word(b, flagsOff + 3 * w),
    link: f.u32(b, linkOff),
    info: f.u32(b, linkOff + 4),
    addralign: f.word(b, linkOff + 8),
    entsize: f.word(b, linkOff + 8 + w),
  };
}

function parseProgramHeader(b: Buffer, o: number, f: Fields, index: number): ProgramHeader {
  if (f.is64) {
    // Elf64_Phdr: type, flags, offset, vaddr, paddr, filesz, memsz, align
    return {
      index,
      type: f.u32(b, o),
      flags: f.u32(b, o + 4),
      offset: f.u64(b, o + 8),
      vaddr: f.u64(b, o + 16),
      paddr: f.u64(b, o + 24),
      filesz: f.u64(b, o + 32),
      memsz: f.u64(b, o + 40),
      align: f.u64(b, o + 48),
    };
  }
  // Elf32_Phdr: type, offset, vaddr, paddr, filesz, memsz, flags, align (flags moved for alignment)
  return {
    index,
    type: f.u32(b, o),
    offset: BigInt(f.u32(b, o + 4)),
    vaddr: BigInt(f.u32(b, o + 8)),
    paddr: BigInt(f.u32(b, o + 12)),
    filesz: BigInt(f.u32(b, o + 16)),
    memsz: BigInt(f.u32(b, o + 20)),
    flags: f.u32(b, o + 24),
    align: BigInt(f.u32(b, o + 28)),
  };
}

/** Fill in section names from the section name string table (e_shstrndx). */
function nameSections(
  file: RandomAccessFile,
  name: string,
  header: ElfHeader,
  sections: SectionHeader[],
  warnings: string[],
): void {
  const idx = header.shstrndx;
  if (idx === 0) return; // SHN_UNDEF: the file has no section names
  const strtab = sections[idx];
  if (!strtab) {
    warnings.push(`${name}: section name table index ${idx} is out of range (${sections.length} sections)`);
    return;
  }
  if (strtab.type === SHT_NOBITS || strtab.offset + strtab.size > BigInt(file.size)) {
    warnings.push(`${name}: section name table (section ${idx}) lies outside the file`);
    return;
  }
  const bytes = file.read(strtab.offset, Number(strtab.size));
  for (const s of sections) s.name = cString(bytes, s.nameOffset);
}

/** NUL-terminated string at `off` (to the end of the buffer if unterminated; '' if out of range). */
export function cString(b: Buffer, off: number): string {
  if (off >= b.length) return '';
  let end = b.indexOf(0, off);
  if (end < 0) end = b.length;
  return b.toString('utf8', off, end);
}
