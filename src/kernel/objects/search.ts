/**
 * Where `search` looks, and the looking. Kernel virtual memory is searched where it is mapped: the
 * direct map over every physical page the dump holds, the vmalloc areas (module memory among them) and
 * the kernel image; physical memory over the pages the dump holds; user memory over the VMAs of a task's
 * mm. Pages the dump lacks are skipped without a word, as crash skips them. Matches come in address order.
 */
import { threadSize } from '../arch/x86_64/stacks.js';
import type { Kernel } from '../kernel.js';
import { allTasks, isActive, type Task } from './tasks.js';
import { readUser } from './user-memory.js';
import { readVma, vmaAddresses } from './mm.js';
import { vmallocAreas } from './vmalloc.js';

const PAGE = 4096n;

export type SearchSpace = 'kernel' | 'physical' | 'user';

export interface Range {
  start: bigint;
  end: bigint;
}

/**
 * Which parts of kernel virtual memory: all of it (-k), all but the vmalloc areas (-K: module memory and
 * vmap'd stacks among them), or only those (-V: not the direct map nor the kernel image).
 */
export type KernelParts = 'all' | 'no-vmalloc' | 'vmalloc-only';

/** The ranges of a space that can hold data, in address order. */
export function searchableRanges(k: Kernel, space: SearchSpace, mm?: bigint, parts: KernelParts = 'all'): Range[] {
  if (space === 'user') {
    if (mm === undefined) return [];
    return vmaAddresses(k, mm).vmas.map((v) => {
      const r = readVma(k, v);
      return { start: r.start, end: r.end };
    });
  }
  const maxPfn = k.dump.meta.maxPfn ?? 0n;
  const phys: Range[] = [{ start: 0n, end: maxPfn * PAGE }];
  if (space === 'physical') return phys;
  const base = k.mem.translator.cfg.pageOffsetBase;
  const out: Range[] = parts === 'vmalloc-only' ? [] : [{ start: base, end: base + maxPfn * PAGE }];
  if (parts !== 'no-vmalloc')
    try {
      for (const a of vmallocAreas(k).areas) out.push({ start: a.start, end: a.end });
    } catch {
      // no vmalloc areas readable: the other ranges are still searched
    }
  const text = k.symbols.lookup('_text');
  const end = k.symbols.lookup('_end');
  if (text && end && parts !== 'vmalloc-only') out.push({ start: text.address, end: end.address });
  return out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
}

/** A page-sized (or smaller, at the ends) piece of memory and where it is. */
export interface Chunk {
  address: bigint;
  data: Buffer;
}

/**
 * Every readable page piece of the ranges clipped to [from, to), in address order. Physical pages the
 * dump lacks are skipped by their bitmap, without reading; other unreadable pages by their error.
 */
export function* readableChunks(
  k: Kernel,
  space: SearchSpace,
  ranges: Range[],
  from: bigint,
  to: bigint,
  mm?: bigint,
): Generator<Chunk> {
  const base = k.mem.translator.cfg.pageOffsetBase;
  const directEnd = base + (k.dump.meta.maxPfn ?? 0n) * PAGE;
  for (const r of ranges) {
    let a = r.start > from ? r.start : from;
    const end = r.end < to ? r.end : to;
    while (a < end) {
      const pageEnd = (a & ~(PAGE - 1n)) + PAGE;
      const stop = pageEnd < end ? pageEnd : end;
      const len = Number(stop - a);
      let data: Buffer | undefined;
      try {
        if (space === 'physical') {
          if (k.dump.isPresent(a & ~(PAGE - 1n))) data = k.mem.readPhys(a, len);
        } else if (space === 'user') data = readUser(k, mm!, a, len);
        else if (a >= base && a < directEnd) {
          if (k.dump.isPresent((a - base) & ~(PAGE - 1n))) data = k.mem.readPhys(a - base, len);
        } else data = k.read(a, len);
      } catch {
        data = undefined;
      }
      if (data) yield { address: a, data };
      a = stop;
    }
  }
}

/** Each task's kernel stack (task->stack, THREAD_SIZE bytes), in the task table's order; only running ones if asked. */
export function taskStacks(k: Kernel, activeOnly: boolean): { task: Task; range: Range }[] {
  const size = threadSize(k);
  return allTasks(k)
    .tasks.filter((t) => t.stack !== 0n && (!activeOnly || isActive(k, t)))
    .map((task) => ({ task, range: { start: task.stack, end: task.stack + size } }));
}
