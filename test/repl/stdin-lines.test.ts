/**
 * stdinLines: line mode reads descriptor 0 itself (no process.stdin stream), and must end lines as readline
 * did: \n, \r\n (even split across two reads), a lone \r, a last line with no newline; UTF-8 split across reads.
 */
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { stdinLines } from '../../src/repl/line.js';

const dir = mkdtempSync(join(tmpdir(), 'crash-ts-stdin-lines-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The lines stdinLines reads from a file holding `text`. */
async function linesOf(text: string | Buffer): Promise<string[]> {
  const file = join(dir, `in-${Math.random().toString(36).slice(2)}`);
  writeFileSync(file, text);
  const fd = openSync(file, 'r');
  try {
    const out: string[] = [];
    for await (const l of stdinLines(fd)) out.push(l);
    return out;
  } finally {
    closeSync(fd);
  }
}

const READ = 64 * 1024; // stdinLines' read size

it('ends lines at \\n, \\r\\n and a lone \\r; keeps empty lines; a last line needs no newline', async () => {
  expect(await linesOf('sys\nps -p 1\r\n\nbt\rlog')).toEqual(['sys', 'ps -p 1', '', 'bt', 'log']);
  expect(await linesOf('')).toEqual([]);
  expect(await linesOf('q\n')).toEqual(['q']);
  expect(await linesOf('a\r')).toEqual(['a']);
});

it('a \\r\\n split between two reads is one line end', async () => {
  const first = 'x'.repeat(READ - 1) + '\r';
  expect(await linesOf(first + '\nsys\n')).toEqual(['x'.repeat(READ - 1), 'sys']);
  // and a \r at the end of a read followed by something else ends a line of its own
  expect(await linesOf(first + 'sys\n')).toEqual(['x'.repeat(READ - 1), 'sys']);
});

it('a UTF-8 character split between two reads is decoded whole', async () => {
  const head = Buffer.from('y'.repeat(READ - 1));
  const euro = Buffer.from('\u20ac\n'); // 3 bytes: the first in the first read
  expect(await linesOf(Buffer.concat([head, euro]))).toEqual(['y'.repeat(READ - 1) + '\u20ac']);
});
