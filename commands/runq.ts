/** runq: each CPU's run queue: the running task and the queued ones, by scheduling class. */
import { withLineLinks } from '../src/render/line-links.js';
import { TASK_LINKS } from './links/rules.js';
import { CommandError, type Args, type Command } from '../src/command.js';
import type { Kernel } from '../src/kernel/kernel.js';
import {
  cfsGroup,
  flatTasks,
  rootTaskGroup,
  runQueue,
  runqueueOf,
  taskGroupCfsRq,
  taskGroupName,
  taskGroupRtRq,
  taskLastRun,
  type QueueEntry,
  type QueuedGroup,
  type RunQueue,
} from '../src/kernel/objects/sched.js';
import { allTasks, type TaskTable } from '../src/kernel/objects/tasks.js';
import { text, type View } from '../src/render/view.js';
import type { Session } from '../src/session.js';
import { formatSinceRun, psCpuList } from './ps.js';

const HELP = `runq - the run queue of each CPU

SYNOPSIS
  runq [-t | -T | -m | -g | -d] [-c CPUS]

For each CPU (struct rq of the per-CPU runqueues): the task it was running, then the queued tasks
of each scheduling class: real-time (rt.active, one list per priority, shown as [prio]), fair
(the cfs rb-tree in vruntime order, shown with the task's prio) and, when any are queued,
deadline (the dl rb-tree in deadline order; crash 9 does not show it). Tasks queued inside a
task group are listed with the group's tasks flattened in; -g shows the groups.

OPTIONS
  -t       each CPU's rq->clock and when its running task last arrived on it
  -T       how far each CPU's clock lags behind the most advanced one, in seconds
  -m       how long each CPU's running task has been running [days hh:mm:ss.ms]
  -g       the queues by task group, from the root group down (group headers, [CURRENT])
  -d       every task with on_rq set, per CPU (from the task list, not the queues)
  -c CPUS  only these CPUs (0,2-3)

EXAMPLES
  runq
  runq -t
  runq -g -c 1`;

const hex = (v: bigint): string => v.toString(16);

function taskText(table: TaskTable, task: bigint): string {
  const t = table.byAddress.get(task);
  return t ? `PID: ${String(t.pid).padEnd(5)}  TASK: ${hex(task)}  COMMAND: "${t.comm}"` : hex(task);
}

const entryLine = (table: TaskTable, prio: number, task: bigint, indent: number, current = false): string =>
  `${' '.repeat(indent)}[${String(prio).padStart(3)}] ${taskText(table, task)}${current ? ' [CURRENT]' : ''}`;

/** -c's list, else every present CPU: an offline CPU keeps its runqueue (its idle task as curr), shown as crash does */
function cpusOf(k: Kernel, args: Args): number[] {
  return args.flags.c !== undefined ? psCpuList(k, String(args.flags.c)) : [...k.presentCpus];
}

function queueData(q: RunQueue): unknown {
  return {
    cpu: q.cpu,
    rq: q.rq,
    current: q.curr,
    clock: q.clock,
    rt: flatTasks(q.rt),
    cfs: flatTasks(q.cfs, q.cfsCurrGroup),
    dl: q.dl,
    problems: q.problems.length ? q.problems : undefined,
  };
}

function defaultView(k: Kernel, table: TaskTable, cpus: number[]): View {
  const lines: string[] = [];
  const data: unknown[] = [];
  for (const cpu of cpus) {
    if (lines.length) lines.push('');
    let q: RunQueue;
    try {
      q = runQueue(k, cpu);
    } catch (e) {
      lines.push(`CPU ${cpu} RUNQUEUE: unreadable: ${(e as Error).message}`);
      continue;
    }
    lines.push(`CPU ${cpu} RUNQUEUE: ${hex(q.rq)}`, `  CURRENT: ${taskText(table, q.curr)}`);
    lines.push(`  RT PRIO_ARRAY: ${hex(q.rtArray)}`);
    const rt = flatTasks(q.rt);
    lines.push(...(rt.length ? rt.map((e) => entryLine(table, e.prio, e.task, 5)) : ['     [no tasks queued]']));
    lines.push(`  CFS RB_ROOT: ${hex(q.cfsRoot)}`);
    const cfs = flatTasks(q.cfs, q.cfsCurrGroup);
    lines.push(...(cfs.length ? cfs.map((e) => entryLine(table, e.prio, e.task, 5)) : ['     [no tasks queued]']));
    if (q.dl.length) {
      lines.push(`  DL RB_ROOT: ${hex(q.dlRoot)}`, ...q.dl.map((e) => entryLine(table, e.prio, e.task, 5)));
    }
    for (const p of q.problems) lines.push(`  runq: ${p}`);
    data.push(queueData(q));
  }
  return text(lines, data);
}

/** -t: "%sCPU %d: <clock>" and the running task's last arrival, zero-padded to the clock's width. */
function timestampView(k: Kernel, table: TaskTable, cpus: number[], radix: number): View {
  const lines: string[] = [];
  const data: unknown[] = [];
  const num = (v: bigint): string => v.toString(radix);
  for (const cpu of cpus) {
    const o = k.object('struct rq', runqueueOf(k, cpu));
    const clock = o.field('clock').value();
    const curr = o.field('curr').value();
    const c = num(clock);
    lines.push(`${cpu < 10 ? ' ' : ''}CPU ${cpu}: ${c}`);
    const t = table.byAddress.get(curr);
    if (t) {
      const indent = (cpu < 10 ? 7 : cpu < 100 ? 8 : 9) + (cpu < 10 ? 1 : 0);
      const last = taskLastRun(k, curr);
      lines.push(`${' '.repeat(indent)}${num(last).padStart(c.length, '0')}  ${taskText(table, curr)}`);
      data.push({ cpu, clock, task: curr, pid: t.pid, lastArrival: last });
    } else {
      lines.push('');
      data.push({ cpu, clock });
    }
  }
  return text(lines, data);
}

const digits = (n: number): number => String(n).length;

/** -T: each CPU's clock behind the most advanced one. */
function lagView(k: Kernel, cpus: number[]): View {
  const clocks = cpus.map((cpu) => ({ cpu, ts: k.object('struct rq', runqueueOf(k, cpu)).field('clock').value() }));
  clocks.sort((a, b) => (a.ts > b.ts ? -1 : a.ts < b.ts ? 1 : 0));
  const top = clocks[0]?.ts ?? 0n;
  const width = digits(Math.max(...k.presentCpus, 0) + 1);
  const lines = clocks.map(
    ({ cpu, ts }) =>
      `${' '.repeat(2 + width - digits(cpu))}CPU ${cpu}: ${((Number(top) - Number(ts)) / 1e9).toFixed(2)} secs`,
  );
  return text(
    lines,
    clocks.map(({ cpu, ts }) => ({ cpu, clock: ts, lagNs: top - ts })),
  );
}

/** -m: how long each CPU's running task has run, [days hh:mm:ss.ms] against the CPU's rq clock. */
function runningView(k: Kernel, table: TaskTable, cpus: number[]): View {
  const n = Math.max(...k.presentCpus, 0) + 1;
  const maxIndent = n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : 4;
  const lines: string[] = [];
  const data: unknown[] = [];
  let maxDays = 0;
  for (const cpu of cpus) {
    const o = k.object('struct rq', runqueueOf(k, cpu));
    const clock = o.field('clock').value();
    if (!maxDays) maxDays = formatSinceRun(clock).indexOf(' ');
    const indent = ' '.repeat(Math.max(0, maxIndent - (digits(cpu) - 1)));
    const curr = o.field('curr').value();
    if (!table.byAddress.has(curr)) {
      lines.push(`${indent}CPU ${cpu}: [unknown]`);
      continue;
    }
    let delta = clock - taskLastRun(k, curr);
    if (delta < 0n) delta = 0n;
    const since = formatSinceRun(delta);
    const pad = ' '.repeat(Math.max(0, maxDays - since.indexOf(' ')));
    lines.push(`${indent}CPU ${cpu}: [${pad}${since}]  ${taskText(table, curr)}`);
    data.push({ cpu, task: curr, runningNs: delta });
  }
  return text(lines, data);
}

function groupHeader(k: Kernel, g: QueuedGroup, indent: number, kind: 'CFS_RQ' | 'RT_RQ'): string {
  const name = taskGroupName(k, g.taskGroup);
  return `${' '.repeat(indent)}TASK_GROUP: ${hex(g.taskGroup)}  ${kind}: ${hex(g.queue)}${kind === 'CFS_RQ' ? ' ' : ''}${name ? ` <${name}>` : ''}${g.throttled ? ' (THROTTLED)' : ''}`;
}

/** -g: a cfs_rq's tree, crash's indentation (3 per level; tasks 5 in). */
function cfsTreeLines(k: Kernel, table: TaskTable, g: QueuedGroup, depth: number, active: bigint): string[] {
  const out: string[] = [];
  if (depth) out.push(groupHeader(k, g, 2 + 3 * depth, 'CFS_RQ'));
  let total = 0;
  if (g.current !== undefined && g.current === active) {
    out.push(
      entryLine(
        table,
        k.readS32(active + BigInt(k.offsetOf('struct task_struct', 'prio'))),
        active,
        5 + 3 * depth,
        true,
      ),
    );
    total++;
  }
  // cfsGroup lists the group the running entity is in first (when curr is a group), then the rb-tree
  for (const e of g.entries) {
    total++;
    if (e.kind === 'group') out.push(...cfsTreeLines(k, table, e, depth + 1, active));
    else out.push(entryLine(table, e.prio, e.task, 5 + 3 * depth));
  }
  if (!total) out.push(`${' '.repeat(5 + 3 * depth)}[no tasks queued]`);
  return out;
}

function rtTreeLines(k: Kernel, table: TaskTable, entries: QueueEntry[], depth: number): string[] {
  const out: string[] = [];
  const pad = ' '.repeat(5 + 6 * depth);
  for (const e of entries) {
    if (e.kind === 'task') out.push(`${pad}[${String(e.prio).padStart(3)}] ${taskText(table, e.task)}`);
    else {
      out.push(`${pad}[${String(e.prio ?? 0).padStart(3)}] ${groupHeader(k, e, 0, 'RT_RQ')}`);
      out.push(...rtTreeLines(k, table, e.entries, depth + 1));
    }
  }
  if (!entries.length) out.push(`${pad}[no tasks queued]`);
  return out;
}

function groupView(k: Kernel, table: TaskTable, cpus: number[]): View {
  const root = rootTaskGroup(k);
  if (root === undefined) throw new CommandError('-g: this kernel has no root task group (no group scheduling)');
  const label = k.hasSymbol('root_task_group') ? 'ROOT' : 'INIT';
  const lines: string[] = [];
  for (const cpu of cpus) {
    if (lines.length) lines.push('');
    const q = runQueue(k, cpu);
    lines.push(`CPU ${cpu}`, `  CURRENT: ${taskText(table, q.curr)}`);
    const rtRq = taskGroupRtRq(k, root, cpu);
    if (rtRq !== undefined) {
      lines.push(`  ${label}_TASK_GROUP: ${hex(root)}  RT_RQ: ${hex(rtRq)}`, ...rtTreeLines(k, table, q.rt, 0));
    }
    const cfsRq = taskGroupCfsRq(k, root, cpu);
    lines.push(`  ${label}_TASK_GROUP: ${hex(root)}  CFS_RQ: ${hex(cfsRq)}`);
    lines.push(...cfsTreeLines(k, table, cfsGroup(k, cfsRq, q.problems, 0), 0, q.curr));
  }
  return text(lines);
}

/** -d: tasks whose on_rq is set, per CPU, in task-list order. */
function onRqView(k: Kernel, table: TaskTable, cpus: number[]): View {
  const lines: string[] = [];
  const data: unknown[] = [];
  for (const cpu of cpus) {
    if (lines.length) lines.push('');
    lines.push(`CPU ${cpu}`);
    let n = 0;
    for (const t of table.tasks) {
      if (t.cpu !== cpu) continue;
      try {
        const o = k.object('struct task_struct', t.address);
        if (!o.field('on_rq').num()) continue;
        lines.push(entryLine(table, o.field('prio').num(), t.address, 5));
        data.push({ cpu, pid: t.pid, task: t.address });
        n++;
      } catch {
        /* a task whose fields are unreadable is not listed */
      }
    }
    if (!n) lines.push('     [no tasks queued]');
  }
  return text(lines, data);
}

const runq: Command = {
  name: 'runq',
  summary: "each CPU's run queue: running and queued tasks",
  help: HELP,
  needsDump: true,
  options: { t: 'timestamps', T: 'clock lag', m: 'running time', g: 'task groups', d: 'on_rq tasks', c: '=cpus' },
  run(s: Session, args: Args): View {
    const k = s.kernel;
    if (!k) throw new CommandError('no dump is open');
    const table = allTasks(k);
    const cpus = cpusOf(k, args);
    if (args.flags.t) return timestampView(k, table, cpus, s.settings.radix);
    if (args.flags.T) return lagView(k, cpus);
    if (args.flags.m) return runningView(k, table, cpus);
    if (args.flags.d) return onRqView(k, table, cpus);
    if (args.flags.g) return groupView(k, table, cpus);
    return defaultView(k, table, cpus);
  },
};

// the terminal UI's next view from a line of the table (commands/links/rules.ts)
export default withLineLinks(runq, TASK_LINKS);
