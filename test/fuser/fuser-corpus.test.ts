/**
 * fuser on every corpus dump against crash 9's stored `fuser /`: the same rows, except on a dump that lost
 * task pages, where crash 9 lists tasks it could not read instead of ones it missed (each difference is a
 * pid crash 9's own ps on that dump lacks, or one of the case's unreadable_tasks); every use fuser reports
 * agrees with files and vm of the same task; exact paths only; inode addresses; JSON.
 */
import { beforeAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import {
  caseNames,
  describeCorpus,
  dumpPaths,
  skipWhenNoCases,
  vmlinuxPlain,
  type CaseDump,
} from '../helpers/corpus.js';
import { goldenCommands } from '../helpers/golden-index.js';
import { breadthNorm, crashOutput, replOn } from '../helpers/repl.js';

skipWhenNoCases('fuser on each corpus case');

const rowPid = (l: string): number => Number(l.trim().split(/\s+/)[0]);

for (const name of caseNames()) {
  describeCorpus(`fuser on ${name}`, () => {
    const opened: { file: string; dump: CaseDump; k: Kernel; run: (l: string) => Promise<string> }[] = [];
    beforeAll(async () => {
      const vml = await vmlinuxPlain(name);
      const all = await dumpPaths(name);
      const stored = all.filter((d) => goldenCommands(name, d.file, /^fuser\b/).length > 0);
      for (const d of stored.length ? stored : all.slice(0, 1)) {
        const k = openKernelSync(vml, d.path);
        opened.push({ file: d.file, dump: d.dump, k, run: await replOn(k) });
      }
    }, 120_000);

    it("lists crash 9's rows for every stored fuser command", async () => {
      let compared = 0;
      for (const { file, dump, run } of opened) {
        for (const cmd of goldenCommands(name, file, /^fuser\b/)) {
          const want = crashOutput(name, file, cmd);
          if (want === undefined) continue;
          compared++;
          const ours = breadthNorm(await run(cmd)).split('\n');
          const theirs = breadthNorm(want).split('\n');
          expect(ours[0]).toBe(theirs[0]);
          const psPids = new Set(
            (crashOutput(name, file, 'ps') ?? '')
              .split('\n')
              .slice(1)
              .filter(Boolean)
              .map((l) => rowPid(l.slice(1))),
          );
          const lost = new Set((dump.unreadable_tasks ?? []).map((u) => u.pid));
          const mine = new Set(ours.slice(1).filter((l) => /^\s*\d+ /.test(l)));
          const crash = new Set(theirs.slice(1));
          for (const l of crash)
            if (!mine.has(l)) expect(lost.has(rowPid(l)), `${cmd}: crash 9's row missing: ${l}`).toBe(true);
          for (const l of mine)
            if (!crash.has(l))
              expect(psPids.has(rowPid(l)), `${cmd}: extra row for a task crash 9 shows: ${l}`).toBe(false);
        }
      }
      expect(compared).toBeGreaterThan(0);
    });

    it('agrees with files and vm, matches exact paths, takes inode addresses and gives JSON', async () => {
      const { run } = opened[0]!;
      const files1 = await run('files 1');
      const fd0 = /^\s+0 [0-9a-f]{16} [0-9a-f]{16} ([0-9a-f]{16}) \S+\s+(\S+)$/m.exec(files1);
      if (!fd0) return; // init's fd 0 unreadable on this dump
      const [, inode, path] = fd0;
      const byPath = await run(`fuser ${path}`);
      expect(byPath).toMatch(/^\s+1 .* fd /m);
      const byInode = await run(`fuser ${inode}`);
      expect(byInode.split('\n').filter((l) => /^\s+\d+ /.test(l)).length).toBeGreaterThan(0);
      // every task fuser names for the path shows it in files or vm
      for (const l of byPath
        .split('\n')
        .filter((x) => /^\s+\d+ /.test(x))
        .slice(0, 5)) {
        const task = l.trim().split(/\s+/)[1]!;
        const both = (await run(`files ${task}`)) + (await run(`vm ${task}`));
        expect(both).toContain(` ${path}`);
      }
      expect(await run(`fuser ${path!.slice(path!.lastIndexOf('/'))}`)).toMatch(/^No users of \/\S+ found\n/);
      expect(await run('fuser nonsense')).toMatch(/^fuser: invalid argument: nonsense/);
      await run('set output json');
      const doc = JSON.parse(await run(`fuser ${path}`)) as { users: { pid: number; uses: string[] }[] };
      await run('set output text');
      expect(doc.users.find((u) => u.pid === 1)?.uses).toContain('fd');
    });
  });
}
