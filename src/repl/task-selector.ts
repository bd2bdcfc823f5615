/**
 * The one reading of task-naming words, for every command that takes PID | TASK | COMMAND | 'regex'
 * (bt, ps, foreach, set, task, files, vm, sig ...):
 *
 *   123        decimal digits: a PID (0 names every CPU's idle task)
 *   0xffff...  0x and hex digits: a task_struct address
 *   bash       any other word: the tasks with that command name; when none has it and the word is
 *              hex ("ffff8e71824c8000", but also "dd"), the task at that address; when neither and the
 *              word has regex characters, the regular expression it looks like
 *   'b.*h'     single-quoted (the REPL keeps the quotes for keepQuotes commands): a regular expression
 *              matched against command names
 *
 * Errors are one line, in crash's words where crash has them ("invalid task or pid value: 99999").
 */
import { CommandError } from '../command.js';
import { lookupSelector, type TaskLookup, type TaskSelector } from '../kernel/objects/select.js';
import type { Task, TaskTable } from '../kernel/objects/tasks.js';

const REGEX_CHARS = /[.*+?^$()[\]{}|\\]/;

/** A regular expression from user text, or the one-line error: invalid regular expression: '[': unterminated ... */
export function compileTaskRegex(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (e) {
    // V8 says "Invalid regular expression: /[/: Unterminated character class": keep the reason
    const why = (e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /s, '').split('\n')[0]!;
    throw new CommandError(`invalid regular expression: '${source}': ${why.charAt(0).toLowerCase()}${why.slice(1)}`);
  }
}

/** Is this word one a task selector reads as a PID (and never as a name)? */
export const isPidWord = (w: string): boolean => /^\d+$/.test(w) && w.length < 12;

/** Parse one word into a selector (throws only for a malformed quoted regex). */
export function parseTaskWord(word: string): TaskSelector {
  const w = word.trim();
  const quoted = /^'(.*)'$/s.exec(w);
  if (quoted) return { kind: 'regex', regex: compileTaskRegex(quoted[1]!) };
  if (isPidWord(w)) return { kind: 'pid', pid: Number(w) };
  if (/^0x[0-9a-f]+$/i.test(w)) return { kind: 'address', address: BigInt(w) };
  const sel: TaskSelector = { kind: 'name', name: w };
  if (/^[0-9a-f]+$/i.test(w) && w.length <= 16) sel.address = BigInt('0x' + w);
  return sel;
}

export interface SelectOptions {
  /**
   * bt: an address that is no task of the table (and no unreadable one) is still taken when this says
   * yes, and the command says what reading it finds
   */
  acceptAddress?: (address: bigint) => boolean;
  /**
   * bt: a task whose task_struct cannot be read is still taken when this says yes (a CPU's current task,
   * unwound from that CPU's saved registers), instead of the one-line refusal
   */
  acceptUnreadable?: (address: bigint) => boolean;
}

/** The address a selector names directly, if it is one. */
function addressOf(sel: TaskSelector): bigint | undefined {
  return sel.kind === 'address' ? sel.address : sel.kind === 'name' ? sel.address : undefined;
}

/** Readable tasks one word names; throws a one-line CommandError when it names none or only unreadable ones. */
export function tasksOfWord(table: TaskTable, word: string, o: SelectOptions = {}): { tasks: Task[]; extra?: bigint } {
  const w = word.trim();
  let sel = parseTaskWord(w);
  let found: TaskLookup = lookupSelector(table, sel);
  if (!found.tasks.length && !found.unreadable.length && sel.kind === 'name' && REGEX_CHARS.test(w)) {
    // an unquoted word with regex characters that names no command is taken as the regex it looks like
    sel = { kind: 'regex', regex: compileTaskRegex(w) };
    found = lookupSelector(table, sel);
  }
  if (found.tasks.length) return { tasks: found.tasks };
  const lost = found.unreadable[0];
  if (lost) {
    if (o.acceptUnreadable?.(lost.address)) return { tasks: [], extra: lost.address };
    if (sel.kind === 'pid')
      throw new CommandError(`PID ${w}: task ${lost.address.toString(16)} cannot be read: ${lost.reason}`);
    throw new CommandError(`task ${w} cannot be read: ${lost.reason}`);
  }
  const addr = addressOf(sel);
  if (addr !== undefined && o.acceptAddress?.(addr)) return { tasks: [], extra: addr };
  if (sel.kind === 'regex') throw new CommandError(`no task name matches ${w.startsWith("'") ? w : `'${w}'`}`);
  if (sel.kind === 'name' && addr === undefined)
    throw new CommandError(`no task matches "${w}" (not a PID, task address or command name)`);
  throw new CommandError(`invalid task or pid value: ${w}`);
}

/**
 * The tasks a list of words names, each once, in the table's order (by pid, idle tasks by CPU); no words:
 * every task. Throws on the first word that names nothing readable.
 */
export function selectTasks(table: TaskTable, words: string[]): Task[] {
  if (!words.length) return table.tasks;
  const picked = new Set<Task>();
  for (const w of words) for (const t of tasksOfWord(table, w).tasks) picked.add(t);
  return table.tasks.filter((t) => picked.has(t));
}

/**
 * Task addresses in the order the words name them (bt, task, files ...: one block per task, as typed),
 * each word's tasks in table order; with acceptAddress, addresses no readable task has.
 */
export function selectTaskAddresses(table: TaskTable, words: string[], o: SelectOptions = {}): bigint[] {
  const out: bigint[] = [];
  for (const w of words) {
    const { tasks, extra } = tasksOfWord(table, w, o);
    out.push(...tasks.map((t) => t.address));
    if (extra !== undefined) out.push(extra);
  }
  return out;
}

/**
 * The tasks a per-task command (task, files, vm, sig ...) runs on: the ones the words name, in the
 * order typed, or the current context task when there are none.
 */
export function targetTasks(table: TaskTable, words: string[], current: bigint | undefined): Task[] {
  if (!words.length) {
    if (current === undefined) throw new CommandError('no current task: give a PID or task address');
    const t = table.byAddress.get(current);
    if (!t) {
      const lost = table.unreadable.find((u) => u.address === current);
      throw new CommandError(
        `the current task ${current.toString(16)} cannot be read${lost ? `: ${lost.reason}` : ''}: give a PID or task address`,
      );
    }
    return [t];
  }
  const out: Task[] = [];
  for (const w of words) out.push(...tasksOfWord(table, w).tasks);
  return out;
}
