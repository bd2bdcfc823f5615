/**
 * The corpus kernels' full debug vmlinux files (DWARF), as ../shared/corpus/fetch-debug-vmlinux.sh caches
 * them ($CRASH_TS_CORPUS_CACHE, default ~/.cache/crash-ts-corpus/<release>/vmlinux-<release>).
 * Tests that need one skip visibly when it is not there.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { corpusAvailable, corpusDir } from '../helpers/corpus.js';

export const DEBUG_KERNELS = [
  { label: '6.1', release: '6.1.0-56-cloud-amd64', case: 'k61-sysrq-c' },
  { label: '6.12', release: '6.12.107+deb12-cloud-amd64', case: 'k612-sysrq-c' },
];

const cacheRoot = process.env.CRASH_TS_CORPUS_CACHE ?? join(homedir(), '.cache', 'crash-ts-corpus');

export function debugVmlinux(release: string): string | undefined {
  const p = join(cacheRoot, release, `vmlinux-${release}`);
  return existsSync(p) ? p : undefined;
}

/** describe() over a debug vmlinux, skipped with the reason when it is not cached. */
export function describeDebugVmlinux(title: string, release: string, fn: (path: string) => void): void {
  const p = debugVmlinux(release);
  // the suites open the corpus's dumps and case.json beside the vmlinux: a cached vmlinux without the
  // corpus (a bare clone on a machine that fetched it once) skips too
  if (!corpusAvailable) describe.skip(`${title} (skipped: no corpus at ${corpusDir})`, () => fn(''));
  else if (p) describe(title, () => fn(p));
  else
    describe.skip(`${title} (skipped: no ${join(cacheRoot, release)}/vmlinux-${release}; fetch-debug-vmlinux.sh ${release})`, () =>
      fn(''));
}

export function haveAddr2line(): boolean {
  try {
    execFileSync('addr2line', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** binutils' addr2line for link-time addresses: one "file:line" per address; with inlines, innermost first. */
export function addr2line(vmlinux: string, addrs: bigint[], inlines = false): string[] {
  const args = ['-e', vmlinux, ...(inlines ? ['-i', '-f'] : []), ...addrs.map((a) => '0x' + a.toString(16))];
  return execFileSync('addr2line', args, { encoding: 'utf8', maxBuffer: 64 << 20 })
    .trimEnd()
    .split('\n');
}
