/** kmem -p, -f, -n, -h: page frames, free lists, memory sections and nodes, huge pages. */
import { physicalAddressDigits } from '../../src/kernel/objects/system.js';
import { CommandError } from '../../src/command.js';
import { text, type View } from '../../src/render/view.js';
import type { Session } from '../../src/session.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { MemoryError } from '../../src/kernel/memory.js';
import { isKernelAddress } from '../../src/kernel/address.js';
import {
  PAGE_SHIFT,
  pageLayout,
  pageToPfn,
  pfnValid,
  memSections,
  readPage,
  type PageInfo,
  type PageLayout,
} from '../../src/kernel/objects/pages.js';
import type { HugePageState } from '../../src/kernel/objects/meminfo.js';
import {
  allZones,
  memoryBlocks,
  memoryNodes,
  zoneFreeLists,
  type FreeList,
  type MemoryBlock,
  type MemoryNode,
  type Zone,
} from '../../src/kernel/objects/zones.js';
import { walkXarray } from '../../src/kernel/objects/task-lists.js';
import { zoneVmStat } from '../../src/kernel/objects/vmstat.js';
import { pageHeader, pageLine } from '../../src/render/mem/kmem.js';
import { fit, hex, pagesToSize } from '../../src/render/mem/fields.js';

export function requirePageLayout(k: Kernel): PageLayout {
  const l = pageLayout(k);
  if (!l) throw new CommandError('the kernel has no vmemmap (struct page array) this tool can read');
  return l;
}

/** The page frame of an address: a struct page address itself, a physical address, or a kernel virtual one. */
export function pfnOfAddress(k: Kernel, l: PageLayout, addr: bigint, physical: boolean): bigint | undefined {
  if (physical) return addr >> PAGE_SHIFT;
  const asPage = pageToPfn(l, addr);
  if (asPage !== undefined && addr >= l.vmemmap && addr < l.vmemmap + (1n << 40n)) return asPage;
  try {
    return k.mem.vtop(addr) >> PAGE_SHIFT;
  } catch {
    return undefined;
  }
}

/** The struct page row of one page frame, or a line saying why there is none. */
export function pageRow(k: Kernel, l: PageLayout, pfn: bigint): { page?: PageInfo; problem?: string } {
  if (!pfnValid(k, l, pfn)) return { problem: 'no struct page' };
  try {
    return { page: readPage(k, l, pfn) };
  } catch (e) {
    return { problem: e instanceof MemoryError ? e.message : String(e) };
  }
}

export function memMapView(session: Session, k: Kernel, addresses: bigint[], physical: boolean): View {
  const l = requirePageLayout(k);
  const digits = physicalAddressDigits(k);
  const lines = [pageHeader(digits)];
  const pages: PageInfo[] = [];
  if (addresses.length) {
    for (const a of addresses) {
      // crash: an address below the kernel half is physical
      const pfn = pfnOfAddress(k, l, a, physical || !isKernelAddress(a));
      const r = pfn === undefined ? { problem: 'cannot be translated' } : pageRow(k, l, pfn);
      if (r.page) {
        lines.push(pageLine(r.page, digits));
        pages.push(r.page);
      } else lines.push(`kmem: ${hex(a)}: ${r.problem}`);
    }
    return text(lines, pages);
  }
  // every page frame of every present memory section: one line each (crash's kmem -p)
  let unreadable = 0;
  const perSection = 1n << (l.sectionSizeBits - PAGE_SHIFT);
  for (const sec of memSections(k, l)) {
    if ((sec.flags & 2n) === 0n) continue; // no mem_map
    session.checkCancelled();
    for (let pfn = sec.pfn; pfn < sec.pfn + perSection; pfn++) {
      try {
        const p = readPage(k, l, pfn);
        lines.push(pageLine(p, digits));
        pages.push(p);
      } catch {
        unreadable++;
      }
    }
  }
  if (unreadable) lines.push(`kmem: ${unreadable} struct pages could not be read (their pages are not in the dump)`);
  return text(lines, pages);
}

export const FREE_ZONE_HEADER = `ZONE  NAME        SIZE    FREE  ${fit('MEM_MAP', 16, 'center')}  START_PADDR  START_MAPNR`;
export const FREE_AREA_HEADER = 'AREA    SIZE  FREE_AREA_STRUCT  BLOCKS  PAGES';

export const FREE_AREA_VERBOSE_HEADER = 'AREA    SIZE  FREE_AREA_STRUCT';

/** One free list's row: order, block size, list head (and with counts, its blocks and pages). */
function freeAreaRow(fl: FreeList): string {
  return `${String(fl.order).padStart(3)}  ${`${4 << fl.order}k`.padStart(7)}  ${fit(hex(fl.head), 16, 'center')}  `;
}

/**
 * kmem -f: each zone, and for a zone with free pages every buddy list (order × migrate type) walked.
 * kmem -F (verbose): each list with the first struct page of every free block on it.
 */
/** A zone's row under FREE_ZONE_HEADER (index, name, size, free pages, mem_map, start), and its free count. */
function zoneFreeRow(
  k: Kernel,
  l: PageLayout,
  z: Zone,
  nodes: MemoryNode[],
  problems: string[],
): { line: string; free: bigint } {
  const node = nodes.find((n) => n.id === z.node);
  let free = 0n;
  try {
    free = zoneVmStat(k, z.address).find((c) => c.name === 'NR_FREE_PAGES')?.value ?? 0n;
  } catch (e) {
    problems.push(`zone ${z.name}: free page count unreadable (${(e as Error).message})`);
  }
  const memMap = z.spanned ? l.vmemmap + z.startPfn * l.pageStructSize : 0n;
  const mapnr = memMap && node ? z.startPfn - node.startPfn : 0n;
  return {
    free,
    line: `${String(z.index).padStart(3)}   ${z.name.padEnd(9)} ${z.spanned.toString().padStart(6)}  ${free.toString().padStart(6)}  ${fit(hex(memMap), 16, 'center')}  ${fit(hex(z.startPfn << PAGE_SHIFT), 11, 'center-right')}  ${fit(mapnr.toString(), 11, 'center-right')}`,
  };
}

export function freeListView(k: Kernel, verbose = false): View {
  const l = requirePageLayout(k);
  const lines: string[] = [];
  const zones: unknown[] = [];
  const nodes = memoryNodes(k);
  let sum = 0n;
  let found = 0n;
  const problems: string[] = [];
  allZones(k).forEach((z, i) => {
    // each node's zones under its number; from the second node on after a blank line, a rule and a blank line
    const firstOfNode = z.index === 0;
    if (firstOfNode && nodes.length > 1) {
      if (i > 0) lines.push('', '-'.repeat(74), '');
      lines.push('NODE', ` ${String(z.node).padStart(2)}`);
    }
    const { line, free } = zoneFreeRow(k, l, z, nodes, problems);
    if (!firstOfNode) lines.push('');
    lines.push(FREE_ZONE_HEADER, line);
    sum += free;
    const lists = free ? zoneFreeLists(k, z, verbose) : [];
    if (free && !verbose) lines.push(FREE_AREA_HEADER);
    for (const fl of lists) {
      const pages = BigInt(fl.blocks ?? 0) << BigInt(fl.order);
      found += pages;
      if (verbose) lines.push(FREE_AREA_VERBOSE_HEADER, freeAreaRow(fl), ...(fl.pages ?? []).map(hex));
      else
        lines.push(
          freeAreaRow(fl) +
            (fl.blocks === undefined
              ? '     ?      ?'
              : `${String(fl.blocks).padStart(6)} ${pages.toString().padStart(6)}`),
        );
      if (fl.problem) problems.push(`zone ${z.name} order ${fl.order} list ${fl.type}: ${fl.problem}`);
    }
    zones.push({ zone: z, freePages: free, lists });
  });
  lines.push('', `nr_free_pages: ${sum}  ${sum === found ? '(verified)' : `(found ${found})`}`);
  for (const p of problems) lines.push(`kmem: ${p}`);
  return text(lines, { zones, freePages: sum, foundOnLists: found });
}

/** 1st, 2nd, 3rd, 4th ... 11th, 12th, 13th, 21st (crash says 11st, 12nd, 13rd) */
export function ordinal(n: bigint): string {
  const teen = (n / 10n) % 10n === 1n;
  const last = n % 10n;
  return `${n}${teen ? 'th' : last === 1n ? 'st' : last === 2n ? 'nd' : last === 3n ? 'rd' : 'th'}`;
}

/** Where ADDRESS's page is free: the lines crash prints for it (kmem -f ADDRESS, kmem ADDRESS) and the facts. */
export interface FreeBlockSearch {
  /** the address has no page (no translation, or no struct page for its frame) */
  noPage: boolean;
  lines?: string[];
  data: Record<string, unknown>;
  /** free lists that could not be followed: the page might be on one of them */
  problems: string[];
}

/**
 * The free block holding ADDRESS's page, if any (a struct page address, a kernel virtual address, or a physical
 * one with -P or below the kernel half): its zone, its free list and the block's first struct page, with which
 * page of the block it is.
 */
export function findFreeBlock(k: Kernel, addr: bigint, physical: boolean): FreeBlockSearch {
  const l = requirePageLayout(k);
  const phys = physical || !isKernelAddress(addr);
  let searchPhys: bigint | undefined;
  if (phys) searchPhys = addr;
  else {
    // inside the struct page array (the vmemmap region: 1 TiB of struct pages at most), any byte of one
    const asPage = addr >= l.vmemmap && addr - l.vmemmap < 1n << 40n;
    if (asPage) searchPhys = ((addr - l.vmemmap) / l.pageStructSize) << PAGE_SHIFT;
    else
      try {
        searchPhys = k.mem.vtop(addr);
      } catch {
        searchPhys = undefined;
      }
  }
  const pfn = searchPhys === undefined ? undefined : searchPhys >> PAGE_SHIFT;
  const problems: string[] = [];
  if (pfn === undefined || !pfnValid(k, l, pfn)) return { noPage: true, data: { address: addr }, problems };
  const nodes = memoryNodes(k);
  for (const z of allZones(k)) {
    if (pfn < z.startPfn || pfn >= z.startPfn + z.spanned) continue;
    for (const fl of zoneFreeLists(k, z, true)) {
      if (fl.problem) problems.push(`kmem: zone ${z.name} order ${fl.order} list ${fl.type}: ${fl.problem}`);
      const size = 1n << BigInt(fl.order);
      for (const page of fl.pages ?? []) {
        const first = pageToPfn(l, page);
        if (first === undefined || pfn < first || pfn >= first + size) continue;
        const nth = ordinal(pfn - first + 1n);
        const where = phys ? `${hex(addr)} is ${addr & 0xfffn ? 'in ' : ''}` : `${hex(addr)} is `;
        const lines = [
          ...(nodes.length > 1 ? ['NODE', ` ${String(z.node).padStart(2)}`] : []),
          FREE_ZONE_HEADER,
          zoneFreeRow(k, l, z, nodes, problems).line,
          FREE_AREA_VERBOSE_HEADER,
          freeAreaRow(fl),
          `${hex(page)}  ${fl.order ? `(${where}${nth} of ${size} pages)` : ''}`,
        ];
        const data = {
          address: addr,
          physical: searchPhys,
          zone: z,
          list: fl.head,
          order: fl.order,
          type: fl.type,
          block: page,
          pageInBlock: Number(pfn - first),
        };
        return { noPage: false, lines, data, problems };
      }
    }
  }
  return { noPage: false, data: { address: addr, physical: searchPhys, free: false }, problems };
}

/**
 * kmem -f ADDRESS: the free block holding ADDRESS's page (findFreeBlock). Nothing when the page is on no free
 * list (as crash); one line when the address has no page, and one per list that could not be followed.
 */
export function freeBlockView(k: Kernel, addr: bigint, physical: boolean): View {
  const f = findFreeBlock(k, addr, physical);
  if (f.noPage) throw new CommandError(`cannot determine page for ${hex(addr)}`);
  return text(f.lines ?? f.problems, { ...f.data, problems: f.problems });
}

/** kmem -n: each node with its zones, then the memory sections and the memory blocks. */
export function sectionsView(k: Kernel): View {
  const l = requirePageLayout(k);
  const lines: string[] = [];
  const nodes = memoryNodes(k);
  const zones = allZones(k);
  const page = (pfn: bigint): bigint => l.vmemmap + pfn * l.pageStructSize;
  const zoneHeader = `ZONE  NAME         SIZE  ${fit('MEM_MAP', 16, 'center-right')}  START_PADDR  START_MAPNR`;
  nodes.forEach((n, i) => {
    // between nodes: a blank line, the rule, a blank line (crash: "\n", the rule, then "\n\nNODE")
    if (i) lines.push('', '-'.repeat(zoneHeader.length), '');
    lines.push(
      `NODE  ${fit('SIZE', 8, 'center')}  ${fit('PGLIST_DATA', 16, 'center')}  ${fit('BOOTMEM_DATA', 16, 'center')}  ${fit('NODE_ZONES', 16, 'center')}`,
    );
    const nodeZones = zones.filter((z) => z.node === n.id);
    const first = nodeZones[0]?.address ?? 0n;
    lines.push(
      ` ${String(n.id).padStart(2)}   ${fit(n.spannedPages.toString(), 8, 'center')}  ${fit(hex(n.pgdat), 16, 'center')}  ${fit('----', 16, 'center')}  ${fit(hex(first), 16, 'center')}`,
    );
    for (const z of nodeZones.slice(1)) lines.push(' '.repeat(52) + hex(z.address));
    lines.push(
      `${fit('MEM_MAP', 16, 'center')}     START_PADDR    START_MAPNR`,
      `${fit(hex(page(n.startPfn)), 16, 'center')}  ${fit(hex(n.startPfn << PAGE_SHIFT), 16, 'center-right')}  ${fit(n.startPfn.toString(), 11, 'center-right')}`,
      '',
      zoneHeader,
    );
    for (const z of nodeZones)
      lines.push(
        ` ${String(z.index).padStart(2)}   ${z.name.padEnd(9)} ${z.spanned.toString().padStart(7)}  ${hex(z.spanned ? page(z.startPfn) : 0n).padStart(16)}  ${hex(z.startPfn << PAGE_SHIFT).padStart(11)}  ${(z.spanned ? z.startPfn : 0n).toString().padStart(11)}`,
      );
  });
  const sections = memSections(k, l);
  lines.push(
    '',
    '-'.repeat(67),
    '',
    `NR  ${fit('SECTION', 16, 'center')}  ${fit('CODED_MEM_MAP', 16, 'center')}  ${fit('MEM_MAP', 16, 'center')}  STATE PFN`,
  );
  const state = (f: bigint): string => ['P', 'M', 'O', 'E', 'D'].filter((_, i) => (f >> BigInt(i)) & 1n).join('');
  for (const s of sections)
    lines.push(
      `${s.nr.toString().padStart(2)}  ${fit(hex(s.address), 16, 'center')}  ${fit(hex(s.coded), 16, 'center-right')}  ${fit(hex(s.memMap), 16, 'center-right')}  ${fit(state(s.flags), 5, 'center')} ${fit(s.pfn.toString(), 16, 'left')}`,
    );
  let blocks: MemoryBlock[] = [];
  try {
    blocks = memoryBlocks(k, l.sectionSizeBits, (xa) => walkXarray(k, xa).entries.map((e) => e.value));
  } catch (e) {
    lines.push(`kmem: the memory blocks cannot be read: ${(e as Error).message}`);
  }
  if (blocks.length) {
    const digits = physicalAddressDigits(k);
    lines.push(
      '',
      `${fit('MEM_BLOCK', 16, 'center')} ${fit('NAME', 10, 'center')}   ${fit('PHYSICAL RANGE', digits * 2 + 2, 'center')}   NODE  STATE   START_SECTION_NO`,
    );
    for (const b of blocks) {
      const range = `${hex(b.start).padStart(digits)} - ${b.end !== undefined ? hex(b.end).padStart(digits) : ''}`;
      lines.push(
        ` ${fit(hex(b.address), 16, 'left')} ${fit(b.name, 12, 'center')} ${range} ${fit(String(b.node ?? ''), 4, 'center')}  ${fit(b.state, 7, 'left')} ${fit(b.startSection.toString(), 12, 'left')}`,
      );
    }
  }
  return text(lines, { nodes, zones, sections, blocks });
}

export function hugePagesView(states: HugePageState[]): View {
  const lines = [`${fit('HSTATE', 16, 'center')}   SIZE    FREE   TOTAL  NAME`];
  for (const h of states)
    lines.push(
      `${hex(h.address)}  ${pagesToSize(1n << BigInt(h.order))
        .replace(' ', '')
        .padStart(5)}  ${h.freeHugePages.toString().padStart(6)}  ${h.nrHugePages.toString().padStart(6)}  ${h.name}`,
    );
  return text(lines, states);
}
