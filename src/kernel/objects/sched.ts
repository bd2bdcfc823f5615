/**
 * The scheduler's per-CPU run queues (struct rq, per-CPU `runqueues`): the running task, the
 * clock, and the queued tasks of each class: real-time (rq->rt.active: one list per priority of
 * sched_rt_entity.run_list), fair (rq->cfs.tasks_timeline: an rb-tree of sched_entity.run_node
 * ordered by vruntime) and deadline (rq->dl.root: an rb-tree of sched_dl_entity.rb_node by deadline).
 *
 * With group scheduling a queued entity may be a group (sched_entity.my_q / sched_rt_entity.my_q
 * points at the group's own queue on this CPU); the walks descend into those. A group's queue belongs
 * to a struct task_group (cfs_rq->tg), whose cgroup directory name comes from its kernfs node.
 */
import type { Kernel } from '../kernel.js';
import { rbRootInorder } from './rbtree.js';
import { walkListBothWays } from './task-lists.js';

/** A bound on the entities of one queue (more is a damaged dump). */
const MAX_QUEUED = 1 << 20;
/** How deep task groups nest before we call it a loop. */
const MAX_DEPTH = 64;

export interface QueuedTask {
  kind: 'task';
  task: bigint;
  prio: number;
}

export interface QueuedGroup {
  kind: 'group';
  /** the group's cfs_rq / rt_rq on this CPU */
  queue: bigint;
  taskGroup: bigint;
  /** the rt group's highest queued priority, or the fair group entity's prio slot */
  prio?: number;
  entries: QueueEntry[];
  /** the group's cfs_rq->curr is a task (running in this group) */
  current?: bigint;
  throttled: boolean;
}

export type QueueEntry = QueuedTask | QueuedGroup;

export interface RunQueue {
  cpu: number;
  rq: bigint;
  curr: bigint;
  /** rq->clock (ns) */
  clock: bigint;
  /** &rq->rt.active */
  rtArray: bigint;
  rt: QueueEntry[];
  /** &rq->cfs */
  cfsRq: bigint;
  /** &rq->cfs.tasks_timeline */
  cfsRoot: bigint;
  cfs: QueueEntry[];
  /** the root cfs_rq's curr, when it is a group: where the running task's group hierarchy starts */
  cfsCurrGroup?: QueuedGroup;
  /** &rq->dl.root */
  dlRoot: bigint;
  dl: QueuedTask[];
  /** queues that could not be read completely */
  problems: string[];
}

interface SchedLayout {
  taskSe: bigint;
  taskRt: bigint;
  taskDl: bigint;
  taskPrio: bigint;
  seRunNode: bigint;
  seMyQ: bigint | undefined;
  rtRunList: bigint;
  rtMyQ: bigint | undefined;
  dlRbNode: bigint;
}

function layout(k: Kernel): SchedLayout {
  const key = 'objects/sched-layout';
  let l = k.cache.get(key) as SchedLayout | undefined;
  if (l) return l;
  const off = (t: string, m: string): bigint => BigInt(k.offsetOf(t, m));
  l = {
    taskSe: off('struct task_struct', 'se'),
    taskRt: off('struct task_struct', 'rt'),
    taskDl: off('struct task_struct', 'dl'),
    taskPrio: off('struct task_struct', 'prio'),
    seRunNode: off('struct sched_entity', 'run_node'),
    seMyQ: k.hasMember('struct sched_entity', 'my_q') ? off('struct sched_entity', 'my_q') : undefined,
    rtRunList: off('struct sched_rt_entity', 'run_list'),
    rtMyQ: k.hasMember('struct sched_rt_entity', 'my_q') ? off('struct sched_rt_entity', 'my_q') : undefined,
    dlRbNode: off('struct sched_dl_entity', 'rb_node'),
  };
  k.cache.set(key, l);
  return l;
}

const taskPrio = (k: Kernel, task: bigint): number => k.readS32(task + layout(k).taskPrio);

/** The per-CPU struct rq of a CPU. */
export const runqueueOf = (k: Kernel, cpu: number): bigint => k.perCpu('runqueues', cpu);

/** A cfs_rq as a tree: its curr (a group descended into, or the running task) and its rb-tree entities. */
export function cfsGroup(k: Kernel, cfsRq: bigint, problems: string[], depth: number): QueuedGroup {
  const o = k.object('struct cfs_rq', cfsRq);
  const g: QueuedGroup = {
    kind: 'group',
    queue: cfsRq,
    taskGroup: o.has('tg') ? o.field('tg').value() : 0n,
    entries: [],
    throttled: o.has('throttled') ? o.field('throttled').num() !== 0 : false,
  };
  const l = layout(k);
  const curr = o.field('curr').value();
  if (curr) {
    const myQ = l.seMyQ !== undefined ? k.readU64(curr + l.seMyQ) : 0n;
    if (myQ) {
      if (depth < MAX_DEPTH) g.entries.push(cfsGroup(k, myQ, problems, depth + 1));
    } else g.current = curr - l.taskSe;
  }
  g.entries.push(...cfsEntries(k, cfsRq, problems, depth));
  return g;
}

/** The entities of a cfs_rq's rb-tree in vruntime order (groups descended into). */
function cfsEntries(k: Kernel, cfsRq: bigint, problems: string[], depth: number): QueueEntry[] {
  const l = layout(k);
  const root = k.object('struct cfs_rq', cfsRq).field('tasks_timeline').address;
  const walk = rbRootInorder(k, root, MAX_QUEUED);
  for (const b of walk.broken) problems.push(`cfs_rq ${cfsRq.toString(16)}: rb node ${b.toString(16)} unreadable`);
  const out: QueueEntry[] = [];
  for (const node of walk.nodes) {
    const se = node - l.seRunNode;
    const myQ = l.seMyQ !== undefined ? k.readU64(se + l.seMyQ) : 0n;
    if (myQ) {
      if (depth < MAX_DEPTH) out.push(cfsGroup(k, myQ, problems, depth + 1));
      continue;
    }
    const task = se - l.taskSe;
    out.push({ kind: 'task', task, prio: taskPrio(k, task) });
  }
  return out;
}

/** The entities of an rt_prio_array, by priority then queue order (groups descended into). */
function rtEntries(k: Kernel, array: bigint, problems: string[], depth: number): QueueEntry[] {
  const l = layout(k);
  const queueOff = BigInt(k.offsetOf('struct rt_prio_array', 'queue'));
  const queueLen = k.type('struct rt_prio_array').members!.find((m) => m.name === 'queue')!.type.length ?? 100;
  const out: QueueEntry[] = [];
  for (let prio = 0; prio < queueLen; prio++) {
    const head = array + queueOff + BigInt(prio) * 16n;
    const first = k.readU64(head);
    if (first === head) continue;
    const walk = walkListBothWays(k, head, MAX_QUEUED);
    for (const b of walk.broken) problems.push(`rt queue ${prio}: entry ${b.toString(16)} unreadable`);
    for (const node of walk.nodes) {
      const rtSe = node - l.rtRunList;
      const myQ = l.rtMyQ !== undefined ? k.readU64(rtSe + l.rtMyQ) : 0n;
      if (myQ) {
        const rtRq = k.object('struct rt_rq', myQ);
        if (depth < MAX_DEPTH)
          out.push({
            kind: 'group',
            queue: myQ,
            taskGroup: rtRq.has('tg') ? rtRq.field('tg').value() : 0n,
            prio,
            entries: rtEntries(k, rtRq.field('active').address, problems, depth + 1),
            throttled: rtRq.has('rt_throttled') ? rtRq.field('rt_throttled').num() !== 0 : false,
          });
        continue;
      }
      out.push({ kind: 'task', task: rtSe - l.taskRt, prio });
    }
  }
  return out;
}

/** The deadline tasks of a dl_rq in deadline order. */
function dlTasks(k: Kernel, root: bigint, problems: string[]): QueuedTask[] {
  const l = layout(k);
  const walk = rbRootInorder(k, root, MAX_QUEUED);
  for (const b of walk.broken) problems.push(`dl_rq: rb node ${b.toString(16)} unreadable`);
  return walk.nodes.map((n) => {
    const task = n - l.dlRbNode - l.taskDl;
    return { kind: 'task', task, prio: taskPrio(k, task) };
  });
}

/** One CPU's run queue. */
export function runQueue(k: Kernel, cpu: number): RunQueue {
  const rq = runqueueOf(k, cpu);
  const o = k.object('struct rq', rq);
  const problems: string[] = [];
  const rtArray = o.field('rt').field('active').address;
  const cfsRq = o.field('cfs').address;
  const cfsRoot = o.field('cfs').field('tasks_timeline').address;
  const dlRoot = o.field('dl').field('root').address;
  const out: RunQueue = {
    cpu,
    rq,
    curr: o.field('curr').value(),
    clock: o.field('clock').value(),
    rtArray,
    rt: [],
    cfsRq,
    cfsRoot,
    cfs: [],
    dlRoot,
    dl: [],
    problems,
  };
  const l = layout(k);
  try {
    out.rt = rtEntries(k, rtArray, problems, 0);
  } catch (e) {
    problems.push(`RT queue unreadable: ${(e as Error).message}`);
  }
  try {
    const curr = k.object('struct cfs_rq', cfsRq).field('curr').value();
    const myQ = curr && l.seMyQ !== undefined ? k.readU64(curr + l.seMyQ) : 0n;
    if (myQ) out.cfsCurrGroup = cfsGroup(k, myQ, problems, 1);
    out.cfs = cfsEntries(k, cfsRq, problems, 0);
  } catch (e) {
    problems.push(`CFS queue unreadable: ${(e as Error).message}`);
  }
  try {
    out.dl = dlTasks(k, dlRoot, problems);
  } catch (e) {
    problems.push(`deadline queue unreadable: ${(e as Error).message}`);
  }
  return out;
}

/** Every task of a queue, groups flattened, in the order crash's runq lists them. */
export function flatTasks(entries: QueueEntry[], currGroup?: QueuedGroup): QueuedTask[] {
  const out: QueuedTask[] = [];
  const visit = (es: QueueEntry[]): void => {
    for (const e of es) {
      if (e.kind === 'task') out.push(e);
      else visit(e.entries);
    }
  };
  if (currGroup) visit([currGroup]);
  visit(entries);
  return out;
}

/** The last time a task arrived on a CPU (sched_info.last_arrival, ns of its rq clock). */
export function taskLastRun(k: Kernel, task: bigint): bigint {
  const t = k.object('struct task_struct', task);
  return t.has('sched_info.last_arrival') ? t.field('sched_info.last_arrival').value() : 0n;
}

/** The root task group (root_task_group; init_task_group before 2.6.35). */
export function rootTaskGroup(k: Kernel): bigint | undefined {
  for (const s of ['root_task_group', 'init_task_group']) if (k.hasSymbol(s)) return k.sym(s);
  return undefined;
}

/** A task group's cfs_rq on a CPU (task_group->cfs_rq[cpu]). */
export function taskGroupCfsRq(k: Kernel, tg: bigint, cpu: number): bigint {
  const arr = k.object('struct task_group', tg).field('cfs_rq').value();
  return k.readU64(arr + BigInt(cpu) * 8n);
}

/** A task group's rt_rq on a CPU, when the kernel has RT group scheduling. */
export function taskGroupRtRq(k: Kernel, tg: bigint, cpu: number): bigint | undefined {
  const o = k.object('struct task_group', tg);
  if (!o.has('rt_rq')) return undefined;
  return k.readU64(o.field('rt_rq').value() + BigInt(cpu) * 8n);
}

/** A task group's cgroup directory name ("/" for the root), from its kernfs node; undefined without one. */
export function taskGroupName(k: Kernel, tg: bigint): string | undefined {
  try {
    const cgroup = k.object('struct task_group', tg).field('css').field('cgroup').value();
    if (!cgroup) return undefined;
    const kn = k.object('struct cgroup', cgroup).field('kn').value();
    if (!kn) return undefined;
    const node = k.object('struct kernfs_node', kn);
    const parent = node.fieldAny('parent', '__parent').value();
    if (!parent) return '/';
    return node.field('name').cstring(256);
  } catch {
    return undefined;
  }
}

/** Scheduling policies by number (include/uapi/linux/sched.h); 4 was SCHED_ISO, reserved. */
export const SCHED_POLICIES = ['NORMAL', 'FIFO', 'RR', 'BATCH', 'ISO', 'IDLE', 'DEADLINE'];

/** A task's scheduling policy number (task->policy) and priority (task->prio). */
export function taskPolicy(k: Kernel, task: bigint): { policy: number; prio: number } {
  const o = k.object('struct task_struct', task);
  return { policy: o.field('policy').num(), prio: o.field('prio').num() };
}
