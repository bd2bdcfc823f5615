/**
 * Load: 20 guests of one shared session each run `ps` and `bt -a` at once and get the very text a single-user
 * session prints; the host's peak RSS stays below twice a single-user session's. Both crash-ts processes are
 * real (bin/crash-ts on the bundled sample dump); the guests are join clients in this process.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSample } from '../../src/cli.js';
import { bin, ensureBuilt } from '../repl/helpers.js';
import { joinGuest, until, type Guest } from './helpers.js';

const sample = findSample();
if (!sample) console.warn('pairing load test: skipped, no bundled sample dump');
beforeAll(() => ensureBuilt(), 300_000);

const children: ChildProcessWithoutNullStreams[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill();
});

function start(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcessWithoutNullStreams; out: () => string; err: () => string } {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env, NO_COLOR: '1' } });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  return { child, out: () => out, err: () => err };
}

/** Peak resident set size of a live process, in kB. */
const peakRss = (pid: number): number =>
  Number(/^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

describe.skipIf(!sample)('pairing under load (bundled sample dump)', () => {
  it('20 guests running ps and bt -a at once get single-user text; host RSS < 2x single-user', async () => {
    const [vmlinux, vmcore] = sample!;
    const MARK = '===crash-ts-load-mark===';
    // single user: ps, a marker, bt -a; stdin kept open so its peak RSS can be read while it lives
    const single = start(['-s', vmlinux!, vmcore!]);
    single.child.stdin.write(`ps\n!echo ${MARK}\nbt -a\n!echo ${MARK}\n`);
    await until(() => single.out().split(MARK).length === 3, 120_000);
    const singleRss = peakRss(single.child.pid!);
    single.child.stdin.end();
    const [ps, bta] = single.out().split(`${MARK}\n`) as [string, string];
    expect(ps).toMatch(/^ +PID +PPID +CPU +TASK +ST +%MEM/);
    expect(ps).toContain('ct-crash');
    expect(bta).toMatch(/^PID: 192 +TASK: [0-9a-f]+ +CPU: \d +COMMAND: "ct-crash"$/m);

    const run = mkdtempSync(join(tmpdir(), 'crash-ts-load-'));
    const host = start(['--share', 'load', '--as', 'host', '-s', vmlinux!, vmcore!], { XDG_RUNTIME_DIR: run });
    await until(() => host.err().includes('sharing this dump as "load"'), 120_000);
    const path = join(run, 'crash-ts', 'load.sock');
    const guests: Guest[] = [];
    for (let i = 0; i < 20; i++) guests.push(await joinGuest(path, `g${i}`));
    const results = await Promise.all(
      guests.map(async (g) => {
        await g.repl.execute('ps');
        const a = g.text();
        g.out.length = 0;
        await g.repl.execute('bt -a');
        return [a, g.text()];
      }),
    );
    for (const [a, b] of results) {
      expect(a).toBe(ps);
      expect(b).toBe(bta);
    }
    const hostRss = peakRss(host.child.pid!);
    console.log(`single-user peak RSS ${singleRss} kB, host with 20 guests ${hostRss} kB`);
    expect(hostRss).toBeLessThan(2 * singleRss);
    for (const g of guests) g.client.close();
    host.child.stdin.end();
    await new Promise((r) => host.child.once('exit', r));
  }, 300_000);
});
