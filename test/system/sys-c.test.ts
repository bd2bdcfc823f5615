/**
 * sys -c, net -s, timer -r and irq -a on the 6.1 proc-truth dump against crash 9's own output (run on the same dump and the debug
 * vmlinux, kept in test/fixtures/crash9): the same numbers, files and lines; the name may differ only
 * where several symbols share the handler's address, where we show the __x64_sys_* name the table
 * itself holds (crash shows __do_sys_* or __ia32_sys_*).
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { caseInfo, describeCorpus, dumpPaths, repoRoot } from '../helpers/corpus.js';
import { replOn } from '../helpers/repl.js';

const CASE = 'k61-proc-truth';
const fixture = join(repoRoot, 'test', 'fixtures', 'crash9', `${CASE}.sys-c.out`);

describeCorpus('sys -c against crash 9', () => {
  let k: Kernel | undefined;
  let run: (l: string) => Promise<string>;
  beforeAll(async () => {
    const rel = caseInfo(CASE).kernel_release;
    const vml = join(
      process.env.CRASH_TS_CORPUS_CACHE ?? join(homedir(), '.cache', 'crash-ts-corpus'),
      rel,
      `vmlinux-${rel}`,
    );
    if (!existsSync(vml)) return;
    k = openKernelSync(vml, (await dumpPaths(CASE))[0]!.path);
    run = await replOn(k);
  }, 120_000);

  it('has every entry, file and line crash 9 shows', async () => {
    if (!k) return;
    const ours = (await run('sys -c')).trimEnd().split('\n');
    const theirs = readFileSync(fixture, 'latin1').trimEnd().split('\n');
    expect(ours.length).toBe(theirs.length);
    expect(ours[0]).toBe(theirs[0]);
    let renamed = 0;
    for (let i = 1; i < ours.length; i++) {
      const [a, b] = [ours[i]!.trimEnd().split(/\s+/), theirs[i]!.trimEnd().split(/\s+/)];
      const [oursNum, oursName, ...oursWhere] = a.filter(Boolean);
      const [theirNum, theirName, ...theirWhere] = b.filter(Boolean);
      expect(oursNum).toBe(theirNum);
      expect(oursWhere.join(' ')).toBe(theirWhere.join(' '));
      if (oursName !== theirName) {
        renamed++;
        expect(oursName).toMatch(/^__x64_sys_/);
        expect(k.symbols.address(oursName!)).toBe(k.symbols.address(theirName!));
      }
    }
    // the aliased handlers: trivial syscalls whose wrapper is the body (getpid, fork, pause...)
    expect(renamed).toBeLessThan(200);
  });

  it('net -s of the nc listener equals crash 9 (fixture), and its socket is the fd /proc named socket:[...]', async () => {
    if (!k) return;
    const want = readFileSync(join(repoRoot, 'test', 'fixtures', 'crash9', `${CASE}.net-s-127.out`), 'latin1');
    expect((await run('net -s 127')).trimEnd()).toBe(want.trimEnd());
    const snap = caseInfo(CASE).pre_crash_snapshot as { proc_fd: string[] };
    const sockFds = snap.proc_fd.filter((l) => l.startsWith('pid=127 ') && l.includes('target=socket:['));
    expect(sockFds.map((l) => /fd=(\d+)/.exec(l)![1])).toEqual(['3']);
    expect(await run('net -s 1')).toMatch(/^PID: 1 .*\nNo open sockets\.\n$/);
  });

  it('timer -r equals crash 9 (fixture): every hrtimer of every clock base, with the clock time at the crash', async () => {
    if (!k) return;
    const want = readFileSync(join(repoRoot, 'test', 'fixtures', 'crash9', `${CASE}.timer-r.out`), 'latin1');
    const norm = (t: string): string =>
      t
        .split('\n')
        .map((l) => l.trimEnd())
        .join('\n')
        .trimEnd();
    expect(norm(await run('timer -r'))).toBe(norm(want));
  });

  it('irq -a and irq -s -c 1 equal crash 9 (fixture): virtio queues bound to one CPU each', async () => {
    if (!k) return;
    const want = readFileSync(join(repoRoot, 'test', 'fixtures', 'crash9', `${CASE}.irq-a-and-s-c1.out`), 'latin1');
    const norm = (t: string): string =>
      t
        .split('\n')
        .map((l) => l.trimEnd())
        .join('\n')
        .trimEnd();
    expect(norm((await run('irq -a')) + (await run('irq -s -c 1')))).toBe(norm(want));
  });

  it('filters by name and number', async () => {
    if (!k) return;
    expect((await run('sys -c 39')).split('\n')[1]).toBe(' 39  __x64_sys_getpid           ../kernel/sys.c: 952');
    const open = (await run('sys -c openat')).trimEnd().split('\n');
    expect(open.map((l) => l.split(/\s+/).filter(Boolean)[1])).toEqual([
      'SYSTEM',
      '__x64_sys_openat',
      '__x64_sys_openat2',
    ]);
  });
});
