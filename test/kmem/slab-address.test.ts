/**
 * kmem -s ADDRESS and kmem -S ADDRESS as crash reads them, on the proc-truth cases:
 * - the address of a struct kmem_cache names that cache: `kmem -s ADDR` is `kmem -s NAME`, `kmem -S ADDR` is
 *   `kmem -S NAME` (crash 9 does the same; crash-ts used to look for an object at that address);
 * - any other address is an object: `kmem -S OBJ` lists the whole slab holding it, every slot free or
 *   [allocated], as crash 9 does (crash-ts used to print the object's line only).
 * The object is the open file on fd 0 of the files-holder (busybox nc holding /mnt/ct-tmp/held.txt): allocated,
 * in the cache the guest's /proc/slabinfo calls filp, slots one slabinfo objsize apart.
 */
import { expect, it } from 'vitest';
import { caseInfo, caseNames, describeCorpus, skipWhenNoCases } from '../helpers/corpus.js';
import { openCaseDumps } from '../helpers/corpus-command.js';

interface Workload {
  pid: number;
  role: string;
}

const cases = caseNames().filter((n) =>
  (caseInfo(n).workload as Workload[] | undefined)?.some((w) => w.role === 'files-holder'),
);
skipWhenNoCases('kmem -s/-S ADDRESS on the proc-truth cases');

for (const name of cases) {
  describeCorpus(`kmem -s/-S ADDRESS on ${name}`, () => {
    const info = caseInfo(name);
    const pid = (info.workload as Workload[]).find((w) => w.role === 'files-holder')!.pid;
    const slabinfo = ((info.pre_crash_snapshot as { proc_slabinfo?: string[] } | undefined)?.proc_slabinfo ?? []).find(
      (l) => l.startsWith('filp '),
    );
    const opened = openCaseDumps(name);

    it('the address of a struct kmem_cache names that cache (kmem -s and kmem -S)', async () => {
      const { run } = opened[0]!;
      const byName = await run('kmem -s filp');
      const row = byName.split('\n')[1]!;
      const addr = row.split(/\s+/)[0]!;
      expect(row).toMatch(/^[0-9a-f]{16}\s+\d+\s+\d+\s+\d+\s+\d+\s+\d+k\s+filp$/);
      expect(await run(`kmem -s ${addr}`)).toBe(byName);
      expect(await run(`kmem -s 0x${addr}`)).toBe(byName);
      expect(await run(`kmem -S ${addr}`)).toBe(await run('kmem -S filp'));
    });

    it("kmem -S OBJECT lists the object's whole slab, the object [allocated]", async () => {
      const { run } = opened[0]!;
      const files = await run(`files ${pid}`);
      const fd0 = /^\s+0 ([0-9a-f]{16}) .* \/mnt\/ct-tmp\/held\.txt$/m.exec(files);
      expect(fd0, files).not.toBeNull();
      const file = BigInt(`0x${fd0![1]}`);
      const out = (await run(`kmem -S ${fd0![1]}`)).trimEnd().split('\n');
      expect(out[1]).toMatch(/ filp$/);
      const [, memory, , total, allocated, free] = out[3]!.trim().split(/\s+/);
      expect(out[4]).toBe('  FREE / [ALLOCATED]');
      const slots = out.slice(5);
      expect(slots.length).toBe(Number(total));
      expect(slots.filter((l) => l.startsWith('  [')).length).toBe(Number(allocated));
      expect(slots.filter((l) => /^ {3}[0-9a-f]{16}/.test(l)).length).toBe(Number(free));
      expect(slots).toContain(`  [${fd0![1]}]`);
      // slots one kmem_cache.size apart from the slab's memory; /proc/slabinfo's objsize is that size
      const addrs = slots.map((l) => BigInt(`0x${/[0-9a-f]{16}/.exec(l)![0]}`));
      const stride = addrs[1]! - addrs[0]!;
      expect(addrs[0]).toBe(BigInt(`0x${memory}`));
      addrs.forEach((a, i) => expect(a).toBe(addrs[0]! + BigInt(i) * stride));
      if (slabinfo) expect(stride).toBe(BigInt(slabinfo.split(/\s+/)[3]!));
      expect(file >= addrs[0]! && file < addrs[0]! + BigInt(slots.length) * stride).toBe(true);
      // kmem -s OBJECT stays the one-object form
      const short = (await run(`kmem -s ${fd0![1]}`)).trimEnd().split('\n');
      expect(short.slice(0, 5)).toEqual(out.slice(0, 5));
      expect(short.slice(5)).toEqual([`  [${fd0![1]}]`]);
    });
  });
}
