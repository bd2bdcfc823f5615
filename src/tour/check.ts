/**
 * Is what the learner typed what the step wanted? The line is read by our own parsers — the command through the
 * registry (an alias counts as its command), the options through the command's declared options, task words
 * through the one task-selector parser — so `bt 192`, `bt ct-crash` and `bt 0xffff…` are the same answer, and
 * `ps -p 1` is not `ps -p 192`. Answers to questions are compared as numbers, addresses, tasks or text.
 */
import type { CommandLookup } from '../command.js';
import { viewLines } from '../render/text.js';
import { parseArgs } from '../repl/options.js';
import { unquoteWord } from '../repl/parse.js';
import { tasksOfWord } from '../repl/task-selector.js';
import type { CommandEvent } from '../session.js';
import type { Facts } from './facts.js';
import type { ArgMatch, ExpectCommand, Step } from './lesson.js';

export interface Verdict {
  ok: boolean;
  /** why not, in a few words (shown with the hint) */
  why?: string;
}

const yes: Verdict = { ok: true };
const no = (why: string): Verdict => ({ ok: false, why });

/** "0xFFFF…", "ffff…" and "0000ffff…" are the same address. */
function sameNumber(a: string, b: string): boolean {
  const norm = (s: string): string | undefined => {
    const w = s.trim().toLowerCase();
    if (/^0x[0-9a-f]+$/.test(w)) return BigInt(w).toString(16);
    if (/^[0-9a-f]+$/.test(w) && /[a-f]/.test(w)) return BigInt('0x' + w).toString(16);
    return undefined;
  };
  const x = norm(a);
  const y = norm(b);
  return x !== undefined && x === y;
}

/** Does `word` name the task whose PID is `pid`? (PID, task address, command name, as every command reads it) */
export function namesTask(facts: Facts, word: string, pid: string): boolean {
  const table = facts.tasks();
  if (!table || !/^\d+$/.test(pid)) return false;
  try {
    return tasksOfWord(table, word).tasks.some((t) => String(t.pid) === pid);
  } catch {
    return false;
  }
}

async function argMatches(m: ArgMatch, word: string, facts: Facts): Promise<boolean> {
  if (typeof m === 'string') {
    const want = await facts.fill(m);
    return word === want || word.toLowerCase() === want.toLowerCase() || sameNumber(word, want);
  }
  if (m.task !== undefined) return namesTask(facts, word, await facts.fill(m.task));
  if (m.regex !== undefined) return new RegExp(`^(?:${await facts.fill(m.regex)})$`).test(word);
  return false;
}

/** Check one typed command against one expectation. */
export async function checkOne(
  exp: ExpectCommand,
  ev: CommandEvent,
  commands: CommandLookup,
  facts: Facts,
): Promise<Verdict> {
  const want = commands.get(exp.command);
  const wantName = want?.name ?? exp.command;
  if (ev.name !== wantName) return no(`this step wants ${wantName}, not ${ev.name}`);
  let args;
  try {
    args = parseArgs(want?.keepQuotes ? ev.argv : ev.argv.map(unquoteWord), want?.options);
  } catch (e) {
    return no((e as Error).message);
  }
  for (const f of exp.flags ?? []) if (args.flags[f] === undefined) return no(`it needs the option -${f}`);
  for (const f of exp.without ?? []) if (args.flags[f] !== undefined) return no(`not with -${f} here`);
  const left = [...args.positional];
  for (const m of exp.args ?? []) {
    let found = -1;
    for (let i = 0; i < left.length && found < 0; i++) if (await argMatches(m, left[i]!, facts)) found = i;
    if (found >= 0) left.splice(found, 1);
    else if (typeof m === 'string' || !m.optional)
      return no(left.length ? `${ev.name} ${left.join(' ')}: not the one this step is about` : 'it needs an argument');
  }
  if (left.length && !exp.extraArgs) return no(`${left.join(' ')}: not the one this step is about`);
  if (exp.output?.length) {
    const text = ev.view ? viewLines(ev.view).join('\n') : (ev.error ?? '');
    for (const o of exp.output) {
      const w = await facts.fill(o);
      if (!text.toLowerCase().includes(w.toLowerCase())) return no('its output is not what this step looks for');
    }
  } else if (!ev.view || ev.view.kind === 'error') return no(`${ev.name} failed: ${ev.error ?? 'no output'}`);
  return yes;
}

/** Check a typed command against a step's expectations (any one of them). */
export async function checkCommand(
  step: Step,
  ev: CommandEvent,
  commands: CommandLookup,
  facts: Facts,
): Promise<Verdict> {
  const list = Array.isArray(step.expect) ? step.expect : step.expect ? [step.expect] : [];
  let first: Verdict | undefined;
  // the reason given is that of an expectation for the same command, when there is one
  for (const e of list) {
    const v = await checkOne(e, ev, commands, facts);
    if (v.ok) return v;
    if (!first || commands.get(e.command)?.name === ev.name) first = v;
  }
  return first ?? no('this step has no command to check');
}

/** Check an `answer` against the step's question. */
export async function checkAnswer(step: Step, words: string[], facts: Facts): Promise<Verdict> {
  const ask = step.ask;
  if (!ask) return no('this step asks for a command, not an answer');
  const given = words
    .join(' ')
    .trim()
    .replace(/^["']|["']$/g, '');
  if (!given) return no('answer what? type: answer WORDS');
  const wants = Array.isArray(ask.answer) ? ask.answer : [ask.answer];
  for (const w of wants) {
    const want = await facts.fill(w);
    if (/\{[\w.]+\}/.test(want)) continue; // a fact this dump does not have
    switch (ask.kind ?? 'text') {
      case 'number': {
        const n = (s: string) => (/^(0x[0-9a-f]+|\d+)$/i.test(s.trim()) ? BigInt(s.trim()) : undefined);
        if (n(given) !== undefined && n(given) === n(want)) return yes;
        break;
      }
      case 'address': {
        const n = (s: string) =>
          /^(0x)?[0-9a-f]+$/i.test(s.trim()) ? BigInt('0x' + s.trim().replace(/^0x/i, '')) : undefined;
        if (n(given) !== undefined && n(given) === n(want)) return yes;
        break;
      }
      case 'task':
        if (namesTask(facts, given, want)) return yes;
        break;
      default: {
        const norm = (s: string) => s.toLowerCase().replace(/\s+/g, ' ').trim();
        if (
          norm(given) === norm(want) ||
          (norm(given).length >= 3 && norm(want).includes(norm(given)) && norm(given).length * 2 >= norm(want).length)
        )
          return yes;
      }
    }
  }
  return no(`"${given}" is not it`);
}
