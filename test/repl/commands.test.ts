/** The built-in commands through the registry: help layout, set (settings and task context), alias, extend. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRegistry, type Registry } from '../../commands/index.js';
import { columnLayout } from '../../commands/help.js';
import { Repl } from '../../src/repl/engine.js';
import { Session } from '../../src/session.js';
import { corpusDir } from '../helpers/corpus.js';

let registry: Registry;
beforeAll(async () => {
  registry = await loadRegistry({ plugins: false });
});

function repl(session = new Session()) {
  let out = '';
  const r = new Repl(session, registry, {
    capture: true,
    display: (t) => void (out += t),
    error: (l) => void (out += l + '\n'),
  });
  return { r, session, out: () => out, reset: () => (out = '') };
}

describe('registry', () => {
  it('discovers every command file under commands/ without a list', () => {
    const files = ['help', 'set', 'alias', 'eval', 'q', 'extend'];
    for (const f of files) expect(registry.get(f), f).toBeDefined();
    expect(registry.problems).toEqual([]);
  });
});

const refHelp = join(corpusDir, 'reference', 'crash-9', 'help.out');
describe.skipIf(!existsSync(refHelp))('help list layout', () => {
  it("lays crash's own command names out exactly as crash 9 does (15-wide cells, column by column)", () => {
    const lines = readFileSync(refHelp, 'utf8').split('\n');
    const end = lines.indexOf('', 1);
    const grid = lines.slice(1, end);
    // read crash's names back in column-major order
    const cells = grid.map((l) => l.match(/.{1,15}/g)!.map((c) => c.trim()));
    const names: string[] = [];
    for (let c = 0; c < 5; c++) for (const row of cells) if (row[c]) names.push(row[c]!);
    expect(columnLayout(names)).toEqual(grid);
  });
});

describe('set', () => {
  it('shows settings without a task model and refuses a task switch in one line', async () => {
    const t = repl();
    await t.r.execute('set');
    expect(t.out()).toContain('         radix: 10 (decimal)\n');
    t.reset();
    await t.r.execute('set 1');
    expect(t.out()).toBe('set: no dump is open: there is no task to switch to\n');
  });
  it('changes output to json and back', async () => {
    const t = repl();
    await t.r.execute('set output json');
    t.reset();
    await t.r.execute('eval 2');
    expect(JSON.parse(t.out())).toMatchObject({ hex: '0x2' });
    await t.r.execute('set output text');
    expect(t.session.settings.output).toBe('text');
  });
});

describe('help CMD', () => {
  it('prints the full help of a command or of an alias target, and errors on unknown names', async () => {
    const t = repl();
    await t.r.execute('man eval');
    expect(t.out()).toMatch(/^NAME\n {2}eval - /);
    t.reset();
    await t.r.execute('help nosuch');
    expect(t.out()).toBe('help: no such command or topic: nosuch\n');
  });
  it('every registered command has a summary and a help text', () => {
    for (const c of registry.list()) {
      expect(c.summary, c.name).toBeTruthy();
      expect(c.help, c.name).toBeTruthy();
    }
  });
});
