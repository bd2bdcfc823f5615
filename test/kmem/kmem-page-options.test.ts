/**
 * kmem -F, -m, -g and -o against the kernel's own invariants on every corpus dump (crash 9's layout of them is
 * in crash9-fixtures.test.ts):
 * - every block kmem -F lists under order N is a free buddy: its head page's `private` holds N
 *   (set_buddy_order()), and each list holds as many pages as -f counts;
 * - kmem -m flags,_refcount of a page equals kmem -p's FLAGS and CNT of it. crash prints _refcount (an
 *   atomic_t, renamed from _count in 4.6) as 8 hex digits with no separator, running into the next column
 *   ("00000000-129"); ours is the decimal count;
 * - kmem -g FLAGS names exactly the bits set, with the value 1 << bit;
 * - kmem -o gives __per_cpu_offset[] of each CPU, the base every per-CPU read here adds.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { caseNames, describeCorpus, dumpPaths, skipWhenNoCases, vmlinuxPlain } from '../helpers/corpus.js';
import { run } from './run.js';

skipWhenNoCases('kmem -F -m -g -o on each corpus case');

for (const name of caseNames()) {
  describeCorpus(`kmem page options on ${name}`, () => {
    let k: Kernel;
    beforeAll(async () => {
      const d = (await dumpPaths(name))[0]!;
      k = openKernelSync(await vmlinuxPlain(name), d.path);
    }, 120_000);
    afterAll(() => k?.dump.close());

    it('kmem -F lists free blocks whose head page holds their order, as many as -f counts', () => {
      const lines = run(k, 'kmem -F').split('\n');
      const counted = run(k, 'kmem -f')
        .split('\n')
        .filter((l) => /^ +\d+ +\d+k +[0-9a-f]{16} +\d+ +\d+$/.test(l))
        .map((l) => Number(l.trim().split(/\s+/)[3]));
      const listed: number[] = [];
      const heads: { page: string; order: number }[] = [];
      let order = -1;
      for (const l of lines) {
        const row = /^ +(\d+) +\d+k +[0-9a-f]{16}  $/.exec(l);
        if (row) {
          order = Number(row[1]);
          listed.push(0);
        } else if (/^[0-9a-f]{16}$/.test(l)) {
          listed[listed.length - 1]!++;
          heads.push({ page: l, order });
        }
      }
      expect(listed).toEqual(counted);
      expect(heads.length).toBeGreaterThan(0);
      for (const h of heads.slice(0, 50)) {
        const out = run(k, `kmem -m private ${h.page}`).split('\n');
        expect(out[1], h.page).toBe(`${h.page}  ${h.order}  `);
      }
    });

    it('kmem -m flags,_refcount equals kmem -p of the same pages', () => {
      const p = run(k, 'kmem -p 1000000 2000000').split('\n').slice(1, 3);
      const m = run(k, 'kmem -m flags,_refcount 1000000 2000000').split('\n');
      expect(m[0]).toBe('      PAGE        flags  _refcount');
      p.forEach((line, i) => {
        const [page, , , , cnt, flags] = line.trim().split(/\s+/);
        expect(m[i + 1]).toBe(`${page}  ${flags!.padStart(16, '0')}  ${cnt}  `);
      });
    });

    it('kmem -g FLAGS names the set bits and their values', () => {
      // the bits move between kernels (6.1: PG_lru 4, PG_private 13): take them from the kernel's enum
      const bitOf = (n: string): number =>
        Number(k.findType('enum pageflags')!.enumerators!.find((e) => e.name === n)!.value);
      const bits = [bitOf('PG_lru'), bitOf('PG_private')];
      const flags = (1n << BigInt(bits[0]!)) | (1n << BigInt(bits[1]!));
      const out = run(k, `kmem -g ${flags.toString(16)}`).split('\n');
      expect(out[0]).toBe(`FLAGS: ${flags.toString(16)}`);
      const rows = out.slice(2).filter(Boolean);
      expect(rows.length).toBeGreaterThanOrEqual(2); // PG_lru, PG_private (and their aliases)
      for (const r of rows) {
        const [flag, bit, value] = r.trim().split(/\s+/);
        expect(flag).toMatch(/^PG_/);
        expect(bits).toContain(Number(bit));
        expect(BigInt('0x' + value)).toBe(1n << BigInt(bit!));
      }
      expect(rows.map((r) => r.trim().split(/\s+/)[0])).toEqual(expect.arrayContaining(['PG_lru', 'PG_private']));
    });

    it('kmem -o gives each CPU its __per_cpu_offset', () => {
      const out = run(k, 'kmem -o').split('\n');
      expect(out[0]).toBe('PER-CPU OFFSET VALUES:');
      for (const cpu of k.onlineCpus)
        expect(out[cpu + 1]).toBe(`${`CPU ${cpu}`.padStart(7)}: ${k.perCpuOffset(cpu).toString(16)}`);
      // runqueues is a per-CPU symbol: its copy on CPU 0 lies in the direct map at the offset
      expect(k.perCpu('runqueues', 0)).toBe(k.sym('runqueues') + k.perCpuOffset(0));
    });
  });
}
