/**
 * Run command lines in-process on a Kernel, the way the REPL does (option parsing, run, render to
 * text), and judge every error: a one-line Error of our own is a good answer to bad input; a
 * TypeError/RangeError/..., a non-Error throw or a multi-line message is a defect.
 */
import type { Command } from '../command.js';
import type { Kernel } from '../kernel/kernel.js';
import { renderText } from '../render/text.js';
import { parseArgs } from '../repl/options.js';
import { Session } from '../session.js';

export interface CommandSet {
  /** command lines to run in every session, e.g. ['sys', 'ps', 'log', 'bt', 'bt -a'] */
  lines: string[];
  get(name: string): Command | undefined;
}

/** Run each line; `after(line)` after each one, `onError(line, err)` for each thrown error. */
export async function runCommands(
  k: Kernel,
  commands: CommandSet,
  after: (line: string) => void,
  onError: (line: string, err: unknown) => void,
): Promise<void> {
  const session = new Session(k);
  for (const line of commands.lines) {
    const [name, ...argv] = line.split(/\s+/);
    const cmd = commands.get(name!);
    if (!cmd) continue;
    try {
      const view = await cmd.run(session, parseArgs(argv, cmd.options));
      renderText(view);
    } catch (err) {
      onError(line, err);
    }
    after(line);
  }
}

const DEFECT_CLASSES = [TypeError, RangeError, ReferenceError, SyntaxError, EvalError, URIError];

/** Why this error is a defect, or undefined when it is an acceptable one-line error. */
export function defectIn(err: unknown): string | undefined {
  if (!(err instanceof Error)) return `non-Error thrown: ${String(err).slice(0, 200)}`;
  const cls = DEFECT_CLASSES.find((c) => err instanceof c);
  if (cls) return `${err.name}: ${firstLine(err.message)} at ${stackTop(err)}`;
  if (err.message.includes('\n')) return `multi-line message: ${JSON.stringify(err.message.slice(0, 200))}`;
  if (err.message.trim() === '') return `${err.name} with an empty message at ${stackTop(err)}`;
  return undefined;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.slice(0, 300);
}

/** The first stack frame in our code (where the defect is). */
export function stackTop(err: Error): string {
  const frames = (err.stack ?? '').split('\n').filter((l) => l.trim().startsWith('at '));
  const ours = frames.find((f) => /\/(src|commands)\//.test(f)) ?? frames[0] ?? '?';
  return ours
    .trim()
    .replace(/^at /, '')
    .replace(/file:\/\/\S*?\/(src|commands)\//, '$1/');
}
