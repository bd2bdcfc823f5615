/**
 * The live ps view in the real terminal UI (tmux) on a dump of 10,079 tasks, driven as a person would: ps → the
 * cursor to the process of 10,000 threads → the process tree, its "10000 threads" node unfolded and folded again →
 * Enter → its bt → Esc → the same row. The dump is k612-10k-threads (scripts/qemu/make-scenario.sh; CI makes it):
 * without it, or without tmux, the suite skips visibly (under CI a missing dump fails). Every step waits for a
 * whole screen (breadcrumb on top, status line last, the cursor row), never for a part of one or for a time.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, expect, it } from 'vitest';
import {
  CI_SCENARIOS,
  describeWithDumps,
  describeWithOptionalDump,
  scenarioVmcore,
  scenariosDir,
  vmlinuxOfRelease,
} from '../helpers/made-dumps.js';
import { ensureBuilt } from '../repl/helpers.js';
import { tmuxAvailable, TmuxSession } from './tmux.js';

const NAME = 'k612-10k-threads';
const RELEASE = '6.12.107+deb12-cloud-amd64';
const DIR = join(scenariosDir, NAME);
// vmcore.kdump-lzo as CI makes it, or vmcore.kdump-zlib made by hand before
const VMCORE = scenarioVmcore(DIR) ?? join(DIR, 'vmcore.kdump-lzo');
const haveDump = existsSync(VMCORE) && existsSync(join(DIR, 'case.json'));
const vmlinux = haveDump ? await vmlinuxOfRelease(RELEASE) : undefined;
const missing = !tmuxAvailable()
  ? 'tmux is not installed'
  : !haveDump
    ? `no ${DIR}; scripts/qemu/make-scenario.sh ${NAME} ${DIR}`
    : vmlinux
      ? undefined
      : `no vmlinux of ${RELEASE}`;

const ROWS = 30;
const COLS = 120;

interface Page {
  crumb: string;
  status: string;
  /** cursor index (1-based) and item count from the status line */
  at: number;
  count: number;
  cursor: string;
  lines: string[];
}

/**
 * The screen as a whole live view page, or undefined while it is not one (ink mid-frame, the prompt): the
 * breadcrumb, ps's column header (its other screens have none), a full page of items (all of them when fewer),
 * the status line with the cursor's place and the item count. The line that ran ps may stay above the frame.
 */
function page(screen: string): Page | undefined {
  const all = screen.replace(/\n+$/, '').split('\n');
  const top = all.findIndex((l) => /^ps( › .*)?$/.test(l));
  if (top < 0) return undefined;
  const lines = all.slice(top);
  const status = lines.at(-1) ?? '';
  const m = /^(\d+)\/(\d+) /.exec(status);
  const cursor = lines.find((l) => l.startsWith('▶ '));
  if (!m || !cursor) return undefined;
  const header = /^ +PID +PPID /.test(lines[1] ?? '') ? 1 : 0;
  // the live view's page: the terminal's rows less breadcrumb, status, one spare line and the header
  const pageRows = ROWS - 3 - 1 - header;
  if (lines.length - 2 - header !== Math.min(Number(m[2]), pageRows)) return undefined;
  return { crumb: lines[0]!, status, at: Number(m[1]), count: Number(m[2]), cursor, lines };
}

let t: TmuxSession | undefined;
afterEach(() => t?.kill());

// once CI makes this dump, a missing one fails there; until then it skips visibly everywhere
const describeFor = CI_SCENARIOS.includes(NAME) ? describeWithDumps : describeWithOptionalDump;

describeFor(`live ps view in tmux on ${NAME} (10,000 threads)`, missing, () => {
  beforeAll(() => ensureBuilt(), 300_000);

  it('ps → ct-many → its threads unfolded and folded in the tree → Enter → bt → Esc → the same row', async () => {
    const c = JSON.parse(readFileSync(join(DIR, 'case.json'), 'utf8')) as {
      workload: { pid: number; comm: string; nthreads: number }[];
    };
    const many = c.workload.find((w) => w.comm === 'ct-many')!;
    expect(many.nthreads).toBeGreaterThan(10_000);
    const threads = many.nthreads - 1;

    const home = mkdtempSync(join(tmpdir(), 'crash-ts-live10k-'));
    t = TmuxSession.start(['-s', vmlinux!, VMCORE], { cols: COLS, rows: ROWS, env: { HOME: home, CI: 'false' } });
    await t.waitFor((s) => /^crash> *$/m.test(s.trimEnd().split('\n').at(-1) ?? ''), 180_000);
    const wait = async (what: string, ok: (p: Page) => boolean, ms = 60_000): Promise<Page> => {
      try {
        const s = await t!.waitFor((x) => {
          const p = page(x);
          return p !== undefined && ok(p);
        }, ms);
        return page(s)!;
      } catch (e) {
        throw new Error(`${what}: ${(e as Error).message}`);
      }
    };

    t.keys('ps', 'Enter');
    // the view opens at rest (typing goes to the prompt); Tab moves into it
    await t.waitFor((s) => /^\d+ lines +type a command, or Tab/m.test(s), 60_000);
    t.keys('Tab');
    let p = await wait('ps as a live table', (x) => x.crumb === 'ps' && x.at === 1 && /\[swapper\/0\]$/.test(x.cursor));
    const tasks = p.count;
    expect(tasks).toBeGreaterThan(threads);
    expect(t.tmux('display', '-p', '-t', t.name, '#{mouse_any_flag}').trim()).toBe('1');

    // the cursor to ct-many: filter on its name (the leader and its 10,000 threads), then no filter
    t.keys('/');
    t.keys('ct-many', 'Enter');
    p = await wait('the filter', (x) => x.status.includes('filter "ct-many"') && x.count === many.nthreads);
    expect(p.at).toBe(1);
    expect(p.cursor).toMatch(new RegExp(`^▶ +${many.pid} .* ct-many$`));
    t.keys('/', 'Enter');
    p = await wait('no filter', (x) => x.count === tasks && !x.status.includes('filter "'));
    const row = p.cursor;
    expect(row).toMatch(new RegExp(`^▶ +${many.pid} .* ct-many$`));
    const task = /\s([0-9a-f]{16})\s/.exec(row)![1]!;

    // the process tree: a big dump's thread groups start folded, so the tree has 10,000 items fewer
    t.keys('T');
    p = await wait('the tree', (x) => /[├└]─ - +\d+ .* ct-many$/.test(x.cursor));
    const treeRow = p.cursor;
    // every thread group folded into one "N threads" item: ct-many's 10,000 threads and any other process's
    const folded = p.count;
    expect(folded).toBeLessThanOrEqual(tasks - threads + 1);
    expect(treeRow).toMatch(new RegExp(`[├└]─ - +${many.pid} .* ct-many$`));
    const below = p.lines[p.lines.indexOf(treeRow) + 1]!;
    expect(below).toMatch(new RegExp(`└─ \\+ ${threads} threads$`));
    t.keys('j');
    p = await wait('the threads node', (x) => x.cursor.endsWith(`+ ${threads} threads`));
    t.keys('Right');
    p = await wait(
      'threads unfolded',
      (x) => x.count === folded + threads && x.cursor.endsWith(`- ${threads} threads`),
    );
    const after = p.lines.slice(p.lines.indexOf(p.cursor) + 1, -1);
    expect(after.length).toBeGreaterThan(5);
    for (const l of after) expect(l).toMatch(/[├└]─ +\d+ +\d+ .* ct-many-\d+$/);
    t.keys('Left');
    p = await wait('threads folded', (x) => x.count === folded && x.cursor.endsWith(`+ ${threads} threads`));
    t.keys('k');
    p = await wait('back on ct-many', (x) => x.cursor === treeRow);

    // Enter: its backtrace; Esc: the tree as it was, the cursor on the same row
    t.keys('Enter');
    p = await wait('bt of ct-many', (x) => x.crumb === `ps › bt 0x${task.replace(/^0+/, '')}`);
    expect(p.lines.join('\n')).toMatch(new RegExp(`PID: ${many.pid} +TASK: ${task} +CPU: \\d+ +COMMAND: "ct-many"`));
    expect(p.lines.join('\n')).toMatch(/#0 \[[0-9a-f]{16}\] \w+ at [0-9a-f]{16}/);
    t.keys('Escape');
    p = await wait('back to ps', (x) => x.crumb === 'ps' && x.cursor === treeRow);
    expect(p.count).toBe(folded);
    t.keys('T');
    p = await wait('the table again', (x) => x.count === tasks && x.cursor === row);

    // q: back to the prompt, mouse reporting off again
    t.keys('q');
    await t.waitFor((s) => /^crash> *$/.test(s.trimEnd().split('\n').at(-1) ?? ''));
    expect(t.tmux('display', '-p', '-t', t.name, '#{mouse_any_flag}').trim()).toBe('0');
    t.keys('q', 'Enter');
    for (let i = 0; i < 100 && t.exitStatus() === undefined; i++) await new Promise((r) => setTimeout(r, 100));
    expect(t.exitStatus()).toBe(0);
  }, 600_000);
});
