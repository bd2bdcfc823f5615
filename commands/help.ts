/** help: the command list in columns, or one command's full help text. */
import { CommandError, type Command } from '../src/command.js';
import { builtinAlias } from '../src/repl/aliases.js';
import { text } from '../src/render/view.js';
import { version } from '../src/version.js';

const COLUMNS = 5;
const WIDTH = 15;

/** Names laid out column by column, each cell WIDTH wide (crash's help list). */
export function columnLayout(names: string[], columns = COLUMNS, width = WIDTH): string[] {
  const rows = Math.ceil(names.length / columns);
  const lines: string[] = [];
  for (let r = 0; r < rows; r++) {
    let line = '';
    for (let c = 0; c < columns; c++) {
      const name = names[c * rows + r];
      if (name !== undefined) line += name.padEnd(width - 1) + ' ';
    }
    lines.push(line);
  }
  return lines;
}

const TOPICS: Record<string, string> = {
  input: `Input syntax

  command [args]              run a command
  command args | pipeline     send the output through a shell pipeline (/bin/sh)
  command args > file         write the output to a file (>> appends)
  !shell command              run a shell command
  # text                      a comment; the rest of the line is ignored
  'quoted words' "or so"      quoting keeps spaces, | and > inside one word
  alias NAME "expansion"      make NAME stand for another command line

  | and > inside parentheses are not special: eval ((1 << 4) | 1) stays whole.
  At start-up, commands are read from $HOME/.crashrc, then ./.crashrc, then the
  file given with -i. In the terminal: Up/Down walk the history (kept in
  ~/.crash-ts_history), Tab completes, Ctrl-C stops a command or clears the line,
  Ctrl-D or q leaves.`,
  output: `Output options

  set radix 10|16       default base for numbers that commands print
  set scroll on|off     page long output in the terminal (q leaves the pager)
  set output text|json  plain crash-layout text, or one JSON document per command
  --json                start with set output json
  CMD ... --json        that one command's result as JSON (ps --json | jq ...)

  The pager: Space/PgDn next page, b/PgUp previous, j/k one line, g/G top/bottom,
  /text search, n/N next/previous match, q back to the prompt.

  Live views (tables and trees whose rows open something: ps, bt, kmem -s, ...)
  open at rest: type the next command as usual. Tab or Down moves into the view:
  Enter opens a row, Esc comes back, s sorts, / filters, T tree, t text, w FILE.`,
  join: `Joining a shared session

  crash-ts join [NAME | SOCKET] [--observe] [--as LABEL[,observe]]

  Connects to a dump someone opened with crash-ts --share NAME (over SSH:
  ssh -t host crash-ts join NAME). Your terminal, pager and history are your
  own, and commands run in your own session on the host's open dump. NAME is
  looked for in $XDG_RUNTIME_DIR/crash-ts/, /tmp/crash-ts-UID/ and any
  /tmp/crash-ts-*/ you may read; or give the socket's path. --observe joins as
  an observer (reads and runs commands of its own, never drives). --as is what
  an invited guest's forced command says: no shell, no files, built-in filters
  only. Inside: who, driver, follow, unfollow, say, share ("help share").`,
};

const help: Command = {
  name: 'help',
  summary: 'list the commands, or show the full help of one',
  help: `NAME
  help - what each command does

SYNOPSIS
  help [COMMAND | input | output | join]

DESCRIPTION
  Without an argument, lists every command that is loaded (built-in and plug-in).
  With a command name (or an alias of one), prints its full help: synopsis,
  options and examples. "help input" explains the line syntax (pipes,
  redirection, aliases); "help output" the output settings.

EXAMPLES
  crash> help
  crash> help bt
  crash> help input`,
  run(session, args) {
    const lookup = session.commands;
    if (!lookup) throw new CommandError('no commands are loaded');
    if (args.positional.length === 0) {
      const names = lookup.list().map((c) => c.name);
      return text(
        [
          '',
          ...columnLayout(names),
          '',
          `crash-ts version: ${version()}`,
          'For help on any command above, enter "help <command>".',
          'For help on input syntax (pipes, redirection, aliases), enter "help input".',
          'For help on output options, enter "help output".',
          '',
        ],
        { commands: lookup.list().map((c) => ({ name: c.name, summary: c.summary })) },
      );
    }
    const out: string[] = [];
    for (const word of args.positional) {
      if (TOPICS[word]) {
        out.push(...TOPICS[word]!.split('\n'));
        continue;
      }
      const target = session.aliases.get(word) ?? builtinAlias(word);
      const name = target ? target.split(/\s+/)[0]! : word;
      const cmd = lookup.get(name);
      if (!cmd) throw new CommandError(`no such command or topic: ${word}`);
      if (out.length) out.push('');
      out.push(...cmd.help.split('\n'));
    }
    return text(out);
  },
};

export default help;
