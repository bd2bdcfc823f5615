/**
 * `crash-ts --tour` with stdin piped (line mode): the tour starts after the banner, checks the piped lines as a
 * learner's, prints plain text (no ANSI), and saves its progress under $XDG_STATE_HOME/crash-ts/tour.json.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { bin, ensureBuilt } from '../repl/helpers.js';

const SAMPLE = join(import.meta.dirname, '..', '..', 'sample-dumps');
const have = existsSync(join(SAMPLE, 'vmcore'));
beforeAll(() => ensureBuilt(), 300_000);

describe.skipIf(!have)('crash-ts --tour in line mode', () => {
  it('starts lesson 1, passes sys, hints after a wrong answer, and keeps the place', () => {
    const home = mkdtempSync(join(tmpdir(), 'crash-ts-tour-line-'));
    const state = join(home, 'state');
    const run = (input: string) =>
      spawnSync(process.execPath, [bin, '-s', '--tour'], {
        input,
        cwd: home,
        env: { ...process.env, HOME: home, XDG_STATE_HOME: state, NO_COLOR: '' },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const r = run('ps\nsys\nanswer 0.0.0\n');
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(/\x1b\[/);
    const out = r.stdout;
    expect(out).toContain('Lesson 1 of');
    expect(out.indexOf('✗ not the command this step is after')).toBeGreaterThan(out.indexOf('Lesson 1 of'));
    expect(out).toMatch(/# \[PARTIAL DUMP\]: makedumpfile left pages out/);
    expect(out).toContain('✓ sys is the dump');
    expect(out).toContain('✗ "0.0.0" is not it');
    const saved = JSON.parse(readFileSync(join(state, 'crash-ts', 'tour.json'), 'utf8')) as { step: number };
    expect(saved.step).toBe(1);
    const again = run('');
    expect(again.stdout).toContain('Step 2 of');
    expect(again.stdout).not.toContain('Welcome');
  });
});
