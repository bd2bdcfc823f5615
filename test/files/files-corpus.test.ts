/**
 * files on every corpus dump: equal to crash 9's stored output (as check.py breadth compares it); on a dump that
 * lost pages, crash 9's lines and then one line per fd naming the page the dump lacks (crash 9 stops silently);
 * on the proc-truth cases, every fd the guest's own /proc/PID/fd listed, with its path; and the JSON data.
 */
import { expect, it } from 'vitest';
import { openKernelSync } from '../../src/kernel/open.js';
import { caseInfo, caseNames, describeCorpus, dumpPaths, skipWhenNoCases, vmlinuxPlain } from '../helpers/corpus.js';
import { procLinesByPid } from '../helpers/golden-index.js';
import { replOn } from '../helpers/repl.js';
import { itEqualsStoredRuns, openCaseDumps } from '../helpers/corpus-command.js';

skipWhenNoCases('files on each corpus case');

for (const name of caseNames()) {
  describeCorpus(`files on ${name}`, () => {
    const info = caseInfo(name);
    const opened = openCaseDumps(name);

    itEqualsStoredRuns(
      'equals crash 9 on every stored files command (or names the pages the dump lacks)',
      name,
      opened,
      /^files\b/,
    );

    const snap = info.pre_crash_snapshot as Record<string, unknown> | undefined;
    const fds = procLinesByPid(snap, 'proc_fd');
    const cwds = procLinesByPid(snap, 'proc_cwd');
    if (fds.size) {
      it("lists every fd of the guest's /proc/PID/fd, with its path, and its cwd", async () => {
        const { k, run } = opened[0]!;
        let checked = 0;
        for (const [pid, lines] of fds) {
          const out = await run(`files ${pid}`);
          if (/invalid task or pid value/.test(out)) continue; // exited between the snapshot and the crash
          checked++;
          const rows = new Map<number, string>();
          for (const l of out.split('\n')) {
            const m = /^\s*(\d+) ([0-9a-f]{16}) /.exec(l);
            if (m) rows.set(Number(m[1]), l);
          }
          for (const l of lines) {
            const m = /^fd=(\d+) target=(.*)$/.exec(l)!;
            const row = rows.get(Number(m[1]));
            expect(row, `pid ${pid} fd ${m[1]}: ${out}`).toBeDefined();
            const target = m[2]!;
            if (target.startsWith('/')) expect(row!.endsWith(` ${target}`), `pid ${pid}: ${row}`).toBe(true);
            else if (target.startsWith('socket:')) expect(row).toMatch(/ SOCK /);
            else if (target.startsWith('pipe:')) expect(row).toMatch(/ (FIFO|PIPE) /);
            else if (target.startsWith('<'))
              expect(row).toMatch(new RegExp(`/${target.slice(1, -1).replace('.', '\\.')}$`));
          }
          const cwd = cwds.get(pid)?.[0]?.replace(/^target=/, '');
          if (cwd) expect(out).toContain(`CWD: ${cwd}`);
        }
        expect(checked).toBeGreaterThan(5);
        void k;
      });
    }

    it('gives the same rows as JSON', async () => {
      const { run } = opened[0]!;
      await run('set output json');
      const doc = JSON.parse(await run('files 1')) as {
        pid: number;
        files: { fd: number; path: string; type: string }[];
        unreadable?: { fd: number; reason: string }[];
      };
      await run('set output text');
      expect(doc.pid).toBe(1);
      expect(doc.files.length + (doc.unreadable?.length ?? 0)).toBeGreaterThan(0);
      const text = await run('files 1');
      for (const f of doc.files) if (f.path) expect(text).toContain(` ${f.path}`);
    });
  });
}

describeCorpus('files -c and -R on k61-proc-truth', () => {
  it('-c shows each inode’s i_mapping and its nrpages; -R keeps only what refers to REF', async () => {
    if (!caseNames().includes('k61-proc-truth')) return;
    const [d] = await dumpPaths('k61-proc-truth');
    const k = openKernelSync(await vmlinuxPlain('k61-proc-truth'), d!.path);
    const run = await replOn(k);
    // crash 9 on this dump: files -c 1, files -R console 1, files -R 10 1
    expect(await run('files -c 1')).toContain(' 10 ffff897c0245f4a0 ffff897c0245f618       4 REG  /init\n');
    const ref = await run('files -R console 1');
    expect(ref).toContain('ROOT: /    CWD: / \n');
    expect(ref.split('\n').filter((l) => / \/dev\/console$/.test(l)).length).toBe(3);
    expect(ref).not.toContain('/init');
    expect((await run('files -R 10 1')).split('\n').filter((l) => /^ *\d+ /.test(l))).toEqual([
      ' 10 ffff897c01b62c00 ffff897c0211b780 ffff897c0245f4a0 REG  /init',
    ]);
    // crash ends what it prints for a task named by PID with a blank line, even when nothing matched
    expect(await run('files -R nothing-is-called-this 1')).toBe('\n');
  });
});
