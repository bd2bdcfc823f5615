/**
 * Resilient walks over kernel lists and the pid xarray, for a dump that may lack some pages.
 * A struct list_head is doubly linked: when a forward walk meets an unreadable node, the walk
 * goes on from the head backwards (prev pointers), so only the entries between the first and
 * the last unreadable node are lost. Every walk is bounded.
 */
import { isKernelAddress } from '../address.js';
import type { Kernel } from '../kernel.js';
import { u64le } from '../u64.js';

export interface ListWalk {
  /** addresses of the list_head members of the entries reached (not the head) */
  nodes: bigint[];
  /** list_head addresses whose links could not be read (the entry they sit in is suspect) */
  broken: bigint[];
  /** the head itself could not be read */
  headUnreadable: boolean;
}

/** Reads one 64-bit link (throws as Kernel.readU64 does when its page is missing). */
export type LinkReader = (addr: bigint) => bigint;

/**
 * Walk a circular list from `head` forwards, and backwards too if the forward walk broke. `read` reads each
 * link (default: the dump; the task table passes one that answers from links it already read).
 */
export function walkListBothWays(
  k: Kernel,
  head: bigint,
  limit = 100_000,
  read: LinkReader = (a) => k.readU64(a),
): ListWalk {
  const out: ListWalk = { nodes: [], broken: [], headUnreadable: false };
  const seen = new Set<bigint>([head]);
  try {
    read(head);
    read(head + 8n);
  } catch {
    out.headUnreadable = true;
    return out;
  }
  // the budget is shared by both directions: a list is never longer than `limit` entries
  const budget = { left: limit };
  if (walkOneWay(read, head, 0n, seen, out, budget)) return out;
  // forward walk hit an unreadable node or a broken link: come back from the other end
  walkOneWay(read, head, 8n, seen, out, budget);
  return out;
}

/** x86_64 list poison (CONFIG_ILLEGAL_POINTER_VALUE 0xdead000000000000 + 0x100/0x122): a deleted entry. */
const POISON_BASE = 0xdead000000000000n;

/**
 * Follow next (linkOff 0) or prev (linkOff 8) pointers from `head`; true when the walk came back to
 * a seen node cleanly. Each link is checked the way the kernel's list debugging does
 * (__list_del_entry_valid: node->next->prev == node): a link whose target does not point back is
 * broken, and the walk stops there in this direction rather than follow garbage.
 */
function walkOneWay(
  read: LinkReader,
  head: bigint,
  linkOff: bigint,
  seen: Set<bigint>,
  out: ListWalk,
  budget: { left: number },
): boolean {
  const backOff = 8n - linkOff;
  let node = head;
  while (budget.left-- > 0) {
    let next: bigint;
    try {
      next = read(node + linkOff);
    } catch {
      out.broken.push(node);
      return false;
    }
    if (seen.has(next)) return true;
    if (!isKernelAddress(next) || (next & 7n) !== 0n || (next & 0xffff000000000000n) === POISON_BASE) return false;
    let back: bigint;
    try {
      back = read(next + backOff);
    } catch {
      // the next entry is on a page the dump lacks: it was reached, its own links are lost
      seen.add(next);
      out.nodes.push(next);
      out.broken.push(next);
      return false;
    }
    if (back !== node) return false; // a link that does not point back: garbage or a torn update
    seen.add(next);
    out.nodes.push(next);
    node = next;
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
        // an empty slot is told by its two 32-bit halves: no bigint made for it (a node of the pid table holds 64)
        const low = slots.readUInt32LE(i * 8);
        if (low === 0 && slots.readUInt32LE(i * 8 + 4) === 0) continue;
        // an internal entry (a node, or a sibling/retry/zero entry): visited
        if ((low & 3) === 2) {
          visit(u64le(slots, i * 8), base + (BigInt(i) << shift), depth + 1);
          continue;
        }
        // a leaf, judged here as visit judges it (its low bits from the low half), without a call per entry: the pid
        // table's 10,000 entries are leaves
        if (--budget < 0 || depth + 1 > 16 || (low & 1) === 1) continue;
        out.entries.push({ index: base + (BigInt(i) << shift), value: u64le(slots, i * 8) });
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

/**
 * The entry of one index of an XArray, walking only the nodes on its path (no full walk): undefined when the
 * index holds nothing, a value entry or an internal one. Throws when a node on the path cannot be read.
 */
export function xarrayLoad(k: Kernel, xarrayAddr: bigint, index: bigint): bigint | undefined {
  const shiftOff = BigInt(k.offsetOf('struct xa_node', 'shift'));
  const slotsOff = BigInt(k.offsetOf('struct xa_node', 'slots'));
  const chunk = BigInt(k.type('struct xa_node').members?.find((m) => m.name === 'slots')?.type.length ?? 64);
  let entry = k.readU64(xarrayAddr + BigInt(k.offsetOf('struct xarray', 'xa_head')));
  let top = true;
  for (let depth = 0; depth <= 16; depth++) {
    if (entry === 0n) return undefined;
    if (!isInternal(entry)) {
      // a pointer at the head, not in a node, is the entry of index 0 alone
      if ((entry & 1n) === 1n || (top && index !== 0n)) return undefined;
      return entry;
    }
    if (entry <= 4096n) return undefined; // sibling, retry or zero entry
    const node = entry - 2n;
    const shift = BigInt(k.read(node + shiftOff, 1)[0]!);
    if (top && index >> shift >= chunk) return undefined; // beyond what the tree covers
    top = false;
    entry = k.readU64(node + slotsOff + ((index >> shift) & (chunk - 1n)) * 8n);
  }
  return undefined;
}
