/**
 * Dumps the project makes itself in QEMU (scripts/qemu: make-qemu-dumps.sh, make-scenario.sh), too big to
 * commit: where they are, the vmlinux that reads them, and how a suite that needs one behaves without it.
 *
 * On a developer machine or a bare clone a missing dump skips the suite visibly (the title says how to make
 * it). CI (.ci/run, with CI=true and the corpus beside the project) makes them before the tests: there a
 * missing dump is a failure, so a script that broke cannot hide behind skipped suites.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'vitest';
import { caseInfo, caseNames, corpusAvailable, vmlinuxPlain } from './corpus.js';

export const cacheRoot = process.env.CRASH_TS_CORPUS_CACHE ?? join(homedir(), '.cache', 'crash-ts-corpus');
/** make-qemu-dumps.sh's output folder */
export const qemuDumpsDir = process.env.CRASH_TS_QEMU_DUMPS ?? join(cacheRoot, 'qemu');
/** one folder per make-scenario.sh NAME */
export const scenariosDir = process.env.CRASH_TS_SCENARIOS ?? join(cacheRoot, 'scenarios');

/** CI made the dumps: a suite whose dump is missing fails instead of skipping. */
export const dumpsRequired = process.env.CI === 'true' && corpusAvailable;

/**
 * The vmlinux of a kernel release: a corpus case's (symbols and BTF, no DWARF), or the debug vmlinux a
 * script fetched into the cache (make-scenario.sh does, for releases the corpus does not hold).
 */
export async function vmlinuxOfRelease(release: string): Promise<string | undefined> {
  const c = caseNames().find((n) => caseInfo(n).kernel_release === release);
  if (c) return vmlinuxPlain(c);
  const debug = join(cacheRoot, release, `vmlinux-${release}`);
  return existsSync(debug) ? debug : undefined;
}

/**
 * describe() for a suite that needs made dumps. `missing` names what is absent and how to make it
 * (undefined when everything is there): the suite then skips with that in its title, or, under CI, is
 * replaced by one failing test that says the same.
 */
export function describeWithDumps(title: string, missing: string | undefined, fn: () => void): void {
  if (missing === undefined) describe(title, fn);
  else if (dumpsRequired)
    describe(title, () => {
      it('has the dumps CI makes', () => {
        throw new Error(`CI was meant to make this suite's dumps and did not: ${missing}`);
      });
    });
  else describe.skip(`${title} (skipped: ${missing})`, fn);
}
