/** Whether an ELF file has DWARF at all (.debug_info), without loading the DWARF reader. */
import type { ElfFile } from '../elf/index.js';

export function hasDwarf(elf: ElfFile): boolean {
  return !!elf.section('.debug_info') || !!elf.section('.zdebug_info');
}
