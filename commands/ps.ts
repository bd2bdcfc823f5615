/** ps: the process table of the dump, in crash's layout (and its -t -p -c -a -l -s -S variants). */
import { CommandError, type Args, type Command } from '../src/command.js';
import type { Kernel } from '../src/kernel/kernel.js';
import type { KObject } from '../src/kernel/value.js';
import { percentBasePages } from '../src/kernel/objects/system.js';
import {
  activeTasksDirect,
  allTasks,
  childrenOf,
  mmUsage,
  stateLetters,
  taskHeader,
  type Task,
  type TaskTable,
  type UnreadableTask,
  taskAtDirect,
  taskByPidDirect,
} from '../src/kernel/objects/tasks.js';
import { userStrings } from '../src/kernel/objects/user-memory.js';
import { unreadableActiveTask } from '../src/kernel/objects/context.js';
import { formatUptime } from '../src/kernel/objects/system.js';
import { uptimeReading } from '../src/kernel/objects/boot-time.js';
import { text, type Column, type TableView, type TreeNode, type TreeView, type View } from '../src/render/view.js';
import type { Session } from '../src/session.js';
import { parseCpuList } from '../src/repl/cpu-list.js';
import { selectTasks } from '../src/repl/task-selector.js';
import { taskPolicy } from '../src/kernel/objects/sched.js';
import { parsePolicies, policyView, rlimitView, threadGroupView } from './ps/views.js';
import { mmUnreadable } from './vm.js';

const HEADER = '      PID    PPID  CPU       TASK        ST  %MEM      VSZ      RSS  COMM';
const HEADER_S = '      PID    PPID  CPU      KSTACKP      ST  %MEM      VSZ      RSS  COMM';

interface PsRow extends Record<string, unknown> {
  active: boolean;
  pid: number;
  ppid: number;
  cpu: number;
  task: bigint;
  kstackp?: bigint;
  st: string;
  pmem: number;
  /** null: unreadable (memoryUnreadable says why) */
  /** sizes in KiB as JSON numbers (a bigint would print as a hex address) */
  vszKb: number | null;
  rssKb: number | null;
  comm: string;
  kernelThread: boolean;
  /** the thread group (the terminal UI's process tree puts threads under their leader) */
  tgid?: number;
  memoryUnreadable?: string;
  /** pids of threads whose per-thread RSS counters could not be read */
  rssMissingThreads?: number[];
}

const hex16 = (v: unknown): string => (typeof v === 'bigint' ? v.toString(16).padStart(16, '0') : String(v ?? ''));

function columns(kstack: boolean): Column[] {
  // widths reproduce crash's printf layout: "%c%8d%8d%4d  %16lx  %2s%6.1f%9d%9d  %s"
  return [
    { key: 'active', header: '', align: 'left', width: 1, fixed: true, sep: '', format: (v) => (v ? '>' : ' ') },
    { key: 'pid', header: 'PID', align: 'right', width: 8, fixed: true, sep: '' },
    { key: 'ppid', header: 'PPID', align: 'right', width: 8, fixed: true, sep: '' },
    { key: 'cpu', header: 'CPU', align: 'right', width: 4, fixed: true, sep: '' },
    kstack
      ? {
          key: 'kstackp',
          header: 'KSTACKP',
          align: 'left',
          width: 16,
          fixed: true,
          sep: '  ',
          format: (v, r) => (r.active ? '       --       ' : v === undefined ? '  (unreadable)  ' : hex16(v)),
        }
      : { key: 'task', header: 'TASK', align: 'left', width: 16, fixed: true, sep: '  ', format: hex16 },
    { key: 'st', header: 'ST', align: 'left', width: 2, fixed: true, sep: '  ' },
    {
      key: 'pmem',
      header: '%MEM',
      align: 'right',
      width: 6,
      fixed: true,
      sep: '',
      format: (v) => (v as number).toFixed(1),
    },
    { key: 'vszKb', header: 'VSZ', align: 'right', width: 9, fixed: true, sep: '', format: (v) => String(v ?? 0) },
    { key: 'rssKb', header: 'RSS', align: 'right', width: 9, fixed: true, sep: '', format: (v) => String(v ?? 0) },
    {
      key: 'comm',
      header: 'COMM',
      align: 'left',
      width: 0,
      sep: '  ',
      format: (v, r) => (r.kernelThread ? `[${v}]` : String(v)),
    },
  ];
}

function psRow(k: Kernel, active: Map<number, bigint>, t: Task, physPages: bigint): PsRow {
  let rss = 0n;
  let vsz = 0n;
  let memoryUnreadable: string | undefined;
  let threadsMissing: number[] | undefined;
  try {
    const u = mmUsage(k, t);
    if (u) {
      rss = u.rssPages;
      vsz = u.totalVmPages;
      threadsMissing = u.unreadableThreads;
    }
  } catch (e) {
    // the mm is on a missing page: the columns show 0 and the note after the table names the task
    memoryUnreadable = (e as Error).message;
  }
  const pageKb = BigInt((k.dump.meta.pageSize || 4096) / 1024);
  const row: PsRow = {
    active: active.get(t.cpu) === t.address,
    pid: t.pid,
    ppid: t.ppid,
    cpu: t.cpu,
    task: t.address,
    st: stateLetters(t),
    pmem: physPages > 0n ? (Number(rss) * 100) / Number(physPages) : 0,
    vszKb: Number(vsz * pageKb),
    rssKb: Number(rss * pageKb),
    comm: t.comm,
    kernelThread: t.kernelThread,
    tgid: t.tgid,
  };
  if (memoryUnreadable !== undefined) {
    row.memoryUnreadable = memoryUnreadable;
    row.vszKb = null;
    row.rssKb = null;
  }
  if (threadsMissing) row.rssMissingThreads = threadsMissing;
  return row;
}

/** Rows whose memory columns could not be read (shown as 0 in crash's layout, named here). */
function unreadableMemoryNote(rows: PsRow[]): string[] {
  const out: string[] = [];
  const lost = rows.filter((r) => r.memoryUnreadable !== undefined);
  if (lost.length) {
    const pids = lost.map((r) => r.pid).join(', ');
    out.push(
      `ps: VSZ and RSS of pid ${pids} are unreadable (${lost[0]!.memoryUnreadable}${lost.length > 1 ? ', ...' : ''}): shown as 0`,
    );
  }
  const short = rows.filter((r) => r.rssMissingThreads?.length);
  if (short.length)
    out.push(
      `ps: RSS of pid ${short.map((r) => r.pid).join(', ')} lacks the unflushed counters of thread${short.length > 1 || short[0]!.rssMissingThreads!.length > 1 ? 's' : ''} ${[...new Set(short.flatMap((r) => r.rssMissingThreads!))].join(', ')} (unreadable)`,
    );
  return out;
}

/**
 * Rows for the tasks the CPUs were running whose own struct the dump lacks (the panic task among them,
 * on a 6.12 dump filtered by an older makedumpfile): what the runqueue (CPU, running), the pid table,
 * a readable parent's children list and the console line tell; the memory columns are unknown and
 * shown as 0. Only rows with a known pid; the note after the table says which rows these are.
 */
function unreadableActiveRows(k: Kernel, table: TaskTable): PsRow[] {
  const rows: PsRow[] = [];
  for (const [, address] of [...table.active.entries()].sort((a, b) => a[0] - b[0])) {
    const u = unreadableActiveTask(k, address);
    if (!u || u.pid === undefined) continue;
    rows.push({
      active: true,
      pid: u.pid,
      ppid: u.ppid ?? -1,
      cpu: u.cpu,
      task: address,
      st: 'RU',
      pmem: 0,
      vszKb: null,
      rssKb: null,
      comm: u.comm ?? '?',
      kernelThread: false,
    });
  }
  return rows;
}

/** Saved kernel stack pointer of a task that is not running: task->thread.sp (undefined: unreadable). */
function kstackPointer(k: Kernel, t: Task): bigint | undefined {
  try {
    return k.object('struct task_struct', t.address).field('thread').field('sp').value();
  } catch {
    return undefined;
  }
}

/**
 * The tasks of `ps PID...` or `ps -p PID...` found without the task table (taskByPidDirect), or undefined: other
 * options, other selectors (names, addresses, pid 0: every idle task), a pid the direct route does not answer,
 * or a kernel whose RSS column needs every thread of an mm (6.1's per-thread counters: the table).
 */
function directPidTasks(k: Kernel, args: Args): Task[] | undefined {
  const words = args.positional;
  if (!words.length || !words.every((w) => /^[1-9]\d{0,6}$/.test(w.trim()))) return undefined;
  const flags = Object.keys(args.flags).filter((f) => args.flags[f] !== undefined && args.flags[f] !== false);
  if (flags.some((f) => f !== 'p' && f !== 'H')) return undefined;
  if (!args.flags.p && k.hasMember('struct task_struct', 'rss_stat.count')) return undefined;
  const out = new Map<number, Task>();
  for (const w of words) {
    const t = taskByPidDirect(k, Number(w.trim()));
    if (!t) return undefined;
    out.set(t.pid, t);
  }
  return [...out.values()].sort((a, b) => a.pid - b.pid);
}

function filterKind(k: Kernel, tasks: Task[], args: Args): Task[] {
  let out = tasks;
  if (args.flags.k) out = out.filter((t) => t.kernelThread);
  if (args.flags.u) out = out.filter((t) => !t.kernelThread);
  if (args.flags.G) out = out.filter((t) => t.idle || t.pid === t.tgid);
  if (args.flags.I) out = out.filter((t) => !t.idle);
  if (args.flags.y !== undefined) {
    let wanted: Set<number>;
    try {
      wanted = parsePolicies(String(args.flags.y));
    } catch (e) {
      throw new CommandError((e as Error).message);
    }
    out = out.filter((t) => {
      try {
        return wanted.has(taskPolicy(k, t.address).policy);
      } catch {
        return false;
      }
    });
  }
  return out;
}

/** "ps: 4 tasks could not be read (pages excluded from the dump): pid 66 (task ffff...), ..." */
export function unreadableNote(table: TaskTable): string[] {
  return [...lostNote(table), ...damageNote(table), ...missingRoutesNote(table)];
}

/** What a damaged dump's task lists held that is not a task, and whether the walk hit its bound. */
function damageNote(table: TaskTable): string[] {
  const out: string[] = [];
  if (table.rejected)
    out.push(
      `ps: ${table.rejected} address${table.rejected === 1 ? '' : 'es'} on the task lists did not look like a task_struct (damaged dump): skipped`,
    );
  if (table.truncated)
    out.push(
      `ps: stopped after ${table.tasks.length + table.unreadable.length + table.rejected} candidates, the most this dump's memory can hold`,
    );
  return out;
}

function partialRowsNote(rows: PsRow[]): string[] {
  if (!rows.length) return [];
  const which = rows.map((r) => `pid ${r.pid} (CPU ${r.cpu})`).join(', ');
  return [
    `ps: the row${rows.length === 1 ? '' : 's'} of ${which}: running on that CPU at the crash, struct unreadable: PPID from its parent's children list or its real_parent (-1: unknown), COMM from the struct's readable part or the console log (?: unknown), memory columns unknown (0)`,
  ];
}

function lostNote(table: TaskTable): string[] {
  const n = table.unreadable.length;
  if (!n) return [];
  const excluded = table.unreadable.every((u) => /excluded/.test(u.reason));
  const list = table.unreadable.map((u) => {
    // a lost task of unknown pid: the rows whose PPID is -1 because it is their parent
    const kids = u.pid === undefined ? table.tasks.filter((t) => t.parent === u.address && t.ppid < 0) : [];
    const parentOf = kids.length ? ` (the parent of pid ${kids.map((t) => t.pid).join(', ')})` : '';
    return unreadableName(u) + parentOf;
  });
  return [
    `ps: ${n} task${n === 1 ? '' : 's'} could not be read (${excluded ? 'pages excluded from the dump' : 'unreadable pages'}): ${list.join(', ')}`,
  ];
}

/** `pid 132 "ct-worker-2" (task ffff...)`: what the readable part of a lost task still names. */
export function unreadableName(u: UnreadableTask): string {
  const addr = `task ${u.address.toString(16)}`;
  if (u.pid === undefined) return addr;
  return `pid ${u.pid}${u.comm !== undefined ? ` "${u.comm}"` : ''} (${addr})`;
}

/** Routes to tasks the dump lacks (the pid table, a runqueue): the tasks found without them. */
function missingRoutesNote(table: TaskTable): string[] {
  const out = table.missingRoutes.map((r) => `ps: route missing: ${r}; tasks were found by the other routes`);
  const n = table.unreachedPids.length;
  if (n) {
    const unknown = table.unreadable.filter((u) => u.pid === undefined).length;
    const which = unknown
      ? `the task of each is one of the ${unknown} unreadable task${unknown === 1 ? '' : 's'} of unknown pid above, or was found by no route`
      : 'their tasks were found by no route';
    out.push(
      `ps: pid${n === 1 ? '' : 's'} ${table.unreachedPids.join(', ')} ${n === 1 ? 'is' : 'are'} in the pid table, but ${n === 1 ? 'its struct pid is' : 'their struct pids are'} on pages missing from the dump: ${which}`,
    );
  }
  return out;
}

function timesView(k: Kernel, tasks: Task[]): View {
  let up: number | undefined;
  try {
    up = uptimeReading(k).seconds;
  } catch {
    /* RUN TIME unknown */
  }
  const lines: string[] = [];
  const data = [];
  const field = (o: KObject, name: string): bigint | undefined => {
    try {
      return o.field(name).value();
    } catch {
      return undefined;
    }
  };
  const timed = tasks.map((t) => {
    const o = k.object('struct task_struct', t.address);
    return { t, start: field(o, 'start_time'), utime: field(o, 'utime'), stime: field(o, 'stime') };
  });
  // oldest first (a stable sort keeps pid order among equal start times; unreadable ones last)
  const key = (v: bigint | undefined) => v ?? 1n << 64n;
  timed.sort((a, b) => (key(a.start) < key(b.start) ? -1 : key(a.start) > key(b.start) ? 1 : 0));
  const shown = (v: bigint | undefined) => (v === undefined ? UNREADABLE : String(v));
  for (const { t, start, utime, stime } of timed) {
    // whole seconds of uptime minus whole seconds of start time, as crash counts them
    const run = up !== undefined && start !== undefined ? Math.max(0, up - Math.floor(Number(start) / 1e9)) : undefined;
    lines.push(
      taskHeader(t),
      `    RUN TIME: ${run === undefined ? UNREADABLE : formatUptime(run)}`,
      `  START TIME: ${shown(start)}`,
      `       UTIME: ${shown(utime)}`,
      `       STIME: ${shown(stime)}`,
      '',
    );
    data.push({
      pid: t.pid,
      task: t.address,
      runTimeSeconds: run ?? null,
      startTime: start ?? null,
      utime: utime ?? null,
      stime: stime ?? null,
    });
  }
  return text(lines, data);
}

/** What a field that could not be read shows instead of a plausible 0. */
const UNREADABLE = '(unreadable)';

/** Each CPU's runqueue clock (rq->clock, ns): what ps -m measures "since last run" against. */
function rqClock(k: Kernel, cpu: number): bigint | undefined {
  try {
    return k.object('struct rq', k.perCpu('runqueues', cpu)).field('clock').value();
  } catch {
    return undefined;
  }
}

/** Nanoseconds as [days hh:mm:ss.ms], milliseconds truncated (ps -m). */
export function formatSinceRun(ns: bigint): string {
  const ms = ns > 0n ? ns / 1_000_000n : 0n;
  const p2 = (v: bigint): string => String(v).padStart(2, '0');
  const days = ms / 86_400_000n;
  const h = (ms / 3_600_000n) % 24n;
  const m = (ms / 60_000n) % 60n;
  const sec = (ms / 1000n) % 60n;
  return `${days} ${p2(h)}:${p2(m)}:${p2(sec)}.${String(ms % 1000n).padStart(3, '0')}`;
}

/** -C: "1,3,5-7", "all" or "a" -> CPU numbers (online ones for all). */
export function psCpuList(k: Kernel, spec: string): number[] {
  return parseCpuList(spec, k.nrCpuIds, k.onlineCpus);
}

/** -l (raw last-arrival timestamps) and -m (time since then, per the task's CPU clock); -C: one block per CPU. */
function lastRunView(k: Kernel, tasks: Task[], since: boolean, cpus?: number[]): View {
  const rows = tasks.map((t) => {
    const o = k.object('struct task_struct', t.address);
    let ts: bigint | undefined;
    try {
      ts = o.has('sched_info.last_arrival')
        ? o.field('sched_info.last_arrival').value()
        : o.field('se.exec_start').value();
    } catch {
      /* unreadable: shown as such, listed last */
    }
    return { t, ts };
  });
  const key = (ts: bigint | undefined) => ts ?? -1n;
  rows.sort((a, b) => (key(a.ts) > key(b.ts) ? -1 : key(a.ts) < key(b.ts) ? 1 : 0));
  const width = Math.max(0, ...rows.map(({ ts }) => (ts === undefined ? 0 : String(ts).length)));
  const clocks = new Map<number, bigint | undefined>();
  const clock = (cpu: number): bigint | undefined => {
    if (!clocks.has(cpu)) clocks.set(cpu, rqClock(k, cpu));
    return clocks.get(cpu);
  };
  const stamp = (t: Task, ts: bigint | undefined): string => {
    if (ts === undefined) return UNREADABLE;
    if (!since) return String(ts).padStart(width);
    const c = clock(t.cpu);
    return c === undefined ? '? ??:??:??.???' : formatSinceRun(c - ts);
  };
  const line = ({ t, ts }: { t: Task; ts: bigint | undefined }): string =>
    `[${stamp(t, ts)}] [${stateLetters(t)}]  ${taskHeader(t)}`;
  const data = rows.map(({ t, ts }) => {
    const c = clock(t.cpu);
    return {
      pid: t.pid,
      task: t.address,
      cpu: t.cpu,
      lastArrival: ts ?? null,
      ...(since ? { sinceNs: ts !== undefined && c !== undefined ? c - ts : null } : {}),
    };
  });
  if (!cpus) return text(rows.map(line), data);
  const lines: string[] = [];
  cpus.forEach((cpu, i) => {
    if (i > 0) lines.push('');
    lines.push(`CPU: ${cpu}`);
    for (const r of rows) if (r.t.cpu === cpu) lines.push(line(r));
  });
  return text(lines, data);
}

/** The terminal UI's live ps: Enter opens the task's backtrace, T shows the process tree, states in colour. */
const PS_LIVE = {
  rowAction: 'bt {task}',
  treeBy: { id: 'pid', parent: 'ppid', group: 'tgid' },
  rowStyles: [
    { key: 'active', equals: true, style: 'emphasis' },
    { key: 'st', equals: 'UN', style: 'warning' },
    { key: 'st', equals: 'ZO', style: 'dim' },
  ],
} satisfies Partial<TableView>;

const taskNode = (t: Task, children: TreeNode[] = []): TreeNode => ({
  label: taskHeader(t),
  children,
  data: { pid: t.pid, task: t.address },
});

/**
 * -p and -c as trees (the terminal UI draws them with connectors); each task's tree is followed by a blank
 * line, and the text layout is crash's: -p indents one space per generation, -c two.
 */
function treesView(trees: TreeNode[], indent: number): View {
  const views: View[] = [];
  for (const root of trees)
    views.push({ kind: 'tree', roots: [root], indent, rowAction: PS_LIVE.rowAction } satisfies TreeView, text(['']));
  return { kind: 'group', views };
}

/** A -p chain's line for an ancestor whose task_struct is lost: what the table still names (pid, maybe comm). */
function lostNode(u: UnreadableTask, children: TreeNode[]): TreeNode {
  const pid = u.pid === undefined ? '?' : String(u.pid);
  return {
    label: `PID: ${pid.padEnd(8)} TASK: ${u.address.toString(16).padStart(16, '0')}  CPU: ?    COMMAND: "${u.comm ?? '?'}"`,
    children,
    data: { pid: u.pid ?? null, task: u.address, unreadable: true },
  };
}

/**
 * -p: each task under its ancestors. An ancestor whose task_struct the dump lost is named as the task table names
 * it (pid from the pid table or its struct pid, CPU and command unknown) and the chain goes on from its parent
 * when a readable task's children list holds it; a line after the trees says which lines these are.
 */
function parentView(k: Kernel, tasks: Task[], taskAt: (addr: bigint) => Task | undefined): View {
  const trees: TreeNode[] = [];
  const lostShown = new Map<bigint, UnreadableTask>();
  for (const t of tasks) {
    const chain: (Task | UnreadableTask)[] = [t];
    for (let cur = t, i = 0; i < 1000; i++) {
      if (cur.idle || cur.parent === cur.address) break;
      const p = taskAt(cur.parent);
      if (p) {
        chain.unshift(p);
        cur = p;
        continue;
      }
      // the parent's struct is lost: the table (built only now, on a dump that lost pages) names it
      const table = allTasks(k);
      const lost = table.unreadable.find((u) => u.address === cur.parent);
      if (!lost) break;
      chain.unshift(lost);
      lostShown.set(lost.address, lost);
      const grand =
        lost.ppid === undefined ? undefined : table.tasks.find((x) => x.pid === lost.ppid && x.pid === x.tgid);
      if (!grand) break;
      chain.unshift(grand);
      cur = grand;
    }
    let node: TreeNode | undefined;
    for (let i = chain.length - 1; i >= 0; i--) {
      const c = chain[i]!;
      const kids = node ? [node] : [];
      node = 'tgid' in c ? taskNode(c, kids) : lostNode(c, kids);
    }
    trees.push(node!);
  }
  const view = treesView(trees, 1);
  if (!lostShown.size) return view;
  const which = [...lostShown.values()].map((u) => unreadableName(u)).join(', ');
  return {
    kind: 'group',
    views: [
      view,
      text([
        `ps: CPU ? and COMMAND "?": the task_struct${lostShown.size === 1 ? '' : 's'} of ${which} ${lostShown.size === 1 ? 'is' : 'are'} not in the dump`,
      ]),
    ],
  };
}

function childrenView(k: Kernel, tasks: Task[]): View {
  const trees = tasks.map((t) => {
    const kids = childrenOf(k, t);
    return taskNode(t, kids.length ? kids.map((c) => taskNode(c)) : [{ label: '(no children)', children: [] }]);
  });
  return treesView(trees, 2);
}

function argsView(k: Kernel, tasks: Task[]): View {
  const lines: string[] = [];
  const missing = new Map<string, number>();
  for (const t of tasks) {
    lines.push(taskHeader(t));
    if (t.mm === 0n) {
      lines.push('ps: no user stack');
    } else {
      try {
        const args = userStrings(k, t.mm, 'arg');
        const env = userStrings(k, t.mm, 'env');
        lines.push('ARG: ' + args.map((a) => a + ' ').join(''));
        lines.push('ENV: ' + (env[0] ?? ''));
        for (const e of env.slice(1)) lines.push('     ' + e);
      } catch (e) {
        let where: string;
        try {
          where = k.object('struct mm_struct', t.mm).field('arg_start').value().toString(16);
        } catch (mmError) {
          // the mm_struct itself is lost, not the user pages: say so, once, for this task
          lines.push(`ps: ${mmUnreadable(t, mmError)}`, '');
          continue;
        }
        lines.push(`ps: cannot access user stack address: ${where}`);
        const why = (e as Error).message.split(':')[0]!;
        missing.set(why, (missing.get(why) ?? 0) + 1);
      }
    }
    lines.push('');
  }
  for (const [why, n] of missing) {
    lines.push(
      `ps: the user memory of ${n} task${n === 1 ? '' : 's'} is not readable (${why}): a filtered dump (makedumpfile -d 8 or more) leaves user pages out`,
    );
  }
  return text(lines);
}

function summaryView(tasks: Task[]): View {
  const counts = new Map<string, number>();
  for (const t of tasks) counts.set(stateLetters(t), (counts.get(stateLetters(t)) ?? 0) + 1);
  // states in the order they first occur in the (pid-sorted) task list
  const lines = [...counts.keys()].map((s) => `  ${s}: ${counts.get(s)}`);
  return text(lines, Object.fromEntries(counts));
}

export default {
  name: 'ps',
  summary: 'display process status information',
  help: `ps [-k|-u|-G|-I|-y policy] [-s] [-p|-c|-t|-l|-m|-a|-g|-r|-S|-A|-H|-Y] [-C cpus] [pid | task | command | 'regex'] ...

  Lists every task of the dump - each process and thread, and the idle task of each CPU
  (swapper/N, pid 0) - one line each: PID, parent PID, CPU, task_struct address, state,
  share of physical memory, virtual size and resident size in KB, and the command name.
  Kernel threads are shown in [brackets]; ">" marks the task each CPU was running.
  States: RU running, IN interruptible, UN uninterruptible, ID idle, ZO zombie, ST stopped,
  TR traced, DE dead, PA parked, WA waking, NE new.
  A task whose own structure lies on pages the dump lacks cannot be shown; ps names each such
  task after the table, by the pid the pid table gives it (or, where the dump lost that part of
  the table too, its struct pid in the pid slab cache), else by address and as the parent of the
  rows whose PPID it leaves at -1. ps -p shows such an ancestor with CPU ? and COMMAND "?".

  Select tasks with PIDs (decimal), task_struct addresses (hex), command names, or a regular
  expression in single quotes matched against the command name.

  -k  kernel threads only          -u  user tasks only       -G  thread group leaders only
  -s  show the saved kernel stack pointer (KSTACKP) instead of the task address
  -p  parental hierarchy of each selected task, from swapper/0 down
  -c  children of each selected task
  -t  run time, start time, user and system time (nanoseconds) of each task
  -l  the last time each task arrived on a CPU (sched_info.last_arrival), newest first
  -m  like -l, as the time since then [days hh:mm:ss.ms], measured on the clock of the
      task's CPU runqueue (rq->clock)
  -C cpus  with -l or -m: one block per CPU; cpus is a list such as 0,2-3, or "all"
  -a  command-line arguments and environment, read from user memory (often not in a filtered dump)
  -S  number of tasks in each state
  -I  leave out the idle tasks (swapper/N)
  -A  only the task each CPU was running
  -H  no header line
  -y POLICIES  only tasks with these scheduling policies: numbers or names, comma-separated
      (NORMAL FIFO RR BATCH IDLE DEADLINE)
  -Y  scheduling policy and priority instead of the memory columns
  -r  resource limits (signal->rlim) of each task
  -g  each thread group: its leader, then its other threads

Examples:
  ps                 every task
  ps -u 'corpus.*'   user tasks whose command starts with "corpus"
  ps -p 542          the ancestry of pid 542
`,
  options: {
    k: 'kernel threads only',
    u: 'user tasks only',
    G: 'thread group leaders only',
    s: 'show KSTACKP instead of TASK',
    p: 'parental hierarchy',
    c: 'children',
    t: 'run times',
    l: 'last run timestamp',
    m: 'time since last run',
    C: '=cpus',
    a: 'arguments and environment',
    S: 'state summary',
    I: 'exclude idle tasks',
    A: 'active tasks only',
    H: 'no header',
    y: '=policies',
    Y: 'scheduling policy and priority',
    r: 'resource limits',
    g: 'thread groups',
  },
  needsDump: true,
  keepQuotes: true,
  run(session: Session, args: Args): View {
    const k = session.kernel;
    if (!k) throw new CommandError('no dump is open');
    const direct = directPidTasks(k, args);
    if (direct) {
      // ps PID / ps -p PID: the named tasks alone, the table not built (10,000 tasks are not read for one)
      if (args.flags.p) return parentView(k, direct, (a) => taskAtDirect(k, a));
      const active = activeTasksDirect(k);
      const phys = percentBasePages(k);
      const rows = direct.map((t) => psRow(k, active, t, phys));
      return {
        kind: 'table',
        columns: columns(false),
        rows,
        header: false,
        before: args.flags.H ? [] : [HEADER],
        after: unreadableMemoryNote(rows),
      } satisfies TableView;
    }
    const table = allTasks(k);
    let tasks = filterKind(k, selectTasks(table, args.positional), args);
    if (args.flags.A) tasks = tasks.filter((t) => table.active.get(t.cpu) === t.address);
    if (args.flags.r) return rlimitView(k, tasks);
    if (args.flags.g) return threadGroupView(table, tasks, args.positional.length > 0);
    if (args.flags.Y) return policyView(k, table, tasks, !args.flags.H);
    if (args.flags.S) return summaryView(tasks);
    if (args.flags.p) return parentView(k, tasks, (a) => table.byAddress.get(a));
    if (args.flags.c) return childrenView(k, tasks);
    if (args.flags.t) return timesView(k, tasks);
    if (args.flags.C !== undefined && !args.flags.l && !args.flags.m) throw new CommandError('-C goes with -l or -m');
    if (args.flags.l || args.flags.m) {
      const cpus = args.flags.C !== undefined ? psCpuList(k, String(args.flags.C)) : undefined;
      return lastRunView(k, tasks, !args.flags.l, cpus);
    }
    if (args.flags.a) return argsView(k, tasks);
    const phys = percentBasePages(k);
    const kstack = !!args.flags.s;
    const rows = tasks.map((t) => {
      const r = psRow(k, table.active, t, phys);
      if (kstack) r.kstackp = kstackPointer(k, t);
      return r;
    });
    const whole =
      !args.positional.length &&
      !args.flags.k &&
      !args.flags.u &&
      !args.flags.G &&
      !args.flags.I &&
      !args.flags.A &&
      args.flags.y === undefined;
    const partial = whole ? unreadableActiveRows(k, table) : [];
    if (partial.length) {
      rows.push(...partial);
      // the table's order (crash's): by pid, the idle tasks (pid 0) by CPU, then by address
      rows.sort(
        (a, b) =>
          a.pid - b.pid || (a.pid === 0 ? a.cpu - b.cpu : 0) || (a.task < b.task ? -1 : a.task > b.task ? 1 : 0),
      );
    }
    const view: TableView = {
      kind: 'table',
      columns: columns(kstack),
      rows,
      header: false,
      before: args.flags.H ? [] : [kstack ? HEADER_S : HEADER],
      after: [
        ...(args.positional.length ? [] : [...unreadableNote(table), ...partialRowsNote(partial)]),
        ...unreadableMemoryNote(rows),
      ],
      ...PS_LIVE,
    };
    return view;
  },
} satisfies Command;
