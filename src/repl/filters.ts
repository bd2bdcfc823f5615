/**
 * Built-in output filters, run in-process: `| grep [-v] [-i] PATTERN`, `| head [-n N]`, `| tail [-n N]`,
 * `| wc -l`, chained with `|`. They serve where no shell may run (an invited guest of a shared session runs under
 * the host's account) with one implementation for everyone. PATTERN is a JavaScript regular expression (a plain
 * word matches itself); one that does not compile is matched as plain text.
 */
import { splitWords, unquoteWord } from './parse.js';

export type Filter = (lines: string[]) => string[];

export const FILTER_SYNOPSIS = '| grep [-v] [-i] PATTERN, | head [-n N], | tail [-n N], | wc -l';

export class FilterError extends Error {}

/** The unquoted `|` positions of a pipeline, split into its stages. */
function stages(pipeline: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  for (let i = 0; i < pipeline.length; i++) {
    const c = pipeline[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      cur += c;
    } else if (c === '\\' && i + 1 < pipeline.length) {
      cur += c + pipeline[++i];
    } else if (c === '|') {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.map((s) => s.trim());
}

function count(word: string | undefined, what: string): number {
  if (word === undefined || !/^\d+$/.test(word)) throw new FilterError(`${what}: -n needs a number of lines`);
  return Number(word);
}

/** `head`/`tail` options: -n N, -nN, -N. */
function lineCount(name: string, args: string[]): number {
  if (args.length === 0) return 10;
  const a = args[0]!;
  let n: number;
  if (a === '-n' && args.length === 2) n = count(args[1], name);
  else if (/^-n\d+$/.test(a) && args.length === 1) n = Number(a.slice(2));
  else if (/^-\d+$/.test(a) && args.length === 1) n = Number(a.slice(1));
  else throw new FilterError(`${name}: only ${name} [-n N] is built in`);
  return n;
}

function grep(args: string[]): Filter {
  let invert = false;
  let icase = false;
  let i = 0;
  for (; i < args.length && args[i]!.startsWith('-') && args[i] !== '-' && args[i] !== '--'; i++) {
    const a = args[i]!;
    if (a === '-e') {
      i++;
      break;
    }
    for (const f of a.slice(1)) {
      if (f === 'v') invert = true;
      else if (f === 'i') icase = true;
      else throw new FilterError(`grep: -${f}: only grep [-v] [-i] PATTERN is built in`);
    }
  }
  if (args[i] === '--') i++;
  const rest = args.slice(i);
  if (rest.length !== 1)
    throw new FilterError(rest.length ? 'grep: one PATTERN only (quote it)' : 'grep: give a PATTERN');
  const pattern = rest[0]!;
  let re: RegExp;
  try {
    re = new RegExp(pattern, icase ? 'i' : '');
  } catch {
    re = new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), icase ? 'i' : '');
  }
  return (lines) => lines.filter((l) => re.test(l) !== invert);
}

function stage(text: string): Filter {
  const words = splitWords(text).map(unquoteWord);
  const [name, ...args] = words;
  switch (name) {
    case 'grep':
      return grep(args);
    case 'head': {
      const n = lineCount('head', args);
      return (lines) => lines.slice(0, n);
    }
    case 'tail': {
      const n = lineCount('tail', args);
      return (lines) => (n === 0 ? [] : lines.slice(-n));
    }
    case 'wc':
      if (args.length !== 1 || args[0] !== '-l') throw new FilterError('wc: only wc -l is built in');
      return (lines) => [String(lines.length)];
    case undefined:
      throw new FilterError('missing command after |');
    default:
      throw new FilterError(`${name}: not a built-in filter (${FILTER_SYNOPSIS})`);
  }
}

/** Parse `grep x | head -n 3` into filters; throws FilterError with a one-line reason. */
export function parseFilters(pipeline: string): Filter[] {
  return stages(pipeline).map(stage);
}

/** Run text through the filters; the result ends in a newline unless it is empty. */
export function applyFilters(filters: Filter[], text: string): string {
  let lines = (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
  if (text === '') lines = [];
  for (const f of filters) lines = f(lines);
  return lines.length ? lines.join('\n') + '\n' : '';
}
