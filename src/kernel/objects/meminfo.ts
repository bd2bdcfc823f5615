/**
 * The memory summary (kmem -i), from the same sources as the kernel's /proc/meminfo (fs/proc/meminfo.c):
 * - total:     _totalram_pages (MemTotal)
 * - free:      the NR_FREE_PAGES counter (MemFree)
 * - buffers:   the page cache of block devices: every inode of the bdev pseudo-filesystem
 *              (blockdev_superblock->s_inodes) → i_mapping->nrpages, as nr_blockdev_pages() sums (Buffers)
 * - cached:    NR_FILE_PAGES − NR_SWAPCACHE − buffers (Cached)
 * - slab:      NR_SLAB_RECLAIMABLE_B + NR_SLAB_UNRECLAIMABLE_B (in pages in the global counters; 5.9+), or
 *              NR_SLAB_RECLAIMABLE + NR_SLAB_UNRECLAIMABLE before (Slab)
 * - hugepages: each hstate's nr_huge_pages / free_huge_pages × 2^order (HugePages_Total/Free × size)
 * - swap:      the swap areas in use (SwapTotal, SwapFree)
 * - commit:    the limit as vm_commit_limit() computes it, and vm_committed_as summed over CPUs as
 *              vm_memory_committed() does (CommitLimit, Committed_AS)
 */
import type { Kernel } from '../kernel.js';
import { percpuCounterSum, totalRamPages } from './tasks.js';
import { swapAreas } from './swap.js';
import { vmStatValue } from './vmstat.js';

export interface MemInfo {
  totalPages: bigint;
  freePages: bigint;
  /** undefined when the block-device inodes could not be read */
  bufferPages: bigint | undefined;
  cachedPages: bigint;
  slabPages: bigint;
  hugeTotalPages: bigint;
  hugeFreePages: bigint;
  swapTotalPages: bigint;
  swapUsedPages: bigint;
  commitLimitPages: bigint | undefined;
  committedPages: bigint | undefined;
  /** what could not be read, one line each */
  problems: string[];
}

/** more block-device inodes than a machine has: where a walk of a damaged list stops */
const MAX_BDEV_INODES = 100_000;

export function memInfo(k: Kernel): MemInfo {
  const problems: string[] = [];
  const stat = (name: string): bigint => vmStatValue(k, name) ?? 0n;
  const totalPages = totalRamPages(k);
  const freePages = stat('NR_FREE_PAGES');
  let bufferPages: bigint | undefined;
  try {
    bufferPages = blockDevicePages(k);
  } catch (e) {
    problems.push(`BUFFERS: the block devices' page counts cannot be read (${(e as Error).message})`);
  }
  let cachedPages = stat('NR_FILE_PAGES') - stat('NR_SWAPCACHE') - (bufferPages ?? 0n);
  if (cachedPages < 0n) cachedPages = 0n;
  const slabPages =
    vmStatValue(k, 'NR_SLAB_RECLAIMABLE_B') !== undefined
      ? stat('NR_SLAB_RECLAIMABLE_B') + stat('NR_SLAB_UNRECLAIMABLE_B')
      : stat('NR_SLAB_RECLAIMABLE') + stat('NR_SLAB_UNRECLAIMABLE');
  const huge = hugePages(k);
  const swap = swapAreas(k);
  problems.push(...swap.problems.filter((p) => !p.startsWith('this kernel has no')));
  let commitLimitPages: bigint | undefined;
  let committedPages: bigint | undefined;
  try {
    const kbytes = k.hasSymbol('sysctl_overcommit_kbytes') ? k.readU64(k.sym('sysctl_overcommit_kbytes')) : 0n;
    commitLimitPages =
      (kbytes
        ? kbytes >> 2n
        : ((totalPages - huge.total) * BigInt(k.readU32(k.sym('sysctl_overcommit_ratio')))) / 100n) + swap.totalPages;
    const c = percpuCounterSum(k, k.variable('vm_committed_as', 'struct percpu_counter'));
    committedPages = c < 0n ? 0n : c;
  } catch (e) {
    problems.push(`COMMIT: cannot be read (${(e as Error).message})`);
  }
  return {
    totalPages,
    freePages,
    bufferPages,
    cachedPages,
    slabPages,
    hugeTotalPages: huge.total,
    hugeFreePages: huge.free,
    swapTotalPages: swap.totalPages,
    swapUsedPages: swap.usedPages,
    commitLimitPages,
    committedPages,
    problems,
  };
}

/** nr_blockdev_pages(): the page-cache pages of every block device inode. */
export function blockDevicePages(k: Kernel): bigint {
  const sb = k.readU64(k.sym('blockdev_superblock'));
  const head = sb + BigInt(k.offsetOf('struct super_block', 's_inodes'));
  let total = 0n;
  for (const inode of k.listAddresses(head, 'struct inode', 'i_sb_list', MAX_BDEV_INODES)) {
    const mapping = k.object('struct inode', inode).field('i_mapping').value();
    if (mapping !== 0n) total += k.object('struct address_space', mapping).field('nrpages').value();
  }
  return total;
}

export interface HugePageState {
  /** struct hstate address */
  address: bigint;
  name: string;
  order: number;
  /** pages of 4 KiB: nr_huge_pages × 2^order */
  total: bigint;
  free: bigint;
  /** huge pages (not 4 KiB pages) */
  nrHugePages: bigint;
  freeHugePages: bigint;
  surplusHugePages: bigint;
  reservedHugePages: bigint;
}

/** Every registered huge page size (hstates[0 .. hugetlb_max_hstate)). */
export function hugePageStates(k: Kernel): HugePageState[] {
  if (!k.hasSymbol('hstates') || !k.findType('struct hstate')) return [];
  // HUGE_MAX_HSTATE slots (the array's length); a slot never registered has order 0
  const vt = k.types.variableType?.('hstates');
  const n =
    vt?.kind === 'array' && vt.length
      ? vt.length
      : k.hasSymbol('hugetlb_max_hstate')
        ? k.readU32(k.sym('hugetlb_max_hstate'))
        : 0;
  const size = BigInt(k.sizeOf('struct hstate'));
  const out: HugePageState[] = [];
  for (let i = 0; i < Math.min(n, 16); i++) {
    const h = k.object('struct hstate', k.sym('hstates') + BigInt(i) * size);
    const order = h.field('order').num();
    if (!order) continue;
    const nr = h.field('nr_huge_pages').value();
    const free = h.field('free_huge_pages').value();
    out.push({
      address: h.address,
      name: h.field('name').cstring(32),
      order,
      total: nr << BigInt(order),
      free: free << BigInt(order),
      nrHugePages: nr,
      freeHugePages: free,
      surplusHugePages: h.field('surplus_huge_pages').value(),
      reservedHugePages: h.field('resv_huge_pages').value(),
    });
  }
  return out;
}

function hugePages(k: Kernel): { total: bigint; free: bigint } {
  let total = 0n;
  let free = 0n;
  for (const h of hugePageStates(k)) {
    total += h.total;
    free += h.free;
  }
  return { total, free };
}
