/**
 * Line mode (stdin or stdout is not a terminal): read lines, print plain text, no prompt, no ANSI, and never die
 * of a closed pipe (`crash-ts … | head`). Never imports ink.
 */
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import type { Repl, ReplIO } from './engine.js';

/** An output that stops the process quietly (status 0) when its reader goes away. */
export function lineModeIO(out: Writable): ReplIO {
  out.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  return {
    capture: false,
    display(text) {
      out.write(text);
    },
    error(line) {
      out.write(line + '\n');
    },
  };
}

/** Run every line of `input` until its end or `q`. */
export async function runLines(repl: Repl, input: Readable): Promise<void> {
  if (repl.session.quitRequested) return;
  const rl = createInterface({ input, crlfDelay: Infinity, terminal: false });
  try {
    for await (const line of rl) {
      await repl.execute(line);
      if (repl.session.quitRequested) break;
    }
  } finally {
    rl.close();
  }
}
