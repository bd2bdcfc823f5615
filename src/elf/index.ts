/** The ELF reader: one import for everything in src/elf. */
export { ElfFile, type ElfOpenOptions } from './elf-file.js';
export { ElfError } from './errors.js';
export type { ElfHeader, ProgramHeader, SectionHeader } from './headers.js';
export { SymbolTable, type ElfSymbol } from './symbols.js';
export { parseNotes } from './notes.js';
export * from './constants.js';
