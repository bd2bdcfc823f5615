/**
 * Run command lines through the real REPL (parser, aliases, registry) on an open kernel, as a user
 * types them, and compare with crash 9's stored output the way check.py breadth does.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry, type Registry } from '../../commands/index.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { Repl } from '../../src/repl/engine.js';
import { Session } from '../../src/session.js';
import { caseDir } from './corpus.js';

let registry: Registry | undefined;

/** A session on an open kernel with a REPL; `run` runs one line and returns all it printed (errors included). */
export async function replSession(k: Kernel): Promise<{ s: Session; run: (line: string) => Promise<string> }> {
  registry ??= await loadRegistry({ plugins: false });
  const s = new Session(k);
  let out = '';
  const r = new Repl(s, registry, {
    capture: true,
    display: (t) => void (out += t),
    error: (l) => void (out += l + '\n'),
  });
  return {
    s,
    run: async (line: string) => {
      out = '';
      await r.execute(line);
      return out;
    },
  };
}

/** A function that runs one line and returns everything it printed (errors included). */
export async function replOn(k: Kernel): Promise<(line: string) => Promise<string>> {
  return (await replSession(k)).run;
}

/**
 * crash 9's output of `cmd` on one dump of a case, from golden/crash-9 or golden/crash-9-ext (looked up in
 * their index.json); undefined where absent, marked as an error, or where crash reported trouble.
 */
export function crashOutput(
  caseName: string,
  dumpFile: string,
  cmd: string,
  folders: readonly string[] = ['crash-9', 'crash-9-ext'],
): string | undefined {
  for (const sub of folders) {
    const dir = join(caseDir(caseName), 'golden', sub, dumpFile);
    const idx = join(dir, 'index.json');
    if (!existsSync(idx)) continue;
    const entries = (
      JSON.parse(readFileSync(idx, 'utf8')) as { commands: { cmd: string; file: string; error?: boolean }[] }
    ).commands;
    const c = entries.find((e) => e.cmd === cmd && !e.error);
    if (!c) continue;
    const t = readFileSync(join(dir, c.file), 'latin1');
    if (/^(crash|\w+): .*(cannot|invalid|excluded|not found|failed)|^WARNING/m.test(t)) return undefined;
    return t;
  }
  return undefined;
}

export { breadthNorm } from '../../scripts/breadth-norm.js';
