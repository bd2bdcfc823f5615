/**
 * The kernel's trees, walked as crash's `tree` walks them: red-black trees (struct rb_root / rb_node,
 * pre-order from the root, or in order with `linear`), and XArrays (struct xarray / xa_node, which also
 * back the radix-tree API since 4.20: struct radix_tree_root is struct xarray there). Fields are read by
 * name; the XArray's chunk size comes from the length of xa_node.slots.
 *
 * XArray entries (include/linux/xarray.h): a pointer with its low two bits 10 is "internal": a node
 * pointer when above 4096 (xa_to_node: minus 2), else a sibling (0..255 << 2 | 2) or retry/zero marker,
 * which name no entry of their own. A NULL slot is empty.
 */
import type { Kernel } from '../kernel.js';
import { resolve } from '../types/type.js';

/** Where a walk stops: trees deeper than this, or with more nodes, are taken for corrupted ones. */
export const TREE_MAX_NODES = 1_000_000;
const MAX_DEPTH = 128;

export interface TreeEntry {
  /** the node (rbtree) or the entry stored in the slot (xarray) */
  address: bigint;
  /** crash's position: `root/l/r` for an rbtree, `root/3/17` (node path and slot) for an xarray */
  position: string;
  /** xarray: the entry's index */
  index?: bigint;
}

export interface TreeWalk {
  entries: TreeEntry[];
  problem?: string;
}

/** Every rb_node under `node` (pre-order as crash prints it; `linear`: left to right). */
export function walkRbtree(k: Kernel, node: bigint, linear: boolean): TreeWalk {
  const left = BigInt(k.offsetOf('struct rb_node', 'rb_left'));
  const right = BigInt(k.offsetOf('struct rb_node', 'rb_right'));
  const entries: TreeEntry[] = [];
  const seen = new Set<bigint>();
  let problem: string | undefined;
  const visit = (n: bigint, pos: string, depth: number): void => {
    if (problem || n === 0n) return;
    if (seen.has(n)) return void (problem = `duplicate tree entry: ${n.toString(16)}`);
    if (depth > MAX_DEPTH || seen.size >= TREE_MAX_NODES)
      return void (problem = `tree too deep or too large at ${n.toString(16)}`);
    seen.add(n);
    let l: bigint;
    let r: bigint;
    try {
      l = k.readU64(n + left);
      r = k.readU64(n + right);
    } catch (err) {
      return void (problem = `rb_node ${n.toString(16)} unreadable: ${(err as Error).message}`);
    }
    if (linear) visit(l, `${pos}/l`, depth + 1);
    if (problem) return;
    entries.push({ address: n, position: pos });
    if (!linear) visit(l, `${pos}/l`, depth + 1);
    visit(r, `${pos}/r`, depth + 1);
  };
  visit(node, 'root', 0);
  return { entries, problem };
}

const isInternal = (e: bigint): boolean => (e & 3n) === 2n;
const isNode = (e: bigint): boolean => isInternal(e) && e > 4096n;

/**
 * Every entry of an XArray whose head (xa_head, or a node pointer with -N) is `head`, in index order,
 * with crash's position strings.
 */
export function walkXarray(k: Kernel, head: bigint): TreeWalk {
  const slotsOff = BigInt(k.offsetOf('struct xa_node', 'slots'));
  const shiftOff = BigInt(k.offsetOf('struct xa_node', 'shift'));
  const slotsType = resolve(k.type('struct xa_node'));
  const slotsMember = slotsType.members?.find((m) => m.name === 'slots');
  const chunk = resolve(slotsMember!.type).length ?? 64;
  const chunkShift = BigInt(Math.log2(chunk));
  const entries: TreeEntry[] = [];
  const seen = new Set<bigint>();
  let problem: string | undefined;
  if (head === 0n) return { entries };
  if (!isNode(head)) return { entries: [{ address: head, position: 'direct', index: 0n }] };

  const walk = (node: bigint, height: number, path: string, index: bigint): void => {
    if (problem) return;
    if (seen.has(node)) return void (problem = `duplicate tree node: ${node.toString(16)}`);
    if (seen.size >= TREE_MAX_NODES || height > 16) return void (problem = `tree too large at ${node.toString(16)}`);
    seen.add(node);
    let slots: Buffer;
    try {
      slots = k.read(node + slotsOff, chunk * 8);
    } catch (err) {
      return void (problem = `xa_node ${node.toString(16)} unreadable: ${(err as Error).message}`);
    }
    const shift = BigInt(height - 1) * chunkShift;
    for (let off = 0; off < chunk; off++) {
      const slot = slots.readBigUInt64LE(off * 8);
      if (slot === 0n) continue;
      if (isInternal(slot) && !isNode(slot)) continue; // sibling, retry or zero entry
      if (height === 1) entries.push({ address: slot, position: `${path}/${off}`, index: index | BigInt(off) });
      else walk(slot - 2n, height - 1, `${path}/${off}`, index | (BigInt(off) << shift));
      if (problem) return;
    }
  };
  const node = head - 2n;
  let shift: number;
  try {
    shift = k.read(node + shiftOff, 1)[0]!;
  } catch (err) {
    return { entries, problem: `xa_node ${node.toString(16)} unreadable: ${(err as Error).message}` };
  }
  walk(node, Math.floor(shift / Number(chunkShift)) + 1, 'root', 0n);
  return { entries, problem };
}
