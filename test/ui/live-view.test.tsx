/**
 * The live view's keys through ink-testing-library, on Views shaped as the commands make them: the cursor, Enter
 * opening the row's declared next view, Esc back to the same row, sort, filter, tree toggle and folds, crash's
 * plain text, writing it to a file, and going back to the prompt.
 */
import React from 'react';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cleanup, render } from 'ink-testing-library';

import { afterEach, describe, expect, it } from 'vitest';
import { renderText } from '../../src/render/text.js';
import { fillAction, text, type TableView, type View } from '../../src/render/view.js';
import { LiveView } from '../../src/ui/live/LiveView.js';
import { layout, navigable, tableTree } from '../../src/ui/live/items.js';
import { mouseEvent } from '../../src/ui/live/mouse.js';

afterEach(() => cleanup());

const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await tick(10);
  }
  await tick(30);
}

const ESC = '\u001B';
const DOWN = '\u001B[B';
const LEFT = '\u001B[D';
const RIGHT = '\u001B[C';

/** A ps-shaped table: pid, ppid, tgid, comm; Enter runs `bt {pid}`. */
function procs(): TableView {
  const rows = [
    { pid: 1, ppid: 0, tgid: 1, comm: 'init' },
    { pid: 7, ppid: 1, tgid: 7, comm: 'zeta' },
    { pid: 3, ppid: 1, tgid: 3, comm: 'alpha' },
    { pid: 4, ppid: 1, tgid: 3, comm: 'alpha-thread' },
    { pid: 5, ppid: 3, tgid: 5, comm: 'child' },
  ];
  return {
    kind: 'table',
    columns: [
      { key: 'pid', header: 'PID', align: 'right', width: 5 },
      { key: 'ppid', header: 'PPID', align: 'right', width: 5 },
      { key: 'comm', header: 'COMM', align: 'left', width: 0 },
    ],
    rows,
    rowAction: 'bt {pid}',
    treeBy: { id: 'pid', parent: 'ppid', group: 'tgid' },
  };
}

function start(
  view: View,
  run = async (line: string): Promise<View | string> => ({ ...text([`ran ${line}`]), lineActions: ['next'] }),
) {
  const quits: { shown: string[]; typed?: string; recall?: boolean }[] = [];
  const ran: string[] = [];
  const app = render(
    <LiveView
      line="ps"
      view={view}
      rows={12}
      cols={60}
      color={false}
      run={async (l) => {
        ran.push(l);
        return run(l);
      }}
      onQuit={(shown, typed, recall) => quits.push({ shown, typed, recall })}
    />,
  );
  const frame = () => app.lastFrame() ?? '';
  /** the line under the cursor */
  const cursor = () =>
    frame()
      .split('\n')
      .find((l) => l.startsWith('▶')) ?? '';
  return { ...app, frame, cursor, quits, ran };
}

/** Tab takes a view at rest into navigation: the cursor shows on the first row */
async function enterView(t: ReturnType<typeof start>, first: string): Promise<void> {
  await until(() => t.frame().includes(first), 'the view');
  t.stdin.write('\t');
  await until(() => t.cursor().includes(first), 'the cursor on the first row');
}

describe('live table view', () => {
  it('moves the cursor, opens the row’s next view, and Esc comes back to the same row', async () => {
    const t = start(procs());
    await enterView(t, 'init');
    t.stdin.write('j');
    await until(() => t.cursor().includes('zeta'), 'the cursor on row 2');
    t.stdin.write(DOWN);
    await until(() => t.cursor().includes('alpha'), 'the cursor on row 3');
    t.stdin.write('\r');
    await until(() => t.frame().includes('ran bt 3'), 'the next view');
    expect(t.ran).toEqual(['bt 3']);
    expect(t.frame().split('\n')[0]).toBe('ps › bt 3');
    t.stdin.write(ESC);
    await until(() => t.frame().split('\n')[0] === 'ps', 'back to ps');
    expect(t.cursor()).toMatch(/^▶\s+3\s+1 alpha$/);
    // two screens deep: each Esc goes back one screen (ink reports every Esc with meta set)
    t.stdin.write('\r');
    await until(() => t.frame().includes('ran bt 3'), 'the next view');
    t.stdin.write('\r');
    await until(() => t.frame().split('\n')[0] === 'ps › bt 3 › next', 'a third screen');
    t.stdin.write(ESC);
    await until(() => t.frame().split('\n')[0] === 'ps › bt 3', 'back once');
    await new Promise((r) => setTimeout(r, 100));
    expect(t.frame().split('\n')[0]).toBe('ps › bt 3');
    t.stdin.write(ESC);
    await until(() => t.frame().split('\n')[0] === 'ps', 'back to the root');
    t.stdin.write('q');
    await until(() => t.quits.length === 1, 'quit');
    // what stays on the terminal is crash's text of the root view
    expect(t.quits[0]!.shown).toEqual(renderText(procs()).trimEnd().split('\n'));
    t.unmount();
  });

  it('keys typed in one chunk each count; an error from the next view is one status line', async () => {
    const t = start(procs(), async () => 'bt: invalid task or pid value: 7');
    await enterView(t, 'init');
    t.stdin.write('jj');
    await until(() => t.cursor().includes('alpha'), 'two rows down');
    t.stdin.write('k\r');
    await until(() => t.frame().includes('bt: invalid task or pid value: 7'), 'the error');
    expect(t.frame().split('\n')[0]).toBe('ps');
    t.unmount();
  });

  it('s cycles the sort column, S reverses, / filters', async () => {
    const t = start(procs());
    await enterView(t, 'init');
    t.stdin.write('s'); // PID ascending
    await until(() => t.frame().includes('sort PID ↑'), 'sorted by PID');
    const body = () =>
      t
        .frame()
        .split('\n')
        .slice(2, 7)
        .map((l) => l.slice(2).trim().split(/\s+/)[0]);
    expect(body()).toEqual(['1', '3', '4', '5', '7']);
    t.stdin.write('S');
    await until(() => t.frame().includes('sort PID ↓'), 'reversed');
    expect(body()).toEqual(['7', '5', '4', '3', '1']);
    t.stdin.write('ss'); // PPID, then COMM
    await until(() => t.frame().includes('sort COMM ↑'), 'sorted by COMM');
    expect(body()).toEqual(['3', '4', '5', '1', '7']);
    t.stdin.write('/');
    await tick();
    t.stdin.write('alpha\r');
    await until(() => t.frame().includes('filter "alpha"'), 'filtered');
    expect(t.frame()).toContain('2 of 5');
    expect(t.frame()).not.toContain('zeta');
    t.unmount();
  });

  it('T shows the rows as a tree (threads under their leader), ←/→ fold and unfold', async () => {
    const t = start(procs());
    await enterView(t, 'init');
    t.stdin.write('T');
    await until(() => t.frame().includes('1 thread'), 'the tree');
    const lines = t.frame().split('\n').slice(2, 9);
    expect(lines.map((l) => l.trimEnd())).toEqual([
      '▶ - 1     0 init',
      '  ├─   7     1 zeta',
      '  └─ - 3     1 alpha',
      '     ├─ - 1 thread',
      '     │  └─   4     1 alpha-thread',
      '     └─   5     3 child',
      expect.stringMatching(/^1\/6/),
    ]);
    t.stdin.write(LEFT); // fold init
    await until(() => !t.frame().includes('zeta'), 'folded');
    expect(t.cursor()).toBe('▶ + 1     0 init');
    t.stdin.write(RIGHT);
    await until(() => t.frame().includes('zeta'), 'unfolded');
    t.stdin.write('jjj-');
    await until(() => !t.frame().includes('alpha-thread'), 'the thread group folded');
    expect(t.cursor()).toContain('+ 1 thread');
    t.unmount();
  });

  it('t shows crash’s plain text, w writes it to a file, : goes to the prompt', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'crash-ts-live-'));
    const t = start(procs());
    await enterView(t, 'init');
    t.stdin.write('t');
    await until(() => t.frame().includes('text'), 'plain text');
    expect(t.frame().split('\n').slice(1, 3)).toEqual(['    PID  PPID COMM', '▶     1     0 init']);
    t.stdin.write('w');
    await tick();
    t.stdin.write(join(dir, 'ps.txt') + '\r');
    await until(() => t.frame().includes('wrote'), 'written');
    expect(readFileSync(join(dir, 'ps.txt'), 'utf8')).toBe(renderText(procs()));
    t.stdin.write(':');
    await until(() => t.quits.length === 1, 'the prompt');
    expect(t.quits[0]!.typed).toBe('');
    t.unmount();
  });

  it('a letter that is no key starts a command line with it', async () => {
    const t = start(procs());
    await enterView(t, 'init');
    t.stdin.write('ps -p\r');
    await until(() => t.quits.length === 1, 'the prompt');
    expect(t.quits[0]!.typed).toBe('ps -p\r');
    t.unmount();
  });

  it('at rest, typing is the next command line (view letters too), Up recalls, Enter gives a prompt', async () => {
    for (const [keys, typed] of [
      ['kmem -i\r', 'kmem -i\r'], // k would move the cursor, s sort, t switch to text: at rest they are typed
      ['s', 's'],
      ['t', 't'],
      ['q', 'q'],
      ['\r', ''],
    ]) {
      const t = start(procs());
      await until(() => t.frame().includes('init'), 'the view');
      expect(t.cursor()).toBe(''); // no cursor at rest
      expect(t.frame()).toContain('type a command, or Tab/↓ into this view');
      t.stdin.write(keys!);
      await until(() => t.quits.length === 1, `the prompt after ${JSON.stringify(keys)}`);
      expect(t.quits[0]!.typed).toBe(typed);
      t.unmount();
    }
    const t = start(procs());
    await until(() => t.frame().includes('init'), 'the view');
    t.stdin.write('\u001B[A');
    await until(() => t.quits.length === 1, 'the prompt after Up');
    expect(t.quits[0]).toMatchObject({ typed: undefined, recall: true });
    t.unmount();
    // ↓ goes into the view as Tab does
    const d = start(procs());
    await until(() => d.frame().includes('init'), 'the view');
    d.stdin.write(DOWN);
    await until(() => d.cursor().includes('init'), 'the cursor on the first row');
    d.stdin.write('s');
    await until(() => d.frame().includes('sort PID ↑'), 'in the view, s sorts');
    expect(d.quits).toEqual([]);
    d.unmount();
  });
});

describe('the mouse wheel in the live view', () => {
  it('SGR wheel reports scroll the page; clicks and reports do nothing else; typing still works', async () => {
    const rows = Array.from({ length: 40 }, (_, i) => ({ n: i, name: `row-${i}` }));
    const view: TableView = {
      kind: 'table',
      columns: [
        { key: 'n', header: 'N', align: 'right', width: 3 },
        { key: 'name', header: 'NAME', align: 'left', width: 0 },
      ],
      rows,
      rowAction: 'show {n}',
    };
    const t = start(view);
    const firstRow = () => t.frame().split('\n')[2] ?? '';
    await until(() => firstRow().includes('row-0'), 'the first row');
    // wheel down (button 65) three times, as separate reports and as one chunk
    t.stdin.write('\u001B[<65;10;5M');
    await until(() => firstRow().includes('row-3'), 'scrolled 3 lines');
    expect(t.cursor()).toContain('row-3'); // the cursor stays on the page
    t.stdin.write('\u001B[<65;10;5M\u001B[<65;10;5M');
    await until(() => firstRow().includes('row-9'), 'scrolled 9 lines');
    // wheel up with ctrl held (16 + 64) scrolls back; a click (button 0 press and release) changes nothing
    t.stdin.write('\u001B[<80;10;5M');
    await until(() => firstRow().includes('row-6'), 'scrolled back 3');
    const before = t.frame();
    t.stdin.write('\u001B[<0;10;5M\u001B[<0;10;5m');
    await tick(100);
    expect(t.frame()).toBe(before);
    expect(t.quits).toEqual([]);
    // keys and the filter still work
    t.stdin.write('/');
    t.stdin.write('row-2');
    t.stdin.write('\r');
    await until(() => /filter "row-2"/.test(t.frame()), 'the filter');
    expect(t.cursor()).toMatch(/row-2\d?$/);
  });

  it('knows mouse reports from keys', () => {
    expect(mouseEvent('[<64;1;1M')).toBe('up');
    expect(mouseEvent('\u001B[<65;80;24M')).toBe('down');
    expect(mouseEvent('[<0;3;4m')).toBe('other');
    expect(mouseEvent('[M' + String.fromCharCode(32 + 65) + '!!')).toBe('down');
    for (const key of ['j', '[A', 'q', '[<', '<64;1;1M', 'hello']) expect(mouseEvent(key), key).toBeUndefined();
  });
});

describe('live view model', () => {
  it('fills row actions from the row (bigint as hex), none when a value is missing', () => {
    expect(fillAction('bt {task}', { task: 0xffff8880n })).toBe('bt 0xffff8880');
    expect(fillAction('mod -s {name}', { name: null })).toBeUndefined();
    expect(fillAction(undefined, { a: 1 })).toBeUndefined();
  });

  it('a table’s tree survives a parent loop (damaged dump): every row is still shown', () => {
    const v = procs();
    v.rows = [
      { pid: 1, ppid: 2, tgid: 1, comm: 'a' },
      { pid: 2, ppid: 1, tgid: 2, comm: 'b' },
    ];
    const items = layout(v, { sort: -1, desc: false, filter: '', folded: new Set(), asTree: true, plain: false });
    expect(items.items.map((i) => i.text.split(/\s+/).pop())).toEqual(['a', 'b']);
    expect(tableTree(v).roots).toHaveLength(1);
  });

  it('what is navigable', () => {
    expect(navigable(procs())).toBe(true);
    expect(navigable(text(['x']))).toBe(false);
    expect(navigable({ ...text(['#0 x']), lineActions: ['bt -f'] })).toBe(true);
  });
});
