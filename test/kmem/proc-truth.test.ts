/**
 * kmem against the crashed guest's own /proc, read a few seconds before the crash (the *-proc-truth cases):
 * - kmem -i TOTAL MEM is /proc/meminfo's MemTotal, and FREE/CACHED/SLAB/COMMIT LIMIT its MemFree, Cached, Slab
 *   and CommitLimit (counters move between the snapshot and the crash: within a few percent);
 * - kmem -s lists every cache of /proc/slabinfo, each with its object size (slabinfo's objsize column is
 *   kmem_cache.size; kmem's OBJSIZE is object_size, so both are checked through the JSON data);
 * - kmem -v lists every area of /proc/vmallocinfo with its size and its caller (symbol+offset): /proc hashes
 *   the addresses, so size and caller are what can be compared.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import kmem from '../../commands/kmem.js';
import type { SlabCache } from '../../src/kernel/objects/slab.js';
import type { VmallocList } from '../../src/kernel/objects/vmalloc.js';
import type { MemInfo } from '../../src/kernel/objects/meminfo.js';
import { caseInfo, caseNames, describeCorpus, dumpPaths, skipWhenNoCases, vmlinuxPlain } from '../helpers/corpus.js';

interface Snapshot {
  proc_meminfo?: string[];
  proc_slabinfo?: string[];
  proc_vmallocinfo?: string[];
}

function data<T>(k: Kernel, line: string): T {
  const view = kmem.run(new Session(k), parseArgs(line.split(' ').slice(1), kmem.options)) as View;
  // kmem -s is a table (the live view's), the others text; both carry their JSON form as data
  if (view.kind !== 'text' && view.kind !== 'table') throw new Error(`kmem gave a ${view.kind} view`);
  return view.data as T;
}

const truthCases = caseNames().filter((n) => (caseInfo(n).pre_crash_snapshot as Snapshot | undefined)?.proc_slabinfo);
skipWhenNoCases('kmem against /proc on the proc-truth cases');

for (const name of truthCases) {
  describeCorpus(`kmem against /proc on ${name}`, () => {
    const snap = caseInfo(name).pre_crash_snapshot as Snapshot;
    let k: Kernel;
    beforeAll(async () => {
      const d = (await dumpPaths(name))[0]!;
      k = openKernelSync(await vmlinuxPlain(name), d.path);
    }, 120_000);
    afterAll(() => k?.dump.close());

    const kb = (field: string): number => {
      const l = snap.proc_meminfo!.find((x) => x.startsWith(`${field}:`));
      return Number(l!.split(/\s+/)[1]);
    };

    it('kmem -i: TOTAL MEM is MemTotal; FREE, CACHED, SLAB, COMMIT LIMIT near MemFree, Cached, Slab, CommitLimit', () => {
      const m = data<MemInfo>(k, 'kmem -i');
      expect(Number(m.totalPages) * 4).toBe(kb('MemTotal'));
      expect(Number(m.commitLimitPages) * 4).toBe(kb('CommitLimit'));
      const near = (pages: bigint, field: string, within: number): void =>
        expect(Math.abs(Number(pages) * 4 - kb(field)), field).toBeLessThanOrEqual(within * kb(field) + 64);
      near(m.freePages, 'MemFree', 0.02);
      near(m.cachedPages, 'Cached', 0.05);
      near(m.slabPages, 'Slab', 0.05);
      expect(Number(m.bufferPages) * 4).toBe(kb('Buffers'));
    });

    it('kmem -s: every cache of /proc/slabinfo, with its object size', () => {
      const caches = data<SlabCache[]>(k, 'kmem -s');
      const byName = new Map(caches.map((c) => [c.name, c]));
      const rows = snap.proc_slabinfo!.filter((l) => !l.startsWith('#') && !l.startsWith('slabinfo'));
      expect(rows.length).toBeGreaterThan(100);
      for (const row of rows) {
        const [cache, , , objsize, perSlab, pagesPerSlab] = row.split(/\s+/);
        const c = byName.get(cache!);
        expect(c, `cache ${cache}`).toBeDefined();
        expect(c!.size, `${cache} objsize`).toBe(Number(objsize));
        expect(c!.objectsPerSlab, `${cache} objects per slab`).toBe(Number(perSlab));
        expect(1 << c!.order, `${cache} pages per slab`).toBe(Number(pagesPerSlab));
        expect(typeof c!.total, `${cache} counted`).toBe('number');
      }
    });

    it('kmem -v: every area of /proc/vmallocinfo, with its size and caller', () => {
      const list = data<VmallocList>(k, 'kmem -v');
      const ours = list.areas.map((a) => {
        const n = k.symbols.nearest(a.caller)!;
        return `${a.vmSize} ${n.symbol.name}+0x${n.offset.toString(16)}`;
      });
      const truth = snap
        .proc_vmallocinfo!.map((l) => l.split(/\s+/))
        .filter((w) => !w[2]!.startsWith('unpurged') && w[2] !== 'vm_map_ram')
        .map((w) => `${w[1]} ${w[2]!.split('/')[0]}`);
      expect(truth.length).toBeGreaterThan(50);
      // 6.9+ lists each vmap node's areas in turn in /proc: compare as sets of (size, caller) with counts
      expect([...ours].sort()).toEqual([...truth].sort());
      expect(list.problems).toEqual([]);
    });
  });
}
