/**
 * Resilient walks over kernel lists and the pid xarray, for a dump that may lack some pages.
 * A struct list_head is doubly linked: when a forward walk meets an unreadable node, the walk
 * goes on from the head backwards (prev pointers), so only the entries between the first and
 * the last unreadable node are lost. Every walk is bounded.
 */
import type { Kernel } from '../kernel.js';

export interface ListWalk {
  /** addresses of the list_head members of the entries reached (not the head) */
  nodes: bigint[];
  /** list_head addresses whose links could not be read (the entry they sit in is suspect) */
  broken: bigint[];
  /** the head itself could not be read */
  headUnreadable: boolean;
}

/** Walk a circular list from `head` forwards, and backwards too if the forward walk broke. */
export function walkListBothWays(k: Kernel, head: bigint, limit = 100_000): ListWalk {
  const out: ListWalk = { nodes: [], broken: [], headUnreadable: false };
  const seen = new Set<bigint>([head]);
  let first: bigint;
  try {
    first = k.readU64(head);
  } catch {
    out.headUnreadable = true;
    return out;
  }
  if (walkOneWay(k, first, 0n, seen, out, limit)) return out;
  // forward walk hit an unreadable node (or a bad pointer): come back from the other end
  let last: bigint;
  try {
    last = k.readU64(head + 8n); // list_head.prev
  } catch {
    return out;
  }
  walkOneWay(k, last, 8n, seen, out, limit);
  return out;
}

/** Follow next (linkOff 0) or prev (linkOff 8) pointers; true when the walk came back to a seen node cleanly. */
function walkOneWay(k: Kernel, start: bigint, linkOff: bigint, seen: Set<bigint>, out: ListWalk, limit: number): boolean {
  let node = start;
  for (let n = 0; n < limit; n++) {
    if (seen.has(node)) return true;
    if (node === 0n || node < 0xffff800000000000n) return false;
    seen.add(node);
    out.nodes.push(node);
    try {
      node = k.readU64(node + linkOff);
    } catch {
      out.broken.push(node);
      return false;
    }
  }
  return false;
}

/** XArray entry encoding (include/linux/xarray.h): internal entries end in binary 10. */
const isInternal = (e: bigint): boolean => (e & 3n) === 2n;

export interface XaWalk {
  entries: { index: bigint; value: bigint }[];
  /** node addresses that could not be read */
  broken: bigint[];
}

/**
 * Every pointer entry of an XArray (struct xarray) by index. Nodes are struct xa_node
 * (shift, slots[XA_CHUNK_SIZE]); an internal entry above 4096 is a node pointer (xa_is_node),
 * small internal entries (sibling/retry/zero) and value entries (low bit set) are skipped.
 */
export function walkXarray(k: Kernel, xarrayAddr: bigint, limit = 1_000_000): XaWalk {
  const out: XaWalk = { entries: [], broken: [] };
  const headOff = BigInt(k.offsetOf('struct xarray', 'xa_head'));
  const shiftOff = BigInt(k.offsetOf('struct xa_node', 'shift'));
  const slotsOff = BigInt(k.offsetOf('struct xa_node', 'slots'));
  const slotsMember = k.type('struct xa_node').members?.find((m) => m.name === 'slots');
  const chunk = slotsMember?.type.length ?? 64;
  let budget = limit;
  const visit = (entry: bigint, base: bigint, depth: number): void => {
    if (--budget < 0 || depth > 16 || entry === 0n) return;
    if (isInternal(entry)) {
      if (entry <= 4096n) return; // sibling, retry or zero entry
      const node = entry - 2n;
      let shift: bigint;
      let slots: Buffer;
      try {
        shift = BigInt(k.read(node + shiftOff, 1)[0]!);
        slots = k.read(node + slotsOff, chunk * 8);
      } catch {
        out.broken.push(node);
        return;
      }
      for (let i = 0; i < chunk; i++) {
        const e = slots.readBigUInt64LE(i * 8);
        if (e !== 0n) visit(e, base + (BigInt(i) << shift), depth + 1);
      }
      return;
    }
    if ((entry & 1n) === 1n) return; // a value entry, not a pointer
    out.entries.push({ index: base, value: entry });
  };
  let head: bigint;
  try {
    head = k.readU64(xarrayAddr + headOff);
  } catch {
    out.broken.push(xarrayAddr);
    return out;
  }
  visit(head, 0n, 0);
  return out;
}
