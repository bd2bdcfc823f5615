/**
 * The task table: every process and thread of the dumped kernel plus each CPU's idle task,
 * found from several roots so that a dump lacking some pages still yields every task it holds:
 * the init_task.tasks list (both directions), each leader's thread list, each task's children
 * list, the parent/leader pointers, the pid xarray of init_pid_ns and each runqueue's curr/idle.
 * Fields are read by name through the type info (task->__state or ->state, thread_info.cpu or
 * ->cpu, signal->thread_head or ->thread_group, whichever the kernel has).
 */
import { KERNEL_SPACE_START } from '../address.js';
import type { Kernel } from '../kernel.js';
import { FieldError, type KObject } from '../value.js';
import { memberSlot, StructReader, type MemberSlot } from '../struct-reader.js';
import { findMemberPath, resolve } from '../types/type.js';
import { threadSize } from '../arch/x86_64/stacks.js';
import { panicCpuReading } from './panic-cpu.js';
import { pidSlabObjects } from './pid-slab.js';
import { walkListBothWays, walkXarray, xarrayLoad } from './task-lists.js';

/** PF_KTHREAD (include/linux/sched.h): the task is a kernel thread. */
export const PF_KTHREAD = 0x00200000;

export interface Task {
  address: bigint;
  pid: number;
  tgid: number;
  comm: string;
  /** task->__state (or ->state) */
  state: number;
  exitState: number;
  flags: number;
  /** real_parent address */
  parent: bigint;
  /** real_parent->pid; -1 when the parent's struct could not be read and its pid is unknown */
  ppid: number;
  groupLeader: bigint;
  cpu: number;
  /** mm_struct address, 0 for kernel threads (and exited tasks) */
  mm: bigint;
  /** the kernel stack base (task->stack) */
  stack: bigint;
  kernelThread: boolean;
  /** a CPU's idle task (swapper/N, pid 0) */
  idle: boolean;
}

export interface UnreadableTask {
  /** task_struct address */
  address: bigint;
  /** the pid: from the struct's own readable part, else the pid xarray when it still names it */
  pid?: number;
  /** the command, when the page holding task->comm is in the dump */
  comm?: string;
  /** the parent's pid, when the task is on a readable parent's children list (or its real_parent is readable) */
  ppid?: number;
  /** how it was found and why it could not be read */
  reason: string;
}

export interface TaskTable {
  /** sorted as crash sorts: by pid, idle tasks by CPU, then address */
  tasks: Task[];
  byAddress: Map<bigint, Task>;
  /** tasks whose own struct is on pages the dump lacks */
  unreadable: UnreadableTask[];
  /** the task each online CPU was running (runqueues.curr), index = CPU */
  active: Map<number, bigint>;
  /** the CPU that panicked (panic_cpu, crashing_cpu), when known */
  panicCpu: number | undefined;
  /** the task running on the panic CPU */
  panicTask: Task | undefined;
  /** candidate addresses (from links of a damaged dump) whose struct did not look like a task_struct */
  rejected: number;
  /** the walk stopped at its bound (maxTasks) before every candidate was read */
  truncated: boolean;
  /** routes to tasks that this dump lacks (the pid table, the runqueues ...), one line each */
  missingRoutes: string[];
  /**
   * pids in use (the pid table names them) whose struct pid is on a page the dump lacks and that no task found
   * has: each is a task found by no route, or one of the unreadable tasks of unknown pid
   */
  unreachedPids: number[];
  /**
   * task->thread.sp of the tasks whose page holding it the walk had read anyway (for bt of a sleeping task:
   * foreach bt over 10,000 tasks then does not inflate those pages again); other tasks are not in it
   */
  savedSp?: Map<bigint, bigint>;
}

const CACHE_KEY = 'objects/tasks';
/** PID_MAX_LIMIT on 64-bit (include/linux/threads.h): no pid is above it. */
const PID_MAX_LIMIT = 4 * 1024 * 1024;
const KERNEL_HALF = KERNEL_SPACE_START;

/** The task table of the dump (computed once per session). */
export function allTasks(k: Kernel): TaskTable {
  const cached = k.cache.get(CACHE_KEY) as TaskTable | undefined;
  if (cached) return cached;
  const table = buildTaskTable(k);
  k.cache.set(CACHE_KEY, table);
  return table;
}

/** Task by pid (the first; pid 0 gives swapper/0), by address, or undefined. */
export function findTaskByPid(k: Kernel, pid: number): Task | undefined {
  return allTasks(k).tasks.find((t) => t.pid === pid);
}

export function findTaskByAddress(k: Kernel, addr: bigint): Task | undefined {
  return allTasks(k).byAddress.get(addr);
}

/** The task table when a command already built it this session, else undefined (nothing is read). */
export function builtTaskTable(k: Kernel): TaskTable | undefined {
  return k.cache.get(CACHE_KEY) as TaskTable | undefined;
}

/**
 * One task by pid (> 0) without building the task table (ps PID, ps -p PID on a dump of 10,000 tasks): the pid
 * table's entry for that number, checked as the table checks its entries, read and judged as the table reads
 * and judges a task. undefined when this route does not answer plainly (no entry, a check that fails, a page
 * missing, a parent that must be looked up elsewhere): the caller then builds the table, which says why.
 */
export function taskByPidDirect(k: Kernel, pid: number): Task | undefined {
  const built = builtTaskTable(k);
  if (built) return built.tasks.find((t) => t.pid === pid);
  if (!Number.isSafeInteger(pid) || pid <= 0 || pid > PID_MAX_LIMIT) return undefined;
  try {
    const ns = k.variable('init_pid_ns', 'struct pid_namespace');
    const idr = ns.field('idr');
    const base = idr.has('idr_base') ? idr.field('idr_base').value() : 0n;
    const pidStruct = xarrayLoad(k, idr.field('idr_rt').address, BigInt(pid) - base);
    if (pidStruct === undefined) return undefined;
    const pidType = Number(k.types.enumValue?.('PIDTYPE_PID', 'pid_type') ?? 0n);
    const tasksOff =
      BigInt(k.offsetOf('struct pid', 'tasks')) + BigInt(pidType) * BigInt(k.sizeOf('struct hlist_head'));
    const linksOff =
      BigInt(k.offsetOf('struct task_struct', 'pid_links')) + BigInt(pidType) * BigInt(k.sizeOf('struct hlist_node'));
    const first = k.readU64(pidStruct + tasksOff);
    if (first === 0n || k.readU64(first + 8n) !== pidStruct + tasksOff) return undefined;
    const t = taskAtDirect(k, first - linksOff);
    return t && t.pid === pid && !t.idle && t.ppid >= 0 ? t : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The task at an address without building the table (a parent on ps -p's chain), judged as the table judges
 * what its links lead to; undefined when it cannot be read or is no task. The idle tasks are the runqueues'.
 */
export function taskAtDirect(k: Kernel, addr: bigint): Task | undefined {
  const built = builtTaskTable(k);
  if (built) return built.byAddress.get(addr);
  const idle = idleTasksDirect(k);
  try {
    const t = readTask(k, addr, idle.has(addr), idle.get(addr));
    const hasThreadHead =
      k.hasMember('struct signal_struct', 'thread_head') && k.hasMember('struct task_struct', 'thread_node');
    const member = hasThreadHead ? 'thread_node' : 'thread_group';
    if (notATask(t, k, PID_MAX_LIMIT, member, BigInt(k.offsetOf('struct task_struct', member)))) return undefined;
    return t;
  } catch {
    return undefined;
  }
}

/** Each CPU's idle task (runqueues.idle, and init_task for CPU 0 when no runqueue names it): address -> CPU. */
function idleTasksDirect(k: Kernel): Map<bigint, number> {
  const key = 'objects/tasks/idle-direct';
  let m = k.cache.get(key) as Map<bigint, number> | undefined;
  if (m) return m;
  m = new Map();
  for (const cpu of k.presentCpus) {
    try {
      const a = k.object('struct rq', k.perCpu('runqueues', cpu)).field('idle').value();
      if (a !== 0n && !m.has(a)) m.set(a, cpu);
    } catch {
      /* the table names what is missing */
    }
  }
  const init = k.sym('init_task');
  if (!m.has(init)) m.set(init, 0);
  k.cache.set(key, m);
  return m;
}

/** The task each CPU was running (runqueues.curr), index = CPU, without building the table. */
export function activeTasksDirect(k: Kernel): Map<number, bigint> {
  const built = builtTaskTable(k);
  if (built) return built.active;
  const m = new Map<number, bigint>();
  for (const cpu of k.presentCpus) {
    try {
      const curr = k.object('struct rq', k.perCpu('runqueues', cpu)).field('curr').value();
      if (curr !== 0n) m.set(cpu, curr);
    } catch {
      /* as the table: no entry for that CPU */
    }
  }
  return m;
}

/** Is this task running on a CPU at the time of the dump (a runqueue's curr)? */
export function isActive(k: Kernel, t: Task): boolean {
  return allTasks(k).active.get(t.cpu) === t.address;
}

// ---------------------------------------------------------------------------------------------

function buildTaskTable(k: Kernel): TaskTable {
  const found = new Map<bigint, Task>();
  const failed = new Map<bigint, string>();
  /**
   * The tasks to read, in order ("slots"), and how each was found (a Via code: see viaText). What the walk keeps
   * per queued task is in arrays by slot, found through one map (slotOf) rather than a map per fact.
   */
  const queue: bigint[] = [];
  /** the task read at each slot (undefined: not read yet, unreadable or refused), and its signal pointer */
  const taskOfSlot: (Task | undefined)[] = [];
  const signalOfSlot: (bigint | undefined)[] = [];
  /** a slot was dropped (its only route, a pid-table entry, did not point back) */
  let dropped = false;
  const queueVia: number[] = [];
  const seedVia: string[] = [];
  const slotOf = new Map<bigint, number>();
  /** the pid-table entry of a queued task, still to be checked when the task is read */
  const checkOf: (PidTableEntry | undefined)[] = [];
  /** for such a task: the first other route that reached it meanwhile (its Via code) */
  const otherViaOf: (number | undefined)[] = [];
  /** the pid the pid table gives a queued task */
  const pidOf: (number | undefined)[] = [];
  /** pids the pid table gives addresses never queued (refused as no kernel address, or past the bound) */
  const pidOfUnqueued = new Map<bigint, number>();
  const pidOfAddress = (a: bigint): number | undefined => {
    const slot = slotOf.get(a);
    return (slot === undefined ? undefined : pidOf[slot]) ?? pidOfUnqueued.get(a);
  };
  const idle = new Set<bigint>();
  const idleCpu = new Map<bigint, number>();
  const active = new Map<number, bigint>();
  /** child task address -> pid of the readable task whose children list holds it */
  const parentPidOf = new Map<bigint, number>();
  const hasThreadHead =
    k.hasMember('struct signal_struct', 'thread_head') && k.hasMember('struct task_struct', 'thread_node');
  const tasksOff = BigInt(k.offsetOf('struct task_struct', 'tasks'));
  const siblingOff = BigInt(k.offsetOf('struct task_struct', 'sibling'));
  const threadOff = BigInt(k.offsetOf('struct task_struct', hasThreadHead ? 'thread_node' : 'thread_group'));
  const childrenOff = BigInt(k.offsetOf('struct task_struct', 'children'));
  const threadHeadOff = hasThreadHead ? BigInt(k.offsetOf('struct signal_struct', 'thread_head')) : 0n;
  const onTaskList = new Set<bigint>();
  const onThreadRing = new Set<bigint>();
  const walkedSignals = new Set<bigint>();
  const missingRoutes: string[] = [];
  /** what a task whose struct is only partly in the dump still tells (pid, comm, its parent) */
  const partial = new Map<bigint, PartialTask>();

  // not pid_max: sysctl kernel.pid_max may have been lowered below the pids of live tasks
  const pidMax = PID_MAX_LIMIT;
  const maxTasks = taskBound(k);
  let truncated = false;
  let rejected = 0;
  const enqueue = (addr: bigint, via: number): void => {
    if (addr === 0n || addr < KERNEL_HALF || (addr & 7n) !== 0n || slotOf.has(addr)) return;
    if (slotOf.size >= maxTasks) {
      truncated = true;
      return;
    }
    slotOf.set(addr, queue.length);
    queue.push(addr);
    taskOfSlot.push(undefined);
    signalOfSlot.push(undefined);
    queueVia.push(via);
    checkOf.push(undefined);
    otherViaOf.push(undefined);
    pidOf.push(undefined);
  };
  /** a root's own description ("init_task", "runqueues[1].idle") as a Via code */
  const seedCode = (text: string): number => -seedVia.push(text);
  const viaText = (via: number): string => (via < 0 ? seedVia[-via - 1]! : routeText(via));

  const initTask = k.sym('init_task');
  enqueue(initTask, seedCode('init_task'));
  // each CPU's idle task and current task (struct rq: idle, curr); an offline CPU's too: its idle task
  // (never on the task list, like every idle task but init_task) still exists and is its rq->curr
  for (const cpu of k.presentCpus) {
    try {
      const rq = k.object('struct rq', k.perCpu('runqueues', cpu));
      const idleTask = rq.field('idle').value();
      if (idleTask !== 0n) {
        idle.add(idleTask);
        idleCpu.set(idleTask, cpu);
        enqueue(idleTask, seedCode(`runqueues[${cpu}].idle`));
      }
      const curr = rq.field('curr').value();
      if (curr !== 0n) {
        active.set(cpu, curr);
        enqueue(curr, seedCode(`runqueues[${cpu}].curr`));
      }
    } catch (e) {
      // the lists still find the tasks; the CPU's current task may be found by them too
      missingRoutes.push(`runqueues[${cpu}] (its current and idle task): ${(e as Error).message}`);
    }
  }
  if (!idle.has(initTask)) {
    idle.add(initTask);
    idleCpu.set(initTask, 0);
  }
  // the pid xarray of the initial pid namespace: pid -> struct pid -> tasks[PIDTYPE_PID]
  const pidTable = pidTableTasks(k, maxTasks);
  if (pidTable.missing) missingRoutes.push(pidTable.missing);
  if (pidTable.slabMissing) missingRoutes.push(pidTable.slabMissing);
  // Each entry is checked (its task's pid_links[PIDTYPE_PID].pprev points back at the struct pid) when its task
  // is read, not here: the check reads the task's page, and reading 10,000 tasks' pages twice, far apart,
  // decompresses each page twice. An entry that fails it counts as never named by the table.
  const pidTableCheck = (addr: bigint, c: PidTableEntry, reader?: StructReader): boolean => {
    try {
      // the pprev is in the task's struct: its reader reads it from the page it reads the task from
      return (reader ? reader.u64(Number(c.pprevAt - addr)) : k.readU64(c.pprevAt)) === c.pprevExpect;
    } catch {
      return true; // the task's page is missing: keep it, reading it will say so
    }
  };
  for (const check of pidTable.tasks) {
    const { addr, pid } = check;
    const n = queue.length;
    if (!slotOf.has(addr)) enqueue(addr, routeCode(Route.PidTable, pid));
    if (queue.length > n) {
      checkOf[n] = check;
      pidOf[n] = pid;
    } else if (pidTableCheck(addr, check)) {
      const slot = slotOf.get(addr);
      if (slot === undefined) pidOfUnqueued.set(addr, pid);
      else pidOf[slot] = pid;
    }
  }
  const enqueueRoute = (addr: bigint, route: Route, pid: number): void => {
    const via = routeCode(route, pid);
    const slot = slotOf.get(addr);
    if (slot === undefined) enqueue(addr, via);
    else if (checkOf[slot] !== undefined && otherViaOf[slot] === undefined) otherViaOf[slot] = via;
  };

  /**
   * The links read from each task as it is read (the list heads the walks cross), by slot: the list walks below run
   * after the tasks they cross were read, and answer from here instead of from the dump (a walk over 10,000 threads
   * would otherwise reread each thread's page after the page cache dropped it). A link address finds its entry
   * through slotOf (address - member offset [- 8]): nothing is keyed by link address.
   */
  const memo = new LinkMemo();
  const memberOffs = [tasksOff, siblingOff, childrenOff, threadOff];
  const memoOf = (a: bigint, m: number): bigint | undefined => {
    const off = memberOffs[m]!;
    let slot = slotOf.get(a - off);
    if (slot !== undefined) return memo.get(slot, m, 0);
    slot = slotOf.get(a - off - 8n);
    return slot === undefined ? undefined : memo.get(slot, m, 1);
  };
  /** a link reader for a walk over list heads of these members (the walk's own first) */
  const linkReader =
    (members: readonly number[]) =>
    (a: bigint): bigint => {
      for (const m of members) {
        const v = memoOf(a, m);
        if (v !== undefined) return v;
      }
      return k.readU64(a);
    };
  const taskListLink = linkReader([MEMBER_TASKS]);
  // a children list links the children's sibling members; its head is the parent's children member
  const childrenLink = linkReader([MEMBER_SIBLING, MEMBER_CHILDREN]);
  const threadLink = linkReader([MEMBER_THREAD]);
  /** remember the list head `m` at `off` in the task of `slot` at `addr`, from its reader if any */
  const remember = (slot: number, addr: bigint, m: number, off: number, reader: StructReader | undefined): void => {
    try {
      const next = reader ? reader.u64(off) : k.readU64(addr + BigInt(off));
      const prev = reader ? reader.u64(off + 8) : k.readU64(addr + BigInt(off + 8));
      memo.set(slot, m, next, prev);
    } catch {
      /* the walk will read it, and say what is missing */
    }
  };
  const tasksAt = Number(tasksOff);
  const siblingAt = Number(siblingOff);
  const childrenAt = Number(childrenOff);
  const threadAt = Number(threadOff);
  /**
   * list walks to run, in order (each waits until the tasks queued before it are read: see the link memo): a
   * function, or a thread-node walk by its index (nodeWalk)
   */
  const walks: ((() => void) | number)[] = [];

  const taskListWalk = (addr: bigint, pid: number) => (): void => {
    if (onTaskList.has(addr + tasksOff)) return;
    onTaskList.add(addr + tasksOff);
    const w = walkListBothWays(k, addr + tasksOff, maxTasks, taskListLink);
    for (const n of w.nodes) onTaskList.add(n);
    for (const n of w.nodes) enqueueRoute(n - tasksOff, Route.TaskListAfter, pid);
    for (const n of w.broken) enqueueRoute(n - tasksOff, Route.TaskListNear, pid);
  };
  // children: struct list_head children, linked through each child's sibling member
  const childrenWalk = (addr: bigint, pid: number) => (): void => {
    const cw = walkListBothWays(k, addr + childrenOff, maxTasks, childrenLink);
    for (const list of [cw.nodes, cw.broken])
      for (const n of list) {
        parentPidOf.set(n - siblingOff, pid);
        enqueueRoute(n - siblingOff, Route.Child, pid);
      }
  };
  const signalWalk = (head: bigint, tgid: number) => (): void => {
    const tw = walkListBothWays(k, head, maxTasks, threadLink);
    for (const list of [tw.nodes, tw.broken])
      for (const n of list) {
        onThreadRing.add(n);
        enqueueRoute(n - threadOff, Route.Thread, tgid);
      }
  };
  /**
   * The walks of a thread ring from a task's own node, one per task (10,000 threads), kept as numbers in `walks`
   * (an index here) rather than a closure each: the task, its tgid and its signal pointer.
   */
  const nodeWalkAddr: bigint[] = [];
  const nodeWalkTgid: number[] = [];
  const nodeWalkSignal: (bigint | undefined)[] = [];
  const nodeWalk = (w: number): void => {
    const addr = nodeWalkAddr[w]!;
    const tgid = nodeWalkTgid[w]!;
    if (onThreadRing.has(addr + threadOff)) return;
    onThreadRing.add(addr + threadOff);
    const tw = walkListBothWays(k, addr + threadOff, maxTasks, threadLink);
    if (hasThreadHead) {
      // the same ring from this task's own thread_node: the route when signal_struct is on a missing page (the
      // head is then the one node that is no task)
      const head = (nodeWalkSignal[w] ?? 0n) + threadHeadOff;
      for (const list of [tw.nodes, tw.broken])
        for (const n of list) {
          onThreadRing.add(n);
          if (n !== head) enqueueRoute(n - threadOff, Route.Thread, tgid);
        }
    } else {
      // older kernels: thread_group is a headless ring of the group's tasks
      for (const n of tw.nodes) onThreadRing.add(n);
      for (const list of [tw.nodes, tw.broken]) for (const n of list) enqueueRoute(n - threadOff, Route.Thread, tgid);
    }
  };

  /**
   * Every task this task's links name: parents, leader, the process list (from leaders only: a
   * thread's tasks link is stale), its children, its thread group. `links` are the link members'
   * values the dump holds (a task whose struct is partly missing still offers the readable ones).
   */
  const followLinks = (addr: bigint, pid: number, tgid: number, links: TaskLinks): void => {
    if (links.parent !== undefined) enqueueRoute(links.parent, Route.Parent, pid);
    if (links.realParent !== undefined) enqueueRoute(links.realParent, Route.Parent, pid);
    if (links.groupLeader !== undefined) enqueueRoute(links.groupLeader, Route.GroupLeader, pid);
    // idle tasks other than init_task are never on the list (copy_process skips pid 0)
    // each walk covers the ring up to its breaks: walk from a leader only when no earlier walk
    // reached it (it sits between two breaks), so the list is read once, not once per process
    const leader = links.groupLeader === addr && !idle.has(addr);
    if ((leader || addr === initTask) && links.tasks) walks.push(taskListWalk(addr, pid));
    if (links.children) walks.push(childrenWalk(addr, pid));
    // threads of this thread group
    if (hasThreadHead) {
      const sig = links.signal ?? 0n;
      if (sig !== 0n && !walkedSignals.has(sig)) {
        walkedSignals.add(sig); // one walk per thread group, not one per thread
        walks.push(signalWalk(sig + threadHeadOff, tgid));
      }
    }
    if (links.threadNode) {
      walks.push(nodeWalkAddr.length);
      nodeWalkAddr.push(addr);
      nodeWalkTgid.push(tgid);
      nodeWalkSignal.push(links.signal);
    }
  };

  /**
   * Whether the list walks queued (task list, children lists, thread rings) would find nothing the tasks queued
   * so far do not already give: every task queued was read and none failed, was refused or dropped, and each list
   * link a walk would cross (the links each task remembered, and each thread group's head read here) leads to a
   * task read whose own links on that list were remembered, or to the head of that very list. A walk then only
   * meets tasks read (a route to a task read changes nothing) and reads nothing the dump could fail on, so its
   * result is already known. Any doubt (a damaged dump, a task a list alone names): the walks run.
   */
  const walksFindNothing = (): boolean => {
    if (failed.size > 0 || rejected > 0 || truncated || dropped) return false;
    /** the slot of the task whose list head `m` is at `a`, when that task was read and the head remembered */
    const slotAt = (a: bigint, m: number): number | undefined => {
      const slot = slotOf.get(a - memberOffs[m]!);
      return slot !== undefined && memo.has(slot, m) ? slot : undefined;
    };
    /** on the task list the walks cross: init_task and each group leader but the idle tasks (as followLinks) */
    const onTaskList = (slot: number): boolean => {
      const a = queue[slot]!;
      return a === initTask || (taskOfSlot[slot]!.groupLeader === a && !idle.has(a));
    };
    const signals = new Set<bigint>();
    for (let slot = 0; slot < queue.length; slot++) {
      const t = taskOfSlot[slot];
      if (!t) return false;
      for (let d = 0; d < 2; d++) {
        if (onTaskList(slot)) {
          const v = memo.get(slot, MEMBER_TASKS, d);
          const n = v === undefined ? undefined : slotAt(v, MEMBER_TASKS);
          if (n === undefined || !onTaskList(n)) return false;
        }
        // a children list's head leads to the children's sibling heads; theirs to each other or their parent's head
        const c = memo.get(slot, MEMBER_CHILDREN, d);
        if (c !== undefined && slotAt(c, MEMBER_SIBLING) === undefined) return false;
        if (t.pid === t.tgid || t.address === initTask) {
          const v = memo.get(slot, MEMBER_SIBLING, d);
          if (v === undefined) return false;
          const parentHead = v === t.parent + childrenOff && slotAt(v, MEMBER_CHILDREN) !== undefined;
          if (!parentHead && slotAt(v, MEMBER_SIBLING) === undefined) return false;
        }
        const v = memo.get(slot, MEMBER_THREAD, d);
        if (v === undefined) return false;
        const sig = signalOfSlot[slot];
        const groupHead = hasThreadHead && sig !== undefined && sig !== 0n && v === sig + threadHeadOff;
        if (!groupHead && slotAt(v, MEMBER_THREAD) === undefined) return false;
      }
      const sig = signalOfSlot[slot];
      if (hasThreadHead && sig !== undefined && sig !== 0n) signals.add(sig);
    }
    // each thread group's head, as the walk from it reads it (an unreadable head: that walk finds nothing)
    for (const sig of signals) {
      const head = sig + threadHeadOff;
      let next: bigint;
      let prev: bigint;
      try {
        next = threadLink(head); // as the walk reads it
        prev = threadLink(head + 8n);
      } catch {
        continue;
      }
      if (slotAt(next, MEMBER_THREAD) === undefined || slotAt(prev, MEMBER_THREAD) === undefined) return false;
    }
    return true;
  };

  const layout = taskLayout(k);
  const span = layout && readSpan(k, layout, hasThreadHead);
  /** task->thread.sp by slot, when the page holding it was read anyway (savedSp: a map made when first asked) */
  const spOfSlot: (bigint | undefined)[] = [];
  const lastParent: ParentPid = { address: 0n, pid: 0 };
  const seeds = queue.length;
  let nextWalk = 0;
  for (let i = 0; i < queue.length || nextWalk < walks.length; i++) {
    if (i >= queue.length) {
      // every task queued is read: when no list walk can find a task not read yet, none is needed (see
      // walksFindNothing: a dump of 10,000 threads is 10,000 list nodes to cross, each already read)
      if (nextWalk === 0 && walksFindNothing()) {
        walks.length = 0;
        break;
      }
      // walk the lists they lead to (which may queue more)
      const walk = walks[nextWalk++]!;
      if (typeof walk === 'number') nodeWalk(walk);
      else walk();
      walks[nextWalk - 1] = noWalk; // done: let its closure go
      i--;
      continue;
    }
    const addr = queue[i]!;
    let via = queueVia[i]!;
    let seed = i < seeds;
    // with a layout, one reader serves the task's fields and links (each of its pages fetched once, up front)
    const reader = layout ? new StructReader(k.mem, addr).load(span!.from, span!.to) : undefined;
    const check = checkOf[i];
    if (check) {
      checkOf[i] = undefined;
      if (!pidTableCheck(addr, check, reader)) {
        pidOf[i] = undefined;
        const other = otherViaOf[i];
        // named only by a pid-table entry that does not point back: as if never queued (a later route may)
        if (other === undefined) {
          slotOf.delete(addr);
          dropped = true;
          continue;
        }
        via = other;
        seed = false;
      }
      otherViaOf[i] = undefined;
    }
    let t: Task;
    try {
      t = reader
        ? readTaskAt(k, layout!, reader, idle.has(addr), idleCpu.get(addr), lastParent)
        : readTask(k, addr, idle.has(addr), idleCpu.get(addr));
    } catch (e) {
      failed.set(addr, `${viaText(via)}: ${(e as Error).message}`);
      // a struct partly on a missing page may still hold its pid, comm and links: follow them
      const p = readPartialTask(k, addr, pidMax);
      if (p) {
        partial.set(addr, p);
        followLinks(addr, p.pid, p.tgid, p.links);
      }
      continue;
    }
    const unlike = notATask(t, k, pidMax, hasThreadHead ? 'thread_node' : 'thread_group', threadOff, reader);
    if (unlike) {
      // a seed (init_task, a runqueue, the pid table) that is garbage is worth a line; a link is not
      if (seed) failed.set(addr, `${viaText(via)}: not a task_struct (${unlike})`);
      rejected++;
      continue;
    }
    found.set(addr, t);
    // a children list whose head points to itself both ways is empty: nothing to walk or remember (most tasks of
    // a dump of many threads: a walk per thread would find nothing)
    let childless = false;
    if (reader) {
      try {
        const head = addr + childrenOff;
        childless = reader.u64(childrenAt) === head && reader.u64(childrenAt + 8) === head;
      } catch {
        /* the walk will read it, and say what is missing */
      }
    }
    // the list links the walks will cross (a thread is on no task list and no sibling list)
    if (t.pid === t.tgid || addr === initTask) {
      remember(i, addr, MEMBER_TASKS, tasksAt, reader);
      remember(i, addr, MEMBER_SIBLING, siblingAt, reader);
    }
    if (!childless) remember(i, addr, MEMBER_CHILDREN, childrenAt, reader);
    remember(i, addr, MEMBER_THREAD, threadAt, reader);
    const links: TaskLinks = {
      realParent: t.parent,
      groupLeader: t.groupLeader,
      tasks: true,
      children: !childless,
      threadNode: true,
    };
    // with a reader, a member the layout lacks is one the type lacks (a field read of it would throw)
    const obj = reader ? undefined : k.object('struct task_struct', addr);
    try {
      links.parent = obj ? obj.field('parent').value() : layout!.parent && reader!.value(layout!.parent);
    } catch {
      /* ignore */
    }
    try {
      if (hasThreadHead)
        links.signal = obj ? obj.field('signal').value() : layout!.signal && reader!.value(layout!.signal);
    } catch {
      /* signal unreadable: the thread ring from this task's own node still leads to the group */
    }
    followLinks(addr, t.pid, t.tgid, links);
    taskOfSlot[i] = t;
    signalOfSlot[i] = links.signal;
    const sp = reader && layout!.threadSp ? reader.peek(layout!.threadSp) : undefined;
    if (sp !== undefined) spOfSlot[i] = sp;
  }

  // a lost leader the pid table does not name (its struct pid lost, or both its xarray node and its slab):
  // the leader's pid is the tgid of its readable threads
  for (const t of found.values())
    if (t.pid !== t.tgid && failed.has(t.groupLeader) && !found.has(t.groupLeader))
      if (partial.get(t.groupLeader)?.pid === undefined && pidOfAddress(t.groupLeader) === undefined)
        pidOfUnqueued.set(t.groupLeader, t.tgid);

  // parents whose struct is lost: take their pid from the pid table when it names them
  for (const t of found.values()) {
    if (t.ppid < 0 && !t.idle) t.ppid = found.get(t.parent)?.pid ?? pidOfAddress(t.parent) ?? -1;
  }
  const tasks = [...found.values()].sort(compareTasks);
  const parentPid = (a: bigint | undefined): number | undefined =>
    a === undefined ? undefined : (found.get(a)?.pid ?? partial.get(a)?.pid);
  const unreadable: UnreadableTask[] = [...failed.entries()]
    .filter(([addr]) => !found.has(addr))
    .map(([address, reason]) => {
      const p = partial.get(address);
      const ppid = parentPidOf.get(address) ?? parentPid(p?.links.realParent);
      return { address, pid: p?.pid ?? pidOfAddress(address), comm: p?.comm, ppid, reason };
    })
    .sort((a, b) => (a.pid ?? 1e9) - (b.pid ?? 1e9) || (a.address < b.address ? -1 : 1));
  let unreachedPids: number[] = [];
  if (pidTable.lostStructs.length > 0) {
    const seenPids = new Set([...found.values()].map((t) => t.pid));
    for (const u of unreadable) if (u.pid !== undefined) seenPids.add(u.pid);
    unreachedPids = pidTable.lostStructs.filter((p) => !seenPids.has(p)).sort((a, b) => a - b);
  }

  // made apart from this function's closures: a getter here would keep every local of the walk alive with the table
  const savedSp = savedSpMap(queue, spOfSlot);
  const panicCpu = findPanicCpu(k);
  let panicTask: Task | undefined;
  if (panicCpu !== undefined) {
    const a = active.get(panicCpu);
    if (a !== undefined) panicTask = found.get(a);
  }
  return {
    tasks,
    byAddress: found,
    unreadable,
    active,
    panicCpu,
    panicTask,
    rejected,
    truncated,
    missingRoutes,
    unreachedPids,
    // only bt asks for it (ps over 10,000 tasks need not make a map of 10,000 entries)
    get savedSp(): Map<bigint, bigint> {
      return savedSp();
    },
  };
}

const noWalk = (): void => {};

/** The task table's savedSp map, made from the walk's slots when first asked for. */
function savedSpMap(queue: readonly bigint[], spOfSlot: readonly (bigint | undefined)[]): () => Map<bigint, bigint> {
  let map: Map<bigint, bigint> | undefined;
  return () => {
    if (!map) {
      map = new Map();
      for (let slot = 0; slot < spOfSlot.length; slot++) {
        const sp = spOfSlot[slot];
        if (sp !== undefined) map.set(queue[slot]!, sp);
      }
    }
    return map;
  };
}

/**
 * The bytes of a task_struct the walk reads from a task's own struct, as [from, to): the layout's members, the list
 * heads it follows (tasks, sibling, children, the thread ring) and pid_links (the pid table's check).
 */
function readSpan(k: Kernel, l: TaskLayout, hasThreadHead: boolean): { from: number; to: number } {
  const slots = [l.pid, l.tgid, l.state, l.exitState, l.flags, l.realParent, l.groupLeader, l.mm];
  for (const o of [l.cpu, l.stack, l.parent, l.signal]) if (o) slots.push(o);
  let from = Math.min(l.comm.offset, l.tasks, ...slots.map((o) => o.offset));
  let to = Math.max(l.comm.offset + l.comm.length, l.tasks + 16, ...slots.map((o) => o.offset + o.size));
  for (const m of ['sibling', 'children', hasThreadHead ? 'thread_node' : 'thread_group', 'pid_links']) {
    if (!k.hasMember('struct task_struct', m)) continue;
    const at = k.offsetOf('struct task_struct', m);
    from = Math.min(from, at);
    to = Math.max(to, at + 16);
  }
  return { from, to };
}

/**
 * The walk's link memo (see buildTaskTable): for each slot and list head member, its two links (0: next, 1: prev),
 * in a typed array: 10,000 tasks remember ~25,000 links, which as bigints in an array the garbage collector would
 * copy again and again while the walk runs.
 */
class LinkMemo {
  private words = new BigUint64Array(8 * 1024);
  /** per slot, bit m: member m remembered */
  private have = new Uint8Array(1024);

  has(slot: number, m: number): boolean {
    return slot < this.have.length && (this.have[slot]! & (1 << m)) !== 0;
  }

  get(slot: number, m: number, d: number): bigint | undefined {
    return this.has(slot, m) ? this.words[slot * 8 + m * 2 + d] : undefined;
  }

  set(slot: number, m: number, next: bigint, prev: bigint): void {
    if (slot >= this.have.length) {
      let n = this.have.length * 2;
      while (n <= slot) n *= 2;
      const have = new Uint8Array(n);
      have.set(this.have);
      this.have = have;
      const words = new BigUint64Array(n * 8);
      words.set(this.words);
      this.words = words;
    }
    this.words[slot * 8 + m * 2] = next;
    this.words[slot * 8 + m * 2 + 1] = prev;
    this.have[slot]! |= 1 << m;
  }
}

/** the list heads of a task_struct the walk's link memo keeps (their index in it) */
const MEMBER_TASKS = 0;
const MEMBER_SIBLING = 1;
const MEMBER_CHILDREN = 2;
const MEMBER_THREAD = 3;

/**
 * How a link led to a task, kept as a number (a Via code: route and pid, made into text only for a task that
 * fails): a walk over 10,000 threads otherwise builds a description string per link it crosses.
 */
enum Route {
  Parent,
  GroupLeader,
  TaskListAfter,
  TaskListNear,
  Child,
  Thread,
  /** a seed: the pid table's entry of that pid */
  PidTable,
}
const ROUTE_TEXT: Record<Route, string> = {
  [Route.Parent]: 'parent of pid',
  [Route.GroupLeader]: 'group leader of pid',
  [Route.TaskListAfter]: 'task list after pid',
  [Route.TaskListNear]: 'task list near pid',
  [Route.Child]: 'child of pid',
  [Route.Thread]: 'thread of pid',
  [Route.PidTable]: 'pid',
};
/** pids are below PID_MAX_LIMIT (2^22): route * 2^23 + pid stays a small integer */
const PID_BITS = 0x800000;
const routeCode = (route: Route, pid: number): number => route * PID_BITS + pid;
const routeText = (code: number): string => {
  const route = Math.floor(code / PID_BITS) as Route;
  const pid = code % PID_BITS;
  return route === Route.PidTable ? `pid ${pid} in init_pid_ns` : `${ROUTE_TEXT[route]} ${pid}`;
};

function compareTasks(a: Task, b: Task): number {
  if (a.pid !== b.pid) return a.pid - b.pid;
  if (a.idle && b.idle) return a.cpu - b.cpu;
  return a.address < b.address ? -1 : a.address > b.address ? 1 : 0;
}

/**
 * How many tasks the dump can hold: each has its own pid below PID_MAX_LIMIT (plus one idle task
 * per CPU), and each struct task_struct takes sizeof(task_struct) bytes of the dumped memory.
 */
function taskBound(k: Kernel): number {
  let bound = PID_MAX_LIMIT + k.nrCpuIds + 1;
  const maxPfn = k.dump.meta.maxPfn;
  const size = k.sizeOf('struct task_struct');
  if (maxPfn !== undefined && maxPfn > 0n && size > 0) {
    const byMemory = (maxPfn * BigInt(k.dump.meta.pageSize || 4096)) / BigInt(size);
    if (byMemory < BigInt(bound)) bound = Number(byMemory) + k.nrCpuIds + 1;
  }
  return bound;
}

/**
 * Why a task_struct read from a damaged dump is not a task (undefined when it looks like one):
 * pid and tgid within 0..PID_MAX_LIMIT, a printable comm, parent/leader/stack pointers in the kernel half,
 * and its thread link consistent (thread_node->next->prev == &thread_node, or deleted: poisoned).
 */
function notATask(
  t: Task,
  k: Kernel,
  pidMax: number,
  threadMember: string,
  threadOff: bigint,
  reader?: StructReader,
): string | undefined {
  if (t.pid < 0 || t.pid > pidMax || t.tgid < 0 || t.tgid > pidMax)
    return `pid ${t.pid}, tgid ${t.tgid} outside 0..${pidMax}`;
  if (t.comm === '' || CONTROL_CHAR.test(t.comm)) return `comm ${JSON.stringify(t.comm)}`;
  if (t.parent !== 0n && t.parent < KERNEL_HALF) return `real_parent ${t.parent.toString(16)}`;
  if (t.groupLeader < KERNEL_HALF) return `group_leader ${t.groupLeader.toString(16)}`;
  // task->stack is NULL once a dead task's stack is released (release_task_stack)
  if (t.stack !== 0n && t.stack < KERNEL_HALF) return `stack ${t.stack.toString(16)}`;
  const link = t.address + threadOff;
  let next: bigint;
  let prev: bigint;
  try {
    next = reader ? reader.u64(Number(threadOff)) : k.readU64(link);
    prev = reader ? reader.u64(Number(threadOff) + 8) : k.readU64(link + 8n);
  } catch {
    return undefined; // links on a missing page: cannot tell, keep it
  }
  if (next === link) return undefined; // alone in its ring
  if (prev >> 48n === 0xdeadn || next >> 48n === 0xdeadn) return undefined; // list_del poison: being released
  if (next < KERNEL_HALF) return `${threadMember}.next ${next.toString(16)}`;
  try {
    if (k.readU64(next + 8n) !== link) return `${threadMember}.next->prev does not point back`;
  } catch {
    /* the neighbour is on a missing page */
  }
  return undefined;
}

/** a control character: no comm of a task holds one (a regular expression made once, not per task) */
const CONTROL_CHAR = /[\x00-\x1f\x7f]/;

/** The link members of a task_struct the walk follows; undefined/false: not readable. */
interface TaskLinks {
  realParent?: bigint;
  parent?: bigint;
  groupLeader?: bigint;
  signal?: bigint;
  /** the list_heads tasks, children and thread_node (thread_group) are readable (children: and not empty) */
  tasks?: boolean;
  children?: boolean;
  threadNode?: boolean;
}

/** What a task_struct partly on a missing page still says about itself. */
export interface PartialTask {
  pid: number;
  tgid: number;
  comm: string;
  links: TaskLinks;
}

/**
 * Read what can be read of a task_struct whose struct spans a missing page (a slab's task_struct
 * crosses page boundaries; makedumpfile older than the kernel drops pages the kernel used): pid,
 * tgid and comm must be readable and plausible, each link member is taken when its bytes are.
 * undefined when the struct does not say even that much.
 */
export function readPartialTask(k: Kernel, addr: bigint, pidMax = PID_MAX_LIMIT): PartialTask | undefined {
  const o = k.object('struct task_struct', addr);
  const get = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch {
      return undefined;
    }
  };
  const pid = get(() => o.field('pid').num());
  const tgid = get(() => o.field('tgid').num());
  const comm = get(() => o.field('comm').cstring(16));
  if (pid === undefined || tgid === undefined || comm === undefined) return undefined;
  if (pid < 0 || pid > pidMax || tgid < 0 || tgid > pidMax || comm === '' || /[\x00-\x1f\x7f-\xff]/.test(comm))
    return undefined;
  const ptr = (name: string): bigint | undefined => {
    const v = get(() => o.field(name).value());
    return v !== undefined && v >= KERNEL_HALF ? v : undefined;
  };
  const listReadable = (name: string): boolean =>
    get(() => {
      const a = o.field(name).address;
      k.read(a, 16);
      return true;
    }) ?? false;
  const threadMember = k.hasMember('struct task_struct', 'thread_node') ? 'thread_node' : 'thread_group';
  return {
    pid,
    tgid,
    comm,
    links: {
      realParent: ptr('real_parent'),
      parent: ptr('parent'),
      groupLeader: ptr('group_leader'),
      signal: ptr('signal'),
      tasks: listReadable('tasks'),
      children: listReadable('children'),
      threadNode: listReadable(threadMember),
    },
  };
}

/**
 * Why the struct at `addr` is not a task_struct (undefined when it is one): for an address a user
 * names that no root of the task table reached (an exiting task still referenced somewhere). Beyond
 * notATask's checks, its stack must be a THREAD_SIZE-aligned kernel block and its saved stack pointer
 * (thread.sp) must lie inside it, which random kernel data does not satisfy.
 */
export function taskStructProblem(k: Kernel, addr: bigint): string | undefined {
  if ((addr & 7n) !== 0n || addr < KERNEL_HALF) return 'not an aligned kernel address';
  let t: Task;
  try {
    t = readTask(k, addr);
  } catch (e) {
    return `cannot be read: ${(e as Error).message}`;
  }
  const hasThreadHead = k.hasMember('struct task_struct', 'thread_node');
  const member = hasThreadHead ? 'thread_node' : 'thread_group';
  const unlike = notATask(t, k, PID_MAX_LIMIT, member, BigInt(k.offsetOf('struct task_struct', member)));
  if (unlike) return unlike;
  const size = threadSize(k);
  if (t.stack === 0n || (t.stack & (size - 1n)) !== 0n) return `stack ${t.stack.toString(16)} is no kernel stack`;
  try {
    const sp = k.object('struct task_struct', addr).field('thread').field('sp').value();
    if (sp < t.stack || sp >= t.stack + size)
      return `saved stack pointer ${sp.toString(16)} is outside its stack ${t.stack.toString(16)}`;
  } catch (e) {
    return `thread.sp cannot be read: ${(e as Error).message}`;
  }
  return undefined;
}

/** Read one task_struct's fields (throws MemoryError/FieldError when its pages are missing). */
export function readTask(k: Kernel, addr: bigint, idle = false, idleCpu?: number): Task {
  const layout = taskLayout(k);
  if (layout) return readTaskAt(k, layout, new StructReader(k.mem, addr), idle, idleCpu);
  const o = k.object('struct task_struct', addr);
  const pid = o.field('pid').num();
  const tgid = o.field('tgid').num();
  const comm = o.field('comm').cstring(16);
  const state = Number(o.fieldAny('__state', 'state').value() & 0xffffffffn);
  const exitState = o.field('exit_state').num();
  const flags = o.field('flags').num();
  const parent = o.field('real_parent').value();
  const groupLeader = o.field('group_leader').value();
  const mm = o.field('mm').value();
  // the list links must be readable too, or the task is not really in the file
  k.readU64(o.field('tasks').address);
  let ppid = -1;
  // idle tasks show PPID 0 (swapper/N's real_parent is whoever forked it at boot)
  if (idle && pid === 0) ppid = 0;
  else if (parent === addr) ppid = pid;
  else if (parent !== 0n) {
    try {
      ppid = k.object('struct task_struct', parent).field('pid').num();
    } catch {
      ppid = -1;
    }
  } else ppid = 0;
  let cpu = 0;
  try {
    cpu = (o.has('thread_info.cpu') ? o.field('thread_info.cpu') : o.field('cpu')).num();
  } catch {
    cpu = idleCpu ?? 0;
  }
  if (idle && idleCpu !== undefined) cpu = idleCpu;
  let stack = 0n;
  try {
    stack = o.field('stack').value();
  } catch {
    /* optional */
  }
  return taskOf(addr, pid, tgid, comm, state, exitState, flags, parent, ppid, groupLeader, cpu, mm, stack, idle);
}

/**
 * Where struct task_struct keeps what readTask reads (offsets from the type info, once per kernel), so that
 * 10,000 tasks are read from their pages at number offsets (StructReader) rather than field by field.
 * undefined when a member readTask needs is missing or not a plain scalar: readTask then reads field by field
 * and says which member is missing.
 */
interface TaskLayout {
  pid: MemberSlot;
  tgid: MemberSlot;
  comm: { offset: number; length: number };
  state: MemberSlot;
  exitState: MemberSlot;
  flags: MemberSlot;
  realParent: MemberSlot;
  groupLeader: MemberSlot;
  mm: MemberSlot;
  tasks: number;
  cpu?: MemberSlot;
  stack?: MemberSlot;
  parent?: MemberSlot;
  signal?: MemberSlot;
  threadSp?: MemberSlot;
}

function taskLayout(k: Kernel): TaskLayout | undefined {
  const key = 'objects/tasks/layout';
  const cached = k.cache.get(key) as TaskLayout | null | undefined;
  if (cached !== undefined) return cached ?? undefined;
  let layout: TaskLayout | undefined;
  const t = k.findType('struct task_struct');
  const st = t && resolve(t);
  if (st && (st.kind === 'struct' || st.kind === 'union')) {
    const slot = (path: string): MemberSlot | undefined => memberSlot(st, path);
    const comm = findMemberPath(st, 'comm');
    const commType = comm && resolve(comm.member.type);
    const tasks = findMemberPath(st, 'tasks');
    const need = {
      pid: slot('pid'),
      tgid: slot('tgid'),
      state: findMemberPath(st, '__state') ? slot('__state') : slot('state'),
      exitState: slot('exit_state'),
      flags: slot('flags'),
      realParent: slot('real_parent'),
      groupLeader: slot('group_leader'),
      mm: slot('mm'),
    };
    // optional members: absent is fine, present but no plain scalar is not (field reads would read it)
    const optional = (path: string): MemberSlot | undefined | false =>
      findMemberPath(st, path) ? (slot(path) ?? false) : undefined;
    const more = {
      cpu: optional(findMemberPath(st, 'thread_info.cpu') ? 'thread_info.cpu' : 'cpu'),
      stack: optional('stack'),
      parent: optional('parent'),
      signal: optional('signal'),
      threadSp: optional('thread.sp'),
    };
    const complete = Object.values(need).every((v) => v !== undefined) && Object.values(more).every((v) => v !== false);
    if (complete && commType?.kind === 'array' && comm!.bitOffset % 8 === 0 && tasks && tasks.bitOffset % 8 === 0) {
      layout = {
        ...(need as { [K in keyof typeof need]: MemberSlot }),
        ...(more as { [K in keyof typeof more]: MemberSlot | undefined }),
        comm: { offset: comm!.bitOffset / 8, length: Math.min(commType.length ?? 16, 16) },
        tasks: tasks.bitOffset / 8,
      };
    }
  }
  k.cache.set(key, layout ?? null);
  return layout;
}

/** The pid read last from a parent's struct (a walk over 10,000 threads of one process reads one parent). */
interface ParentPid {
  address: bigint;
  pid: number;
}

/**
 * readTask from a layout, in the same order (the first member on a missing page names the error). `lastParent`:
 * the parent whose pid was read last, reused when the parent is the same (and updated when it is not).
 */
function readTaskAt(
  k: Kernel,
  l: TaskLayout,
  r: StructReader,
  idle: boolean,
  idleCpu?: number,
  lastParent?: ParentPid,
): Task {
  const addr = r.address;
  const pid = r.num(l.pid);
  const tgid = r.num(l.tgid);
  const comm = r.chars(l.comm.offset, l.comm.length);
  // the low 32 bits, as an unsigned number (a 4-byte member read as a number: no bigint made)
  const state = l.state.size <= 4 ? r.num(l.state) >>> 0 : Number(r.value(l.state) & 0xffffffffn);
  const exitState = r.num(l.exitState);
  const flags = r.num(l.flags);
  const parent = r.value(l.realParent);
  const groupLeader = r.value(l.groupLeader);
  const mm = r.value(l.mm);
  // the list links must be readable too, or the task is not really in the file
  r.u64(l.tasks);
  let ppid = -1;
  // idle tasks show PPID 0 (swapper/N's real_parent is whoever forked it at boot)
  if (idle && pid === 0) ppid = 0;
  else if (parent === addr) ppid = pid;
  else if (parent !== 0n) {
    if (lastParent && lastParent.address === parent) ppid = lastParent.pid;
    else {
      try {
        ppid = new StructReader(k.mem, parent).load(l.pid.offset, l.pid.offset + l.pid.size).num(l.pid);
        if (lastParent) {
          lastParent.address = parent;
          lastParent.pid = ppid;
        }
      } catch {
        ppid = -1;
      }
    }
  } else ppid = 0;
  let cpu = 0;
  try {
    if (!l.cpu) throw new FieldError('struct task_struct has no member "cpu"');
    cpu = r.num(l.cpu);
  } catch {
    cpu = idleCpu ?? 0;
  }
  if (idle && idleCpu !== undefined) cpu = idleCpu;
  let stack = 0n;
  try {
    if (l.stack) stack = r.value(l.stack);
  } catch {
    /* optional */
  }
  return taskOf(addr, pid, tgid, comm, state, exitState, flags, parent, ppid, groupLeader, cpu, mm, stack, idle);
}

function taskOf(
  address: bigint,
  pid: number,
  tgid: number,
  comm: string,
  state: number,
  exitState: number,
  flags: number,
  parent: bigint,
  ppid: number,
  groupLeader: bigint,
  cpu: number,
  mm: bigint,
  stack: bigint,
  idle: boolean,
): Task {
  const kernelThread = (flags & PF_KTHREAD) !== 0 || (idle && pid === 0);
  return {
    address,
    pid,
    tgid,
    comm,
    state,
    exitState,
    flags,
    parent,
    ppid,
    groupLeader,
    cpu,
    mm,
    stack,
    kernelThread,
    idle,
  };
}

/**
 * Tasks named by the pid xarray of init_pid_ns (struct pid->tasks[PIDTYPE_PID].first), and a line
 * naming what of it the dump lacks. Where the dump lacks xarray nodes, the live struct pids of the pid slab
 * cache (pid-slab.ts) name the pids under them.
 */
interface PidTableEntry {
  addr: bigint;
  pid: number;
  /** where the task's pid_links[PIDTYPE_PID].pprev is, and the value it has when the entry is sound */
  pprevAt: bigint;
  pprevExpect: bigint;
}

function pidTableTasks(
  k: Kernel,
  limit: number,
): { tasks: PidTableEntry[]; missing?: string; slabMissing?: string; lostStructs: number[] } {
  const out: PidTableEntry[] = [];
  const lostStructs: number[] = [];
  let missing: string | undefined;
  let slabMissing: string | undefined;
  try {
    const ns = k.variable('init_pid_ns', 'struct pid_namespace');
    const xa = ns.field('idr').field('idr_rt').address;
    const pidType = Number(k.types.enumValue?.('PIDTYPE_PID', 'pid_type') ?? 0n);
    const hlistSize = BigInt(k.sizeOf('struct hlist_head'));
    const tasksOff = BigInt(k.offsetOf('struct pid', 'tasks')) + BigInt(pidType) * hlistSize;
    const linksOff =
      BigInt(k.offsetOf('struct task_struct', 'pid_links')) + BigInt(pidType) * BigInt(k.sizeOf('struct hlist_node'));
    const nr: MemberSlot = {
      offset: k.offsetOf('struct pid', 'numbers') + k.offsetOf('struct upid', 'nr'),
      size: 4,
      signed: true,
    };
    const tasksAt = Number(tasksOff);
    const pidFrom = Math.min(tasksAt, nr.offset);
    const pidTo = Math.max(tasksAt + 8, nr.offset + nr.size);
    const walk = walkXarray(k, xa, limit);
    if (walk.broken.length) {
      missing = `the pid table (init_pid_ns.idr): ${walk.broken.length} xarray node${walk.broken.length === 1 ? '' : 's'} on pages missing from the dump (${walk.broken.map((b) => b.toString(16)).join(', ')})`;
    }
    const idr = ns.field('idr');
    const base = idr.has('idr_base') ? Number(idr.field('idr_base').value()) : 0;
    for (const { index, value: pidStruct } of walk.entries) {
      try {
        // both members from the struct's page, translated once
        const r = new StructReader(k.mem, pidStruct).load(pidFrom, pidTo);
        const first = r.u64(tasksAt);
        if (first === 0n) continue;
        // the caller checks that the task's hlist_node pid_links[PIDTYPE_PID] points back:
        // pprev == &pid->tasks[PIDTYPE_PID]
        out.push({
          addr: first - linksOff,
          pid: r.num(nr),
          pprevAt: first + 8n,
          pprevExpect: pidStruct + tasksOff,
        });
      } catch {
        // struct pid on a missing page: the lists may still find the task; the pid is in use all the same
        lostStructs.push(Number(index) + base);
      }
    }
    if (walk.broken.length) {
      // the pids under the lost nodes: from the struct pid objects themselves (pid-slab.ts)
      const named = new Set(out.map((e) => e.pid));
      const slab = pidSlabObjects(k);
      for (const o of slab.objects)
        if (!named.has(o.pid))
          out.push({ addr: o.first - linksOff, pid: o.pid, pprevAt: o.first + 8n, pprevExpect: o.address + tasksOff });
      slabMissing = slab.problem;
    }
  } catch (e) {
    missing = `the pid table (init_pid_ns.idr): ${(e as Error).message}`;
  }
  return { tasks: out, missing, slabMissing, lostStructs };
}

/** The CPU that panicked, by the first route the dump offers (objects/panic-cpu.ts). */
export function findPanicCpu(k: Kernel): number | undefined {
  return panicCpuReading(k).cpu;
}

// ---- states -----------------------------------------------------------------------------------

/*
 * Task state bits (include/linux/sched.h, stable since 4.14): TASK_INTERRUPTIBLE 0x1,
 * TASK_UNINTERRUPTIBLE 0x2, __TASK_STOPPED 0x4, __TASK_TRACED 0x8, EXIT_DEAD 0x10,
 * EXIT_ZOMBIE 0x20, TASK_PARKED 0x40, TASK_DEAD 0x80, TASK_WAKEKILL 0x100, TASK_WAKING 0x200,
 * TASK_NOLOAD 0x400, TASK_NEW 0x800. TASK_IDLE = TASK_UNINTERRUPTIBLE | TASK_NOLOAD.
 * exit_state carries EXIT_ZOMBIE/EXIT_DEAD and is combined with __state, as crash does.
 */
const S = {
  INTERRUPTIBLE: 0x1,
  UNINTERRUPTIBLE: 0x2,
  STOPPED: 0x4,
  TRACED: 0x8,
  EXIT_DEAD: 0x10,
  EXIT_ZOMBIE: 0x20,
  PARKED: 0x40,
  DEAD: 0x80,
  WAKEKILL: 0x100,
  WAKING: 0x200,
  NOLOAD: 0x400,
  NEW: 0x800,
};

/** crash's two-letter state: RU IN UN ZO ST TR DE SW WA PA ID NE. */
export function stateLetters(t: Pick<Task, 'state' | 'exitState'>): string {
  return stateInfo(t)[0];
}

/** The state's kernel name as crash's context block prints it (TASK_RUNNING, TASK_IDLE ...). */
export function stateName(t: Pick<Task, 'state' | 'exitState'>): string {
  return stateInfo(t)[1];
}

function stateInfo(t: Pick<Task, 'state' | 'exitState'>): [string, string] {
  const s = t.state | t.exitState;
  if (s === 0) return ['RU', 'TASK_RUNNING'];
  if ((s & (S.UNINTERRUPTIBLE | S.NOLOAD)) === (S.UNINTERRUPTIBLE | S.NOLOAD)) return ['ID', 'TASK_IDLE'];
  if (s & S.INTERRUPTIBLE) return ['IN', 'TASK_INTERRUPTIBLE'];
  if (s & S.UNINTERRUPTIBLE) return ['UN', 'TASK_UNINTERRUPTIBLE'];
  if (s & S.EXIT_ZOMBIE) return ['ZO', 'EXIT_ZOMBIE'];
  if (s & S.STOPPED) return ['ST', 'TASK_STOPPED'];
  if (s & S.TRACED) return ['TR', 'TASK_TRACED'];
  if (s & S.EXIT_DEAD) return ['DE', 'EXIT_DEAD'];
  if (s & S.DEAD) return ['DE', 'TASK_DEAD'];
  if (s & S.PARKED) return ['PA', 'TASK_PARKED'];
  if (s & S.WAKING) return ['WA', 'TASK_WAKING'];
  if (s & S.NEW) return ['NE', 'TASK_NEW'];
  if (s & S.WAKEKILL) return ['WA', 'TASK_WAKEKILL'];
  return ['??', `0x${s.toString(16)}`];
}

// ---- memory use -------------------------------------------------------------------------------

export interface MmUsage {
  /** resident pages: file + anon + shmem counters */
  rssPages: bigint;
  /** mm->total_vm in pages */
  totalVmPages: bigint;
  /** pids of threads whose unflushed per-thread counters (task->rss_stat) could not be read: rssPages lacks them */
  unreadableThreads?: number[];
}

/**
 * RSS and VSZ of a task's mm. mm->rss_stat is, by kernel version, an array of atomic counters
 * (`struct mm_rss_stat { atomic_long_t count[] }`, 6.1, with per-thread caches in
 * task->rss_stat.count[] not yet folded in) or an array of percpu_counter (6.2+: .count plus
 * per-CPU s32 deltas at .counters). Every thread of a process shares one mm, so the answer is
 * computed once per mm per session (the per-thread caches of all its threads summed once): ps
 * over a process of N threads reads O(N) counters, not O(N^2). An unreadable mm throws (again,
 * from the cache, for every thread that shares it).
 */
export function mmUsage(k: Kernel, t: Task): MmUsage | undefined {
  if (t.mm === 0n) return undefined;
  let cache = k.cache.get(MM_USAGE_KEY) as Map<bigint, MmUsage | Error> | undefined;
  if (!cache) k.cache.set(MM_USAGE_KEY, (cache = new Map()));
  let u = cache.get(t.mm);
  if (u === undefined) {
    try {
      u = computeMmUsage(k, t.mm);
    } catch (e) {
      u = e instanceof Error ? e : new Error(String(e));
    }
    cache.set(t.mm, u);
  }
  if (u instanceof Error) throw u;
  return u;
}

const MM_USAGE_KEY = 'objects/tasks/mm-usage';

function computeMmUsage(k: Kernel, mmAddr: bigint): MmUsage {
  const mm = k.object('struct mm_struct', mmAddr);
  const totalVmPages = mm.field('total_vm').value();
  const kinds = ['MM_FILEPAGES', 'MM_ANONPAGES', 'MM_SHMEMPAGES']
    .map((n) => k.types.enumValue?.(n))
    .filter((v): v is bigint => v !== undefined)
    .map(Number);
  const rss = mm.field('rss_stat');
  let rssPages = 0n;
  const unreadableThreads: number[] = [];
  if (rss.has('count')) {
    const counts = rss.field('count');
    for (const i of kinds) rssPages += counterValue(counts.index(i));
    // SPLIT_RSS_COUNTING: each thread sharing the mm holds unflushed deltas
    if (k.hasMember('struct task_struct', 'rss_stat.count')) {
      for (const thread of tasksByMm(k).get(mmAddr) ?? []) {
        try {
          const c = k.object('struct task_struct', thread.address).field('rss_stat').field('count');
          for (const i of kinds) rssPages += c.index(i).value();
        } catch {
          // the thread's struct was readable (it is in the table) but its counters are not: say so
          unreadableThreads.push(thread.pid);
        }
      }
    }
  } else {
    for (const i of kinds) rssPages += percpuCounterSum(k, rss.index(i));
  }
  if (rssPages < 0n) rssPages = 0n;
  return unreadableThreads.length ? { rssPages, totalVmPages, unreadableThreads } : { rssPages, totalVmPages };
}

/** Tasks grouped by mm (computed once per session). */
function tasksByMm(k: Kernel): Map<bigint, Task[]> {
  const key = 'objects/tasks-by-mm';
  let m = k.cache.get(key) as Map<bigint, Task[]> | undefined;
  if (!m) {
    m = new Map();
    for (const t of allTasks(k).tasks) {
      if (t.mm === 0n) continue;
      const list = m.get(t.mm);
      if (list) list.push(t);
      else m.set(t.mm, [t]);
    }
    k.cache.set(key, m);
  }
  return m;
}

function counterValue(o: KObject): bigint {
  return o.has('counter') ? o.field('counter').value() : o.value();
}

/** percpu_counter_sum(): count plus every online CPU's s32 delta (a delta that cannot be read throws: no partial sum). */
export function percpuCounterSum(k: Kernel, pc: KObject): bigint {
  let v = pc.field('count').value();
  const counters = pc.field('counters').value();
  if (counters === 0n) return v;
  for (const cpu of k.onlineCpus) v += BigInt(k.readS32(k.perCpuPtr(counters, cpu)));
  return v;
}

/** totalram_pages (_totalram_pages in 5.0+, an atomic_long_t); throws when it cannot be read (never a guessed 0). */
export function totalRamPages(k: Kernel): bigint {
  let why = 'no _totalram_pages or totalram_pages symbol';
  for (const name of ['_totalram_pages', 'totalram_pages']) {
    if (k.hasSymbol(name)) {
      try {
        return k.readU64(k.sym(name));
      } catch (e) {
        why = `${name}: ${(e as Error).message}`;
      }
    }
  }
  throw new FieldError(`total RAM pages unreadable (${why})`);
}

/** crash's one-line task header: `PID: 1        TASK: ffff...  CPU: 1    COMMAND: "init"`. */
export function taskHeader(t: Task): string {
  return `PID: ${String(t.pid).padEnd(8)} TASK: ${t.address.toString(16).padStart(16, '0')}  CPU: ${String(t.cpu).padEnd(3)}  COMMAND: "${t.comm}"`;
}

/** Children of a task (tasks whose real_parent is it), in pid order; idle tasks excluded. */
export function childrenOf(k: Kernel, t: Task): Task[] {
  return allTasks(k).tasks.filter(
    (c) => c.parent === t.address && c.address !== t.address && !c.idle && c.tgid === c.pid,
  );
}
