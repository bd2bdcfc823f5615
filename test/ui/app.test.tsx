/** The terminal UI through ink-testing-library: typing, pasted "cmd\r", history, Tab, Ctrl-C, the pager. */
import React from 'react';
import { render } from 'ink-testing-library';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRegistry, type Registry } from '../../commands/index.js';
import { Session } from '../../src/session.js';
import { App } from '../../src/ui/App.js';
import { History } from '../../src/ui/history.js';
import { text } from '../../src/render/view.js';

let registry: Registry;
beforeAll(async () => {
  registry = await loadRegistry({ plugins: false });
  registry.add({
    name: 'many',
    summary: 'a hundred lines',
    help: '',
    run: () => text(Array.from({ length: 100 }, (_, i) => `line ${i + 1}`)),
  });
  let slowStop: (() => void) | undefined;
  registry.add({
    name: 'slow',
    summary: 'waits until cancelled',
    help: '',
    async run(s) {
      for (let i = 0; i < 200; i++) {
        await new Promise((r) => setTimeout(r, 10));
        s.checkCancelled();
      }
      slowStop?.();
      return text(['finished']);
    },
  });
});

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));
/** Wait for a condition, then a little more: React attaches input handlers just after it draws a frame. */
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await tick(10);
  }
  await tick(40);
}

function start(session = new Session(), history = new History()) {
  const out: string[] = [];
  const app = render(
    <App session={session} registry={registry} history={history} silent write={(s) => out.push(s)} color={false} />,
  );
  const output = () => out.join('');
  return { ...app, out, output, session, history };
}

const UP = '\u001B[A';
const DOWN = '\u001B[B';

describe('terminal prompt', () => {
  it('runs a typed command, echoing it above the output', async () => {
    const t = start();
    await until(() => (t.lastFrame() ?? '').includes('crash>'), 'the prompt');
    t.stdin.write('eval 0x10 + 10');
    await tick();
    expect(t.lastFrame()).toContain('crash> eval 0x10 + 10');
    t.stdin.write('\r');
    await until(() => t.output().includes('hexadecimal: 1a'), 'eval output');
    expect(t.output()).toBe(
      'crash> eval 0x10 + 10\nhexadecimal: 1a  \n    decimal: 26  \n      octal: 32\n     binary: ' +
        '0'.repeat(59) +
        '11010\n',
    );
    await until(() => /crash> *$/.test((t.lastFrame() ?? '').trim()), 'an empty prompt');
    t.unmount();
  });

  it('runs a pasted "cmd\\r" (one input chunk) instead of leaving it in the box', async () => {
    const t = start();
    await until(() => (t.lastFrame() ?? '').includes('crash>'), 'the prompt');
    t.stdin.write('eval 5\reval 6\rhel');
    await until(() => t.output().includes('hexadecimal: 6'), 'both commands');
    expect(t.output().indexOf('hexadecimal: 5')).toBeLessThan(t.output().indexOf('hexadecimal: 6'));
    await until(() => (t.lastFrame() ?? '').includes('crash> hel'), 'the unfinished rest in the box');
    expect(t.lastFrame()).not.toContain('eval');
    t.unmount();
  });

  it('walks the history with Up and Down, and keeps the draft', async () => {
    const t = start();
    await until(() => (t.lastFrame() ?? '').includes('crash>'), 'the prompt');
    t.stdin.write('eval 1\r');
    await until(() => t.output().includes('hexadecimal: 1'), 'first');
    t.stdin.write('eval 2\r');
    await until(() => t.output().includes('hexadecimal: 2'), 'second');
    t.stdin.write('draft');
    await tick();
    t.stdin.write(UP);
    await until(() => (t.lastFrame() ?? '').includes('crash> eval 2'), 'Up once');
    t.stdin.write(UP);
    await until(() => (t.lastFrame() ?? '').includes('crash> eval 1'), 'Up twice');
    t.stdin.write(DOWN);
    // one key at a time: the second Down must see the line the first one put in the box
    await until(() => (t.lastFrame() ?? '').includes('crash> eval 2'), 'Down once');
    t.stdin.write(DOWN);
    await until(() => (t.lastFrame() ?? '').includes('crash> draft'), 'back to the draft');
    expect(t.history.entries).toEqual(['eval 1', 'eval 2']);
    t.unmount();
  });

  it('Tab completes a command name, then lists candidates when ambiguous', async () => {
    const t = start();
    await until(() => (t.lastFrame() ?? '').includes('crash>'), 'the prompt');
    t.stdin.write('ev');
    await tick();
    t.stdin.write('\t');
    await until(() => (t.lastFrame() ?? '').includes('crash> eval'), 'completed name');
    t.stdin.write('\u0003'); // Ctrl-C clears the line
    await until(() => !(t.lastFrame() ?? '').includes('eval'), 'cleared line');
    t.stdin.write('s');
    await tick();
    t.stdin.write('\t');
    await until(() => /\bset\b/.test(t.output()) && /\bsf\b/.test(t.output()), 'candidates');
    t.unmount();
  });

  it('Ctrl-C stops a running command and the session goes on', async () => {
    const t = start();
    await until(() => (t.lastFrame() ?? '').includes('crash>'), 'the prompt');
    t.stdin.write('slow\r');
    await tick(100);
    t.stdin.write('\u0003');
    await until(() => t.output().includes('slow: interrupted'), 'interrupted');
    expect(t.output()).not.toContain('finished');
    t.stdin.write('eval 9\r');
    await until(() => t.output().includes('hexadecimal: 9'), 'next command');
    t.unmount();
  });

  it('q leaves (sets quitRequested)', async () => {
    const t = start();
    await until(() => (t.lastFrame() ?? '').includes('crash>'), 'the prompt');
    t.stdin.write('q\r');
    await until(() => t.session.quitRequested, 'quit');
    t.unmount();
  });
});

describe('pager', () => {
  it('pages long output, moves, searches, and q returns to the prompt', async () => {
    const t = start();
    await until(() => (t.lastFrame() ?? '').includes('crash>'), 'the prompt');
    t.stdin.write('many\r');
    await until(() => (t.lastFrame() ?? '').includes('lines 1-21 of 100'), 'the first page');
    const frame = t.lastFrame()!;
    expect(frame.split('\n')).toHaveLength(22); // one row short of the screen: ink would clear it all otherwise
    expect(frame).toContain('line 21');
    expect(frame).not.toContain('line 22');
    t.stdin.write(' ');
    await until(() => (t.lastFrame() ?? '').includes('lines 22-42 of 100'), 'page down');
    t.stdin.write('b');
    await until(() => (t.lastFrame() ?? '').includes('lines 1-21 of 100'), 'page up');
    t.stdin.write('j');
    await until(() => (t.lastFrame() ?? '').includes('lines 2-22 of 100'), 'line down');
    t.stdin.write('G');
    await until(() => (t.lastFrame() ?? '').includes('lines 80-100 of 100'), 'bottom');
    t.stdin.write('g');
    await until(() => (t.lastFrame() ?? '').includes('lines 1-21 of 100'), 'top');
    t.stdin.write('/');
    await tick();
    t.stdin.write('line 5');
    await until(() => (t.lastFrame() ?? '').includes('/line 5'), 'search prompt');
    t.stdin.write('\r');
    await until(() => (t.lastFrame() ?? '').includes('lines 5-25 of 100'), 'first match');
    t.stdin.write('n');
    await until(() => (t.lastFrame() ?? '').includes('lines 50-70 of 100'), 'next match');
    t.stdin.write('N');
    await until(() => (t.lastFrame() ?? '').includes('lines 5-25 of 100'), 'previous match');
    expect(t.output()).toBe('crash> many\n'); // paged output is not written above the prompt
    t.stdin.write('q');
    await until(() => (t.lastFrame() ?? '').includes('crash>'), 'back at the prompt');
    // as crash's less -X: the lines paged through (here up to the last one shown, 25) stay above the prompt
    await until(() => t.output().includes('line 25\n'), 'the paged text left above the prompt');
    expect(t.output()).not.toContain('line 26\n');
    t.stdin.write('eval 3\r');
    await until(() => t.output().includes('hexadecimal: 3'), 'a command after the pager');
    t.unmount();
  });

  it('set scroll off writes long output straight out', async () => {
    const t = start();
    await until(() => (t.lastFrame() ?? '').includes('crash>'), 'the prompt');
    t.stdin.write('set scroll off\r');
    await until(() => t.output().includes('scroll: off'), 'setting');
    t.stdin.write('many\r');
    await until(() => t.output().includes('line 100\n'), 'all lines');
    expect(t.lastFrame()).not.toContain('lines 1-');
    t.unmount();
  });
});
