/**
 * A vfork child runs on its parent's mm until it execs or exits, and RSS is a property of the mm: the kernel's
 * get_mm_rss(mm) (/proc/PID/status VmRSS, ps) reads only the mm's counters, so two tasks on one mm have one RSS.
 * Before 6.2 (SPLIT_RSS_COUNTING) each task also holds unflushed deltas for the mm it runs on
 * (task->rss_stat, folded in by sync_mm_rss); crash-ts adds those of every task on the mm. crash 9 adds only
 * those of the task's own thread group (drgn 0.3's task_rss() too), so on the 5.10 and 6.1 made dumps it shows
 * the vfork child (same mm as the parent, 744-752k) with an RSS of 4k and %MEM 0.0 (scripts/crosscheck-crash9.ts,
 * ps -u and ps -G). On k61-oops: mm counters 1 page, the parent's unflushed deltas 186 pages, the child's none:
 * the guest's /proc would say 4k for both, crash 748k and 4k, crash-ts 748k (mm plus every delta) for both.
 * Checked on every made dump with the workload's vfork pair, whichever pages a run's makedumpfile dropped:
 * a pair member whose task_struct was lost must be named as unreadable instead.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import psCommand from '../../commands/ps.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { allTasks } from '../../src/kernel/objects/tasks.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { describeWithDumps, madeDumpsPresent, missingMadeDumps, vmlinuxOfRelease } from '../helpers/made-dumps.js';

const pairs = madeDumpsPresent().filter(
  (d) =>
    d.facts.workload.some((w) => w.role === 'vfork-parent') && d.facts.workload.some((w) => w.role === 'vfork-child'),
);

describeWithDumps(
  'ps: a vfork child and its parent share one mm and show one RSS',
  pairs.length === 0 ? `no made dump with a vfork pair (${missingMadeDumps().slice(0, 2).join(', ')} ...)` : undefined,
  () => {
    const opened: { name: string; k: Kernel; parent: number; child: number; ppids: Map<number, number> }[] = [];
    beforeAll(async () => {
      for (const d of pairs) {
        const v = await vmlinuxOfRelease(d.facts.kernel_release);
        if (!v) continue;
        const pid = (role: string): number => d.facts.workload.find((w) => w.role === role)!.pid;
        opened.push({
          name: d.name,
          k: openKernelSync(v, d.path),
          parent: pid('vfork-parent'),
          child: pid('vfork-child'),
          ppids: new Map(d.facts.workload.map((w) => [w.pid, w.ppid] as [number, number])),
        });
      }
    }, 300_000);
    afterAll(() => opened.forEach((o) => o.k.dump.close()));

    it('same mm, same VSZ, RSS and %MEM in ps -u (or the lost task named)', async () => {
      expect(opened.length).toBeGreaterThan(0);
      let compared = 0;
      for (const { name, k, parent, child, ppids } of opened) {
        const table = allTasks(k);
        const task = (pid: number) => table.tasks.find((t) => t.pid === pid);
        const p = task(parent);
        const c = task(child);
        if (!p || !c) {
          for (const [pid, t] of [
            [parent, p],
            [child, c],
          ] as const)
            if (!t)
              // named by its pid; or, when its task_struct and its struct pid were both left out of the dump (the
              // pid is then nowhere to read), by address as a child of its readable parent
              expect(
                table.unreadable.some(
                  (u) => u.pid === pid || (u.pid === undefined && u.ppid !== undefined && u.ppid === ppids.get(pid)),
                ),
                `${name}: pid ${pid} neither listed nor named`,
              ).toBe(true);
          continue;
        }
        expect(c.mm, `${name}: the vfork child runs on its parent's mm`).toBe(p.mm);
        const out = renderText((await psCommand.run(new Session(k), parseArgs(['-u'], psCommand.options))) as View);
        // PID PPID CPU TASK ST %MEM VSZ RSS COMM
        const cols = (pid: number): string[] | undefined =>
          out
            .split('\n')
            .map((l) => l.replace(/^>/, ' ').trim().split(/\s+/))
            .find((f) => f[0] === String(pid))
            ?.slice(5, 8);
        const pc = cols(parent);
        expect(pc, `${name}: ps -u lists pid ${parent}`).toBeDefined();
        expect(Number(pc![2]), `${name}: RSS of pid ${parent}`).toBeGreaterThan(4);
        expect({ name, cols: cols(child) }).toEqual({ name, cols: pc });
        compared++;
      }
      // the 5.10 and 6.1 dumps (the kernels with per-task RSS caches) keep both tasks on any run
      expect(compared).toBeGreaterThan(0);
    });
  },
);
