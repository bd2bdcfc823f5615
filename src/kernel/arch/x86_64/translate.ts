/**
 * x86_64 kernel virtual -> physical translation.
 *
 *  - the kernel image map: __START_KERNEL_map (0xffffffff80000000) + phys_base
 *    (arch/x86/include/asm/page_64.h __phys_addr_nodebug)
 *  - the direct map of all physical memory at page_offset_base (randomized with KASLR): linear only up to
 *    the end of RAM (max_pfn). With KASLR (CONFIG_RANDOMIZE_MEMORY) the kernel sizes the direct-map
 *    region as RAM + 10 TiB of padding and puts vmalloc and vmemmap at random distances after it
 *    (arch/x86/mm/kaslr.c), so vmalloc_base can lie only ~11 TiB above page_offset_base: a fixed window
 *    (64 TiB, MAX_PHYSMEM_BITS) would take vmap'd stacks for direct-map addresses. Past the end of RAM
 *    (or at vmalloc_base / vmemmap_base, whichever comes first) the page tables decide.
 *  - everything else (vmalloc, vmemmap, modules, cpu_entry_area, user space) through the page
 *    tables: 4-level, or 5-level when pgtable_l5_enabled; 1 GiB and 2 MiB leaf entries (PS bit).
 */
import { PageError } from '../../../dump/types.js';
import { isKernelAddress } from '../../address.js';

export const START_KERNEL_MAP = 0xffffffff80000000n;
const KERNEL_IMAGE_SIZE_DEFAULT = 0x40000000n; // 1 GiB with KASLR (NUMBER(KERNEL_IMAGE_SIZE))

const PTE_PRESENT = 1n;
const PTE_PSE = 1n << 7n; // "page size" bit in PUD/PMD entries: a 1 GiB / 2 MiB leaf
/** bits 12..51 of a page-table entry hold the physical frame (arch/x86/include/asm/pgtable_types.h PTE_PFN_MASK) */
const PTE_PFN_MASK = 0x000ffffffffff000n;

export interface PhysReader {
  readPhys(paddr: bigint, length: number): Buffer;
}

export interface TranslationConfig {
  physBase: bigint;
  pageOffsetBase: bigint;
  /** physical address of the top-level page table (init_top_pgt) */
  kernelPgdPhys: bigint;
  fiveLevel: boolean;
  kernelImageSize?: bigint;
  /** AMD SME encryption bit to strip from entries (NUMBER(sme_mask)) */
  smeMask?: bigint;
  /**
   * The first address past the linear direct map: page_offset_base + the end of RAM (max_pfn pages),
   * bounded by the next region (vmalloc_base, vmemmap_base). Without it, the architecture's largest
   * direct map (2^46 bytes with 4-level paging, 2^52 with 5) is assumed.
   */
  directMapEnd?: bigint;
}

/** The largest physical address space the direct map can cover (MAX_PHYSMEM_BITS: 46 with 4 levels, 52 with 5). */
export function maxDirectMapSize(fiveLevel: boolean): bigint {
  return 1n << (fiveLevel ? 52n : 46n);
}

/**
 * Where the linear direct map ends, from what the kernel says: RAM ends at `maxPfn` pages (undefined when
 * unreadable), and the direct map cannot reach a region that follows page_offset_base (vmalloc, vmemmap).
 */
export function directMapEnd(
  pageOffsetBase: bigint,
  fiveLevel: boolean,
  maxPfn: bigint | undefined,
  followingRegions: (bigint | undefined)[],
  pageSize = 4096n,
): bigint {
  let end = pageOffsetBase + maxDirectMapSize(fiveLevel);
  if (maxPfn !== undefined && maxPfn > 0n && maxPfn * pageSize < end - pageOffsetBase) {
    end = pageOffsetBase + maxPfn * pageSize;
  }
  for (const r of followingRegions) if (r !== undefined && r > pageOffsetBase && r < end) end = r;
  return end;
}

/** A translation that failed: names the virtual address and the level where the walk stopped. */
export class TranslationError extends Error {
  constructor(
    readonly vaddr: bigint,
    readonly reason: string,
  ) {
    super(`invalid ${isKernelAddress(vaddr) ? 'kernel' : 'user'} virtual address: ${vaddr.toString(16)}  (${reason})`);
    this.name = 'TranslationError';
  }
}

/** at most this many upper-level entries are remembered (then forgotten all at once) */
const UPPER_ENTRIES = 16384;

export class X86_64Translator {
  /**
   * Present entries of the upper levels that point to a next table (not huge pages), by their physical address:
   * a dump's page tables do not change, and the walks of 10,000 vmalloc'd stacks (foreach bt) read the same few
   * PGD/PUD/PMD entries again and again.
   */
  private readonly upper = new Map<bigint, bigint>();
  private readonly imageEnd: bigint;
  private readonly entryMask: bigint;
  private readonly directEnd: bigint;

  constructor(
    private readonly phys: PhysReader,
    readonly cfg: TranslationConfig,
  ) {
    this.imageEnd = START_KERNEL_MAP + (cfg.kernelImageSize ?? KERNEL_IMAGE_SIZE_DEFAULT);
    this.entryMask = PTE_PFN_MASK & ~(cfg.smeMask ?? 0n);
    this.directEnd = cfg.directMapEnd ?? cfg.pageOffsetBase + maxDirectMapSize(cfg.fiveLevel);
  }

  /** The physical address of a linear direct-map address, or undefined when `vaddr` is not one. */
  directMapPhys(vaddr: bigint): bigint | undefined {
    return vaddr >= this.cfg.pageOffsetBase && vaddr < this.directEnd ? vaddr - this.cfg.pageOffsetBase : undefined;
  }

  /** Translate without a page-table walk where the kernel's fixed maps allow it. */
  kvtop(vaddr: bigint): bigint {
    if (vaddr >= START_KERNEL_MAP && vaddr < this.imageEnd) {
      // phys_base is negative when KASLR loaded the kernel below its link address: an address of the
      // image map below where the image lies has no physical address, not a negative one
      const paddr = vaddr - START_KERNEL_MAP + this.cfg.physBase;
      if (paddr < 0n) throw new TranslationError(vaddr, 'below the kernel image (kernel image map)');
      return paddr;
    }
    const direct = this.directMapPhys(vaddr);
    if (direct !== undefined) return direct;
    return this.walk(this.cfg.kernelPgdPhys, vaddr);
  }

  /** Walk the page tables rooted at physical address `pgdPhys` (a task's mm->pgd, or the kernel's). */
  walk(pgdPhys: bigint, vaddr: bigint): bigint {
    // canonical: the bits above the top level (47 with 4 levels, 56 with 5) all equal that bit
    const top = this.cfg.fiveLevel ? 56n : 47n;
    const high = vaddr >> top;
    if (high !== 0n && high !== (1n << (64n - top)) - 1n) throw new TranslationError(vaddr, 'not canonical');
    const levels = this.cfg.fiveLevel ? [48n, 39n, 30n, 21n, 12n] : [39n, 30n, 21n, 12n];
    let table = pgdPhys & this.entryMask;
    for (let i = 0; i < levels.length; i++) {
      const shift = levels[i]!;
      const index = (vaddr >> shift) & 0x1ffn;
      const at = table + index * 8n;
      const leaf = i === levels.length - 1;
      let entry = leaf ? undefined : this.upper.get(at);
      if (entry !== undefined) {
        table = entry & this.entryMask; // a present entry of a table (huge pages are not kept)
        continue;
      }
      try {
        entry = this.phys.readPhys(at, 8).readBigUInt64LE(0);
      } catch (e) {
        if (e instanceof PageError) {
          throw new TranslationError(
            vaddr,
            `page table page at physical ${table.toString(16)} is ${e.reason === 'excluded' ? 'excluded from the dump' : 'not in the dump'}`,
          );
        }
        throw e;
      }
      if ((entry & PTE_PRESENT) === 0n) {
        throw new TranslationError(
          vaddr,
          `not mapped: ${(levels.length === 5 ? LEVELS_5 : LEVELS_4)[i]} entry not present`,
        );
      }
      const frame = entry & this.entryMask;
      const isLeafLevel = shift === 12n;
      const isHuge = (shift === 30n || shift === 21n) && (entry & PTE_PSE) !== 0n;
      if (isLeafLevel || isHuge) {
        const pageMask = (1n << shift) - 1n;
        return (frame & ~pageMask) | (vaddr & pageMask);
      }
      if (this.upper.size >= UPPER_ENTRIES) this.upper.clear();
      this.upper.set(at, entry);
      table = frame;
    }
    throw new TranslationError(vaddr, 'page-table walk did not end');
  }
}

/** One entry read by a page-table walk: the level, where the entry is (physical) and its value. */
export interface WalkEntry {
  level: 'PGD' | 'P4D' | 'PUD' | 'PMD' | 'PTE';
  /** physical address of the entry */
  entryAddress: bigint;
  /** the entry as read, with the SME encryption bit cleared */
  entry: bigint;
}

/** A page-table walk step by step (vtop): the entries read, and where it ended. */
export interface WalkTrace {
  entries: WalkEntry[];
  /** the physical address, when the walk reached a present leaf */
  physical?: bigint;
  /** size of the leaf page: 4 KiB, 2 MiB or 1 GiB */
  pageSize?: bigint;
  /** why the walk stopped without a physical address (entry not present, page-table page not in the dump) */
  stopped?: string;
}

/**
 * Walk the page tables rooted at `pgdPhys` for `vaddr` and report every entry read (crash's vtop shows them).
 * `translator.walk` answers the same question without the steps; this one never throws for a missing entry.
 */
export function traceWalk(t: X86_64Translator, phys: PhysReader, pgdPhys: bigint, vaddr: bigint): WalkTrace {
  const five = t.cfg.fiveLevel;
  const names = five ? LEVELS_5 : LEVELS_4;
  const shifts = five ? [48n, 39n, 30n, 21n, 12n] : [39n, 30n, 21n, 12n];
  const mask = PTE_PFN_MASK & ~(t.cfg.smeMask ?? 0n);
  const out: WalkTrace = { entries: [] };
  let table = pgdPhys & mask;
  for (let i = 0; i < shifts.length; i++) {
    const shift = shifts[i]!;
    const at = table + ((vaddr >> shift) & 0x1ffn) * 8n;
    let entry: bigint;
    try {
      entry = phys.readPhys(at, 8).readBigUInt64LE(0) & ~(t.cfg.smeMask ?? 0n);
    } catch (e) {
      if (e instanceof PageError) {
        out.stopped = `page table page at physical ${table.toString(16)} is ${e.reason === 'excluded' ? 'excluded from the dump' : 'not in the dump'}`;
        return out;
      }
      throw e;
    }
    out.entries.push({ level: names[i] as WalkEntry['level'], entryAddress: at, entry });
    if ((entry & PTE_PRESENT) === 0n) {
      out.stopped = `${names[i]} entry not present`;
      return out;
    }
    const frame = entry & mask;
    if (shift === 12n || ((shift === 30n || shift === 21n) && (entry & PTE_PSE) !== 0n)) {
      const pageMask = (1n << shift) - 1n;
      out.physical = (frame & ~pageMask) | (vaddr & pageMask);
      out.pageSize = 1n << shift;
      return out;
    }
    table = frame;
  }
  out.stopped = 'page-table walk did not end';
  return out;
}

const LEVELS_5 = ['PGD', 'P4D', 'PUD', 'PMD', 'PTE'];
const LEVELS_4 = ['PGD', 'PUD', 'PMD', 'PTE'];
