/** alias: list the aliases, or define one. */
import { CommandError, type Command } from '../src/command.js';
import { BUILTIN_ALIASES } from '../src/repl/aliases.js';
import { text } from '../src/render/view.js';

const row = (origin: string, name: string, expansion: string) => `${origin.padEnd(9)}${name.padEnd(9)}${expansion} `;

const alias: Command = {
  name: 'alias',
  summary: 'list aliases, or make a word stand for a command line',
  help: `NAME
  alias - short names for command lines

SYNOPSIS
  alias [NAME [EXPANSION...]]

DESCRIPTION
  Without arguments, lists every alias with where it came from: builtin (always
  there), resource (defined in a .crashrc or -i file) or runtime (typed). With a
  NAME only, shows that alias. With an expansion, defines NAME: typing NAME then
  runs the expansion, followed by whatever else you typed after NAME. Quote the
  expansion when it holds | or >. Aliases you define override the built-in ones.

EXAMPLES
  crash> alias
  crash> alias kt "ps -k"
  crash> alias sl "log | tail -20"`,
  run(session, args) {
    const p = args.raw;
    const user = session.aliases;
    if (p.length === 0) {
      const lines = [row('ORIGIN', 'ALIAS', 'COMMAND').trimEnd()];
      for (const [n, e] of BUILTIN_ALIASES) if (!user.has(n)) lines.push(row('builtin', n, e));
      for (const [n, e] of user) lines.push(row(session.aliasOrigins.get(n) ?? 'runtime', n, e));
      return text(lines);
    }
    const name = p[0]!;
    if (/[\s|>!#'"]/.test(name)) throw new CommandError(`not a usable alias name: ${name}`);
    if (p.length === 1) {
      const e = user.get(name) ?? BUILTIN_ALIASES.find((a) => a[0] === name)?.[1];
      if (e === undefined) throw new CommandError(`no alias named ${name}`);
      return text([
        row('ORIGIN', 'ALIAS', 'COMMAND').trimEnd(),
        row(user.has(name) ? (session.aliasOrigins.get(name) ?? 'runtime') : 'builtin', name, e),
      ]);
    }
    const expansion = p.slice(1).join(' ');
    if (expansion.split(/\s+/)[0] === name) throw new CommandError(`${name} cannot stand for itself`);
    user.set(name, expansion);
    session.aliasOrigins.set(name, session.inResourceFile ? 'resource' : 'runtime');
    return text([]);
  },
};

export default alias;
