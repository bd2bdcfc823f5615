/**
 * foreach: run a task-taking command (bt, ps, set, or a plug-in that declares `foreach`) over a set of
 * tasks chosen by pid, task address, command name, regular expression, state and kind.
 */
import { CommandError, type Args, type Command } from '../src/command.js';
import { allTasks, stateLetters, taskHeader, type Task, type TaskTable } from '../src/kernel/objects/tasks.js';
import { viewData } from '../src/render/json.js';
import { foreachNetWords } from './net.js';
import { unreadableName } from './ps.js';
import { viewLines } from '../src/render/text.js';
import { text, type View } from '../src/render/view.js';
import { parseArgs } from '../src/repl/options.js';
import { tasksOfWord } from '../src/repl/task-selector.js';
import type { Session } from '../src/session.js';

const STATES = ['RU', 'IN', 'UN', 'ZO', 'ST', 'TR', 'DE', 'SW', 'WA', 'PA', 'ID', 'NE'];

/** How the built-in commands take tasks; a plug-in says so itself with Command.foreach. */
/** mode: how tasks are passed; header: foreach prints "PID: ..."; ownGap: each run already ends with a blank line */
const BUILTIN_MODES: Record<string, { mode: 'each' | 'all'; header: boolean; ownGap?: boolean }> = {
  bt: { mode: 'each', header: false }, // bt prints its own "PID: ..." line
  set: { mode: 'each', header: true },
  ps: { mode: 'all', header: false },
  // these print crash's "PID: ..." line themselves
  task: { mode: 'each', header: false, ownGap: true },
  files: { mode: 'each', header: false }, // prints its own header; -R: its own blank line (below)
  vm: { mode: 'each', header: false },
  sig: { mode: 'each', header: false, ownGap: true },
  net: { mode: 'each', header: false }, // net -s prints the header; with -R, its own blank line too
};

type Kind = 'kernel' | 'user' | 'gleader';

/** What the words before the command selected. */
export interface Selection {
  /** explicitly named tasks (pid, address, name, regex); undefined: every task */
  named?: Set<bigint>;
  states: Set<string>;
  kinds: Set<Kind>;
  active: boolean;
}

const FLAG_WORDS: Record<string, Kind | 'active'> = { k: 'kernel', u: 'user', g: 'gleader', a: 'active' };
const KIND_WORDS: Record<string, Kind | 'active'> = {
  kernel: 'kernel',
  user: 'user',
  gleader: 'gleader',
  active: 'active',
};

/** Split foreach's words into the selection and the command line to run. */
export function parseForeach(
  table: TaskTable,
  words: string[],
  isCommand: (w: string) => boolean,
): { sel: Selection; command: string; rest: string[] } {
  const sel: Selection = { states: new Set(), kinds: new Set(), active: false };
  const add = (k: Kind | 'active'): void => {
    if (k === 'active') sel.active = true;
    else sel.kinds.add(k);
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (isCommand(w)) return { sel, command: w, rest: words.slice(i + 1) };
    if (/^-[a-zA-Z]+$/.test(w)) {
      for (const letter of w.slice(1)) {
        const k = FLAG_WORDS[letter];
        if (!k) throw new CommandError(`invalid option: -${letter} (foreach takes -k -u -g -a before the command)`);
        add(k);
      }
    } else if (STATES.includes(w)) sel.states.add(w);
    else if (KIND_WORDS[w] && !table.tasks.some((t) => t.comm === w)) add(KIND_WORDS[w]!);
    else {
      sel.named ??= new Set();
      for (const t of tasksOfWord(table, w).tasks) sel.named.add(t.address);
    }
  }
  throw new CommandError('no command given: foreach [tasks] COMMAND [flags] (bt, ps, set ...)');
}

/** The selected tasks, in the task table's order (by pid, idle tasks by CPU). */
export function selectedTasks(table: TaskTable, sel: Selection): Task[] {
  return table.tasks.filter((t) => {
    if (sel.named && !sel.named.has(t.address)) return false;
    if (sel.states.size && !sel.states.has(stateLetters(t))) return false;
    if (sel.active && table.active.get(t.cpu) !== t.address) return false;
    if (sel.kinds.size) {
      const ok =
        (sel.kinds.has('kernel') && t.kernelThread) ||
        (sel.kinds.has('user') && !t.kernelThread) ||
        (sel.kinds.has('gleader') && !t.kernelThread && t.pid === t.tgid);
      if (!ok) return false;
    }
    return true;
  });
}

/** One line naming the tasks the dump could not give, when the selection was not by name. */
function unreadableLine(table: TaskTable): string[] {
  const n = table.unreadable.length;
  if (!n) return [];
  const list = table.unreadable.map((u) => unreadableName(u));
  const excluded = table.unreadable.every((u) => /excluded/.test(u.reason));
  return [
    `foreach: ${n} task${n === 1 ? '' : 's'} could not be read (${excluded ? 'pages excluded from the dump' : 'unreadable pages'}) and ${n === 1 ? 'was' : 'were'} skipped: ${list.join(', ')}`,
  ];
}

const hexAddr = (t: Task): string => t.address.toString(16);

async function runEach(
  s: Session,
  cmd: Command,
  rest: string[],
  tasks: Task[],
  header: boolean,
  ownGap = false,
): Promise<{ lines: string[]; data: unknown[] }> {
  const lines: string[] = [];
  const data: unknown[] = [];
  const json = s.settings.output === 'json';
  const saved = s.contextTask;
  try {
    for (const [i, t] of tasks.entries()) {
      // yield between tasks: on a dump with thousands of tasks, Ctrl-C in the TUI stops the loop
      await s.yieldAndCheck();
      if (i > 0 && !ownGap) lines.push('');
      if (header) lines.push(taskHeader(t));
      s.contextTask = t.address;
      const args = parseArgs(rest, cmd.options);
      args.positional.push(hexAddr(t));
      let view: View;
      try {
        view = await cmd.run(s, args);
      } catch (e) {
        if ((e as Error).message === 'interrupted') throw e;
        lines.push(`${cmd.name}: ${(e as Error).message.split('\n')[0]}`);
        data.push({ pid: t.pid, task: t.address, error: (e as Error).message });
        continue;
      }
      lines.push(...viewLines(view));
      // each task's JSON form only when the session prints JSON: for text, foreach bt over 10,000 tasks kept
      // 10,000 backtraces alive to the end (their memory and the garbage collector's copying of it)
      if (json) data.push({ pid: t.pid, task: t.address, [cmd.name]: viewData(view) });
    }
  } finally {
    s.contextTask = saved;
  }
  return { lines, data };
}

const HELP = `foreach - run a command on many tasks

SYNOPSIS
  foreach [PID | TASK | COMM | 'regex' | STATE | -k | -u | -g | -a] ... COMMAND [command flags]

DESCRIPTION
  Chooses tasks, then runs COMMAND on them: bt and set once per task (blank lines between
  tasks), ps once with every chosen task, net -s/-S once per task (with -R REF: only the tasks
  holding that socket). Plug-in commands that declare how they take tasks
  work too. With no task words, every task of the dump is used, in ps order (by PID, each
  CPU's idle task first).

  Task words (a task is chosen when it matches any of the names, AND each of the filters):
    PID       a decimal process id
    TASK      a hexadecimal task_struct address
    COMM      a command name (exact); a name that is also a state or keyword wins over it
    'regex'   a regular expression matched against command names
  Filters:
    STATE     RU IN UN ZO ST TR DE SW WA PA ID NE (several: any of them)
    -k        kernel threads (also the word "kernel")
    -u        user tasks ("user")
    -g        user thread group leaders ("gleader")
    -a        the task running on each CPU ("active")

  Everything after COMMAND is passed to it (bt -f, ps -s ...). The task context is left as it was.
  Tasks whose task_struct the dump lacks are named once at the end.

EXAMPLES
  foreach bt             every task's backtrace
  foreach UN bt          tasks in uninterruptible sleep
  foreach sleep bt -f    every "sleep", with the stack words of each frame
  foreach -k ps          the kernel threads, as a ps table
  for 'corpus.*' set     "for" is an alias of foreach`;

const foreach: Command = {
  name: 'foreach',
  summary: 'run a command (bt, ps, set) on many tasks',
  help: HELP,
  needsDump: true,
  keepQuotes: true,
  // no `options`: every word reaches run() and the flags after COMMAND belong to that command
  async run(s: Session, args: Args): Promise<View> {
    const k = s.kernel;
    if (!k) throw new CommandError('no dump is open');
    const lookup = s.commands;
    if (!lookup) throw new CommandError('no command registry');
    const table = allTasks(k);
    const { sel, command, rest } = parseForeach(
      table,
      args.positional,
      (w) => lookup.get(w) !== undefined && w !== 'foreach',
    );
    const cmd = lookup.get(command)!;
    const how =
      BUILTIN_MODES[cmd.name] ?? (cmd.foreach ? { mode: cmd.foreach, header: cmd.foreach === 'each' } : undefined);
    if (!how) {
      const takes = [
        ...new Set([
          ...Object.keys(BUILTIN_MODES),
          ...lookup
            .list()
            .filter((c) => c.foreach)
            .map((c) => c.name),
        ]),
      ].sort();
      throw new CommandError(`${command} does not take a task (foreach runs: ${takes.join(', ')})`);
    }
    const tasks = selectedTasks(table, sel);
    const note = sel.named ? [] : unreadableLine(table);
    if (how.mode === 'all') {
      if (!tasks.length) return text(note);
      const a = parseArgs(rest, cmd.options);
      a.positional.push(...tasks.map(hexAddr));
      const v = await cmd.run(s, a);
      return note.length ? { kind: 'group', views: [v, text(note)] } : v;
    }
    let words = rest;
    let warnings: string[] = [];
    let ownGap = 'ownGap' in how ? how.ownGap : false;
    if (cmd.name === 'net') ({ words, warnings, ownGap } = foreachNetWords(rest));
    // files: foreach names each task by address, so files ends no table with a blank line (foreach puts one
    // between tasks); with -R a matching task's block ends with its own, and the others print nothing
    if (cmd.name === 'files') ownGap = rest.some((w) => /^-[a-zA-Z]*R/.test(w));
    const { lines, data } = await runEach(s, cmd, words, tasks, how.header, ownGap);
    lines.unshift(...warnings);
    if (note.length && lines.length) lines.push('');
    lines.push(...note);
    return text(lines, data);
  },
};

export default foreach;
