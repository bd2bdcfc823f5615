/** crash's text layouts of kmem's views (the data comes from src/kernel/objects). */
import type { MemInfo } from '../../kernel/objects/meminfo.js';
import type { PageInfo } from '../../kernel/objects/pages.js';
import type { SlabCache } from '../../kernel/objects/slab.js';
import type { VmallocArea } from '../../kernel/objects/vmalloc.js';
import type { Counter, VmStatGroup } from '../../kernel/objects/vmstat.js';
import type { Zone } from '../../kernel/objects/zones.js';
import type { TableView } from '../view.js';
import { fit, hex, pagesToSize, percent } from './fields.js';

// ---- kmem -i ----------------------------------------------------------------------------------------------

export const MEMINFO_HEADER = '                 PAGES        TOTAL      PERCENTAGE';

const sizeRow = (label: string, pages: bigint, tail: string): string =>
  `${label.padStart(13)}  ${pages.toString().padStart(7)}  ${pagesToSize(pages).padStart(11)}  ${tail}`;
const totalRow = (label: string, pages: bigint): string => sizeRow(label, pages, '       ----');
const partRow = (label: string, pages: bigint, of: bigint, ofName: string): string =>
  sizeRow(label, pages, `${percent(pages, of).toString().padStart(3)}% of ${ofName}`);
const unknownRow = (label: string, why: string): string =>
  `${label.padStart(13)}  ${'?'.padStart(7)}  ${'?'.padStart(11)}  (${why})`;

export function meminfoLines(m: MemInfo): string[] {
  const t = m.totalPages;
  const lines = [
    MEMINFO_HEADER,
    totalRow('TOTAL MEM', t),
    partRow('FREE', m.freePages, t, 'TOTAL MEM'),
    partRow('USED', t - m.freePages, t, 'TOTAL MEM'),
    m.bufferPages === undefined
      ? unknownRow('BUFFERS', 'block-device inodes unreadable')
      : partRow('BUFFERS', m.bufferPages, t, 'TOTAL MEM'),
    partRow('CACHED', m.cachedPages, t, 'TOTAL MEM'),
    partRow('SLAB', m.slabPages, t, 'TOTAL MEM'),
    '',
    totalRow('TOTAL HUGE', m.hugeTotalPages),
    partRow('HUGE FREE', m.hugeFreePages, m.hugeTotalPages, 'TOTAL HUGE'),
    '',
    totalRow('TOTAL SWAP', m.swapTotalPages),
    partRow('SWAP USED', m.swapUsedPages, m.swapTotalPages, 'TOTAL SWAP'),
    partRow('SWAP FREE', m.swapTotalPages - m.swapUsedPages, m.swapTotalPages, 'TOTAL SWAP'),
  ];
  if (m.commitLimitPages !== undefined && m.committedPages !== undefined) {
    lines.push('', totalRow('COMMIT LIMIT', m.commitLimitPages));
    lines.push(
      m.commitLimitPages
        ? partRow('COMMITTED', m.committedPages, m.commitLimitPages, 'TOTAL LIMIT')
        : totalRow('COMMITTED', m.committedPages),
    );
  }
  for (const p of m.problems) lines.push(`kmem: ${p}`);
  return lines;
}

// ---- kmem -V / -z -----------------------------------------------------------------------------------------

/** Counters right-aligned on the longest name of the list. */
export function counterLines(counters: Counter[], width?: number): string[] {
  const w = width ?? Math.max(0, ...counters.map((c) => c.name.length));
  return counters.map((c) => `${c.name.padStart(w)}: ${c.value}`);
}

export function vmstatLines(groups: VmStatGroup[], events: Counter[] | undefined): string[] {
  // one width for the zone, node and NUMA counters; the events have their own
  const width = Math.max(0, ...groups.flatMap((g) => g.counters.map((c) => c.name.length)));
  const lines: string[] = [];
  groups.forEach((g, i) => {
    if (i) lines.push('');
    lines.push(`  ${g.title}:`, ...counterLines(g.counters, width));
  });
  if (events) lines.push('', '  VM_EVENT_STATES:', ...counterLines(events));
  return lines;
}

export function zoneLines(zones: { zone: Zone; stat?: Counter[]; problem?: string }[]): string[] {
  const lines: string[] = [];
  for (const { zone: z, stat, problem } of zones) {
    lines.push(`NODE: ${z.node}  ZONE: ${z.index}  ADDR: ${hex(z.address)}  NAME: "${z.name}"`);
    if (z.spanned === 0n) {
      lines.push('  [unpopulated]', '');
      continue;
    }
    const [min, low, high] = z.watermarks;
    lines.push(
      `  SIZE: ${z.spanned}${z.present < z.spanned ? `  PRESENT: ${z.present}` : ''}  MIN/LOW/HIGH: ${min}/${low}/${high}`,
    );
    if (stat) lines.push('  VM_STAT:', ...counterLines(stat));
    if (problem) lines.push(`  (${problem})`);
    lines.push('', '');
  }
  return lines;
}

// ---- kmem -s ----------------------------------------------------------------------------------------------

export const SLAB_HEADER = 'CACHE             OBJSIZE  ALLOCATED     TOTAL  SLABS  SSIZE  NAME';

export function slabLine(c: SlabCache): string {
  if (c.ignored) return `${fit(hex(c.address), 16, 'left')} ${'[IGNORED]'.padEnd(45)}${c.name}`;
  const counts =
    c.allocated === undefined || c.total === undefined || c.slabs === undefined
      ? `${'?'.padStart(9)}  ${'?'.padStart(8)}  ${'?'.padStart(5)}`
      : `${c.allocated.toString().padStart(9)}  ${c.total.toString().padStart(8)}  ${c.slabs.toString().padStart(5)}`;
  const ssize = c.unreadable ? '?' : `${(4096 << c.order) / 1024}k`;
  const objsize = c.unreadable ? '?' : String(c.objectSize);
  return `${fit(hex(c.address), 16, 'left')} ${objsize.padStart(8)}  ${counts}  ${ssize.padStart(5)}  ${c.name}`;
}

/**
 * kmem -s as a table, in the layout of SLAB_HEADER and slabLine: the counts sort as numbers, Enter opens the
 * cache's slabs and objects (kmem -S NAME). An ignored cache (-I) is printed as slabLine prints it.
 */
export function slabTable(caches: SlabCache[]): TableView {
  const unknown = (v: unknown, row: Record<string, unknown>) => (row.unreadable || v === undefined ? '?' : String(v));
  const rows = caches.map((c) => ({
    ...c,
    cache: c.unreadable ? undefined : c.name,
    line: c.ignored ? slabLine(c) : undefined,
  }));
  return {
    kind: 'table',
    columns: [
      { key: 'address', header: 'CACHE', align: 'left', width: 16, fixed: true, sep: '' },
      { key: 'objectSize', header: 'OBJSIZE', align: 'right', width: 8, fixed: true, format: unknown },
      { key: 'allocated', header: 'ALLOCATED', align: 'right', width: 9, fixed: true, sep: '  ', format: unknown },
      { key: 'total', header: 'TOTAL', align: 'right', width: 8, fixed: true, sep: '  ', format: unknown },
      { key: 'slabs', header: 'SLABS', align: 'right', width: 5, fixed: true, sep: '  ', format: unknown },
      {
        key: 'order',
        header: 'SSIZE',
        align: 'right',
        width: 5,
        fixed: true,
        sep: '  ',
        format: (v, row) => (row.unreadable ? '?' : `${(4096 << (v as number)) / 1024}k`),
      },
      { key: 'name', header: 'NAME', align: 'left', width: 0, sep: '  ' },
    ],
    rows,
    lineKey: 'line',
    rowAction: 'kmem -S {cache}',
  };
}

// ---- kmem -v ----------------------------------------------------------------------------------------------

export const VMALLOC_HEADER = `${fit('VMAP_AREA', 16, 'center')}  ${fit('VM_STRUCT', 16, 'center')}  ${fit('ADDRESS RANGE', 35, 'center')}     SIZE`;

export function vmallocLine(a: VmallocArea): string {
  return `${fit(hex(a.vmapArea), 16, 'center')}  ${fit(hex(a.vmStruct), 16, 'center')}  ${fit(hex(a.start), 16, 'right')} - ${fit(hex(a.end), 16, 'left')}  ${(a.end - a.start).toString().padStart(7)}`;
}

// ---- struct page rows (kmem -p, vtop, kmem ADDRESS) -------------------------------------------------------

/**
 * The header of struct page rows; `digits` is the width of a physical address (crash: the hex digits of the
 * memory size, physicalAddressDigits), the PHYSICAL column at least 8 wide.
 */
export function pageHeader(digits = 8): string {
  return `${fit('PAGE', 16, 'center')} ${fit('PHYSICAL', Math.max(digits, 8), 'right')} ${fit('MAPPING', 16, 'center-right')} ${fit('INDEX', 8, 'center-right')}CNT FLAGS`;
}

export function pageLine(p: PageInfo, digits = 8): string {
  const flags = p.flags.toString(16) + (p.flags && p.flagNames.length ? ' ' + p.flagNames.join(',') : '');
  return `${fit(hex(p.page), 16, 'left')} ${hex(p.physical).padStart(Math.max(digits, 8))} ${hex(p.mapping).padStart(16)} ${hex(p.index).padStart(8)} ${String(p.count).padStart(2)} ${flags}`;
}
