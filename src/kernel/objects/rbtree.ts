/**
 * Red-black trees (include/linux/rbtree.h): struct rb_root { rb_node } and struct rb_node
 * { __rb_parent_color, rb_right, rb_left }. The kernel keeps mounts (6.8+), CFS run queues,
 * deadline queues, hrtimers and more in them; an in-order walk gives the tree's sort order.
 */
import type { Kernel } from '../kernel.js';

export interface RbWalk {
  /** rb_node addresses in order (leftmost first) */
  nodes: bigint[];
  /** nodes whose links could not be read */
  broken: bigint[];
}

/** Every node of the tree rooted at `rootNode` (rb_root.rb_node), in order; bounded by `limit`. */
export function rbInorder(k: Kernel, rootNode: bigint, limit = 1_000_000): RbWalk {
  const out: RbWalk = { nodes: [], broken: [] };
  const right = BigInt(k.offsetOf('struct rb_node', 'rb_right'));
  const left = BigInt(k.offsetOf('struct rb_node', 'rb_left'));
  const seen = new Set<bigint>();
  // iterative: a damaged or very deep tree must not overflow the JS stack
  const stack: bigint[] = [];
  let node = rootNode;
  while ((node !== 0n || stack.length) && out.nodes.length < limit) {
    while (node !== 0n) {
      if (seen.has(node) || stack.length > 128) {
        node = 0n; // a loop, or deeper than any balanced tree in a 64-bit address space
        break;
      }
      seen.add(node);
      stack.push(node);
      try {
        node = k.readU64(node + left);
      } catch {
        out.broken.push(node);
        node = 0n;
      }
    }
    const n = stack.pop();
    if (n === undefined) break;
    out.nodes.push(n);
    try {
      node = k.readU64(n + right);
    } catch {
      out.broken.push(n);
      node = 0n;
    }
  }
  return out;
}

/** The in-order nodes of a struct rb_root (or rb_root_cached: its rb_root member) at `root`. */
export function rbRootInorder(k: Kernel, root: bigint, limit?: number): RbWalk {
  return rbInorder(k, k.readU64(root + BigInt(k.offsetOf('struct rb_root', 'rb_node'))), limit);
}
