/**
 * ps's RSS column costs O(threads), not O(threads^2): on kernels with per-thread RSS caches
 * (task->rss_stat, before 6.2) a process's RSS sums every thread's cache, and every thread of the
 * process shows the same RSS. The sum is made once per mm: after the first thread, the others read
 * nothing. Counted by wrapping the kernel's memory reader, on each corpus case's multi-threaded
 * workload process (case.json workload_threads).
 */
import { beforeAll, expect, it } from 'vitest';
import { openKernelSync } from '../../src/kernel/open.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { allTasks, mmUsage } from '../../src/kernel/objects/tasks.js';
import { caseInfo, caseNames, describeCorpus, dumpPaths, skipWhenNoCases, vmlinuxPlain } from '../helpers/corpus.js';

/** Count every kernel-memory read the kernel model makes from now on. */
function countReads(k: Kernel): { reads: number } {
  const counter = { reads: 0 };
  const mem = k.mem;
  const read = mem.read.bind(mem);
  mem.read = (addr: bigint, length: number) => {
    counter.reads++;
    return read(addr, length);
  };
  // scalars are read straight from the dump's page (Memory.scalarAt), without read()
  const scalarAt = mem.scalarAt.bind(mem);
  mem.scalarAt = (addr: bigint, length: number) => {
    const at = scalarAt(addr, length);
    if (at) counter.reads++; // undefined: the caller reads through read(), counted there
    return at;
  };
  return counter;
}

const threaded = caseNames().filter((n) => (caseInfo(n).workload_threads ?? []).length > 0);
skipWhenNoCases('ps RSS reads per thread');

for (const name of threaded) {
  describeCorpus(`ps RSS of a multi-threaded process on ${name}`, () => {
    const info = caseInfo(name);
    let k: Kernel;
    beforeAll(async () => {
      const d = (await dumpPaths(name))[0]!;
      k = openKernelSync(await vmlinuxPlain(name), d.path);
    }, 120_000);

    it('reads the per-thread counters once per process, not once per thread', () => {
      const extra = (info.workload_threads ?? []) as { pid: number; tgid: number }[];
      const tgid = extra[0]!.tgid;
      const table = allTasks(k);
      const threads = table.tasks.filter((t) => t.tgid === tgid);
      expect(threads.length).toBe(1 + extra.filter((t) => t.tgid === tgid).length);
      const counter = countReads(k);
      const perThread: number[] = [];
      const rss = new Set<bigint>();
      for (const t of threads) {
        const before = counter.reads;
        rss.add(mmUsage(k, t)!.rssPages);
        perThread.push(counter.reads - before);
      }
      // the first thread pays for the whole process: the mm's counters plus each thread's cache
      const kinds = 3;
      const splitRss = k.hasMember('struct task_struct', 'rss_stat.count');
      expect(perThread[0]).toBeGreaterThanOrEqual(splitRss ? kinds * threads.length : 1);
      expect(perThread[0]).toBeLessThanOrEqual(1 + kinds + kinds * threads.length + 4 * k.onlineCpus.length * kinds);
      // the others read nothing: they share the mm
      expect(perThread.slice(1)).toEqual(threads.slice(1).map(() => 0));
      // and every thread shows the process's RSS
      expect(rss.size).toBe(1);
    });
  });
}
