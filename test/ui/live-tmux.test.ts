/**
 * The live views in the real terminal UI (tmux), on the bundled sample dump, driven as a person would:
 * ps → Enter → bt → Esc comes back to the same row; T shows the process tree and ← folds it; a bt frame → its
 * stack words → the struct a word points to → back down the breadcrumb. ink runs without CI=true here (under it,
 * ink draws nothing until the end). Without tmux the test is skipped with a warning, except under CI=true.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../repl/helpers.js';
import { tmuxAvailable, TmuxSession } from './tmux.js';

const have = tmuxAvailable();
const sample = resolve(import.meta.dirname, '..', '..', 'sample-dumps', 'vmcore');
const haveSample = existsSync(sample);
if (!have) console.warn('tmux is not installed: skipping the live-view terminal test (apt-get install tmux)');
if (!haveSample) console.warn('no bundled sample dump: skipping the live-view terminal test');

let t: TmuxSession | undefined;
afterEach(() => t?.kill());

/** The screen line under the cursor (the live view marks it with ▶). */
const cursorLine = (screen: string) => screen.split('\n').find((l) => l.startsWith('▶')) ?? '';
const crumb = (screen: string) => screen.split('\n').find((l) => l.startsWith('ps')) ?? '';
const lastLine = (screen: string) => screen.trimEnd().split('\n').pop() ?? '';

describe('live views in tmux', () => {
  it('runs where CI expects it', () => {
    if (process.env.CI === 'true') expect(have, 'tmux must be installed on CI').toBe(true);
  });
});

describe.skipIf(!have || !haveSample)('live views in tmux on the bundled sample', () => {
  beforeAll(() => ensureBuilt(), 300_000);

  it('ps → Enter → bt → Esc → the same row; the tree folds; frame → words → struct → back', async () => {
    const home = mkdtempSync(join(tmpdir(), 'crash-ts-live-'));
    t = TmuxSession.start(['-s'], { cols: 120, rows: 30, env: { HOME: home, CI: 'false' } });
    await t.waitFor((s) => /^crash> *$/.test(lastLine(s)), 90_000);

    t.keys('ps', 'Enter');
    // the view opens at rest (no cursor: typing would go to the prompt); Tab moves into it
    let screen = await t.waitFor(
      (s) => /type a command, or Tab/.test(lastLine(s)) && s.includes('[swapper/0]'),
      30_000,
    );
    expect(screen).not.toMatch(/^▶/m);
    t.keys('Tab');
    screen = await t.waitFor(/^▶ .*\[swapper\/0\]/m);
    expect(crumb(screen)).toBe('ps');
    // the mouse wheel: reporting is on while the view shows; a wheel-down report scrolls 3 lines, wheel-up back
    const mouseOn = () => t!.tmux('display', '-p', '-t', t!.name, '#{mouse_any_flag}').trim();
    expect(mouseOn()).toBe('1');
    t.keys('-H', ...'\x1b[<65;10;5M'.split('').map((ch) => ch.charCodeAt(0).toString(16)));
    screen = await t.waitFor((s) => /^4\/\d+ /.test(lastLine(s)) && !s.includes('[swapper/0]'));
    t.keys('-H', ...'\x1b[<64;10;5M'.split('').map((ch) => ch.charCodeAt(0).toString(16)));
    screen = await t.waitFor((s) => /^4\/\d+ /.test(lastLine(s)) && s.includes('[swapper/0]'));
    t.keys('g');
    screen = await t.waitFor((s) => /^1\/\d+ /.test(lastLine(s)) && /^▶ .*\[swapper\/0\]/m.test(s));
    // narrower only: the terminal re-wraps the full page's lines; the view clears them, its breadcrumb on top
    t.resize(80, 30);
    screen = await t.waitFor((s) => /^1\/\d+ /.test(lastLine(s)) && /^▶ .*\[swapper\/$/m.test(s));
    expect(screen.split('\n')[0]).toBe('ps');
    t.resize(120, 30);
    await t.waitFor((s) => /^1\/\d+ /.test(lastLine(s)) && /^▶ .*\[swapper\/0\]$/m.test(s));
    // the filter, then the cursor on ct-sleeper's row
    t.keys('/');
    t.keys('ct-', 'Enter');
    screen = await t.waitFor(/ of \d+/);
    t.keys('j');
    screen = await t.waitFor((s) => cursorLine(s).endsWith('ct-stopped'));
    const row = cursorLine(screen);
    const task = /\s([0-9a-f]{16})\s/.exec(row)![1]!;
    t.keys('Enter');
    screen = await t.waitFor(`ps › bt 0x${task.replace(/^0+/, '')}`);
    expect(screen).toMatch(/PID: 96 +TASK: [0-9a-f]+ +CPU: \d+ +COMMAND: "ct-stopped"/);
    expect(screen).toMatch(/#1 \[[0-9a-f]{16}\] \w+ at [0-9a-f]{16}/);
    t.keys('Escape');
    screen = await t.waitFor((s) => crumb(s) === 'ps');
    expect(cursorLine(screen)).toBe(row);
    // a resize reflows: the page fits the new height, the cursor row stays, the status line is the last one
    t.resize(80, 16);
    // (ink may draw the status line a frame before the rows: wait for the whole page, not its last line)
    screen = await t.waitFor(
      (s) =>
        /^\d+\/16 .*filter/.test(lastLine(s)) &&
        s.trimEnd().split('\n').length <= 16 &&
        cursorLine(s) === row.slice(0, 80).trimEnd(),
    );
    t.resize(120, 30);
    await t.waitFor((s) => cursorLine(s) === row);

    // the process tree: ct-parent's grandchild under ct-child-2, then folded away
    t.keys('/', 'Enter'); // no filter
    await t.waitFor((s) => !/ of \d+/.test(s));
    t.keys('T');
    // the cursor stays on its row, now drawn in the tree
    screen = await t.waitFor((s) => /^▶ .*├─ +96 .*ct-stopped$/.test(cursorLine(s)));
    t.keys('/');
    t.keys('ct-parent', 'Enter');
    screen = await t.waitFor((s) => cursorLine(s).includes('ct-parent'));
    t.keys('/', 'Enter');
    screen = await t.waitFor((s) => /└─ +\d+ +105 .*ct-grandchild/.test(s) && cursorLine(s).includes('ct-parent'));
    expect(cursorLine(screen)).toMatch(/^▶ .*- .* ct-parent$/);
    t.keys('Left');
    screen = await t.waitFor((s) => !s.includes('ct-grandchild'));
    expect(cursorLine(screen)).toMatch(/^▶ .*\+ .* ct-parent$/);
    t.keys('Right');
    await t.waitFor('ct-grandchild');

    // bt of ct-parent → a frame's words → the task_struct a word points to → back
    t.keys('Enter');
    screen = await t.waitFor(/COMMAND: "ct-parent"/);
    // down to the kernel_wait4 frame (ct-parent waits for its children; its words hold its own task_struct)
    for (let i = 0; i < 12 && !cursorLine(screen).includes('kernel_wait4'); i++) {
      t.keys('j');
      await new Promise((r) => setTimeout(r, 150));
      screen = t.screen();
    }
    expect(cursorLine(screen)).toMatch(/#\d+ \[[0-9a-f]{16}\] kernel_wait4 at/);
    t.keys('Enter');
    screen = await t.waitFor(/› bt --frame \d+ 0x/);
    t.keys('/');
    t.keys('[task_struct]', 'Enter');
    screen = await t.waitFor((s) => cursorLine(s).includes('[task_struct]'));
    t.keys('Enter');
    screen = await t.waitFor(/› struct task_struct 0x[0-9a-f]+/);
    expect(screen).toContain('struct task_struct {');
    t.keys('/');
    t.keys('comm =', 'Enter');
    screen = await t.waitFor(/comm = "/);
    t.keys('Escape');
    screen = await t.waitFor((s) => / › bt --frame \d+ 0x[0-9a-f]+$/m.test(s) && !s.includes('struct task_struct {'));
    expect(cursorLine(screen)).toContain('[task_struct]');
    t.keys('Escape');
    await t.waitFor((s) => /^ps › bt 0x[0-9a-f]+ *$/m.test(s));
    t.keys('Escape');
    screen = await t.waitFor((s) => crumb(s) === 'ps');
    expect(cursorLine(screen)).toMatch(/ct-parent$/);

    // q leaves the view; the prompt runs commands again, with no mouse reporting
    t.keys('q');
    await t.waitFor((s) => /^crash> *$/.test(lastLine(s)));
    expect(mouseOn()).toBe('0');
    // a crash user types the next command over a view at rest: its letters (k moves, s sorts in a view) all
    // reach the prompt, and Enter runs it
    t.keys('bt', 'Enter');
    await t.waitFor((s) => /type a command, or Tab/.test(lastLine(s)) && s.includes('COMMAND: "ct-crash"'));
    t.keys('kmem -i', 'Enter');
    screen = await t.waitFor(
      (s) => s.includes('crash> kmem -i') && /TOTAL MEM/.test(s) && /^crash> *$/.test(lastLine(s)),
    );
    expect(screen).toMatch(/^ +TOTAL MEM +\d+ /m);
    t.keys('q', 'Enter');
    for (let i = 0; i < 100 && t.exitStatus() === undefined; i++) await new Promise((r) => setTimeout(r, 100));
    expect(t.exitStatus()).toBe(0);
  }, 240_000);
});
