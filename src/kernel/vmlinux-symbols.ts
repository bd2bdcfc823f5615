/**
 * A vmlinux's symbol table built from its .symtab: what openKernel does in-process, and what the symbol worker
 * (symbol-worker.ts) does on the second core during a cold start. One function, so that both build the same
 * columns.
 */
import { ElfFile, SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE, SHT_NOBITS } from '../elf/index.js';
import { Arena, zeroedLater } from '../dump/zeroed.js';
import { buildSymbolColumns, SymbolTable, symbolArenaBytes, type SectionInfo } from './symbols.js';

/** What the symbol table's kind letters need to know of each section. */
export function sectionInfos(elf: ElfFile): SectionInfo[] {
  return elf.sections.map((s) => ({
    name: s.name,
    exec: (s.flags & SHF_EXECINSTR) !== 0n,
    alloc: (s.flags & SHF_ALLOC) !== 0n,
    write: (s.flags & SHF_WRITE) !== 0n,
    nobits: s.type === SHT_NOBITS,
  }));
}

/**
 * The symbol table of a vmlinux, or undefined when it has no .symtab (a stripped file); its arrays are carved out
 * of `arena` when given (symbolArena()).
 */
export function vmlinuxSymbolTable(elf: ElfFile, arena?: Arena): SymbolTable | undefined {
  const source = elf.symbolTable();
  return source && new SymbolTable(buildSymbolColumns(source, sectionInfos(elf), arena));
}

/**
 * Zeroed memory for the symbol table of `elf` to be built in, its pages made on libuv's thread pool meanwhile
 * (src/dump/zeroed.ts); undefined without a .symtab.
 */
export function symbolArena(elf: ElfFile): Promise<Arena> | undefined {
  const sec = elf.symbolTableSections()[0];
  if (!sec || sec.entsize !== 24n) return undefined;
  return zeroedLater(symbolArenaBytes(Number(sec.size / 24n))).then((b) => new Arena(b));
}
