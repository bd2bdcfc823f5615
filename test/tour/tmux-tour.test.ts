/**
 * A learner in the real terminal UI (tmux): `crash-ts --tour` on the bundled sample, lessons 1-3. At the first
 * command step of each lesson they type a wrong command once and must see ✗ and the step's hint; then each step's
 * right line, and the ✓ with its explanation; the explain notes beside sys, log and bt show on the screen. The
 * lines typed are the lessons' own solutions with the dump's facts filled in (as tour show gives them).
 *
 * ink draws nothing until it unmounts under CI=true, so the UI runs with CI=false whatever the test's env. Without
 * tmux the suite skips visibly; under CI (CI=true) tmux is required.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openKernelSync } from '../../src/kernel/open.js';
import { readLessonDir } from '../../src/tour/lesson.js';
import { defaultLessonDir } from '../../src/tour/tour.js';
import { ensureBuilt } from '../repl/helpers.js';
import { tmuxAvailable, TmuxSession } from '../ui/tmux.js';
import { learnerOn } from './learner.js';

const SAMPLE = join(import.meta.dirname, '..', '..', 'sample-dumps');
const sample = JSON.parse(readFileSync(join(SAMPLE, 'sample.json'), 'utf8')) as {
  files: { vmlinux: string; vmcore: string };
};
const haveSample = existsSync(join(SAMPLE, sample.files.vmcore));
const haveTmux = tmuxAvailable();
const lessons = readLessonDir(defaultLessonDir()).slice(0, 3);

let t: TmuxSession | undefined;
afterEach(() => t?.kill());
beforeAll(() => ensureBuilt(), 300_000);

if (!haveTmux && process.env.CI === 'true')
  it('has tmux (CI installs it)', () => {
    throw new Error('tmux is not installed: the tour walk in the terminal UI cannot run');
  });

const title = !haveTmux
  ? 'tour in the terminal UI (skipped: no tmux; apt-get install tmux)'
  : !haveSample
    ? 'tour in the terminal UI (skipped: no bundled sample dump)'
    : 'tour in the terminal UI';

describe.skipIf(!haveTmux || !haveSample)(title, () => {
  it('walks lessons 1-3: a wrong command gets ✗ and the hint, the right one ✓ and its explanation', async () => {
    const k = openKernelSync(join(SAMPLE, sample.files.vmlinux), join(SAMPLE, sample.files.vmcore));
    const facts = (await learnerOn(k)).tour.facts;
    const home = mkdtempSync(join(tmpdir(), 'crash-ts-tour-tmux-'));
    const state = join(home, 'state');
    t = TmuxSession.start(['-s', '--tour'], {
      cols: 140,
      rows: 50,
      env: { HOME: home, XDG_STATE_HOME: state, CI: 'false' },
    });
    const seen = (text: string, ms = 100_000) => t!.waitFor(() => t!.history(3000).includes(text), ms);
    /** a line as the screen shows it: long ones wrap, so match their start */
    const start = (line: string) => line.slice(0, 70);

    await seen(`Lesson 1 of`);
    t.keys('set scroll off', 'Enter'); // set never counts as a try; long outputs stay on screen
    await seen('scroll: off');

    for (const lesson of lessons) {
      let wrongDone = false;
      for (const step of lesson.steps) {
        if (!step.ask && !wrongDone) {
          t.keys('ipcs', 'Enter');
          await seen(`hint: ${start(await facts.fill(step.hint))}`);
          wrongDone = true;
        }
        t.keys(await facts.fill(step.solution), 'Enter');
        await seen(`✓ ${start(await facts.fill(step.explain![0]!))}`);
      }
      await seen(`Lesson ${lessons.indexOf(lesson) + 1} done: ${lesson.steps.map(() => '✓').join(' ')}`);
    }
    const screen = t.history(3000);
    expect(screen).toContain('✗ not the command this step is after');
    // explain mode is on during the tour: the notes beside sys, log and bt
    expect(screen).toContain('# [PARTIAL DUMP]: makedumpfile left pages out');
    expect(screen).toContain('# read: the printk ring buffer');
    expect(screen).toContain('# panic() was called here');
    expect(screen).toContain('# CS 0033 is user mode');

    t.keys('tour list', 'Enter');
    await seen('(✓ passed');
    t.keys('q', 'Enter');
    for (let i = 0; i < 100 && t.exitStatus() === undefined; i++) await new Promise((r) => setTimeout(r, 100));
    expect(t.exitStatus()).toBe(0);
    const saved = JSON.parse(readFileSync(join(state, 'crash-ts', 'tour.json'), 'utf8')) as {
      marks: Record<string, string[]>;
    };
    for (const l of lessons)
      expect(
        saved.marks[l.id]!.every((m) => m === 'pass'),
        l.id,
      ).toBe(true);
  }, 300_000);
});
