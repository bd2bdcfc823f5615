/** task: a task's task_struct and thread_info, whole or chosen members. */
import { CommandError, type Args, type Command } from '../src/command.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { allTasks, taskHeader, type Task } from '../src/kernel/objects/tasks.js';
import { formatMembers, formatValue, type PrintOptions } from '../src/render/gdb-value.js';
import { text, type View } from '../src/render/view.js';
import { isPidWord, targetTasks } from '../src/repl/task-selector.js';
import type { Session } from '../src/session.js';

const HELP = `task - the task_struct of a task

SYNOPSIS
  task [PID | TASK | 'regex'] ... [-R MEMBER[,MEMBER...]] [-x | -d]

With no task, the current context task. Without -R the whole task_struct is printed the way gdb
prints a struct (members a line, nested structs in braces), followed by the task's thread_info
(embedded in task_struct on x86_64 since 4.9).

A word that is not a PID or task address is taken as a member name, as crash does: "task pid,comm 1"
is "task -R pid,comm 1".

OPTIONS
  -R MEMBERS  only these members, comma-separated, in the order given; a dotted path (se.on_rq) or an
              index (comm[0]) reaches inside; a name that is a member of both task_struct and
              thread_info (flags) prints both
  -x          integers in hexadecimal
  -d          integers in decimal

EXAMPLES
  task                   the panic task, whole
  task -R comm,pid,prio  three members of the panic task
  task 1 -R se.on_rq -x
  foreach task -R pid,__state`;

interface Target {
  tasks: Task[];
  members: string[];
}

/** Split the positional words into tasks and member names (crash: numbers are tasks, other words members). */
function parseWords(s: Session, k: Kernel, args: Args): Target {
  const members: string[] = [];
  if (args.flags.R !== undefined) members.push(...String(args.flags.R).split(','));
  const taskWords: string[] = [];
  for (const w of args.positional) {
    if (isPidWord(w) || /^(0x)?[0-9a-f]+$/i.test(w) || /^'.*'$/.test(w)) taskWords.push(w);
    else if (/[,.[]/.test(w) || k.hasMember('struct task_struct', w) || k.hasMember('struct thread_info', w))
      members.push(...w.split(','));
    else throw new CommandError(`invalid task, pid, or task_struct member: ${w}`);
  }
  return { tasks: targetTasks(allTasks(k), taskWords, s.currentTask()), members: members.filter(Boolean) };
}

/** The task's thread_info: embedded as task_struct.thread_info, else at the bottom of its stack. */
function threadInfoOf(k: Kernel, t: Task): { type: ReturnType<Kernel['type']>; address: bigint } | undefined {
  const ti = k.findType('struct thread_info');
  if (!ti) return undefined;
  const o = k.object('struct task_struct', t.address);
  if (o.has('thread_info')) return { type: ti, address: o.field('thread_info').address };
  return t.stack ? { type: ti, address: t.stack } : undefined;
}

function memberLines(k: Kernel, t: Task, members: string[], o: PrintOptions): string[] {
  const task = { type: k.type('struct task_struct'), address: t.address };
  const ti = threadInfoOf(k, t);
  const out: string[] = [];
  for (const m of members) {
    const top = !/[.[]/.test(m);
    const inTask = k.hasMember('struct task_struct', m.split(/[.[]/)[0]!);
    const inTi = top && ti !== undefined && k.hasMember('struct thread_info', m);
    if (!inTask && !inTi) {
      out.push(`task: ${m}: not a task_struct or thread_info member`);
      continue;
    }
    try {
      if (inTask) out.push(...formatMembers(k, task, [m], o));
      if (inTi) out.push(...formatMembers(k, ti, [m], o));
    } catch (e) {
      out.push(`task: ${m}: ${(e as Error).message}`);
    }
  }
  return out;
}

function wholeLines(k: Kernel, t: Task, o: PrintOptions): string[] {
  const out =
    `struct task_struct ${formatValue(k, { type: k.type('struct task_struct'), address: t.address }, o)}`.split('\n');
  const ti = threadInfoOf(k, t);
  if (ti) out.push('', ...`struct thread_info ${formatValue(k, ti, o)}`.split('\n'));
  return out;
}

const task: Command = {
  name: 'task',
  summary: 'the task_struct (and thread_info) of a task, whole or chosen members',
  help: HELP,
  needsDump: true,
  keepQuotes: true,
  options: { R: '=members', x: 'hexadecimal', d: 'decimal' },
  run(s: Session, args: Args): View {
    const k = s.kernel;
    if (!k) throw new CommandError('no dump is open');
    if (args.flags.x && args.flags.d) throw new CommandError('-d and -x are mutually exclusive');
    const o: PrintOptions = { radix: args.flags.x ? 16 : args.flags.d ? 10 : s.settings.radix === 16 ? 16 : 10 };
    const { tasks, members } = parseWords(s, k, args);
    const lines: string[] = [];
    const data: unknown[] = [];
    tasks.forEach((t) => {
      s.checkCancelled();
      lines.push(taskHeader(t));
      try {
        const body = members.length ? memberLines(k, t, members, o) : wholeLines(k, t, o);
        lines.push(...body);
        data.push({
          pid: t.pid,
          task: t.address,
          command: t.comm,
          members: members.length ? members : undefined,
          text: body,
        });
      } catch (e) {
        lines.push(`task: the task_struct of PID ${t.pid} cannot be read: ${(e as Error).message}`);
      }
      // crash ends each task's block with a blank line
      lines.push('');
    });
    return text(lines, data.length === 1 ? data[0] : data);
  },
};

export default task;
