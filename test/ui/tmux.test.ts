/** The real terminal UI in tmux: typed and pasted commands, Tab, paging, Ctrl-C, resize, q. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../repl/helpers.js';
import { tmuxAvailable, TmuxSession } from './tmux.js';

const have = tmuxAvailable();
if (!have) console.warn('tmux is not installed: skipping the terminal end-to-end test (apt-get install tmux)');

let t: TmuxSession | undefined;
afterEach(() => t?.kill());
beforeAll(() => ensureBuilt(), 300_000);

const lastLine = (screen: string) => screen.trimEnd().split('\n').pop() ?? '';

describe.skipIf(!have)('terminal UI in tmux (no dump)', () => {
  it('types, pastes, completes, pages, survives Ctrl-C and a resize, and q exits 0', async () => {
    const home = mkdtempSync(join(tmpdir(), 'crash-ts-tmux-'));
    t = TmuxSession.start(['--no-dump'], { cols: 90, rows: 14, env: { HOME: home } });
    await t.waitFor(/crash> *$/m, 30_000);

    t.keys('eval 0x10 + 10', 'Enter');
    await t.waitFor('hexadecimal: 1a');

    t.paste('eval 0x20\r');
    await t.waitFor('hexadecimal: 20');
    expect(lastLine(await t.waitFor((s) => /^crash> *$/.test(lastLine(s))))).toMatch(/^crash> *$/);

    t.keys('ev', 'Tab');
    await t.waitFor((s) => /^crash> eval *$/.test(lastLine(s)));
    t.keys('C-c');
    await t.waitFor((s) => /^crash> *$/.test(lastLine(s)));

    t.keys('help input', 'Enter');
    let screen = await t.waitFor(/lines 1-11 of \d+/);
    expect(screen).toContain('Input syntax');
    t.keys('Space');
    await t.waitFor(/lines (?!1-)\d+-\d+ of \d+/);
    t.keys('q');
    await t.waitFor((s) => /^crash> *$/.test(lastLine(s)));
    // as crash's less -X: what was paged through stays on screen, and what came before is still scrolled back
    await t.waitFor(() => t.history().includes('Input syntax'));
    expect(t.history()).toContain('hexadecimal: 20');
    expect(t.screen().trimEnd().split('\n').length).toBeGreaterThan(5);

    t.resize(60, 20);
    t.keys('eval 3', 'Enter');
    screen = await t.waitFor('hexadecimal: 3');
    expect(t.exitStatus()).toBeUndefined();

    // !command owns the terminal while it runs: it reads the keys, and Ctrl-C stops it, not the session
    t.paste('!sh -c \'printf "name? "; read x; echo got-$x\'\r');
    await t.waitFor(/^name\?/m); // the command's own prompt, not the echoed command line
    t.keys('hi', 'Enter');
    await t.waitFor((s) => s.includes('got-hi') && /^crash> *$/.test(lastLine(s)));
    t.keys('!sleep 30', 'Enter');
    await new Promise((r) => setTimeout(r, 500));
    t.keys('C-c');
    await t.waitFor((s) => /^crash> *$/.test(lastLine(s)) && !s.trimEnd().endsWith('!sleep 30'));
    t.keys('eval 4', 'Enter');
    await t.waitFor('hexadecimal: 4');
    expect(t.exitStatus()).toBeUndefined();

    t.keys('q', 'Enter');
    for (let i = 0; i < 100 && t.exitStatus() === undefined; i++) await new Promise((r) => setTimeout(r, 100));
    expect(t.exitStatus()).toBe(0);
  });
});

describe.skipIf(!have)('terminal UI in tmux with the bundled sample dump', () => {
  it('opens the sample with no arguments and reaches a prompt that runs commands', async (ctx) => {
    const { findSample } = await import('../../src/cli.js');
    const { existsSync } = await import('node:fs');
    const { resolve } = await import('node:path');
    if (!findSample() || !existsSync(resolve(import.meta.dirname, '../../dist/src/kernel/open.js'))) {
      console.warn('no bundled sample dump or no kernel model yet: skipping the tmux test with a dump');
      ctx.skip();
      return;
    }
    const home = mkdtempSync(join(tmpdir(), 'crash-ts-tmux-'));
    t = TmuxSession.start(['-s'], { cols: 100, rows: 30, env: { HOME: home } });
    await t.waitFor((s) => /^crash> *$/.test(lastLine(s)), 60_000);
    t.keys('help', 'Enter');
    await t.waitFor('For help on any command above');
    t.keys('q', 'Enter');
    for (let i = 0; i < 100 && t.exitStatus() === undefined; i++) await new Promise((r) => setTimeout(r, 100));
    expect(t.exitStatus()).toBe(0);
  });
});
