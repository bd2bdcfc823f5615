/**
 * The preamble of a per-case command test: open the case's dumps (each with a REPL) before the suite,
 * and the test that every stored crash 9 run of the command is matched (or followed only by lines naming
 * what the dump lacks).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { dumpPaths, vmlinuxPlain } from './corpus.js';
import { expectCrashOrMore, goldenCommands } from './golden-index.js';
import { crashOutput, replOn } from './repl.js';

export interface OpenedDump {
  file: string;
  k: Kernel;
  run: (line: string) => Promise<string>;
}

/**
 * Dumps of case `name` opened in a beforeAll (the array fills then). `storedFor`: only the dumps crash 9
 * has runs of that command for (or the first dump when none has), instead of every dump.
 */
export function openCaseDumps(name: string, storedFor?: RegExp): OpenedDump[] {
  const opened: OpenedDump[] = [];
  beforeAll(async () => {
    const vml = await vmlinuxPlain(name);
    const all = await dumpPaths(name);
    const stored = storedFor ? all.filter((d) => goldenCommands(name, d.file, storedFor).length > 0) : all;
    for (const d of stored.length ? stored : all.slice(0, 1)) {
      const k = openKernelSync(vml, d.path);
      opened.push({ file: d.file, k, run: await replOn(k) });
    }
  }, 120_000);
  return opened;
}

/** A test: every stored crash 9 run of a command matching `re` on these dumps, compared as check.py breadth does. */
export function itEqualsStoredRuns(title: string, name: string, opened: OpenedDump[], re: RegExp): void {
  it(title, async () => {
    let compared = 0;
    for (const { file, run } of opened) {
      for (const cmd of goldenCommands(name, file, re)) {
        const want = crashOutput(name, file, cmd);
        if (want === undefined) continue;
        expectCrashOrMore(await run(cmd), want, `${file}: ${cmd}`);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(0);
  });
}

/** The case's first dump, opened for the suite in a beforeAll and closed after it, with a REPL on it. */
export function openFirstDump(name: string): { readonly k: Kernel; run: (line: string) => Promise<string> } {
  let opened: OpenedDump | undefined;
  const current = (): OpenedDump => {
    if (!opened) throw new Error(`the first dump of ${name} is not open yet (use it inside a test)`);
    return opened;
  };
  beforeAll(async () => {
    const d = (await dumpPaths(name))[0]!;
    const k = openKernelSync(await vmlinuxPlain(name), d.path);
    opened = { file: d.file, k, run: await replOn(k) };
  }, 120_000);
  afterAll(() => opened?.k.dump.close());
  return {
    get k() {
      return current().k;
    },
    run: (line) => current().run(line),
  };
}
