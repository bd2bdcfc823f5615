/**
 * Our ELF reader against GNU readelf on the corpus vmlinux of both kernels: every section header,
 * the program headers and every .symtab entry must match. (These are the facts elfy gets wrong:
 * ELF64 sh_addralign/sh_entsize, and 64-bit addresses as JS numbers; see docs/why-not-elfy.md.)
 */
import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  ElfFile,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_MERGE,
  SHF_STRINGS,
  SHF_WRITE,
  SHF_INFO_LINK,
} from '../../src/elf/index.js';
import { openMaybeCompressed, RandomAccessFile } from '../../src/dump/file.js';
import { caseInfo, corpusAvailable, vmlinuxGz, vmlinuxPlain } from '../helpers/corpus.js';
import { parseSectionTable, parseSymbols, readelf, readelfAvailable } from './readelf-output.js';

const SECTION_TYPES: Record<string, number> = {
  NULL: 0,
  PROGBITS: 1,
  SYMTAB: 2,
  STRTAB: 3,
  RELA: 4,
  HASH: 5,
  DYNAMIC: 6,
  NOTE: 7,
  NOBITS: 8,
  REL: 9,
  DYNSYM: 11,
  INIT_ARRAY: 14,
  FINI_ARRAY: 15,
};
const SYM_TYPES = ['NOTYPE', 'OBJECT', 'FUNC', 'SECTION', 'FILE', 'COMMON', 'TLS'];
const SYM_BINDS = ['LOCAL', 'GLOBAL', 'WEAK'];
const SYM_VIS = ['DEFAULT', 'INTERNAL', 'HIDDEN', 'PROTECTED'];

/** readelf's flag letters for the flags we decode, in its order */
function flagLetters(flags: bigint): string {
  const table: [bigint, string][] = [
    [SHF_WRITE, 'W'],
    [SHF_ALLOC, 'A'],
    [SHF_EXECINSTR, 'X'],
    [SHF_MERGE, 'M'],
    [SHF_STRINGS, 'S'],
    [SHF_INFO_LINK, 'I'],
  ];
  return table
    .filter(([bit]) => flags & bit)
    .map(([, l]) => l)
    .join('');
}

function ndxText(shndx: number): string {
  if (shndx === 0) return 'UND';
  if (shndx === 0xfff1) return 'ABS';
  if (shndx === 0xfff2) return 'COM';
  return String(shndx);
}

const cases = ['k61-sysrq-c', 'k612-sysrq-c'];
const ready = corpusAvailable && readelfAvailable;
const d = ready ? describe : describe.skip;

d(`vmlinux vs readelf${ready ? '' : ' (skipped: no corpus or no readelf)'}`, () => {
  for (const c of cases) {
    describe(corpusAvailable ? caseInfo(c).kernel_release : c, () => {
      it('section headers equal readelf -SW', async () => {
        const path = await vmlinuxPlain(c);
        const elf = ElfFile.open(path);
        const want = parseSectionTable(readelf(['-SW'], path));
        expect(want.length).toBeGreaterThan(30);
        expect(elf.sections.length).toBe(want.length);
        for (const w of want) {
          const s = elf.sections[w.index]!;
          expect({
            name: s.name,
            type: s.type,
            addr: s.addr,
            offset: s.offset,
            size: s.size,
            entsize: s.entsize,
            flags: flagLetters(s.flags),
            link: s.link,
            info: s.info,
            addralign: s.addralign,
          }).toEqual({
            name: w.name,
            type: SECTION_TYPES[w.type],
            addr: w.addr,
            offset: w.offset,
            size: w.size,
            entsize: w.entsize,
            flags: w.flags,
            link: w.link,
            info: w.info,
            addralign: w.addralign,
          });
        }
        // the values elfy misreads (entsize 0x18 of .symtab, 4096-byte alignment of .text) come out right
        expect(elf.section('.symtab')!.entsize).toBe(24n);
        expect(elf.section('.text')!.addralign).toBe(4096n);
        expect(elf.section('.text')!.addr > 2n ** 53n).toBe(true);
        elf.close();
      });

      it('program headers equal readelf -lW', async () => {
        const path = await vmlinuxPlain(c);
        const elf = ElfFile.open(path);
        const rows = readelf(['-lW'], path)
          .split('\n')
          .map((l) => l.trim().split(/\s+/))
          .filter((t) => ['LOAD', 'NOTE'].includes(t[0]!) && t[1]?.startsWith('0x'));
        const ours = elf.programHeaders.filter((p) => p.type === 1 || p.type === 4);
        expect(ours.length).toBe(rows.length);
        rows.forEach((t, i) => {
          const p = ours[i]!;
          expect([p.offset, p.vaddr, p.paddr, p.filesz, p.memsz, p.align]).toEqual(
            [t[1], t[2], t[3], t[4], t[5], t[t.length - 1]].map((x) => BigInt(x!)),
          );
        });
        // the vmlinux PT_NOTE holds the build-id note
        expect(elf.notes().some((n) => n.name === 'GNU' && n.type === 3)).toBe(true);
        elf.close();
      });

      it('every .symtab entry equals readelf -sW', async () => {
        const path = await vmlinuxPlain(c);
        const elf = ElfFile.open(path);
        const t0 = performance.now();
        const table = elf.symbolTable()!;
        const ms = performance.now() - t0;
        const want = parseSymbols(readelf(['-sW'], path));
        expect(table.count).toBe(want.length);
        expect(want.length).toBeGreaterThan(100_000);
        let mismatches = 0;
        const firstBad: string[] = [];
        for (const w of want) {
          const i = w.index;
          const got = [
            table.value(i),
            table.size(i),
            SYM_TYPES[table.type(i)],
            SYM_BINDS[table.bind(i)],
            SYM_VIS[table.visibility(i)],
            ndxText(table.shndx(i)),
          ];
          const exp = [w.value, w.size, w.type, w.bind, w.vis, w.ndx];
          // readelf shows the section's name for STT_SECTION symbols, whose own name is empty
          const nameOk = w.type === 'SECTION' ? table.name(i) === '' : table.name(i) === w.name;
          if (!nameOk || got.some((g, k) => g !== exp[k])) {
            mismatches++;
            if (firstBad.length < 3)
              firstBad.push(`${i}: ${table.name(i)} ${got.join(' ')} vs ${w.name} ${exp.join(' ')}`);
          }
        }
        expect(firstBad).toEqual([]);
        expect(mismatches).toBe(0);
        // a kernel symbol above 2^53, exact (System.map agrees)
        const banner = elf.symbols().find((s) => s.name === 'linux_banner')!;
        const map = readFileSync(vmlinuxGz(c).replace(/vmlinux-([^/]+)\.nodwarf\.gz$/, 'System.map-$1'), 'utf8');
        const line = map.split('\n').find((l) => l.endsWith(' linux_banner'))!;
        expect(banner.value).toBe(BigInt('0x' + line.split(' ')[0]));
        console.log(`${c}: ${table.count} symbols decoded in ${ms.toFixed(0)} ms`);
        elf.close();
      }, 60_000);

      it('the .gz vmlinux opens to the same bytes', async () => {
        const plainPath = await vmlinuxPlain(c);
        const gz = openMaybeCompressed(vmlinuxGz(c));
        const plain = new RandomAccessFile(plainPath);
        expect(gz.size).toBe(plain.size);
        let seed = 12345;
        const h1 = createHash('sha256');
        const h2 = createHash('sha256');
        for (let k = 0; k < 500; k++) {
          seed = (seed * 1103515245 + 12345) % 2 ** 31;
          const off = seed % (plain.size - 8192);
          h1.update(gz.read(off, 8192));
          h2.update(plain.read(off, 8192));
        }
        h1.update(gz.read(gz.size - 100, 100));
        h2.update(plain.read(plain.size - 100, 100));
        expect(h1.digest('hex')).toBe(h2.digest('hex'));
        gz.close();
        plain.close();
        const viaGz = ElfFile.open(vmlinuxGz(c));
        expect(viaGz.section('.BTF')!.size).toBeGreaterThan(1_000_000n);
        viaGz.close();
      }, 60_000);
    });
  }
});
