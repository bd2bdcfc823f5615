/** crash's text layout of vtop: the header, each page-table entry read, and the leaf entry's flags. */
import type { WalkTrace } from '../../kernel/arch/x86_64/translate.js';
import { fit, hex } from './fields.js';

/** bits 12..51 of an entry: the physical frame */
const PHYSICAL_PAGE_MASK = 0x000ffffffffff000n;

/** x86_64 page-table entry bits, in the order crash names them */
const PTE_FLAGS: [string, bigint][] = [
  ['PRESENT', 1n << 0n],
  ['RW', 1n << 1n],
  ['USER', 1n << 2n],
  ['PWT', 1n << 3n],
  ['PCD', 1n << 4n],
  ['ACCESSED', 1n << 5n],
  ['DIRTY', 1n << 6n],
  ['PSE', 1n << 7n],
  ['PROTNONE', 1n << 8n],
  ['GLOBAL', 1n << 8n],
  ['NX', 1n << 63n],
];

/** The names of an entry's flags: PSE only on a present entry, PROTNONE (the global bit) only on an absent one. */
export function pteFlagNames(pte: bigint): string[] {
  const present = (pte & 1n) !== 0n;
  return PTE_FLAGS.filter(([name, bit]) => {
    if ((pte & bit) === 0n) return false;
    if (name === 'PSE') return present;
    if (name === 'PROTNONE') return !present;
    return true;
  }).map(([name]) => name);
}

export const ptePhysical = (pte: bigint): bigint => pte & PHYSICAL_PAGE_MASK;

export function vtopHeader(user: boolean): string[] {
  return [`${fit('VIRTUAL', user ? 10 : 16, 'left')}  ${fit('PHYSICAL', 16, 'left')}`];
}

/** The table of one leaf entry: PTE, PHYSICAL, FLAGS. */
export function pteTable(pte: bigint): string[] {
  const p = hex(pte);
  const phys = hex(ptePhysical(pte));
  const w1 = Math.max(p.length, 3);
  const w2 = Math.max(phys.length, 8);
  const flags = pte ? pteFlagNames(pte).join('|') : 'no mapping';
  return [
    `${fit('PTE', w1, 'center')}  ${fit('PHYSICAL', w2, 'center')}  FLAGS`,
    `${fit(p, w1, 'center-right')}  ${fit(phys, w2, 'center-right')}  (${flags})`,
  ];
}

/** The table of a swapped-out page's entry: PTE, the swap area's path and the page's slot in it. */
export function swapPteTable(pte: bigint, path: string, offset: bigint): string[] {
  const p = hex(pte);
  const o = offset.toString();
  const w1 = Math.max(p.length, 3);
  const w2 = Math.max(path.length, 4);
  const w3 = Math.max(o.length, 6);
  return [
    `${fit('PTE', w1, 'center')}  ${fit('SWAP', w2, 'center')}  ${fit('OFFSET', w3, 'center')}`,
    `${fit(p, w1, 'center-right')}  ${fit(path, w2, 'center-right')}  ${fit(o, w3, 'center-right')}`,
  ];
}

/**
 * The walk: a kernel one starts with the top table's virtual address and its entry ("PAGE DIRECTORY"); a user
 * one shows the top entry like the others. A leaf names its page and size, then the flags table.
 */
export function vtopWalkLines(
  trace: WalkTrace,
  user: boolean,
  pgdVirt: bigint | undefined,
  swap?: { path: string; offset: bigint },
): string[] {
  const lines: string[] = [];
  trace.entries.forEach((e, i) => {
    if (i === 0 && !user) {
      lines.push(`PGD DIRECTORY: ${hex(pgdVirt ?? 0n)}`, `PAGE DIRECTORY: ${hex(e.entry)}`);
      return;
    }
    lines.push(`   ${e.level}: ${hex(e.entryAddress)} => ${hex(e.entry)}`);
  });
  const last = trace.entries[trace.entries.length - 1];
  if (trace.physical !== undefined && last) {
    const base = ptePhysical(last.entry) & ~((trace.pageSize ?? 4096n) - 1n);
    const size = trace.pageSize === 1n << 30n ? '  (1GB)' : trace.pageSize === 1n << 21n ? '  (2MB)' : user ? '  ' : '';
    lines.push(`  PAGE: ${hex(base)}${size}`, '', ...pteTable(last.entry));
  } else if (last && last.level === 'PTE' && last.entry !== 0n) {
    lines.push('', ...(swap ? swapPteTable(last.entry, swap.path, swap.offset) : pteTable(last.entry)));
  }
  return lines;
}
