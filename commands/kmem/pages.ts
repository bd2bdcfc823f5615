/** kmem -p, -f, -n, -h: page frames, free lists, memory sections and nodes, huge pages. */
import { CommandError } from '../../src/command.js';
import { text, type View } from '../../src/render/view.js';
import type { Session } from '../../src/session.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { MemoryError } from '../../src/kernel/memory.js';
import {
  PAGE_SHIFT,
  pageLayout,
  pageToPfn,
  pfnValid,
  readPage,
  type PageInfo,
  type PageLayout,
} from '../../src/kernel/objects/pages.js';
import type { HugePageState } from '../../src/kernel/objects/meminfo.js';
import { allZones, memoryNodes, zoneFreeAreas } from '../../src/kernel/objects/zones.js';
import { vmStatValue } from '../../src/kernel/objects/vmstat.js';
import { PAGE_HEADER, pageLine } from '../../src/render/mem/kmem.js';
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
  const lines = [PAGE_HEADER];
  const pages: PageInfo[] = [];
  if (addresses.length) {
    for (const a of addresses) {
      const pfn = pfnOfAddress(k, l, a, physical);
      const r = pfn === undefined ? { problem: 'cannot be translated' } : pageRow(k, l, pfn);
      if (r.page) {
        lines.push(pageLine(r.page));
        pages.push(r.page);
      } else lines.push(`kmem: ${hex(a)}: ${r.problem}`);
    }
    return text(lines, pages);
  }
  // every page frame of every node: one line each (crash's kmem -p)
  let unreadable = 0;
  for (const node of memoryNodes(k)) {
    const end = node.startPfn + node.spannedPages;
    for (let pfn = node.startPfn; pfn < end; pfn++) {
      if ((pfn & 0xfffn) === 0n) session.checkCancelled();
      const r = pageRow(k, l, pfn);
      if (r.page) {
        lines.push(pageLine(r.page));
        pages.push(r.page);
      } else if (r.problem !== 'no struct page') unreadable++;
    }
  }
  if (unreadable) lines.push(`kmem: ${unreadable} struct pages could not be read (their pages are not in the dump)`);
  return text(lines, pages);
}

export function freeListView(k: Kernel): View {
  const lines: string[] = [];
  const data: unknown[] = [];
  let total = 0n;
  for (const z of allZones(k)) {
    if (lines.length) lines.push('');
    const areas = z.spanned ? zoneFreeAreas(k, z) : [];
    const free = areas.reduce((s, a) => s + (a.blocks << BigInt(a.order)), 0n);
    total += free;
    lines.push(`NODE: ${z.node}  ZONE: ${z.index}  NAME: "${z.name}"  SIZE: ${z.spanned}  FREE: ${free}`);
    if (areas.length) {
      lines.push('AREA    SIZE  FREE_BLOCKS  FREE_PAGES');
      for (const a of areas)
        lines.push(
          `${String(a.order).padStart(3)}  ${pagesToSize(1n << BigInt(a.order))
            .replace(' ', '')
            .padStart(
              6,
            )}  ${a.blocks.toString().padStart(11)}  ${(a.blocks << BigInt(a.order)).toString().padStart(10)}`,
        );
    }
    data.push({ zone: z, areas, freePages: free });
  }
  const counter = vmStatValue(k, 'NR_FREE_PAGES');
  lines.push('', `nr_free_pages: ${counter ?? '?'}  (the buddy lists hold ${total})`);
  return text(lines, { zones: data, freePages: total, nrFreePagesCounter: counter });
}

export function sectionsView(k: Kernel): View {
  const l = requirePageLayout(k);
  const lines: string[] = [];
  const nodes = memoryNodes(k);
  const zones = allZones(k);
  const data: unknown[] = [];
  for (const n of nodes) {
    lines.push(
      `${fit('NODE', 4, 'left')}  ${fit('SIZE', 8, 'right')}  ${fit('PGLIST_DATA', 16, 'center')}  ${fit('MEM_MAP', 16, 'center')}  START_PADDR  START_MAPNR`,
      `${String(n.id).padStart(3)}   ${n.spannedPages.toString().padStart(8)}  ${hex(n.pgdat).padStart(16)}  ${hex(l.vmemmap + n.startPfn * l.pageStructSize).padStart(16)}  ${hex(n.startPfn << PAGE_SHIFT).padStart(11)}  ${n.startPfn.toString().padStart(11)}`,
      '',
      'ZONE  NAME         SIZE   MEM_MAP           START_PADDR  START_MAPNR',
    );
    for (const z of zones.filter((x) => x.node === n.id))
      lines.push(
        `${String(z.index).padStart(3)}   ${fit(z.name, 9, 'left')} ${z.spanned.toString().padStart(7)}  ${z.spanned ? hex(l.vmemmap + z.startPfn * l.pageStructSize).padStart(16) : '               0'}  ${hex(z.startPfn << PAGE_SHIFT).padStart(11)}  ${z.startPfn.toString().padStart(11)}`,
      );
    lines.push('');
    data.push({ node: n, zones: zones.filter((x) => x.node === n.id) });
  }
  const perSection = 1n << (l.sectionSizeBits - PAGE_SHIFT);
  lines.push(`${fit('NR', 5, 'right')}  ${fit('SECTION', 16, 'center')}  ${fit('MEM_MAP', 16, 'center')}  PFN`);
  const sections: { nr: bigint; memMap: bigint; pfn: bigint }[] = [];
  let maxPfn = 0n;
  try {
    maxPfn = k.readU64(k.sym('max_pfn'));
  } catch {
    for (const n of nodes) if (n.startPfn + n.spannedPages > maxPfn) maxPfn = n.startPfn + n.spannedPages;
  }
  for (let nr = 0n; nr * perSection < maxPfn; nr++) {
    const pfn = nr * perSection;
    if (!pfnValid(k, l, pfn)) continue;
    const memMap = l.vmemmap + pfn * l.pageStructSize;
    sections.push({ nr, memMap, pfn });
    lines.push(`${nr.toString().padStart(5)}  ${fit('', 16, 'left')}  ${hex(memMap).padStart(16)}  ${pfn}`);
  }
  return text(lines, { nodes: data, sections });
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
