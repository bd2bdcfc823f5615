/**
 * x86_64 kernel address translation on a synthetic layout: page tables built in a small fake physical
 * memory, with the KASLR layout that broke 5.10's bt — vmalloc_base only ~11 TiB above page_offset_base
 * (arch/x86/mm/kaslr.c sizes the direct-map region as RAM + 10 TiB of padding, then places vmalloc at a
 * random distance after it). A vmap'd stack there must be walked through the page tables, not taken as a
 * direct-map address (which gave "physical 20344045bdf0": far outside a 384 MB machine).
 */
import { describe, expect, it } from 'vitest';
import { PageError } from '../../src/dump/types.js';
import {
  directMapEnd,
  maxDirectMapSize,
  TranslationError,
  X86_64Translator,
  type PhysReader,
} from '../../src/kernel/arch/x86_64/translate.js';

const TiB = 1n << 40n;
const PAGE = 4096n;

/** Physical memory of `pages` 4 KiB pages; reads past the end fail as a dump does. */
class FakePhys implements PhysReader {
  readonly mem: Buffer;
  constructor(pages: number) {
    this.mem = Buffer.alloc(pages * 4096);
  }
  readPhys(paddr: bigint, length: number): Buffer {
    if (paddr + BigInt(length) > BigInt(this.mem.length)) throw new PageError(paddr, 'not-present');
    return this.mem.subarray(Number(paddr), Number(paddr) + length);
  }
  setEntry(table: bigint, index: bigint, value: bigint): void {
    this.mem.writeBigUInt64LE(value, Number(table + index * 8n));
  }
}

/**
 * Maps one 4 KiB page at `vaddr` to physical `frame` with 4-level tables in pages 1..4 (PGD at page 1).
 * Returns the PGD's physical address.
 */
function mapOnePage(phys: FakePhys, vaddr: bigint, frame: bigint): bigint {
  const [pgd, pud, pmd, pte] = [1n, 2n, 3n, 4n].map((p) => p * PAGE);
  const idx = (shift: bigint): bigint => (vaddr >> shift) & 0x1ffn;
  phys.setEntry(pgd!, idx(39n), pud! | 0x63n);
  phys.setEntry(pud!, idx(30n), pmd! | 0x63n);
  phys.setEntry(pmd!, idx(21n), pte! | 0x63n);
  phys.setEntry(pte!, idx(12n), frame | 0x63n);
  return pgd!;
}

// the 5.10 dump's layout: 384 MB of RAM (max_pfn 0x17fd7), vmalloc 0xb4bc0000000 above page_offset_base
const POB = 0xffff979000000000n;
const VMALLOC = 0xffffa2dbc0000000n;
const VMEMMAP = 0xffffd9ce00000000n;
const MAX_PFN = 0x17fd7n;
const STACK = 0xffffa2dbc01dfdf0n; // a vmap'd task stack word, as bt read it

describe('directMapEnd: where the linear direct map stops', () => {
  it('ends at the end of RAM (max_pfn pages above page_offset_base)', () => {
    expect(directMapEnd(POB, false, MAX_PFN, [VMALLOC, VMEMMAP])).toBe(POB + MAX_PFN * PAGE);
  });

  it('never reaches a region that follows it, even when max_pfn is unknown', () => {
    expect(directMapEnd(POB, false, undefined, [VMALLOC, VMEMMAP])).toBe(VMALLOC);
    // regions below page_offset_base (5-level vmalloc can be anywhere) do not bound it
    expect(directMapEnd(POB, false, undefined, [POB - TiB])).toBe(POB + (1n << 46n));
  });

  it('with nothing known: the largest direct map the paging mode allows (46 / 52 bits)', () => {
    expect(directMapEnd(POB, false, undefined, [])).toBe(POB + maxDirectMapSize(false));
    expect(maxDirectMapSize(false)).toBe(64n * TiB);
    expect(maxDirectMapSize(true)).toBe(1n << 52n);
    // a max_pfn beyond what the mode can map (a damaged value) is not believed
    expect(directMapEnd(POB, false, 1n << 40n, [])).toBe(POB + (1n << 46n));
  });
});

describe('X86_64Translator with vmalloc 11 TiB above page_offset_base', () => {
  const phys = new FakePhys(16);
  const frame = 9n * PAGE;
  const pgd = mapOnePage(phys, STACK, frame);
  const cfg = { physBase: 0n, pageOffsetBase: POB, kernelPgdPhys: pgd, fiveLevel: false };
  const t = new X86_64Translator(phys, { ...cfg, directMapEnd: directMapEnd(POB, false, MAX_PFN, [VMALLOC]) });

  it('walks the page tables for a vmap’d stack address instead of subtracting page_offset_base', () => {
    expect(STACK - POB).toBe(0xb4bc01dfdf0n); // what the fixed 64 TiB window made of it
    expect(t.kvtop(STACK)).toBe(frame | (STACK & 0xfffn));
    expect(t.directMapPhys(STACK)).toBeUndefined();
  });

  it('keeps direct-map addresses of RAM linear', () => {
    expect(t.kvtop(POB + 0x17cbad00n)).toBe(0x17cbad00n);
    expect(t.directMapPhys(POB + 0x17cbad00n)).toBe(0x17cbad00n);
    expect(t.directMapPhys(POB - 8n)).toBeUndefined();
  });

  it('an address past the end of RAM but below vmalloc is not mapped (the walk says so)', () => {
    const beyond = POB + MAX_PFN * PAGE + 0x1000n;
    expect(t.directMapPhys(beyond)).toBeUndefined();
    expect(() => t.kvtop(beyond)).toThrow(TranslationError);
    expect(() => t.kvtop(beyond)).toThrow(/not mapped: PGD entry not present/);
  });

  it('without a bound the old 64 TiB window is kept (what a dump with no max_pfn/vmalloc_base gets)', () => {
    const wide = new X86_64Translator(phys, cfg);
    expect(wide.directMapPhys(STACK)).toBe(STACK - POB);
  });
});
