/**
 * The kernel's resource trees (kernel/resource.c): ioport_resource (I/O ports) and iomem_resource (physical
 * address space: System RAM, the kernel's own code/data, PCI windows, device registers), each a tree of
 * struct resource linked by child and sibling, as /proc/ioports and /proc/iomem print them.
 */
import type { Kernel } from '../kernel.js';

export interface ResourceEntry {
  /** struct resource address */
  address: bigint;
  start: bigint;
  end: bigint;
  /** its name, or undefined where the string cannot be read */
  name: string | undefined;
  /** 0 for the root */
  depth: number;
}

export interface ResourceTree {
  entries: ResourceEntry[];
  /** a node the walk could not read (its address and why), where the listing stops short */
  problem?: string;
}

const MAX_ENTRIES = 100_000;

/** The tree under the resource at `root` (a symbol's address), depth first: a node, its children, its siblings. */
export function resourceTree(k: Kernel, root: bigint): ResourceTree {
  const entries: ResourceEntry[] = [];
  const seen = new Set<bigint>();
  let problem: string | undefined;
  const walk = (first: bigint, depth: number): void => {
    for (let at = first; at !== 0n && !problem; ) {
      if (seen.has(at) || entries.length >= MAX_ENTRIES) {
        problem = `the list loops or runs on at ${at.toString(16)}`;
        return;
      }
      seen.add(at);
      let start: bigint, end: bigint, namePtr: bigint, child: bigint, sibling: bigint;
      try {
        const r = k.object('struct resource', at);
        start = r.field('start').value();
        end = r.field('end').value();
        namePtr = r.field('name').value();
        child = r.field('child').value();
        sibling = r.field('sibling').value();
      } catch (e) {
        problem = `struct resource at ${at.toString(16)} cannot be read: ${(e as Error).message}`;
        return;
      }
      let name: string | undefined;
      try {
        name = namePtr === 0n ? undefined : k.readCString(namePtr, 256);
      } catch {
        name = undefined;
      }
      entries.push({ address: at, start, end, name, depth });
      if (child !== 0n && child !== at) walk(child, depth + 1);
      at = sibling;
    }
  };
  walk(root, 0);
  return { entries, ...(problem ? { problem } : {}) };
}
