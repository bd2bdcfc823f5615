/**
 * V8's code cache for the line-mode bundle (dist/bundle/line.cjs.cache), made when the bundle is built:
 * bin/crash-ts runs the bundled sample dump's first commands twice (a cold start, which builds the vmlinux's
 * warm-start cache, then a warm one), with CRASH_TS_CODE_CACHE_OUT set: at exit it writes what V8 compiled,
 * the second run adding to what it read from the first. A later line-mode session compiles line.cjs with it and
 * does not parse or compile those functions again (docs/performance.md, "A code cache for line mode").
 *
 *   node dist/scripts/code-cache.js [BUNDLE_DIR]        (run by scripts/bundle.ts after it builds)
 *
 * The cache holds what the commands below ran, and V8 reads all of it at every start: a command not listed still
 * works, compiled as it runs. No sample dump (it is in the repository) or a run that fails: no cache, and a note.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** What a first session mostly asks: the banner's sys, then these. */
const COMMANDS = ['ps', 'bt', 'log', 'bt -a', 'mod', 'kmem -i', 'q'];

/** Make BUNDLE_DIR/line.cjs.cache; returns a note when it could not. */
export function makeCodeCache(bundleDir = join(root, 'dist', 'bundle')): string | undefined {
  const out = join(bundleDir, 'line.cjs.cache');
  const tmp = `${out}.${process.pid}.tmp`;
  const xdg = mkdtempSync(join(tmpdir(), 'crash-ts-code-cache-'));
  try {
    for (const pass of ['cold', 'warm']) {
      const r = spawnSync(process.execPath, [join(root, 'bin', 'crash-ts')], {
        input: COMMANDS.join('\n') + '\n',
        encoding: 'utf8',
        env: { ...process.env, XDG_CACHE_HOME: xdg, CRASH_TS_CODE_CACHE_OUT: tmp, CRASH_TS_BUNDLE: undefined },
        timeout: 120_000,
      });
      if (r.status !== 0) return `the ${pass} run exited ${r.status ?? r.signal}: ${(r.stderr || '').split('\n')[0]}`;
      // the warm run compiles line.cjs with the cold run's cache, and adds to it
      renameSync(tmp, out);
    }
    return statSync(out).size > 0 ? undefined : 'V8 wrote an empty cache';
  } catch (err) {
    return (err as Error).message;
  } finally {
    rmSync(xdg, { recursive: true, force: true });
    rmSync(tmp, { force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const note = makeCodeCache(process.argv[2]);
  if (note) process.stderr.write(`code-cache: no code cache for line mode (${note}); it runs without\n`);
}
