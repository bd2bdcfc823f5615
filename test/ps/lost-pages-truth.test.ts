/**
 * ps on dumps whose makedumpfile dropped pages the kernel used (6.12 with makedumpfile 1.7.2), against what the
 * guest itself saw. crash 9 builds its task table from the pid xarray: where an xarray node or a struct pid is
 * lost ("cannot read pid struct from xarray") it drops the task, though its task_struct is in the dump, and a
 * task whose parent's task_struct is lost gets PPID -1. crash-ts walks every route to each task (task list,
 * children lists, thread rings, runqueues, the pid table) and takes a lost parent's pid from the pid table.
 * On k612-sysrq-c's kdump-zlib: crash 9 lists neither pid 35 (kworker/u8:1) nor 36 (oom_reaper), so in
 * ps -k/-G/-l and fuser / its next row is pid 37, and it shows corpus-zombie (172) with PPID -1; the guest's
 * /proc a few seconds before the crash had 35 and 36, and 172's parent 164 (corpus-zparent, whose own
 * task_struct is lost). crash-ts is right.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import psCommand from '../../commands/ps.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { readableChunks } from '../../src/kernel/objects/search.js';
import { readSlabCache, slabObjectAt } from '../../src/kernel/objects/slab.js';
import { xarrayLoad } from '../../src/kernel/objects/task-lists.js';
import { allTasks } from '../../src/kernel/objects/tasks.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { caseInfo, caseNames, describeCorpus, dumpPaths, skipWhenNoCases, vmlinuxPlain } from '../helpers/corpus.js';
import { describeWithDumps, madeDumpsPresent, missingMadeDumps, vmlinuxOfRelease } from '../helpers/made-dumps.js';

/** ps's rows as pid -> ppid */
async function psPpids(k: Kernel, argv: string[] = []): Promise<Map<number, number>> {
  const out = renderText((await psCommand.run(new Session(k), parseArgs(argv, psCommand.options))) as View);
  const m = new Map<number, number>();
  for (const l of out.split('\n')) {
    const f = /^[> ]\s*(\d+)\s+(-?\d+)\s+\S+\s+[0-9a-f]{16}\s/.exec(l);
    if (f && f[1] !== '0') m.set(Number(f[1]), Number(f[2]));
  }
  return m;
}

/**
 * The readable struct pids that name any of `tasks` (lost task_structs), found without the task table's routes:
 * every word of the dump's physical memory equal to &task->pid_links[PIDTYPE_PID] that is the
 * tasks[PIDTYPE_PID] member of an allocated object of init_pid_ns's pid cache (as slabObjectAt places it).
 * Empty means the dump holds no struct pid of those tasks: their pid is truly lost.
 */
function readablePidStructsOf(k: Kernel, tasks: bigint[]): string[] {
  const linksOff = BigInt(k.offsetOf('struct task_struct', 'pid_links')); // PIDTYPE_PID is 0
  const tasksOff = BigInt(k.offsetOf('struct pid', 'tasks'));
  const wanted = new Set(tasks.map((t) => t + linksOff));
  const low = new Set([...wanted].map((w) => Number(w & 0xffffffffn)));
  const pidCache = readSlabCache(k, k.variable('init_pid_ns', 'struct pid_namespace').field('pid_cachep').value());
  const base = k.mem.translator.cfg.pageOffsetBase;
  const end = (k.dump.meta.maxPfn ?? 0n) * 4096n;
  const out: string[] = [];
  for (const c of readableChunks(k, 'physical', [{ start: 0n, end }], 0n, end)) {
    for (let i = 0; i + 8 <= c.data.length; i += 8) {
      if (!low.has(c.data.readUInt32LE(i)) || !wanted.has(c.data.readBigUInt64LE(i))) continue;
      const at = base + c.address + BigInt(i);
      const o = slabObjectAt(k, at);
      if (o && !o.free && o.cache.name === pidCache.name && at - o.object === tasksOff) out.push(at.toString(16));
    }
  }
  return out;
}

/** What the pid table holds for a pid, read by looking the one index up (not the table's own walk). */
function pidEntryFate(k: Kernel, pid: number): 'readable' | 'struct pid lost' | 'xarray node lost' | 'absent' {
  const idr = k.variable('init_pid_ns', 'struct pid_namespace').field('idr');
  let entry: bigint | undefined;
  try {
    entry = xarrayLoad(k, idr.field('idr_rt').address, BigInt(pid) - idr.field('idr_base').value());
  } catch {
    return 'xarray node lost';
  }
  if (entry === undefined) return 'absent';
  try {
    k.read(entry, k.sizeOf('struct pid'));
    return 'readable';
  } catch {
    return 'struct pid lost';
  }
}

/**
 * Each process the guest's /proc showed is either a ps row with the guest's PPID, a task ps names as unreadable
 * by pid, or a pid ps names as in the pid table with its struct pid lost; else its xarray node and its struct
 * pid are both lost (a lost task of unknown pid only when the dump holds no struct pid naming it). A PPID of -1
 * only when the parent is named neither by a readable struct, nor by the pid table, nor by a struct pid.
 */
function checkAgainst(
  where: string,
  k: Kernel,
  rows: Map<number, number>,
  procs: { pid: number; ppid: number }[],
): number {
  const table = allTasks(k);
  const lost = new Set(table.unreadable.map((u) => u.pid));
  const unnamed = table.unreadable.filter((u) => u.pid === undefined).map((u) => u.address);
  let provedUnnamed = false;
  let listed = 0;
  for (const p of procs) {
    const ppid = rows.get(p.pid);
    if (ppid === undefined) {
      if (lost.has(p.pid)) continue;
      const fate = pidEntryFate(k, p.pid);
      // the pid table names it, but its struct pid is on a lost page: ps names the pid as such
      if (fate === 'struct pid lost') {
        expect(table.unreachedPids, `${where}: pid ${p.pid}`).toContain(p.pid);
        continue;
      }
      // else its xarray node is lost, and no readable struct pid names it: its struct pid is in a lost slab
      expect(fate, `${where}: pid ${p.pid} neither listed nor named unreadable`).toBe('xarray node lost');
      expect(table.missingRoutes.join('\n'), `${where}: pid ${p.pid}`).toMatch(/the pid slab cache.*not in the dump/);
      if (!provedUnnamed)
        expect(readablePidStructsOf(k, unnamed), `${where}: a readable struct pid names a lost task`).toEqual([]);
      provedUnnamed = true;
      continue;
    }
    listed++;
    if (ppid === -1) {
      const t = table.tasks.find((x) => x.pid === p.pid)!;
      expect(table.byAddress.has(t.parent), `${where}: pid ${p.pid}'s parent is readable but PPID -1`).toBe(false);
      expect(table.unreadable.find((u) => u.address === t.parent)?.pid, `${where}: pid ${p.pid}`).toBeUndefined();
      expect(readablePidStructsOf(k, [t.parent]), `${where}: pid ${p.pid}'s parent has a struct pid`).toEqual([]);
    } else expect({ where, pid: p.pid, ppid }).toEqual({ where, pid: p.pid, ppid: p.ppid });
  }
  return listed;
}

skipWhenNoCases('ps against the guest /proc on dumps that lost pages');

for (const name of caseNames().filter((n) => (caseInfo(n).dumps ?? []).some((d) => d.unreadable_tasks?.length))) {
  describeCorpus(`ps against the guest's /proc on ${name}'s lossy dumps`, () => {
    const info = caseInfo(name);
    const snap = (info.pre_crash_snapshot as { ps?: { pid: string; ppid: string }[] } | undefined)?.ps ?? [];
    const procs = snap.map((p) => ({ pid: Number(p.pid), ppid: Number(p.ppid) }));
    const opened: { file: string; k: Kernel }[] = [];
    beforeAll(async () => {
      const vml = await vmlinuxPlain(name);
      for (const d of await dumpPaths(name))
        if (d.dump.unreadable_tasks?.length) opened.push({ file: d.file, k: openKernelSync(vml, d.path) });
    }, 120_000);
    afterAll(() => opened.forEach((o) => o.k.dump.close()));

    it("every process of the guest's /proc is a row with its PPID, or named unreadable (ps, ps -k, ps -u)", async () => {
      expect(procs.length).toBeGreaterThan(0);
      for (const { file, k } of opened) {
        const all = await psPpids(k);
        const listed = checkAgainst(`${name}/${file}`, k, all, procs);
        // lossy, yet nearly everything is there (crash 9 loses whole xarray nodes' worth)
        expect(listed).toBeGreaterThan(procs.length * 0.9);
        // -k and -u are the same rows, split
        const k_ = await psPpids(k, ['-k']);
        const u_ = await psPpids(k, ['-u']);
        expect(new Map([...k_, ...u_])).toEqual(all);
      }
    });
  });
}

const made = madeDumpsPresent();
describeWithDumps(
  'ps on the made dumps: each workload process with the PPID the guest saw, even under a lost parent',
  made.length === 0 ? `none of the made dumps (${missingMadeDumps().slice(0, 2).join(', ')} ...)` : undefined,
  () => {
    it('every workload process is a row with its PPID, or named unreadable', async () => {
      for (const d of made) {
        const v = await vmlinuxOfRelease(d.facts.kernel_release);
        if (!v) continue;
        const k = openKernelSync(v, d.path);
        try {
          checkAgainst(d.name, k, await psPpids(k), d.facts.workload);
        } finally {
          k.dump.close();
        }
      }
    }, 300_000);
  },
);
