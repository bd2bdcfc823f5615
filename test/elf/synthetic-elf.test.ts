/** The ELF reader on small files built here: ELF32 big-endian, ELF64 extended numbering, garbage. */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  ElfError,
  ElfFile,
  PT_LOAD,
  PT_NOTE,
  SHT_NOBITS,
  SHT_NOTE,
  SHT_PROGBITS,
  SHT_STRTAB,
  SHT_SYMTAB,
  STB_GLOBAL,
  STB_WEAK,
  STT_FUNC,
  STT_OBJECT,
  STV_HIDDEN,
} from '../../src/elf/index.js';
import { buildElf, note } from '../../src/elf/build.js';
import { parseSectionTable, parseSymbols, readelfAvailable } from './readelf-output.js';

const dir = mkdtempSync(join(tmpdir(), 'crash-ts-elf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, b: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, b);
  return p;
}

/** Elf32_Sym, big-endian: name, value, size, info, other, shndx */
function sym32be(name: number, value: number, size: number, info: number, other: number, shndx: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32BE(name, 0);
  b.writeUInt32BE(value, 4);
  b.writeUInt32BE(size, 8);
  b[12] = info;
  b[13] = other;
  b.writeUInt16BE(shndx, 14);
  return b;
}

function elf32be(): Buffer {
  const strtab = Buffer.from('\0start\0counter\0weak_thing\0', 'latin1');
  const symtab = Buffer.concat([
    sym32be(0, 0, 0, 0, 0, 0),
    sym32be(1, 0x80001000, 0x40, (STB_GLOBAL << 4) | STT_FUNC, 0, 1),
    sym32be(7, 0x80002000, 4, (STB_GLOBAL << 4) | STT_OBJECT, STV_HIDDEN, 2),
    sym32be(15, 0xfffffff0, 8, (STB_WEAK << 4) | STT_OBJECT, 0, 0xfff1),
  ]);
  const notes = note('Linux', 0x101, Buffer.from([1, 2, 3, 4]), false);
  return buildElf({
    is64: false,
    le: false,
    machine: 20, // EM_PPC
    entry: 0x80001000n,
    sections: [
      {
        name: '.text',
        type: SHT_PROGBITS,
        flags: 6n,
        addr: 0x80001000n,
        data: Buffer.alloc(0x40, 0x60),
        addralign: 16n,
      },
      { name: '.bss', type: SHT_NOBITS, flags: 3n, addr: 0x80002000n, size: 0x100n, addralign: 8n },
      { name: '.note', type: SHT_NOTE, data: notes, addralign: 4n },
      { name: '.symtab', type: SHT_SYMTAB, data: symtab, link: 5, info: 1, addralign: 4n, entsize: 16n },
      { name: '.strtab', type: SHT_STRTAB, data: strtab, addralign: 1n },
    ],
    phdrs: [
      { type: PT_LOAD, section: '.text', vaddr: 0x80001000n, paddr: 0x1000n, flags: 5, align: 0x1000n },
      { type: PT_NOTE, section: '.note', align: 4n },
    ],
  });
}

describe('ELF32 big-endian', () => {
  const path = write('be32', elf32be());

  it('header, sections, segments', () => {
    const e = ElfFile.open(path);
    expect(e.header).toMatchObject({
      class: 32,
      littleEndian: false,
      type: 2,
      machine: 20,
      entry: 0x80001000n,
      phnum: 2,
      shnum: 7,
    });
    expect(e.sections.map((s) => s.name)).toEqual(['', '.text', '.bss', '.note', '.symtab', '.strtab', '.shstrtab']);
    expect(e.section('.text')).toMatchObject({
      type: SHT_PROGBITS,
      addr: 0x80001000n,
      size: 0x40n,
      addralign: 16n,
      flags: 6n,
    });
    expect(e.section('.bss')).toMatchObject({ type: SHT_NOBITS, size: 0x100n, addralign: 8n });
    expect(e.readSection(e.section('.bss')!).length).toBe(0);
    expect(e.programHeaders[0]).toMatchObject({
      type: PT_LOAD,
      vaddr: 0x80001000n,
      paddr: 0x1000n,
      filesz: 0x40n,
      flags: 5,
      align: 0x1000n,
    });
    expect(e.readVirtual(0x80001010n, 4)).toEqual(Buffer.alloc(4, 0x60));
    expect(e.readVirtual(0x80001040n, 1)).toBeUndefined();
    expect(e.notes()).toEqual([{ name: 'Linux', type: 0x101, desc: Buffer.from([1, 2, 3, 4]) }]);
    e.close();
  });

  it('symbols', () => {
    const e = ElfFile.open(path);
    expect(e.symbols().slice(1)).toEqual([
      {
        index: 1,
        name: 'start',
        value: 0x80001000n,
        size: 0x40n,
        type: STT_FUNC,
        bind: STB_GLOBAL,
        visibility: 0,
        shndx: 1,
      },
      {
        index: 2,
        name: 'counter',
        value: 0x80002000n,
        size: 4n,
        type: STT_OBJECT,
        bind: STB_GLOBAL,
        visibility: STV_HIDDEN,
        shndx: 2,
      },
      {
        index: 3,
        name: 'weak_thing',
        value: 0xfffffff0n,
        size: 8n,
        type: STT_OBJECT,
        bind: STB_WEAK,
        visibility: 0,
        shndx: 0xfff1,
      },
    ]);
    expect(e.dynamicSymbols()).toEqual([]);
    e.close();
  });

  it.skipIf(!readelfAvailable)('agrees with readelf', () => {
    const e = ElfFile.open(path);
    const secs = parseSectionTable(spawnSync('readelf', ['-SW', path], { encoding: 'utf8' }).stdout);
    expect(secs.map((s) => [s.name, s.addr, s.offset, s.size, s.addralign])).toEqual(
      e.sections.map((s) => [s.name, s.addr, s.offset, s.size, s.addralign]),
    );
    const syms = parseSymbols(spawnSync('readelf', ['-sW', path], { encoding: 'utf8' }).stdout);
    expect(syms.map((s) => [s.name, s.value, s.size])).toEqual(e.symbols().map((s) => [s.name, s.value, s.size]));
    e.close();
  });
});

describe('ELF64 extended numbering (PN_XNUM, e_shnum 0, SHN_XINDEX)', () => {
  it('takes the real counts from section 0', () => {
    const path = write(
      'xnum',
      buildElf({
        is64: true,
        le: true,
        type: 4,
        extendedNumbering: true,
        sections: [{ name: '.data', type: SHT_PROGBITS, data: Buffer.alloc(16, 7), addralign: 8n }],
        phdrs: [
          { type: PT_LOAD, section: '.data', paddr: 0x5000n },
          { type: PT_LOAD, section: '.data', paddr: 0x9000n, memsz: 0x1000n },
        ],
      }),
    );
    const e = ElfFile.open(path);
    expect(e.header.phnum).toBe(2);
    expect(e.header.shnum).toBe(3);
    expect(e.header.shstrndx).toBe(2);
    expect(e.sections.map((s) => s.name)).toEqual(['', '.data', '.shstrtab']);
    expect(e.programHeaders.map((p) => p.paddr)).toEqual([0x5000n, 0x9000n]);
    e.close();
  });
});

describe('bad files', () => {
  const good = buildElf({
    is64: true,
    le: true,
    sections: [{ name: '.text', type: SHT_PROGBITS, data: Buffer.alloc(64) }],
    phdrs: [{ type: PT_LOAD, section: '.text' }],
  });

  function openError(name: string, b: Buffer): string {
    const p = write(name, b);
    try {
      ElfFile.open(p).close();
    } catch (e) {
      expect(e).toBeInstanceOf(ElfError);
      const msg = (e as Error).message;
      expect(msg.startsWith(`${p}: `)).toBe(true);
      expect(msg).not.toContain('\n');
      return msg.slice(p.length + 2);
    }
    throw new Error('expected an ElfError');
  }

  it('one-line errors naming the file and the problem', () => {
    expect(openError('empty', Buffer.alloc(0))).toBe('not an ELF file (only 0 bytes)');
    expect(openError('text', Buffer.from('hello, this is not an ELF file at all'))).toBe('not an ELF file (bad magic)');
    const badClass = Buffer.from(good);
    badClass[4] = 9;
    expect(openError('class', badClass)).toBe('unknown ELF class 9');
    expect(openError('cut-header', good.subarray(0, 40))).toMatch(/ELF header cut short/);
    expect(openError('cut-sections', good.subarray(0, good.length - 10))).toMatch(
      /section header table \(3 entries at offset 0x[0-9a-f]+\) runs past the end/,
    );
  });

  it('huge counts from the file are bounded by its size, not allocated', () => {
    const b = Buffer.from(good);
    b.writeUInt16LE(0xfffe, 56); // e_phnum
    expect(openError('phnum', b)).toMatch(/program header table \(65534 entries .*runs past the end/);
    const x = Buffer.from(good);
    x.writeUInt16LE(0, 60); // e_shnum = 0: the real count comes from section 0's sh_size...
    const shoff = Number(x.readBigUInt64LE(40));
    x.writeBigUInt64LE(0xffffffffffffn, shoff + 32); // ...which claims 2^48 sections
    expect(openError('shnum', x)).toMatch(/section count 281474976710655 .* larger than the file allows/);
  });

  it('a symbol table whose string table is out of range', () => {
    const b = buildElf({
      is64: true,
      le: true,
      sections: [{ name: '.symtab', type: SHT_SYMTAB, data: Buffer.alloc(48), link: 99, entsize: 24n }],
    });
    const e = ElfFile.open(write('badlink', b));
    expect(() => e.symbols()).toThrow(/badlink: symbol table .symtab links to missing string table 99/);
    e.close();
  });
});
