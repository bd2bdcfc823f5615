/** q: leave crash-ts (exit and quit are built-in aliases). */
import type { Command } from '../src/command.js';
import { text } from '../src/render/view.js';

const quit: Command = {
  name: 'q',
  summary: 'leave crash-ts',
  help: `NAME
  q - leave crash-ts

SYNOPSIS
  q

DESCRIPTION
  Ends the session with exit status 0. "exit" and "quit" do the same, and so do
  Ctrl-D in the terminal and the end of piped input.`,
  run(session) {
    session.quitRequested = true;
    return text([]);
  },
};

export default quit;
