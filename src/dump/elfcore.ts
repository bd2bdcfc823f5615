import type { DumpFile } from './types.js';
import { DumpFormatError } from './types.js';

/** ELF vmcore (/proc/vmcore, makedumpfile -E, QEMU dump-guest-memory). Placeholder until src/elf lands. */
export function openElfCore(path: string): DumpFile {
  throw new DumpFormatError(`${path}: ELF vmcores are not supported yet`);
}
