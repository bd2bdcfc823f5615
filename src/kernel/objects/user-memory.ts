/**
 * A task's user memory: virtual addresses translated through the task's own page tables
 * (mm->pgd, a kernel virtual address of the top-level table), then read from the dump.
 * Filtered dumps (makedumpfile -d 31) usually lack user pages: errors name the user address.
 */
import type { Kernel } from '../kernel.js';
import { MemoryError } from '../memory.js';

/** Read `length` bytes at user address `vaddr` of the mm_struct at `mm`. Throws MemoryError. */
export function readUser(k: Kernel, mm: bigint, vaddr: bigint, length: number): Buffer {
  if (mm === 0n) throw new MemoryError(vaddr, 'no user address space (kernel thread)');
  if (length < 0 || length > 1 << 24) throw new MemoryError(vaddr, `read of ${length} bytes refused`);
  return k.mem.readUser(k.object('struct mm_struct', mm).field('pgd').value(), vaddr, length);
}

/** The NUL-separated strings of mm->arg_start..arg_end or env_start..env_end. */
export function userStrings(k: Kernel, mm: bigint, which: 'arg' | 'env'): string[] {
  const m = k.object('struct mm_struct', mm);
  const start = m.field(`${which}_start`).value();
  const end = m.field(`${which}_end`).value();
  if (end <= start) return [];
  const len = Number(end - start > 65536n ? 65536n : end - start);
  const buf = readUser(k, mm, start, len);
  const parts = buf.toString('latin1').split('\0');
  while (parts.length && parts[parts.length - 1] === '') parts.pop();
  return parts;
}
