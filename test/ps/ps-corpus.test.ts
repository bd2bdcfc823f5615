/**
 * ps on every dump of the corpus: the workload processes and threads of case.json with their
 * pid, ppid, comm and state; the panic task active on its CPU; crash 9's rows (and bytes) where
 * crash read the dump completely; on a dump that lost pages, every task it still holds.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import psCommand from '../../commands/ps.js';
import { openKernelSync } from '../../src/kernel/open.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { allTasks } from '../../src/kernel/objects/tasks.js';
import { renderText } from '../../src/render/text.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import {
  caseDir,
  caseInfo,
  caseNames,
  describeCorpus,
  dumpPaths,
  skipWhenNoCases,
  vmlinuxPlain,
} from '../helpers/corpus.js';
import { PROC_TO_CRASH } from '../helpers/suite-dump.js';

interface Row {
  active: boolean;
  pid: number;
  ppid: number;
  cpu: string;
  task: string;
  st: string;
  comm: string;
}

/** The same row parser as the referee (check.py ps_rows). */
function psRows(text: string): Row[] {
  const rows: Row[] = [];
  for (const line of text.split('\n')) {
    const m =
      /^([> -])\s*(\d+)\s+(-?\d+)\s+(\S+)\s+([0-9a-f]{16})\s+([A-Z]{2})\s+([\d.]+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (m)
      rows.push({
        active: m[1] === '>',
        pid: +m[2]!,
        ppid: +m[3]!,
        cpu: m[4]!,
        task: m[5]!,
        st: m[6]!,
        comm: m[10]!.trim(),
      });
  }
  return rows;
}

function ps(k: Kernel, argv: string[] = []): string {
  const view = psCommand.run(new Session(k), parseArgs(argv, psCommand.options));
  return renderText(view as Exclude<ReturnType<typeof psCommand.run>, Promise<unknown>>);
}

/** crash 9's output for a command, unless crash itself reported trouble in it. */
function golden(caseName: string, dumpFile: string, file: RegExp): string | undefined {
  const dir = join(caseDir(caseName), 'golden', 'crash-9', dumpFile);
  if (!existsSync(dir)) return undefined;
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { commands: { file: string }[] };
  const f = index.commands.map((c) => c.file).find((n) => file.test(n));
  if (!f) return undefined;
  const t = readFileSync(join(dir, f), 'utf8');
  return /^(crash|\w+): .*(cannot|invalid|excluded|not found|failed)|^WARNING/m.test(t) ? undefined : t;
}

skipWhenNoCases('ps on each corpus case');

for (const name of caseNames()) {
  describeCorpus(`ps on ${name}`, () => {
    const info = caseInfo(name);
    const opened: {
      file: string;
      k: Kernel;
      lost: Set<number>;
      complete?: number;
      unreadable?: { pid: number; task: string }[];
    }[] = [];
    beforeAll(async () => {
      const vml = await vmlinuxPlain(name);
      for (const d of await dumpPaths(name)) {
        const unreadable = d.dump.unreadable_tasks as { pid: number; task: string }[] | undefined;
        opened.push({
          file: d.file,
          k: openKernelSync(vml, d.path),
          lost: new Set((unreadable ?? []).map((u) => u.pid)),
          complete: d.dump.tasks_in_complete_dump,
          unreadable,
        });
      }
    }, 120_000);

    it('lists every workload process with its pid, ppid, comm and state, and every workload thread', () => {
      expect(opened.length).toBeGreaterThan(0);
      for (const { file, k, lost } of opened) {
        const rows = psRows(ps(k));
        const byPid = new Map(rows.map((r) => [r.pid, r]));
        for (const w of info.workload) {
          if (lost.has(w.pid)) continue;
          const r = byPid.get(w.pid);
          const want = PROC_TO_CRASH[w.state_in_proc_before_crash ?? ''] ?? '?';
          expect({ file, pid: w.pid, ppid: lost.has(w.ppid) ? w.ppid : r?.ppid, comm: r?.comm, st: r?.st }).toEqual({
            file,
            pid: w.pid,
            ppid: w.ppid,
            comm: w.comm.slice(0, 15),
            st: want,
          });
        }
        for (const t of info.workload_threads ?? []) {
          if (lost.has(t.pid)) continue;
          expect(byPid.get(t.pid)?.comm, `${file} thread ${t.pid}`).toBe(t.comm.slice(0, 15));
        }
      }
    });

    it('marks the panic task active on the panic CPU', () => {
      if (info.panic.pid === null) return;
      for (const { file, k } of opened) {
        const r = psRows(ps(k)).find((x) => x.pid === info.panic.pid);
        expect({ file, active: r?.active, cpu: r?.cpu }).toEqual({ file, active: true, cpu: String(info.panic.cpu) });
        expect(allTasks(k).panicTask?.pid).toBe(info.panic.pid);
      }
    });

    it("equals crash 9's ps where crash read the whole dump (rows, and bytes)", () => {
      for (const { file, k, lost } of opened) {
        if (lost.size) continue;
        const g = golden(name, file, /_ps\.out$/);
        if (!g) continue;
        const mine = ps(k);
        expect(psRows(mine)).toEqual(psRows(g));
        expect(mine).toBe(g);
        const tasksLine = golden(name, file, /_sys\.out$/)?.match(/TASKS: (\d+)/)?.[1];
        if (tasksLine) expect(allTasks(k).tasks.length).toBe(Number(tasksLine));
      }
    });

    it("equals crash 9's ps -p / ps -c / ps -t layouts on 6.1 dumps", () => {
      for (const { file, k, lost } of opened) {
        if (lost.size) continue;
        for (const [re, argv] of [
          [/_ps_-p_(\d+)\.out$/, ['-p']],
          [/_ps_-c_(\d+)\.out$/, ['-c']],
        ] as const) {
          const g = golden(name, file, re);
          if (!g) continue;
          const dir = join(caseDir(name), 'golden', 'crash-9', file);
          const pid = (
            JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { commands: { file: string }[] }
          ).commands
            .map((c) => re.exec(c.file)?.[1])
            .find(Boolean)!;
          expect(ps(k, [...argv, pid])).toBe(g);
        }
        // RUN TIME is counted from the uptime: crash 9 counts jiffies (a second short on
        // k61-kill-init, minutes off on 6.12), we count the monotonic clock: compare the rest
        const g = golden(name, file, /_ps_-t\.out$/);
        const noRunTime = (t: string): string => t.replace(/^ {4}RUN TIME: .*\n/gm, '');
        if (g) expect(noRunTime(ps(k, ['-t']))).toBe(noRunTime(g));
      }
    });

    it('on a dump that lost pages: lists every task it holds and names the lost ones', () => {
      for (const { file, k, lost, complete, unreadable } of opened) {
        if (!lost.size || !unreadable || complete === undefined) continue;
        const out = ps(k);
        const rows = psRows(out);
        const idle = rows.filter((r) => r.pid === 0).length;
        expect(idle).toBe(k.onlineCpus.length);
        expect(rows.length, file).toBe(complete + idle - lost.size);
        for (const r of rows) expect(lost.has(r.pid) && r.pid !== 0, `${file} lists lost pid ${r.pid}`).toBe(false);
        const table = allTasks(k);
        expect(table.unreadable.map((u) => '0x' + u.address.toString(16)).sort()).toEqual(
          unreadable.map((u) => u.task).sort(),
        );
        expect(table.unreadable.map((u) => u.pid).sort()).toEqual([...lost].sort());
        expect(out).toMatch(new RegExp(`ps: ${lost.size} tasks could not be read \\(pages excluded from the dump\\)`));
        for (const u of unreadable) expect(out).toContain(`pid ${u.pid} (task ${u.task.slice(2)})`);
      }
    });
  });
}
