/**
 * A lesson is data: one JSON file under lessons/ (docs/lessons.md describes the format for teachers). This file
 * reads and checks one, so that a mistake in a teacher's file is one line naming the file and the field, at
 * `tour load` time, not a surprise in the middle of a class.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

/** One word after the command name the step wants: text with {facts}, or a task, or a pattern. */
export type ArgMatch =
  | string
  | {
      /** a word naming this task (PID, task_struct address or command name), e.g. "{panic.pid}" */
      task?: string;
      /** a regular expression the word must match (whole word) */
      regex?: string;
      /** the word may be left out */
      optional?: boolean;
    };

/** The command a step wants: checked on the parsed line (name, options, arguments), never on keystrokes. */
export interface ExpectCommand {
  /** the command name (an alias of it counts too) */
  command: string;
  /** options that must be given ("s" for -s; "explain"...) */
  flags?: string[];
  /** options that must not be given */
  without?: string[];
  /** the arguments, in any order; words nobody asked for make the line wrong unless `extraArgs` */
  args?: ArgMatch[];
  extraArgs?: boolean;
  /** text the command's output must contain (each, {facts} filled in) */
  output?: string[];
}

export interface Step {
  /** what to look for and why: shown when the step starts ({facts} filled in) */
  say: string[];
  /** the command to type (one of several, when a list) */
  expect?: ExpectCommand | ExpectCommand[];
  /** or a question, answered with `answer WORDS` */
  ask?: { question: string; answer: string | string[]; kind?: 'text' | 'number' | 'address' | 'task' };
  /** shown after a wrong command or answer: a nudge, never the answer */
  hint: string;
  /** what the output means, shown once the step is passed */
  explain?: string[];
  /** what a learner would type to pass ({facts} filled in): `tour show`, and the tests' scripted learner */
  solution: string;
}

export interface Lesson {
  /** file name without .json, e.g. "01-what-is-a-kdump" */
  id: string;
  title: string;
  intro?: string[];
  /** facts the dump must have for this lesson, and what to do when it has not */
  needs?: { facts: string[]; why: string };
  steps: Step[];
  outro?: string[];
  /** where it was read from */
  file: string;
}

export class LessonError extends Error {}

const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

function checkExpect(e: unknown, where: string): void {
  const x = e as ExpectCommand;
  if (!x || typeof x.command !== 'string' || !x.command) throw new LessonError(`${where}.command: a command name`);
  for (const k of ['flags', 'without', 'output'] as const)
    if (x[k] !== undefined && !isStrings(x[k])) throw new LessonError(`${where}.${k}: a list of strings`);
  if (x.args !== undefined) {
    if (!Array.isArray(x.args)) throw new LessonError(`${where}.args: a list`);
    x.args.forEach((a, i) => {
      if (typeof a === 'string') return;
      if (!a || typeof a !== 'object' || (a.task === undefined && a.regex === undefined))
        throw new LessonError(`${where}.args[${i}]: a string, or {"task": ...} or {"regex": ...}`);
      if (a.regex !== undefined) new RegExp(a.regex);
    });
  }
}

/** Check a parsed JSON value as a lesson; throws LessonError naming the field. */
export function toLesson(raw: unknown, file: string): Lesson {
  const name = basename(file);
  const fail = (msg: string): never => {
    throw new LessonError(`${name}: ${msg}`);
  };
  const l = raw as Partial<Lesson>;
  if (!l || typeof l !== 'object') fail('not a JSON object');
  if (typeof l.title !== 'string' || !l.title) fail('"title": a string');
  if (l.intro !== undefined && !isStrings(l.intro)) fail('"intro": a list of strings');
  if (l.outro !== undefined && !isStrings(l.outro)) fail('"outro": a list of strings');
  if (l.needs !== undefined && (!isStrings(l.needs.facts) || typeof l.needs.why !== 'string'))
    fail('"needs": {"facts": [...], "why": "..."}');
  if (!Array.isArray(l.steps) || l.steps.length === 0) fail('"steps": a list of at least one step');
  l.steps!.forEach((s, i) => {
    const w = `steps[${i}]`;
    if (!isStrings(s.say)) fail(`${w}.say: a list of strings`);
    if (typeof s.hint !== 'string' || !s.hint) fail(`${w}.hint: a string`);
    if (typeof s.solution !== 'string' || !s.solution) fail(`${w}.solution: the line a learner would type`);
    if (s.explain !== undefined && !isStrings(s.explain)) fail(`${w}.explain: a list of strings`);
    if (!!s.expect === !!s.ask) fail(`${w}: give either "expect" (a command) or "ask" (a question)`);
    try {
      if (s.expect)
        (Array.isArray(s.expect) ? s.expect : [s.expect]).forEach((e, j) => checkExpect(e, `${w}.expect[${j}]`));
    } catch (e) {
      fail((e as Error).message);
    }
    if (s.ask) {
      const a = s.ask;
      if (typeof a.question !== 'string') fail(`${w}.ask.question: a string`);
      if (typeof a.answer !== 'string' && !isStrings(a.answer)) fail(`${w}.ask.answer: a string or a list`);
      if (a.kind !== undefined && !['text', 'number', 'address', 'task'].includes(a.kind))
        fail(`${w}.ask.kind: text, number, address or task`);
    }
  });
  return { ...(l as Lesson), id: name.replace(/\.json$/i, ''), file };
}

/** Read one lesson file. */
export function readLesson(file: string): Lesson {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message.split('\n')[0];
    throw new LessonError(`${basename(file)}: ${why}`);
  }
  return toLesson(raw, file);
}

/** Every *.json lesson of a folder, in file-name order. */
export function readLessonDir(dir: string): Lesson[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => readLesson(join(dir, f)));
}
