/**
 * Maple trees (include/linux/maple_tree.h, Linux 6.1+): a B-tree of ranges that holds a process's
 * VMAs (mm->mm_mt) among others. The root pointer is a node when its low bits are 10 (an xarray
 * internal entry) and it is above 4096; below the root every slot of an internal node is a node. An
 * encoded node pointer is the node address (entry & ~0xff) with its type in bits 3-6 (leaf_64 1, range_64 2,
 * arange_64 3). range_64/leaf_64 nodes have 15 pivots and 16 slots (struct maple_range_64), arange_64
 * nodes 9 pivots and 10 slots plus gaps (struct maple_arange_64). Slot i covers the indices from the
 * previous pivot + 1 up to pivot[i]; the last slot in use (the node's "end") is found from the pivots
 * (a pivot equal to the node's max ends it) or, when the last pivot is 0, from the node's metadata.
 */
import type { Kernel } from '../kernel.js';

const NODE_MASK = 0xffn;
const TYPE_SHIFT = 3n;
const TYPE_MASK = 0xfn;
const LEAF_64 = 1;
const RANGE_64 = 2;
const ARANGE_64 = 3;
/** xa_mk_internal(257): the "zero entry" that reserves a range without an entry */
const ZERO_ENTRY = (257n << 2n) | 2n;
const ULONG_MAX = (1n << 64n) - 1n;

const isNode = (e: bigint): boolean => (e & 3n) === 2n && e > 4096n;

export interface MapleEntry {
  first: bigint;
  last: bigint;
  value: bigint;
}

export interface MapleWalk {
  entries: MapleEntry[];
  /** nodes that could not be read (their entries are missing from the list) */
  broken: bigint[];
}

interface NodeLayout {
  r64Pivot: bigint;
  r64Slot: bigint;
  r64Pivots: number;
  r64MetaEnd: bigint;
  a64Pivot: bigint;
  a64Slot: bigint;
  a64Pivots: number;
  a64MetaEnd: bigint;
}

function nodeLayout(k: Kernel): NodeLayout {
  const key = 'objects/maple-layout';
  let l = k.cache.get(key) as NodeLayout | undefined;
  if (l) return l;
  const off = (t: string, m: string): bigint => BigInt(k.offsetOf(t, m));
  const pivots = (t: string): number => k.type(t).members!.find((m) => m.name === 'pivot')!.type.length ?? 0;
  l = {
    r64Pivot: off('struct maple_range_64', 'pivot'),
    r64Slot: off('struct maple_range_64', 'slot'),
    r64Pivots: pivots('struct maple_range_64'),
    r64MetaEnd: off('struct maple_range_64', 'meta') + off('struct maple_metadata', 'end'),
    a64Pivot: off('struct maple_arange_64', 'pivot'),
    a64Slot: off('struct maple_arange_64', 'slot'),
    a64Pivots: pivots('struct maple_arange_64'),
    a64MetaEnd: off('struct maple_arange_64', 'meta') + off('struct maple_metadata', 'end'),
  };
  k.cache.set(key, l);
  return l;
}

/**
 * Every entry of the maple tree at `tree` (struct maple_tree *) in index order, with the range it
 * covers; zero entries are left out. Bounded by `limit` entries.
 */
export function mapleTreeEntries(k: Kernel, tree: bigint, limit = 1_000_000): MapleWalk {
  const out: MapleWalk = { entries: [], broken: [] };
  const root = k.readU64(tree + BigInt(k.offsetOf('struct maple_tree', 'ma_root')));
  if (!isNode(root)) {
    if (root !== 0n) out.entries.push({ first: 0n, last: 0n, value: root });
    return out;
  }
  const l = nodeLayout(k);
  // depth-first, children left to right: the leaves come out in index order
  const stack: { entry: bigint; min: bigint; max: bigint; depth: number }[] = [
    { entry: root, min: 0n, max: ULONG_MAX, depth: 0 },
  ];
  let budget = limit * 2;
  while (stack.length && out.entries.length < limit && budget-- > 0) {
    const { entry, min, max, depth } = stack.pop()!;
    const node = entry & ~NODE_MASK;
    const type = Number((entry >> TYPE_SHIFT) & TYPE_MASK);
    let pivotOff: bigint, slotOff: bigint, nPivots: number, metaEnd: bigint;
    if (type === ARANGE_64) [pivotOff, slotOff, nPivots, metaEnd] = [l.a64Pivot, l.a64Slot, l.a64Pivots, l.a64MetaEnd];
    else if (type === RANGE_64 || type === LEAF_64)
      [pivotOff, slotOff, nPivots, metaEnd] = [l.r64Pivot, l.r64Slot, l.r64Pivots, l.r64MetaEnd];
    else {
      out.broken.push(node); // dense nodes are not used by the trees read here
      continue;
    }
    let pivots: Buffer, slots: Buffer, metaByte: number;
    try {
      pivots = k.read(node + pivotOff, nPivots * 8);
      slots = k.read(node + slotOff, (nPivots + 1) * 8);
      metaByte = k.read(node + metaEnd, 1)[0]!;
    } catch {
      out.broken.push(node);
      continue;
    }
    const pivot = (i: number): bigint => pivots.readBigUInt64LE(i * 8);
    let end: number;
    if (type === ARANGE_64) end = metaByte;
    else {
      const lastPivot = pivot(nPivots - 1);
      end = lastPivot === 0n ? metaByte : lastPivot === max ? nPivots - 1 : nPivots;
    }
    end = Math.min(end, nPivots);
    const leaf = type === LEAF_64;
    const ranges: { first: bigint; last: bigint; slot: bigint }[] = [];
    let prev = min;
    for (let i = 0; i <= end; i++) {
      const last = i < end ? pivot(i) : max;
      ranges.push({ first: prev, last, slot: slots.readBigUInt64LE(i * 8) });
      prev = last + 1n;
    }
    if (leaf) {
      for (const r of ranges)
        if (r.slot !== 0n && r.slot !== ZERO_ENTRY) out.entries.push({ first: r.first, last: r.last, value: r.slot });
    } else if (depth < 32) {
      for (let i = ranges.length - 1; i >= 0; i--) {
        const r = ranges[i]!;
        // a child pointer: the node address with its type in bits 3-6 (only the root carries the xa node bit)
        if (r.slot > 4096n) stack.push({ entry: r.slot, min: r.first, max: r.last, depth: depth + 1 });
      }
    }
  }
  return out;
}
