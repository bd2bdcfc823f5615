/**
 * Finding tasks by what a user names them with: a PID, a task_struct address, a command name or a
 * regular expression over command names. The words themselves are parsed on the command side
 * (src/repl/task-selector.ts); this module only looks selectors up in the task table, and says which
 * named tasks exist but cannot be read (their own struct is on a page the dump lacks).
 */
import type { Task, TaskTable, UnreadableTask } from './tasks.js';

/** One parsed task-naming word. */
export type TaskSelector =
  | { kind: 'pid'; pid: number }
  | { kind: 'address'; address: bigint }
  /**
   * A bare word: the tasks with exactly that command name; when none has it, the task at `address`
   * (the word read as hex, when it can be: "dd" is a command and an address); then, when the word
   * looks like one, the tasks `regex` matches.
   */
  | { kind: 'name'; name: string; address?: bigint; regex?: RegExp }
  | { kind: 'regex'; regex: RegExp };

export interface TaskLookup {
  /** readable tasks named, in the table's order */
  tasks: Task[];
  /** named tasks whose struct the dump lacks */
  unreadable: UnreadableTask[];
}

/** Every task with this pid: one, except pid 0 (each CPU's idle task). */
export function tasksWithPid(table: TaskTable, pid: number): TaskLookup {
  return {
    tasks: table.tasks.filter((t) => t.pid === pid),
    unreadable: table.unreadable.filter((u) => u.pid === pid),
  };
}

/** The task whose task_struct is at this address. */
export function taskAtAddress(table: TaskTable, address: bigint): TaskLookup {
  const t = table.byAddress.get(address);
  return { tasks: t ? [t] : [], unreadable: t ? [] : table.unreadable.filter((u) => u.address === address) };
}

/** comm -> tasks, built once per task table: `foreach` names every task by a word, so lookups stay O(1). */
const byComm = new WeakMap<TaskTable, Map<string, Task[]>>();

/** Tasks whose command name (task->comm) is exactly `comm`. */
export function tasksNamed(table: TaskTable, comm: string): Task[] {
  let index = byComm.get(table);
  if (!index) {
    index = new Map();
    for (const t of table.tasks) {
      const list = index.get(t.comm);
      if (list) list.push(t);
      else index.set(t.comm, [t]);
    }
    byComm.set(table, index);
  }
  return index.get(comm) ?? [];
}

/** Tasks whose command name the expression matches (anywhere in it, as grep does). */
export function tasksMatching(table: TaskTable, re: RegExp): Task[] {
  return table.tasks.filter((t) => re.test(t.comm));
}

/** The tasks one selector names. */
export function lookupSelector(table: TaskTable, sel: TaskSelector): TaskLookup {
  switch (sel.kind) {
    case 'pid':
      return tasksWithPid(table, sel.pid);
    case 'address':
      return taskAtAddress(table, sel.address);
    case 'regex':
      return { tasks: tasksMatching(table, sel.regex), unreadable: [] };
    case 'name': {
      const named = tasksNamed(table, sel.name);
      if (named.length) return { tasks: named, unreadable: [] };
      if (sel.address !== undefined) {
        const at = taskAtAddress(table, sel.address);
        if (at.tasks.length || at.unreadable.length) return at;
      }
      return { tasks: sel.regex ? tasksMatching(table, sel.regex) : [], unreadable: [] };
    }
  }
}
