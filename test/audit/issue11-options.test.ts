/**
 * Issue 11's options that had no stored crash 9 run (golden/crash-9*), on the two proc-truth cases: crash 9's
 * output, taken live in the sid chroot (test/fixtures/issue11/CASE/commands.tsv: the command with the case's
 * own pid or address, and its output file; kmem of a struct page and of a task's stack, kmem -s CACHE-ADDRESS and
 * kmem -S OBJECT among them), compared as check.py breadth compares (trailing blanks dropped);
 * and what the guest's /proc said a few seconds before the crash:
 * - files -d DENTRY of the files-holder's fd 0 names the file its /proc/PID/fd/0 pointed at;
 * - ps -S: the states sum to the tasks ps lists, one zombie (corpus-zombie), one stopped task (the SIGSTOPped
 *   sleep), as the workload made them;
 * - vtop -u -c PID: the user address is in a mapping of /proc/PID/maps.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { caseInfo, caseNames, describeCorpus, repoRoot, skipWhenNoCases } from '../helpers/corpus.js';
import { openFirstDump } from '../helpers/corpus-command.js';
import { procLinesByPid } from '../helpers/golden-index.js';

const fixtures = join(repoRoot, 'test', 'fixtures', 'issue11');
const norm = (t: string): string =>
  t
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .trimEnd();

interface Workload {
  pid: number;
  role: string;
  expected_state: string;
}

const cases = caseNames().filter((n) => existsSync(join(fixtures, n, 'commands.tsv')));
skipWhenNoCases("issue 11's options against crash 9 and /proc on the proc-truth cases");

for (const name of cases) {
  describeCorpus(`issue 11 options on ${name}`, () => {
    const dump = openFirstDump(name);
    const info = caseInfo(name);
    const workload = info.workload as Workload[];
    const holder = workload.find((w) => w.role === 'files-holder')!.pid;
    const rows = readFileSync(join(fixtures, name, 'commands.tsv'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split('\t') as [string, string, string]);

    for (const [generic, cmd, file] of rows) {
      it(`${generic}: equal to crash 9 (${cmd})`, async () => {
        const want = readFileSync(join(fixtures, name, file), 'utf8');
        expect(norm(await dump.run(cmd))).toBe(norm(want));
      });
    }

    it("files -d DENTRY names the file of the guest's /proc/PID/fd/0", async () => {
      const fd0 = /^\s+0 [0-9a-f]{16} ([0-9a-f]{16}) /m.exec(await dump.run(`files ${holder}`))![1]!;
      const target = procLinesByPid(info.pre_crash_snapshot as Record<string, unknown>, 'proc_fd')
        .get(holder)!
        .find((l) => l.startsWith('fd=0 '))!
        .replace(/^fd=0 target=/, '');
      const out = (await dump.run(`files -d ${fd0}`)).trimEnd().split('\n');
      expect(out[1]).toMatch(new RegExp(`^${fd0} [0-9a-f]{16} [0-9a-f]{16} REG  ${target.replace(/\./g, '\\.')}$`));
    });

    it('ps -S counts every task ps lists, with the zombie and the stopped task the workload made', async () => {
      const counts = new Map(
        [...(await dump.run('ps -S')).matchAll(/^\s+([A-Z]{2}): (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]),
      );
      const tasks = (await dump.run('ps')).trimEnd().split('\n').length - 1;
      expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(tasks);
      for (const [st, state] of [
        ['ZO', 'Z'],
        ['ST', 'T'],
      ])
        expect(counts.get(st), st).toBeGreaterThanOrEqual(workload.filter((w) => w.expected_state === state).length);
    });

    it("vtop -u -c PID: the address lies in a mapping of the guest's /proc/PID/maps", async () => {
      const maps = procLinesByPid(info.pre_crash_snapshot as Record<string, unknown>, 'proc_maps').get(holder) ?? [];
      const hit = maps.some((l) => {
        const m = /^([0-9a-f]+)-([0-9a-f]+) /.exec(l);
        return !!m && BigInt(`0x${m[1]}`) <= 0x401000n && 0x401000n < BigInt(`0x${m[2]}`);
      });
      expect(hit, maps.join('\n')).toBe(true);
      const out = await dump.run(`vtop -u -c ${holder} 401000`);
      expect(out).toMatch(/^VIRTUAL +PHYSICAL *\n401000 +[0-9a-f]+ *\n/);
      // the VMA line names the file the guest's maps named for that range
      const file = maps
        .find((l) => l.startsWith('00401000-'))!
        .split(/\s+/)
        .at(-1)!;
      expect(out).toMatch(new RegExp(`^[0-9a-f]{16} +401000 +[0-9a-f]+ +[0-9a-f]+ ${file}$`, 'm'));
    });
  });
}
