/**
 * Line mode (stdin or stdout is not a terminal): read lines, print plain text, no prompt, no ANSI, and never die
 * of a closed pipe (`crash-ts … | head`). Never imports ink.
 */
import { read } from 'node:fs';
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
export async function runLines(repl: Repl, input: AsyncIterable<string>): Promise<void> {
  if (repl.session.quitRequested) return;
  for await (const line of input) {
    await repl.execute(line);
    if (repl.session.quitRequested) break;
  }
}

/**
 * The lines of standard input, read from descriptor 0 with fs.read. process.stdin would make a net.Socket of
 * a pipe (Node then loads its net and stream modules, ~10 ms of a start) only to be read line by line. Lines end
 * as readline ends them: at \n, \r\n or a lone \r. A non-blocking descriptor (EAGAIN: its writer set O_NONBLOCK)
 * is read through process.stdin from there on.
 */
export async function* stdinLines(fd = 0): AsyncGenerator<string> {
  const buf = Buffer.allocUnsafe(64 * 1024);
  const decoder = new TextDecoder();
  let rest = '';
  for (;;) {
    let n: number;
    try {
      n = await new Promise<number>((done, fail) =>
        read(fd, buf, 0, buf.length, null, (e, k) => (e ? fail(e) : done(k))),
      );
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      yield* readableLines(process.stdin, rest);
      return;
    }
    if (n === 0) break;
    const text = rest + decoder.decode(buf.subarray(0, n), { stream: true });
    const lines = text.split(/\r\n|\r|\n/);
    rest = lines.pop()!;
    // a \r at the end of a read may be the first half of \r\n: the next read says
    if (text.endsWith('\r')) rest = lines.pop()! + '\r';
    yield* lines;
  }
  rest += decoder.decode();
  if (rest.endsWith('\r')) yield rest.slice(0, -1);
  else if (rest !== '') yield rest;
}

/**
 * The lines of a stream (readline's: \n, \r\n or a lone \r end them), the first after `head`, a line's start
 * already read.
 */
export async function* readableLines(input: Readable, head = ''): AsyncGenerator<string> {
  const { createInterface } = await import('node:readline');
  const rl = createInterface({ input, crlfDelay: Infinity, terminal: false });
  let first = true;
  try {
    for await (const line of rl) {
      yield first ? head + line : line;
      first = false;
    }
    if (first && head !== '') yield head;
  } finally {
    rl.close();
  }
}
