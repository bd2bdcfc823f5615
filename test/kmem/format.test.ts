/** The pure layout helpers of the memory commands, against lines crash 9 printed. */
import { describe, expect, it } from 'vitest';
import { fit, pagesToSize, percent } from '../../src/render/mem/fields.js';
import {
  MEMINFO_HEADER,
  meminfoLines,
  pageHeader,
  pageLine,
  slabLine,
  VMALLOC_HEADER,
} from '../../src/render/mem/kmem.js';
import { pteFlagNames, pteTable } from '../../src/render/mem/vtop.js';
import type { MemInfo } from '../../src/kernel/objects/meminfo.js';

describe('fit', () => {
  it('centres with the odd space on the right, or on the left for center-right', () => {
    expect(fit('VMAP_AREA', 16, 'center')).toBe('   VMAP_AREA    ');
    expect(fit('MAPPING', 16, 'center-right')).toBe('     MAPPING    ');
    expect(fit('INDEX', 8, 'center-right')).toBe('  INDEX ');
    expect(fit('toolongforthewidth', 4, 'left')).toBe('toolongforthewidth');
  });
});

describe('pagesToSize', () => {
  it('words page counts as crash does', () => {
    expect(pagesToSize(0n)).toBe('0');
    expect(pagesToSize(119044n)).toBe('465 MB');
    expect(pagesToSize(108520n)).toBe('423.9 MB');
    expect(pagesToSize(2306n)).toBe('9 MB');
    expect(pagesToSize(160n)).toBe('640 KB');
    expect(pagesToSize(262144n)).toBe('1 GB');
    expect(pagesToSize(393216n)).toBe('1.5 GB');
  });
  it('percent is integer division, 0 of nothing', () => {
    expect(percent(10524n, 119044n)).toBe(8n);
    expect(percent(5n, 0n)).toBe(0n);
  });
});

describe('kmem layouts', () => {
  it('the headers of crash 9', () => {
    expect(MEMINFO_HEADER).toBe('                 PAGES        TOTAL      PERCENTAGE');
    expect(pageHeader()).toBe('      PAGE       PHYSICAL      MAPPING       INDEX CNT FLAGS');
    expect(VMALLOC_HEADER).toBe('   VMAP_AREA         VM_STRUCT                 ADDRESS RANGE                SIZE');
  });
  it('a page row and a slab row', () => {
    expect(
      pageLine({
        page: 0xfffff53c40a18680n,
        pfn: 0x2861an,
        physical: 0x2861a000n,
        flags: 0xfffffc0001000n,
        count: 1,
        mapping: 0n,
        index: 0n,
        flagNames: ['reserved'],
      }),
    ).toBe('fffff53c40a18680 2861a000                0        0  1 fffffc0001000 reserved');
    expect(
      slabLine({
        address: 0xffff897c011b7700n,
        name: 'task_struct',
        objectSize: 6144,
        size: 6208,
        objectsPerSlab: 5,
        order: 3,
        allocated: 72n,
        total: 85n,
        slabs: 17n,
      }),
    ).toBe('ffff897c011b7700     6144         72        85     17    32k  task_struct');
  });
  it('a cache whose counts could not be gathered shows ? rather than zeros', () => {
    const line = slabLine({ address: 1n, name: 'x', objectSize: 8, size: 8, objectsPerSlab: 512, order: 0 });
    expect(line).toMatch(/^1 +8 +\? +\? +\? +4k {2}x$/);
  });
  it('an unreadable BUFFERS count is a ?, not a zero', () => {
    const m: MemInfo = {
      totalPages: 100n,
      freePages: 50n,
      bufferPages: undefined,
      cachedPages: 10n,
      slabPages: 5n,
      hugeTotalPages: 0n,
      hugeFreePages: 0n,
      swapTotalPages: 0n,
      swapUsedPages: 0n,
      commitLimitPages: 50n,
      committedPages: 25n,
      problems: [],
    };
    const lines = meminfoLines(m);
    expect(lines[4]).toBe('      BUFFERS        ?            ?  (block-device inodes unreadable)');
    expect(lines.at(-1)).toBe('    COMMITTED       25       100 KB   50% of TOTAL LIMIT');
  });
});

describe('vtop flags', () => {
  it('names the bits of a 2 MiB kernel mapping and of a user page', () => {
    expect(pteFlagNames(0x80000000286001e3n).join('|')).toBe('PRESENT|RW|ACCESSED|DIRTY|PSE|GLOBAL|NX');
    expect(pteFlagNames(0x800000002f860025n).join('|')).toBe('PRESENT|USER|ACCESSED|NX');
  });
  it('lays out the PTE table with centred columns', () => {
    expect(pteTable(0x8000000002a001e3n)).toEqual([
      '      PTE         PHYSICAL  FLAGS',
      '8000000002a001e3   2a00000  (PRESENT|RW|ACCESSED|DIRTY|PSE|GLOBAL|NX)',
    ]);
  });
});
