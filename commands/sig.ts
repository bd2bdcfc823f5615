/** sig: a task's signal handlers, blocked and pending signals. */
import { CommandError, type Args, type Command } from '../src/command.js';
import type { Kernel } from '../src/kernel/kernel.js';
import {
  NSIG,
  SA_FLAGS,
  SIGNAL_ALIASES,
  SIGRTMIN,
  signalName,
  sigsetNames,
  taskSignals,
  type PendingSet,
  type TaskSignals,
} from '../src/kernel/objects/signal.js';
import { allTasks, taskHeader, type Task } from '../src/kernel/objects/tasks.js';
import { targetTasks } from '../src/repl/task-selector.js';
import { text, type View } from '../src/render/view.js';
import type { Session } from '../src/session.js';

const HELP = `sig - signal handling of a task

SYNOPSIS
  sig [-g] [PID | TASK | COMMAND | 'regex'] ...
  sig -l
  sig -s SIGSET

With no argument, the current context task. Shows:
  SIGNAL_STRUCT  task->signal and the number of threads sharing it
  one line per signal 1-64: the k_sigaction's address in task->sighand, the handler (SIG_DFL,
      SIG_IGN or the user address), the sa_mask and sa_flags (with the SA_ names)
  SIGPENDING     whether TIF_SIGPENDING is set in the thread's flags
  BLOCKED        task->blocked
  PRIVATE_PENDING  the signals pending for this thread and the queued siginfo of each
  SHARED_PENDING   the signals pending for the whole thread group

OPTIONS
  -g         the thread group: the handlers and group-wide pending signals once, then each
             thread's own pending and blocked signals
  -l         the signal numbers and names
  -s SIGSET  the names of the signals in a hexadecimal signal set

EXAMPLES
  sig 1
  sig -g 112        a multi-threaded process
  sig -s fffffffe7ffbfeff
  foreach sig`;

const hex = (v: bigint): string => v.toString(16);
const hex16 = (v: bigint): string => hex(BigInt.asUintN(64, v)).padStart(16, '0');
const HEADER = ' SIG    SIGACTION        HANDLER       MASK       FLAGS           ';

function handlerText(h: bigint): string {
  if (h === 0n) return 'SIG_DFL';
  if (h === 1n) return 'SIG_IGN';
  if (BigInt.asUintN(64, h) === (1n << 64n) - 1n) return 'SIG_ERR';
  return hex(h);
}

function flagText(f: bigint): string {
  const names = SA_FLAGS.filter(([bit]) => f & bit).map(([, n]) => n);
  return names.length ? `(${names.join('|')})` : '';
}

function groupLines(s: TaskSignals, indent: string): string[] {
  const out = [
    `${indent}SIGNAL_STRUCT: ${hex(s.signalStruct)}  ${s.nrThreads !== undefined ? `NR_THREADS: ${s.nrThreads}` : ''}`,
  ];
  if (!s.signalStruct) return out;
  out.push(indent + HEADER);
  for (const a of s.actions) {
    const n = `${a.signal < 10 ? ' ' : ''}[${a.signal}] `;
    out.push(
      `${indent}${n}${hex16(a.address)} ${handlerText(a.handler).padStart(10)} ${hex16(a.mask)} ${hex(a.flags)} ${flagText(a.flags)}`,
    );
  }
  return out;
}

function queueLines(p: PendingSet, indent: string): string[] {
  const out = [`${indent}    SIGNAL: ${hex16(p.signal)}`];
  if (!p.queue.length) return [...out, `${indent}  SIGQUEUE: (empty)`];
  out.push(`${indent}  SIGQUEUE:  SIG       SIGINFO       `);
  for (const q of p.queue) out.push(`${indent}             ${String(q.signal).padStart(3)}  ${hex(q.info)}`);
  return out;
}

function taskLevelLines(s: TaskSignals, indent: string): string[] {
  return [
    `${indent}SIGPENDING: ${s.sigpending ? 'yes' : 'no'}`,
    `${indent}   BLOCKED: ${hex16(s.blocked)}`,
    `${indent}PRIVATE_PENDING`,
    ...queueLines(s.privatePending, indent),
  ];
}

function pendingData(p: PendingSet): unknown {
  return { signal: p.signal, names: sigsetNames(p.signal), queue: p.queue };
}

function signalData(t: Task, s: TaskSignals): Record<string, unknown> {
  return {
    pid: t.pid,
    task: t.address,
    command: t.comm,
    signalStruct: s.signalStruct,
    nrThreads: s.nrThreads,
    actions: s.actions.map((a) => ({
      ...a,
      name: signalName(a.signal),
      handlerName: handlerText(a.handler),
      flagNames: SA_FLAGS.filter(([bit]) => a.flags & bit).map(([, n]) => n),
    })),
    sigpending: s.sigpending,
    blocked: s.blocked,
    blockedNames: sigsetNames(s.blocked),
    privatePending: pendingData(s.privatePending),
    sharedPending: s.sharedPending ? pendingData(s.sharedPending) : null,
  };
}

/** One task's sig block (crash's TASK_LEVEL|THREAD_GROUP_LEVEL). */
export function taskSigBlock(k: Kernel, t: Task): { lines: string[]; data: Record<string, unknown> } {
  let s: TaskSignals;
  try {
    s = taskSignals(k, t.address);
  } catch (e) {
    return {
      lines: [taskHeader(t), `sig: the signal state of PID ${t.pid} cannot be read: ${(e as Error).message}`],
      data: { pid: t.pid, task: t.address, problem: (e as Error).message },
    };
  }
  const lines = [taskHeader(t), ...groupLines(s, '')];
  if (s.signalStruct) {
    lines.push(...taskLevelLines(s, ''));
    if (s.sharedPending) lines.push('SHARED_PENDING', ...queueLines(s.sharedPending, ''));
  }
  return { lines, data: signalData(t, s) };
}

/** sig -g: the group once, then every thread's own state, indented. */
function threadGroupBlock(k: Kernel, t: Task): { lines: string[]; data: unknown } {
  const table = allTasks(k);
  const leader = t.pid === t.tgid ? t : (table.tasks.find((x) => x.pid === t.tgid) ?? t);
  const threads = table.tasks.filter((x) => x.tgid === leader.tgid && x.address !== leader.address && !x.idle);
  const s = taskSignals(k, leader.address);
  const lines = [taskHeader(leader), ...groupLines(s, '')];
  if (s.sharedPending) lines.push('SHARED_PENDING', ...queueLines(s.sharedPending, ''));
  const data: unknown[] = [signalData(leader, s)];
  for (const th of [leader, ...threads]) {
    const ts = th === leader ? s : taskSignals(k, th.address);
    lines.push('', `  ${taskHeader(th)}`, ...taskLevelLines(ts, '  '));
    if (th !== leader) data.push(signalData(th, ts));
  }
  return { lines, data };
}

function signalList(): View {
  const lines: string[] = [];
  for (let i = 1; i <= NSIG; i++) {
    if (i >= SIGRTMIN) lines.push(`[${i}] ${signalName(i)}`);
    else if (signalName(i).startsWith('SIG'))
      lines.push(`${i < 10 ? ' ' : ''}[${i}] ${signalName(i)}${SIGNAL_ALIASES[i] ? `/${SIGNAL_ALIASES[i]}` : ''}`);
  }
  return text(lines);
}

/** The names of a signal set, wrapped before 80 columns as crash wraps them. */
function sigsetView(word: string): View {
  if (!/^(0x)?[0-9a-f]+$/i.test(word)) throw new CommandError(`invalid signal set: ${word}`);
  const set = BigInt(word.startsWith('0x') ? word : '0x' + word);
  const names = sigsetNames(set);
  if (!names.length) return text(['(none)'], { set, names });
  const lines: string[] = [];
  let cur = '';
  for (const n of names) {
    if (cur && cur.length + 1 + n.length > 80) {
      lines.push(cur);
      cur = n;
    } else cur = cur ? `${cur} ${n}` : n;
  }
  lines.push(cur);
  return text(lines, { set, names });
}

const sig: Command = {
  name: 'sig',
  summary: 'signal handlers, blocked and pending signals of a task',
  help: HELP,
  needsDump: true,
  keepQuotes: true,
  options: { g: 'thread group', l: 'signal names', s: '=sigset' },
  run(s: Session, args: Args): View {
    if (args.flags.l) return signalList();
    if (args.flags.s !== undefined) return sigsetView(String(args.flags.s));
    const k = s.kernel;
    if (!k) throw new CommandError('no dump is open');
    const tasks = targetTasks(allTasks(k), args.positional, s.currentTask());
    const lines: string[] = [];
    const data: unknown[] = [];
    const groupsShown = new Set<number>();
    for (const t of tasks) {
      s.checkCancelled();
      if (args.flags.g) {
        if (groupsShown.has(t.tgid)) continue;
        groupsShown.add(t.tgid);
      }
      const b = args.flags.g ? threadGroupBlock(k, t) : taskSigBlock(k, t);
      // crash ends each task's block with a blank line
      lines.push(...b.lines, '');
      data.push(b.data);
    }
    return text(lines, data.length === 1 ? data[0] : data);
  },
};

export default sig;
