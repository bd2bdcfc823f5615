/**
 * Issue 5's done-when, as the README states it: `crash-ts` with no files opens the bundled sample,
 * says so in its banner, and answers sys/bt/ps/log in line mode.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot } from '../helpers/corpus.js';

const sample = JSON.parse(readFileSync(join(repoRoot, 'sample-dumps', 'sample.json'), 'utf8')) as {
  kernel_release: string;
  panic: { pid: number; comm: string; message: string };
};

function crashTs(args: string[], input: string) {
  return spawnSync(process.execPath, [join(repoRoot, 'bin', 'crash-ts'), ...args], {
    input,
    encoding: 'utf8',
    cwd: repoRoot,
  });
}

it('with no files, opens the bundled sample and says so in the banner', () => {
  const r = crashTs([], 'q\n');
  expect(r.status).toBe(0);
  expect(r.stdout.split('\n')[0]).toMatch(/^This is the bundled sample dump/);
  expect(r.stdout).toContain(`     RELEASE: ${sample.kernel_release}\n`);
  expect(r.stdout).toContain(`         PID: ${sample.panic.pid}\n     COMMAND: "${sample.panic.comm}"\n`);
});

it('printf "sys\\nbt\\nps\\nlog\\nq\\n" | crash-ts -s prints all four, in line mode', () => {
  const r = crashTs(['-s'], 'sys\nbt\nps\nlog\nq\n');
  expect(r.status).toBe(0);
  expect(r.stdout).not.toMatch(/bundled sample/);
  expect(r.stdout).toContain(`       PANIC: "${sample.panic.message}"`);
  expect(r.stdout).toMatch(
    new RegExp(`^PID: ${sample.panic.pid}\\s+TASK: [0-9a-f]{16}\\s+CPU: \\d+\\s+COMMAND: "${sample.panic.comm}"$`, 'm'),
  );
  expect(r.stdout).toMatch(/^ +PID +PPID +CPU +TASK +ST +%MEM +VSZ +RSS +COMM$/m);
  expect(r.stdout).toMatch(/^\[ +\d+\.\d{6}\] Linux version /m);
  expect(r.stdout).not.toMatch(/\x1b\[/); // no ANSI in line mode
});
