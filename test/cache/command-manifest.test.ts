/**
 * The command manifest (src/repl/command-manifest.ts): stand-ins made from it carry every field the REPL
 * reads before running a command, run the real command when run, and are refused (undefined: the eager
 * load) when a command file changed, went away, or the manifest is garbled.
 */
import { copyFileSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadRegistry } from '../../commands/index.js';
import { lazyCommands, saveManifest } from '../../src/repl/command-manifest.js';
import { Session } from '../../src/session.js';
import { repoRoot } from '../helpers/corpus.js';

const root = mkdtempSync(join(tmpdir(), 'crash-ts-manifest-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the command manifest', async () => {
  const registry = await loadRegistry({ plugins: false });
  const real = ['eval.ts', 'sys.ts'].map((f) => join(repoRoot, 'commands', f));
  // copies of them, whose mtime the test changes (never run: their imports are relative)
  const copies = ['eval.ts', 'sys.ts'].map((f) => {
    const to = join(root, f);
    copyFileSync(join(repoRoot, 'commands', f), to);
    return to;
  });
  const entries = (files: string[]) =>
    files.map((file) => ({ file, command: registry.get(file.endsWith('eval.ts') ? 'eval' : 'sys')! }));

  it('gives stand-ins with the same fields as the commands, which run the real command', async () => {
    saveManifest(real, entries(real), root);
    const got = lazyCommands(real, root)!;
    expect(got.map((c) => c.name)).toEqual(['eval', 'sys']);
    for (const c of got) {
      const real = registry.get(c.name)!;
      for (const k of ['aliases', 'summary', 'help', 'options', 'keepQuotes', 'needsDump', 'foreach'] as const)
        expect(c[k], `${c.name}.${k}`).toEqual(real[k]);
    }
    const session = new Session(undefined);
    const args = { flags: {}, positional: ['0x10', '+', '2'], raw: ['0x10', '+', '2'] };
    expect(await got[0]!.run(session, args)).toEqual(await registry.get('eval')!.run(session, args));
  });

  it('is refused when a command file changed, is gone, or the manifest is garbled', () => {
    const files = copies;
    const byFile = entries(files);
    saveManifest(files, byFile, root);
    expect(lazyCommands(files, root)).toBeDefined();
    const t = new Date(Date.now() + 5000);
    utimesSync(files[0]!, t, t);
    expect(lazyCommands(files, root)).toBeUndefined();
    saveManifest(files, byFile, root);
    expect(lazyCommands([...files, join(root, 'gone.ts')], root)).toBeUndefined();
    expect(lazyCommands(files, root)).toBeDefined();
    writeFileSync(join(root, 'commands-manifest.json'), '{"version":1,"key":');
    expect(lazyCommands(files, root)).toBeUndefined();
    expect(readdirSync(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
