/**
 * The struct pid objects of the initial pid namespace, read from their slabs rather than through the pid table:
 * the route to tasks (and to the pids of lost task_structs) when makedumpfile dropped a node of the pid xarray
 * (init_pid_ns.idr), which takes up to 64 pids with it, while the struct pids themselves, objects of another
 * cache, are still in the dump.
 *
 * init_pid_ns.pid_cachep is the cache of level-0 pids. Its slabs are found by scanning the struct pages
 * (slab.ts scanSlabsOfCache: a full slab is on no list). An allocated object whose level is 0, whose
 * numbers[0].ns is &init_pid_ns and whose tasks[PIDTYPE_PID] list is not empty is a live pid: attach_pid()
 * links the task's pid_links[PIDTYPE_PID] there, so first - offsetof(task_struct, pid_links) is the task. A freed
 * struct pid has an empty list (detach_pid unlinks the task before the last put_pid); the caller still checks
 * that the task's node points back (pprev), as it checks the pid table's entries.
 */
import type { Kernel } from '../kernel.js';
import { readSlabCache, scanSlabsOfCache, slabDetail } from './slab.js';

/** Struct pages scanned at most for the pid cache's slabs: 16 GiB of memory (256 MiB of struct pages). */
const MAX_SCANNED_PFNS = 1n << 22n;

export interface PidObject {
  /** the struct pid */
  address: bigint;
  /** numbers[0].nr */
  pid: number;
  /** tasks[PIDTYPE_PID].first: &task->pid_links[PIDTYPE_PID] of its task */
  first: bigint;
}

export interface PidSlabReading {
  objects: PidObject[];
  /** what of the cache could not be read (struct pages, slabs not in the dump), or why it could not be read at all */
  problem?: string;
}

/** Every live struct pid of init_pid_ns found in the slabs of init_pid_ns.pid_cachep. */
export function pidSlabObjects(k: Kernel): PidSlabReading {
  const out: PidSlabReading = { objects: [] };
  try {
    const ns = k.variable('init_pid_ns', 'struct pid_namespace');
    if (!ns.has('pid_cachep')) return { ...out, problem: 'struct pid_namespace has no pid_cachep' };
    const cachep = ns.field('pid_cachep').value();
    const pidType = Number(k.types.enumValue?.('PIDTYPE_PID', 'pid_type') ?? 0n);
    const firstAt = k.offsetOf('struct pid', 'tasks') + pidType * k.sizeOf('struct hlist_head');
    const levelAt = k.offsetOf('struct pid', 'level');
    const nrAt = k.offsetOf('struct pid', 'numbers') + k.offsetOf('struct upid', 'nr');
    const nsAt = k.offsetOf('struct pid', 'numbers') + k.offsetOf('struct upid', 'ns');
    const span = Math.max(firstAt + 8, levelAt + 4, nrAt + 4, nsAt + 8);
    const cache = readSlabCache(k, cachep);
    const scan = scanSlabsOfCache(k, cachep, MAX_SCANNED_PFNS);
    let lostSlabs = 0;
    for (const slab of scan.slabs) {
      let slots;
      try {
        slots = slabDetail(k, cache, slab).slots;
      } catch {
        lostSlabs++;
        continue;
      }
      for (const s of slots) {
        if (s.free) continue;
        let b: Buffer;
        try {
          b = k.read(s.address, span);
        } catch {
          lostSlabs++;
          break; // the slab's memory is not in the dump
        }
        const first = b.readBigUInt64LE(firstAt);
        const pid = b.readInt32LE(nrAt);
        if (first === 0n || pid <= 0 || b.readUInt32LE(levelAt) !== 0 || b.readBigUInt64LE(nsAt) !== ns.address)
          continue;
        out.objects.push({ address: s.address, pid, first });
      }
    }
    const parts: string[] = [];
    if (scan.unreadablePages) parts.push(`${scan.unreadablePages} struct pages not in the dump`);
    if (lostSlabs) parts.push(`${lostSlabs} of its ${scan.slabs.length} slabs not in the dump`);
    if (scan.truncated) parts.push(`the scan stopped after ${MAX_SCANNED_PFNS} page frames`);
    if (parts.length) out.problem = `the pid slab cache (init_pid_ns.pid_cachep): ${parts.join(', ')}`;
  } catch (e) {
    out.problem = `the pid slab cache (init_pid_ns.pid_cachep): ${(e as Error).message}`;
  }
  return out;
}
