/**
 * kmem -f ADDRESS on every corpus dump: is ADDRESS's page in a buddy free block, and which page of it (kmem ADDRESS
 * shows the same block before the page's struct page).
 * The truth is the free lists themselves, as kmem -F lists them (each list with the first struct page of
 * each of its blocks; kmem -f's totals are checked against the zone counters and crash 9 elsewhere): every page of
 * a listed block of 2^order pages is found in it, any other page is not. The layout is crash 9's (checked by
 * hand on k61-sysrq-c: zone header and row, AREA header, the list's row, the block's struct page and
 * "(ADDRESS is Nth of M pages)", "is in Nth" for a physical address inside a page), except where crash is wrong:
 * - crash writes 11st, 12nd, 13rd (its ordinal() looks only at the last digit): we write 11th, 12th, 13th;
 * - crash misses the first page of a free block when a block it walked before ends right where this one begins
 *   (its search callback's end bound is inclusive: it stops at that wrong block, then finds the page outside it)
 *   and prints nothing: on k61-sysrq-c "kmem -f fffff72f80010000", the first page of an order-10 free block,
 *   prints nothing in crash 9 (as does an order-3 block's first page on k612-ipc-swap-arp); we find it.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { pageLayout } from '../../src/kernel/objects/pages.js';
import { caseNames, describeCorpus, dumpPaths, skipWhenNoCases, vmlinuxPlain } from '../helpers/corpus.js';
import { replOn } from '../helpers/repl.js';

interface Block {
  zone: [string, string];
  areaRow: string;
  order: number;
  page: bigint;
}

/** every free block kmem -F lists: its zone's two lines, its list's row, its order and first struct page */
function freeBlocks(out: string): Block[] {
  const lines = out.split('\n');
  const blocks: Block[] = [];
  let zone: [string, string] = ['', ''];
  let areaRow = '';
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i]!;
    if (l.startsWith('ZONE  NAME')) zone = [l, lines[++i]!];
    else if (l === 'AREA    SIZE  FREE_AREA_STRUCT') areaRow = lines[++i]!;
    else if (/^[0-9a-f]{16}$/.test(l))
      blocks.push({ zone, areaRow, order: Number(areaRow.trim().split(/\s+/)[0]), page: BigInt('0x' + l) });
  }
  return blocks;
}

const hex = (v: bigint): string => v.toString(16);
const ordinal = (n: number): string =>
  `${n}${Math.floor(n / 10) % 10 === 1 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th')}`;

skipWhenNoCases('kmem -f ADDRESS on each corpus case');

for (const name of caseNames()) {
  describeCorpus(`kmem -f ADDRESS on ${name}`, () => {
    let k: Kernel;
    let run: (l: string) => Promise<string>;
    let blocks: Block[];
    let pageSize: bigint;
    beforeAll(async () => {
      const d = (await dumpPaths(name))[0]!;
      k = openKernelSync(await vmlinuxPlain(name), d.path);
      run = await replOn(k);
      blocks = freeBlocks(await run('kmem -F'));
      pageSize = BigInt(k.sizeOf('struct page'));
    }, 120_000);
    afterAll(() => k?.dump.close());

    const expected = (b: Block, tail: string): string =>
      [...b.zone, 'AREA    SIZE  FREE_AREA_STRUCT', b.areaRow, `${hex(b.page)}  ${tail}`, ''].join('\n');

    it('the dump has free blocks of several orders (the premise)', () => {
      expect(blocks.length).toBeGreaterThan(10);
      expect(new Set(blocks.map((b) => b.order)).size).toBeGreaterThan(3);
    });

    it('a struct page inside a free block: the block, and which of its pages it is (11th, not 11st)', async () => {
      const b = blocks.find((x) => x.order >= 4)!;
      for (const nth of [1, 2, 3, 11, 12, 13, 1 << b.order]) {
        const addr = b.page + BigInt(nth - 1) * pageSize;
        expect(await run(`kmem -f ${hex(addr)}`)).toBe(
          expected(b, `(${hex(addr)} is ${ordinal(nth)} of ${1 << b.order} pages)`),
        );
      }
    });

    it('the first page of every largest-order block is found (crash 9 misses some)', async () => {
      const top = Math.max(...blocks.map((b) => b.order));
      for (const b of blocks.filter((x) => x.order === top).slice(0, 8))
        expect(await run(`kmem -f ${hex(b.page)}`)).toBe(expected(b, `(${hex(b.page)} is 1st of ${1 << top} pages)`));
    });

    it('an order-0 block: the page alone, no "of N pages"', async () => {
      const b = blocks.find((x) => x.order === 0);
      if (!b) return; // a dump whose order-0 lists are all empty
      expect(await run(`kmem -f ${hex(b.page)}`)).toBe(expected(b, ''));
    });

    it('-P: a physical address, "is in" when it is not at the start of its page; a kernel virtual one', async () => {
      const b = blocks.find((x) => x.order >= 2)!;
      const vmemmap = pageLayout(k)!.vmemmap;
      const phys = ((b.page - vmemmap) / pageSize) * 4096n + 4096n + 0x10n;
      expect(await run(`kmem -f -P ${hex(phys)}`)).toBe(
        expected(b, `(${hex(phys)} is in 2nd of ${1 << b.order} pages)`),
      );
      const pob = k.mem.translator.cfg.pageOffsetBase;
      const kv = pob + phys;
      expect(await run(`kmem -f ${hex(kv)}`)).toBe(expected(b, `(${hex(kv)} is 2nd of ${1 << b.order} pages)`));
    });

    it('kmem ADDRESS of a free page: its free block as kmem -f shows it, a blank line, then its struct page', async () => {
      const b = blocks.find((x) => x.order >= 2)!;
      const addr = b.page + 2n * pageSize;
      const out = await run(`kmem ${hex(addr)}`);
      const free = expected(b, `(${hex(addr)} is 3rd of ${1 << b.order} pages)`);
      expect(out.startsWith(free + '\n      PAGE       PHYSICAL      MAPPING')).toBe(true);
      expect(out.split('\n')[7]).toMatch(new RegExp(`^${hex(addr)} `));
    });

    it("a page in use (init_task's) is on no free list: nothing, as crash", async () => {
      const addr = (await run('sym init_task')).split(' ')[0]!;
      expect(addr).toMatch(/^ffffffff[0-9a-f]{8}$/);
      expect(await run(`kmem -f ${addr}`)).toBe('');
    });

    it('an address without a page: one line', async () => {
      expect(await run('kmem -f ffff800000000000')).toBe('kmem: cannot determine page for ffff800000000000\n');
    });
  });
}
