/**
 * A process of 10,000 threads on Linux 6.12: the kdump made by
 *   scripts/qemu/make-scenario.sh k612-10k-threads ~/.cache/crash-ts-corpus/scenarios/k612-10k-threads
 * (ct-many starts 10,000 threads that name themselves ct-many-N and pause; then sysrq-c). The truth is what the
 * guest's /proc listed a second before the crash (case.json: every task, threads included). CI does not make this
 * dump (4-5 minutes under TCG): without it the suite skips visibly. Speed is measured by the benchmark
 * (scripts/bench-scale.sh), not here.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import psCommand from '../../commands/ps.js';
import type { Command } from '../../src/command.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { allTasks, type Task } from '../../src/kernel/objects/tasks.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { describeWithOptionalDump, scenariosDir, vmlinuxOfRelease } from '../helpers/made-dumps.js';

const NAME = 'k612-10k-threads';
const RELEASE = '6.12.107+deb12-cloud-amd64';
const DIR = join(scenariosDir, NAME);
const haveDump = existsSync(join(DIR, 'vmcore.kdump-zlib')) && existsSync(join(DIR, 'case.json'));

interface Case {
  many_threads: number;
  workload: { pid: number; ppid: number; comm: string; nthreads: number }[];
  workload_threads: { tgid: number; pid: number; comm: string }[];
  pre_crash_snapshot: { ps: { pid: number; ppid: number; state: string; comm: string; nthreads: number }[] };
}

let vmlinux: string | undefined;
if (haveDump) vmlinux = await vmlinuxOfRelease(RELEASE);
const missing = !haveDump
  ? `no ${DIR}; scripts/qemu/make-scenario.sh ${NAME} ${DIR}`
  : vmlinux
    ? undefined
    : `no vmlinux of ${RELEASE}`;

describeWithOptionalDump(`scenario ${NAME}: a process of 10,000 threads (6.12)`, missing, () => {
  let k: Kernel;
  let c: Case;
  let leader: Case['workload'][number];
  let group: Task[];
  const run = async (cmd: Command, words: string[]): Promise<string> =>
    renderText((await cmd.run(new Session(k), parseArgs(words, cmd.options))) as View);
  beforeAll(() => {
    c = JSON.parse(readFileSync(join(DIR, 'case.json'), 'utf8')) as Case;
    leader = c.workload.find((w) => w.comm === 'ct-many')!;
    k = openKernelSync(vmlinux!, join(DIR, 'vmcore.kdump-zlib'));
    group = allTasks(k).tasks.filter((t) => t.tgid === leader.pid);
  }, 300_000);
  afterAll(() => k?.dump.close());

  it('the guest made its 10,000 threads', () => {
    expect(c.many_threads).toBe(10_000);
    expect(leader.nthreads).toBe(10_001);
    expect(c.workload_threads.filter((t) => t.tgid === leader.pid)).toHaveLength(10_000);
  });

  it('every thread of ct-many is in the task table with the pid, tgid and comm the guest saw, and no other', () => {
    const table = allTasks(k);
    expect(table.unreadable).toEqual([]);
    expect(group).toHaveLength(leader.nthreads);
    const seen = new Map(group.map((t) => [t.pid, t]));
    const lead = seen.get(leader.pid)!;
    expect(lead.comm).toBe('ct-many');
    expect(lead.ppid).toBe(leader.ppid);
    for (const th of c.workload_threads.filter((t) => t.tgid === leader.pid)) {
      const t = seen.get(th.pid);
      expect(t, `thread ${th.pid}`).toBeDefined();
      expect(t!.comm).toBe(th.comm);
      expect(t!.groupLeader).toBe(lead.address);
      // a thread's parent is its process's parent (crash's PPID column)
      expect(t!.ppid).toBe(leader.ppid);
    }
  });

  it('every other process of the snapshot is there too, with its comm and thread count', () => {
    const byPid = new Map(allTasks(k).tasks.map((t) => [t.pid, t]));
    const byTgid = new Map<number, number>();
    for (const t of allTasks(k).tasks) if (!t.idle) byTgid.set(t.tgid, (byTgid.get(t.tgid) ?? 0) + 1);
    // the snapshot's own pipeline (one cat and one awk over /proc) was gone by the crash, and the workqueues
    // let idle kworkers exit (listing 10,000 threads takes the guest a while under TCG)
    const lasting = c.pre_crash_snapshot.ps.filter(
      (p) => p.comm !== 'cat' && p.comm !== 'awk' && !(p.comm.startsWith('kworker/') && p.state === 'I'),
    );
    expect(lasting.length).toBeGreaterThan(30);
    for (const p of lasting) {
      const t = byPid.get(p.pid);
      expect(t, `pid ${p.pid} ${p.comm}`).toBeDefined();
      // /proc names a kworker with its workqueue ("kworker/0:1-events"); task->comm holds 15 characters
      expect(p.comm.startsWith(t!.comm), `pid ${p.pid}: ${p.comm} vs ${t!.comm}`).toBe(true);
      expect(byTgid.get(p.pid), `threads of pid ${p.pid}`).toBe(p.nthreads);
    }
  });

  it('ps lists one line per task; ps -G one per process; ps of a thread and ps -p of a thread', async () => {
    const all = allTasks(k).tasks.length;
    const ps = (await run(psCommand, [])).trimEnd().split('\n');
    expect(ps).toHaveLength(1 + all);
    expect(ps.filter((l) => / ct-many(-\d+)?$/.test(l))).toHaveLength(10_001);
    const last = c.workload_threads.filter((t) => t.tgid === leader.pid).at(-1)!;
    const one = (await run(psCommand, [String(last.pid)])).trimEnd().split('\n');
    expect(one).toHaveLength(2);
    expect(one[1]).toMatch(
      new RegExp(`^\\s+${last.pid}\\s+${leader.ppid}\\s+\\d\\s+[0-9a-f]{16}\\s+IN .* ${last.comm}$`),
    );
    const anc = (await run(psCommand, ['-p', String(last.pid)])).trimEnd().split('\n');
    // swapper/0, then init ... down to the thread itself
    expect(anc[0]).toMatch(/^PID: 0 +TASK: [0-9a-f]+ +CPU: 0 +COMMAND: "swapper\/0"$/);
    expect(anc.at(-1)).toMatch(new RegExp(`PID: ${last.pid} +TASK: [0-9a-f]+ +CPU: \\d +COMMAND: "${last.comm}"$`));
  });
});
