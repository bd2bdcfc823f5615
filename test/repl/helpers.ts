/** Running the built bin/crash-ts as a child process with piped stdin, in a scratch HOME and working directory. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const root = resolve(import.meta.dirname, '..', '..');
export const bin = join(root, 'bin', 'crash-ts');

/** Build dist/ once if it is not there (npm test builds it first anyway). */
export function ensureBuilt(): void {
  if (!existsSync(join(root, 'dist', 'src', 'cli.js')))
    execFileSync('npx', ['tsc', '-p', '.'], { cwd: root, stdio: 'inherit' });
}

export function scratch(): { home: string; cwd: string } {
  const base = mkdtempSync(join(tmpdir(), 'crash-ts-test-'));
  const home = join(base, 'home');
  const cwd = join(base, 'cwd');
  mkdirSync(home);
  mkdirSync(cwd);
  return { home, cwd };
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runCrash(args: string[], input: string, dirs = scratch()): RunResult {
  const r = spawnSync(process.execPath, [bin, ...args], {
    input,
    cwd: dirs.cwd,
    env: { ...process.env, HOME: dirs.home, NO_COLOR: '', FORCE_COLOR: '' },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
