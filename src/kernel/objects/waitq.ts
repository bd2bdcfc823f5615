/**
 * Wait queues: a wait_queue_head_t is a spinlock and a list of wait_queue_entry (4.13+; before, the list
 * was `task_list` of struct __wait_queue). Each entry's `private` is the sleeping task for the default
 * wake function (autoremove_wake_function, default_wake_function); other users (epoll, poll, io_uring)
 * put their own data there, or nothing, and wake through their own `func`.
 */
import type { Kernel } from '../kernel.js';

/** more waiters than any queue holds: where a walk of a damaged list stops */
const MAX_WAITERS = 1_000_000;

export interface WaitQueueEntry {
  /** struct wait_queue_entry */
  entry: bigint;
  /** its private word: the waiting task for ordinary sleepers */
  private: bigint;
  /** its wake function */
  func: bigint;
}

export interface WaitQueue {
  /** the wait_queue_head_t */
  head: bigint;
  entries: WaitQueueEntry[];
  /** why the walk stopped early */
  problem?: string;
}

/** The entries queued on the wait queue head at `head`, in queue order. */
export function waitQueueEntries(k: Kernel, head: bigint): WaitQueue {
  const newStyle = !!k.findType('struct wait_queue_entry');
  const headType = k.findType('struct wait_queue_head') ? 'struct wait_queue_head' : 'struct __wait_queue_head';
  const entryType = newStyle ? 'struct wait_queue_entry' : 'struct __wait_queue';
  const h = k.object(headType, head);
  const listHead = h.fieldAny('head', 'task_list').address;
  const probe = k.object(entryType, 0n);
  const linkMember = probe.has('entry') ? 'entry' : 'task_list';
  const privOff = BigInt(k.offsetOf(entryType, 'private'));
  const funcOff = BigInt(k.offsetOf(entryType, 'func'));
  const out: WaitQueue = { head, entries: [] };
  try {
    for (const entry of k.listAddresses(listHead, entryType, linkMember, MAX_WAITERS))
      out.entries.push({ entry, private: k.readU64(entry + privOff), func: k.readU64(entry + funcOff) });
  } catch (e) {
    out.problem = (e as Error).message;
  }
  return out;
}
