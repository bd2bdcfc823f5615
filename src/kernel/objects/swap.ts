/**
 * Swap areas: swap_info[] holds MAX_SWAPFILES pointers to struct swap_info_struct (since 2.6.33), the first
 * nr_swapfiles of them used at some time; an area in use has SWP_USED in ->flags. ->pages is its usable size
 * in pages, ->inuse_pages the pages holding swapped-out data, ->prio its priority, ->swap_file the struct file
 * of its block device or file. Whether it is a partition: the file's inode is a block device (S_IFBLK).
 */
import type { Kernel } from '../kernel.js';
import { dentryPath } from './fs.js';
import { swapEntryOfPte } from '../arch/x86_64/user-pages.js';

/** include/linux/swap.h: the area is in use */
const SWP_USED = 1n;
const S_IFMT = 0o170000;
const S_IFBLK = 0o060000;

export interface SwapArea {
  /** struct swap_info_struct address */
  address: bigint;
  type: number;
  partition: boolean;
  /** usable pages */
  pages: bigint;
  /** pages holding swapped-out data */
  usedPages: bigint;
  priority: number;
  /** path of the swap file or device, or undefined when it cannot be read */
  path?: string;
}

export interface SwapInfo {
  areas: SwapArea[];
  totalPages: bigint;
  usedPages: bigint;
  /** entries that could not be read */
  problems: string[];
}

/** Every swap area in use. */
export function swapAreas(k: Kernel): SwapInfo {
  const out: SwapInfo = { areas: [], totalPages: 0n, usedPages: 0n, problems: [] };
  if (!k.hasSymbol('swap_info') || !k.hasSymbol('nr_swapfiles')) {
    out.problems.push('this kernel has no swap_info table');
    return out;
  }
  const n = k.readU32(k.sym('nr_swapfiles'));
  const base = k.sym('swap_info');
  for (let i = 0; i < Math.min(n, 64); i++) {
    let ptr = 0n;
    try {
      ptr = k.readU64(base + BigInt(i) * 8n);
      if (ptr === 0n) continue;
      const si = k.object('struct swap_info_struct', ptr);
      if ((si.field('flags').value() & SWP_USED) === 0n) continue;
      const pages = BigInt(si.field('pages').value());
      const usedPages = BigInt(si.field('inuse_pages').value());
      const file = si.field('swap_file').value();
      let partition = false;
      let path: string | undefined;
      if (file !== 0n) {
        const f = k.object('struct file', file);
        try {
          const mode = f.field('f_inode').field('i_mode').num();
          partition = (mode & S_IFMT) === S_IFBLK;
        } catch {
          /* mode unknown: shown as a file */
        }
        try {
          path = dentryPath(k, f.field('f_path').field('dentry').value(), f.field('f_path').field('mnt').value());
        } catch {
          path = undefined;
        }
      }
      out.areas.push({
        address: ptr,
        type: i,
        partition,
        pages,
        usedPages,
        priority: si.field('prio').num(),
        path,
      });
      out.totalPages += pages;
      out.usedPages += usedPages;
    } catch (e) {
      out.problems.push(`swap_info[${i}] at ${ptr.toString(16)}: ${(e as Error).message}`);
    }
  }
  return out;
}

/** Where a swapped-out user page is: its swap area's path (when that area is in use and readable) and slot. */
export interface SwapLocation {
  type: number;
  offset: bigint;
  path?: string;
}

/** The swap location a non-present user page-table entry holds (vm -p, vtop of a swapped-out page). */
export function swapLocation(k: Kernel, pte: bigint): SwapLocation {
  const { type, offset } = swapEntryOfPte(pte, k.vmcoreinfo.osrelease);
  // one read of swap_info[] for all the pages of a vm -p
  let areas = k.cache.get('objects/swap/areas') as SwapArea[] | undefined;
  if (!areas) k.cache.set('objects/swap/areas', (areas = swapAreas(k).areas));
  const area = areas.find((a) => a.type === type);
  return { type, offset, path: area?.path };
}
