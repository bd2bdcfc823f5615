/**
 * vitest globalSetup: every test run gets a fresh, empty cache root ($XDG_CACHE_HOME), so tests never read
 * or write the user's warm-start cache (~/.cache/crash-ts); it is removed when the run ends. (The
 * decompressed copies of .gz files are not in it: $CRASH_TS_CACHE, shared by the tests.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'crash-ts-vitest-cache-'));
  process.env.XDG_CACHE_HOME = dir;
  delete process.env.CRASH_TS_CACHE_DIR;
  return () => rmSync(dir, { recursive: true, force: true });
}
