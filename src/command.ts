import type { Session } from './session.js';
import type { View } from './render/view.js';

/** Parsed arguments: single-letter flags (with values where the option takes one), and the rest. */
export interface Args {
  /** flag letter (or long name) → true, or its value for options that take one; repeated flags count */
  flags: Record<string, string | boolean | number>;
  positional: string[];
  /** the raw argv after the command name */
  raw: string[];
}

/**
 * One command, one file under commands/. The registry loads every built-in and user plug-ins
 * (~/.crash-ts/commands/*.js, `extend FILE`) the same way.
 */
export interface Command {
  name: string;
  aliases?: string[];
  /** one line for `help` */
  summary: string;
  /** full help text in our own words: synopsis, options, examples */
  help: string;
  /**
   * Options the parser accepts: letter → description. A description starting with '=' means the
   * option takes a value ("=offset"). Digit-led names like '8','16','32','64' are fine (rd -8).
   * Without `options`, nothing is parsed as an option: every word is positional (eval's `-1`).
   */
  options?: Record<string, string>;
  /**
   * true when the command wants wholly single-quoted words with their quotes ('regex' selectors of
   * ps and foreach, as crash passes them); other commands get the words without them
   */
  keepQuotes?: boolean;
  /** true when the command needs an open dump (the REPL says so without one) */
  needsDump?: boolean;
  /**
   * How `foreach` hands it tasks: 'each' runs it once per task with that task's address as a last
   * argument (and as the task context); 'all' runs it once with every selected task's address.
   * Absent: foreach knows the built-ins (bt, set: each; ps: all) and refuses other commands.
   */
  foreach?: 'each' | 'all';
  /** run the command; throw CommandError (or any Error) for a one-line error */
  run(session: Session, args: Args): View | Promise<View>;
}

/** A one-line error a command raises: printed as "<cmd>: <message>", the session goes on. */
export class CommandError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandError';
  }
}

/** What the REPL knows about the loaded commands (the `help`/`alias` commands read it via the session). */
export interface CommandLookup {
  /** a command by name or command alias (not user/built-in line aliases) */
  get(name: string): Command | undefined;
  /** every command, sorted by name */
  list(): Command[];
  /** load a plug-in file (`extend FILE`); returns the names it added */
  loadFile?(path: string): Promise<string[]>;
}

/** Parse a value the way crash does: 0x.. hex, digits decimal, anything with a-f hex. Undefined if not a number. */
export function parseNumber(word: string): bigint | undefined {
  const w = word.trim();
  if (/^0x[0-9a-f]+$/i.test(w)) return BigInt(w);
  if (/^[0-9]+$/.test(w)) return BigInt(w);
  if (/^[0-9a-f]+$/i.test(w)) return BigInt('0x' + w);
  return undefined;
}
