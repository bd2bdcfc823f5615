/** A crash-ts session on one corpus dump, driven through the REPL (aliases, p/x, errors) for the expr tests. */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadRegistry, type Registry } from '../../commands/index.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { Repl } from '../../src/repl/engine.js';
import { Session } from '../../src/session.js';
import { caseDir, dumpPaths, vmlinuxPlain } from '../helpers/corpus.js';

let registry: Registry | undefined;

export interface Opened {
  k: Kernel;
  s: Session;
  /** run one line; returns what it printed (errors included, one line each) */
  run(line: string): Promise<string>;
}

export async function openSession(vmlinux: string, dump: string): Promise<Opened> {
  registry ??= await loadRegistry({ plugins: false });
  const k = openKernelSync(vmlinux, dump);
  const s = new Session(k);
  let out = '';
  const r = new Repl(s, registry, {
    capture: true,
    display: (t) => void (out += t),
    error: (l) => void (out += l + '\n'),
  });
  return {
    k,
    s,
    run: async (line) => {
      out = '';
      await r.execute(line);
      return out;
    },
  };
}

/**
 * crash 9's stored output of `cmd` on one dump (golden/crash-9-ext, else golden/crash-9), or undefined
 * when it is not stored or crash reported trouble in it (check.py's rule).
 */
export function storedOutput(name: string, dumpFile: string, cmd: string): string | undefined {
  for (const sub of ['crash-9-ext', 'crash-9']) {
    const idx = join(caseDir(name), 'golden', sub, dumpFile, 'index.json');
    if (!existsSync(idx)) continue;
    const entry = (
      JSON.parse(readFileSync(idx, 'utf8')) as { commands: { cmd: string; file: string; error?: boolean }[] }
    ).commands.find((c) => c.cmd === cmd);
    if (!entry || entry.error) continue;
    const text = readFileSync(join(caseDir(name), 'golden', sub, dumpFile, entry.file), 'latin1');
    if (/^(crash|\w+): .*(cannot|invalid|excluded|not found|failed)|^WARNING/m.test(text)) return undefined;
    return text;
  }
  return undefined;
}

/** Output as check.py compares it: `$N = ` history numbers and trailing blanks ignored. */
export function normalized(text: string): string {
  return text
    .replace(/\$\d+ = /g, '$N = ')
    .replace(/\n+$/, '')
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}

/** A session on a corpus case's kdump-zlib dump (else its first), with the vmlinux without DWARF. */
export async function openCaseSession(name: string): Promise<Opened> {
  const dumps = await dumpPaths(name);
  const d = dumps.find((x) => x.file === 'vmcore.kdump-zlib') ?? dumps[0]!;
  return openSession(await vmlinuxPlain(name), d.path);
}
