/** Explain mode for `vtop` and `vm`: the page-table walk, and a process's mappings. */
import type { Explanation } from '../render/view.js';
import { NoteList } from './index.js';

export function explainVtop(lines: string[]): Explanation | undefined {
  const n = new NoteList(lines);
  const head = n.first(/^VIRTUAL\s+PHYSICAL/, 'the address you gave and the physical address it maps to');
  if (head < 0) return undefined;
  n.first(
    /^PGD DIRECTORY: /,
    "the top page table: the kernel's own (init_mm.pgd), or the task's mm->pgd for a user address",
  );
  n.first(/^\s+PUD: /, 'each level: where the entry is => what it holds (the next table, or a large page)');
  n.first(/^\s+PAGE: .*\((2MB|1GB)\)/, 'a large page: the walk ended early, one entry maps 2 MiB (or 1 GiB)');
  n.first(
    /^\s+PTE\s+PHYSICAL\s+FLAGS/,
    'the last entry: PRESENT, RW (writable), NX (no execute), GLOBAL (kernel, kept across switches)...',
  );
  n.first(/^\s+PAGE\s+PHYSICAL\s+MAPPING/, 'the struct page that describes this physical page (kmem -p shows it too)');
  return n.done([
    'the page tables (pgd → p4d → pud → pmd → pte), each entry read from the dump',
    'vmemmap (struct page)',
  ]);
}

export function explainVm(lines: string[]): Explanation | undefined {
  const n = new NoteList(lines);
  if (
    n.first(/^\s+MM\s+PGD\s+RSS\s+TOTAL_VM/, "the task's mm_struct, its page table root, resident and total size") < 0
  )
    return undefined;
  n.first(
    /^\s+VMA\s+START\s+END\s+FLAGS\s+FILE/,
    'one line per mapping (vm_area_struct): its range, vm_flags and the file mapped there',
  );
  n.first(
    /^[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s*$/,
    'no file: anonymous memory (heap, stack, or private data)',
  );
  return n.done([
    'task_struct.mm',
    'mm_struct.mm_mt (the maple tree of VMAs, 6.1+) or mm->mmap',
    'vm_area_struct.vm_start, vm_end, vm_flags, vm_file',
  ]);
}
