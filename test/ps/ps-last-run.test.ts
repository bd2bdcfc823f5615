/**
 * ps -m (time since each task last ran, on its CPU's runqueue clock) and -C (per-CPU blocks), byte for byte
 * against crash 9.0.2's real output. The corpus goldens do not include these commands: the files under
 * test/ps/crash9-ps-m/ were produced by running crash 9 (the sid chroot, full debug vmlinux) on the same dumps;
 * see test/ps/crash9-ps-m/README.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import ps, { formatSinceRun } from '../../commands/ps.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { renderText } from '../../src/render/text.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { caseNames, describeCorpus, dumpPaths, vmlinuxPlain } from '../helpers/corpus.js';

const here = dirname(fileURLToPath(import.meta.url));
const goldenRoot = join(here, 'crash9-ps-m');

/** which dump of each case crash 9 was run on */
const DUMP: Record<string, string> = { 'k61-sysrq-c': 'vmcore.kdump-zlib', 'k612-sysrq-c': 'vmcore.kdump-zlib-mdf179' };

describe('formatSinceRun', () => {
  it('truncates to milliseconds and rolls over into days', () => {
    expect(formatSinceRun(675_757_625n)).toBe('0 00:00:00.675');
    expect(formatSinceRun(0n)).toBe('0 00:00:00.000');
    expect(formatSinceRun(-5n)).toBe('0 00:00:00.000');
    expect(formatSinceRun(((2n * 86400n + 3n * 3600n + 4n * 60n + 5n) * 1000n + 6n) * 1_000_000n + 999_999n)).toBe(
      '2 03:04:05.006',
    );
  });
});

describeCorpus('ps -m / -l / -C against crash 9', () => {
  for (const name of Object.keys(DUMP)) {
    it(`${name}: every captured command equals crash 9 byte for byte`, async () => {
      if (!caseNames().includes(name)) return;
      const d = (await dumpPaths(name)).find((x) => x.file === DUMP[name]);
      expect(d).toBeDefined();
      const s = new Session(openKernelSync(await vmlinuxPlain(name), d!.path));
      const run = (cmd: string): string =>
        renderText(ps.run(s, parseArgs(cmd.split(' ').slice(1), ps.options)) as never);
      const files = readdirSync(join(goldenRoot, name)).filter((f) => f.endsWith('.out'));
      expect(files.length).toBeGreaterThan(1);
      for (const f of files) {
        const cmd = f.replace(/\.out$/, '').replace(/_/g, ' ');
        let want = readFileSync(join(goldenRoot, name, f), 'utf8');
        // crash repeats a task that two selectors name (108 and "sleep"), on the next line; we list it once
        want = want
          .split('\n')
          .filter((l, i, all) => !l || l !== all[i - 1])
          .join('\n');
        expect(run(cmd), cmd).toBe(want);
      }
    }, 120_000);
  }

  it('-C needs -l or -m, and a valid CPU list', async () => {
    if (!caseNames().includes('k61-sysrq-c')) return;
    const d = (await dumpPaths('k61-sysrq-c')).find((x) => x.file === 'vmcore.kdump-zlib')!;
    const s = new Session(openKernelSync(await vmlinuxPlain('k61-sysrq-c'), d.path));
    const run = (argv: string[]) => () => ps.run(s, parseArgs(argv, ps.options));
    expect(run(['-C', '0'])).toThrow(/-C goes with -l or -m/);
    expect(run(['-m', '-C', '7'])).toThrow(/invalid cpu list: 7/);
    expect(run(['-m', '-C', 'x'])).toThrow(/invalid cpu list/);
    const both = renderText(ps.run(s, parseArgs(['-m', '-C', '0-1'], ps.options)) as never);
    expect(both).toBe(renderText(ps.run(s, parseArgs(['-m', '-C', 'all'], ps.options)) as never));
  }, 120_000);
});
