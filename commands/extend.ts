/** extend: load plug-in commands from JavaScript files. */
import { CommandError, type Command } from '../src/command.js';
import { text } from '../src/render/view.js';

const extend: Command = {
  name: 'extend',
  summary: 'load plug-in commands from a JavaScript file',
  help: `NAME
  extend - add commands from a plug-in file

SYNOPSIS
  extend FILE.js...

DESCRIPTION
  Imports each FILE (an ES module) and registers the command its default export
  describes (or each one, when the default export is a list). A command is an
  object with name, summary, help, optional aliases, options and needsDump, and
  run(session, args) returning a view such as { kind: 'text', lines: [...] }.
  Files in ~/.crash-ts/commands/*.js are loaded this way at start-up.
  A plug-in with the name of an existing command replaces it.

EXAMPLES
  crash> extend ./hello.js
  crash> hello`,
  async run(session, args) {
    if (args.positional.length === 0) throw new CommandError('name a plug-in file to load');
    const lookup = session.commands;
    if (!lookup?.loadFile) throw new CommandError('plug-ins cannot be loaded here');
    const lines: string[] = [];
    for (const file of args.positional) {
      const names = await lookup.loadFile(file);
      lines.push(`${file}: ${names.join(', ')}`);
    }
    return text(lines);
  },
};

export default extend;
