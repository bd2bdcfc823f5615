/**
 * What a user page-table walk finds for one page, told apart the way `vm -p` reports it: a present
 * page (its physical address), a non-present entry that still holds a value (a swap entry), an empty
 * entry at some level (nothing mapped yet), or a page-table page the dump does not hold. The
 * translator's walk (translate.ts) only answers "mapped or not"; this keeps the last entry read.
 */
import { PageError } from '../../../dump/types.js';
import type { Memory } from '../../memory.js';

const PRESENT = 1n;
const PSE = 1n << 7n;
/** bits 12..51 of an entry: the physical frame (arch/x86/include/asm/pgtable_types.h PTE_PFN_MASK) */
const PFN_MASK = 0x000ffffffffff000n;
/** _PAGE_PROTNONE (the global bit reused): a PROT_NONE page is present to the kernel */
const PROTNONE = 1n << 8n;

export type UserPage =
  | { kind: 'mapped'; paddr: bigint }
  | { kind: 'swap'; entry: bigint }
  | { kind: 'none' }
  | { kind: 'unreadable'; reason: string };

/** Walk the page tables of `pgd` (mm->pgd, a kernel virtual address) for the user page at `vaddr`. */
export function userPage(mem: Memory, pgd: bigint, vaddr: bigint): UserPage {
  const cfg = mem.translator.cfg;
  const mask = PFN_MASK & ~(cfg.smeMask ?? 0n);
  const shifts = cfg.fiveLevel ? [48n, 39n, 30n, 21n, 12n] : [39n, 30n, 21n, 12n];
  let table: bigint;
  try {
    table = mem.vtop(pgd) & mask;
  } catch (e) {
    return { kind: 'unreadable', reason: `pgd ${pgd.toString(16)}: ${(e as Error).message}` };
  }
  for (const shift of shifts) {
    const slot = table + ((vaddr >> shift) & 0x1ffn) * 8n;
    let entry: bigint;
    try {
      entry = mem.readPhys(slot, 8).readBigUInt64LE(0);
    } catch (e) {
      const why = e instanceof PageError && e.reason === 'excluded' ? 'excluded from the dump' : 'not in the dump';
      return { kind: 'unreadable', reason: `page table page ${table.toString(16)} ${why}` };
    }
    if (entry === 0n) return { kind: 'none' };
    const leaf = shift === 12n || ((shift === 30n || shift === 21n) && (entry & PSE) !== 0n);
    if (!(entry & PRESENT) && !(leaf && entry & PROTNONE)) return leaf ? { kind: 'swap', entry } : { kind: 'none' };
    if (leaf) {
      const pageMask = (1n << shift) - 1n;
      return { kind: 'mapped', paddr: (entry & mask & ~pageMask) | (vaddr & pageMask & ~0xfffn) };
    }
    table = entry & mask;
  }
  return { kind: 'none' };
}

/**
 * The swap area (type) and slot (offset) a non-present user PTE names (arch/x86/include/asm/pgtable_64.h).
 * Since 4.18 (the L1TF mitigation) the offset is stored inverted in bits 9..58 and the type in bits 59..63, so
 * the entry never points at real memory; 4.8-4.17 kept the type in bits 9..13 and the offset from bit 14;
 * before 4.8 the type was bits 1..6 and the offset from bit 8.
 */
export function swapEntryOfPte(pte: bigint, release: string | undefined): { type: number; offset: bigint } {
  const m = /^(\d+)\.(\d+)/.exec(release ?? '');
  const version = m ? Number(m[1]) * 1000 + Number(m[2]) : Infinity;
  const U64 = (1n << 64n) - 1n;
  if (version >= 4018) return { type: Number(pte >> 59n), offset: ((~pte << 5n) & U64) >> 14n };
  if (version >= 4008) return { type: Number((pte >> 9n) & 0x1fn), offset: pte >> 14n };
  return { type: Number((pte >> 1n) & 0x3fn), offset: pte >> 8n };
}
