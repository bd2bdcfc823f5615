/** ps -r (rlimits), -g (thread groups) and -Y (policy and priority): crash's layouts, beside commands/ps.ts. */
import type { Kernel } from '../../src/kernel/kernel.js';
import { RLIM_INFINITY, taskRlimits } from '../../src/kernel/objects/rlimits.js';
import { SCHED_POLICIES, taskPolicy } from '../../src/kernel/objects/sched.js';
import { taskHeader, type Task, type TaskTable } from '../../src/kernel/objects/tasks.js';
import { text, type View } from '../../src/render/view.js';

/** mkstring's CENTER: the odd space goes right (LJUST) or left (RJUST). */
function center(s: string, w: number, rjust = false): string {
  const pad = Math.max(0, w - s.length);
  const left = rjust ? Math.ceil(pad / 2) : Math.floor(pad / 2);
  return ' '.repeat(left) + s + ' '.repeat(pad - left);
}

/** -r: each task's limits, "(unlimited)" for RLIM_INFINITY. */
export function rlimitView(k: Kernel, tasks: Task[]): View {
  const lines: string[] = [];
  const data: unknown[] = [];
  for (const t of tasks) {
    lines.push(taskHeader(t));
    try {
      const limits = taskRlimits(k, t.address);
      const w1 = Math.max(...limits.map((l) => l.name.length));
      const w2 = '(unlimited)'.length;
      const v = (x: bigint): string => (x === RLIM_INFINITY ? '(unlimited)' : center(String(x), w2));
      lines.push(`  ${'RLIMIT'.padStart(w1)}   ${center('CURRENT', w2, true)}   ${center('MAXIMUM', w2, true)}`);
      for (const l of limits) lines.push(`  ${l.name.padStart(w1)}   ${v(l.current)}   ${v(l.maximum)}`);
      data.push({ pid: t.pid, task: t.address, limits });
    } catch (e) {
      lines.push(`ps: the resource limits of PID ${t.pid} cannot be read: ${(e as Error).message}`);
    }
    lines.push('');
  }
  return text(lines, data);
}

/** -g: each thread group once: its leader, then its other threads indented ("(no threads)"). */
export function threadGroupView(table: TaskTable, tasks: Task[], named: boolean): View {
  const lines: string[] = [];
  const data: unknown[] = [];
  const shown = new Set<number>();
  let idleShown = false;
  for (const t of tasks) {
    let leader: Task | undefined = t;
    if (t.pid !== t.tgid) {
      if (!named) continue;
      leader = table.tasks.find((x) => x.pid === t.tgid);
      if (!leader) continue;
    }
    if (leader.pid === 0 ? idleShown : shown.has(leader.tgid)) continue;
    shown.add(leader.tgid);
    const threads = table.tasks.filter((x) => x.tgid === leader.tgid && x.address !== leader.address);
    if (leader.pid === 0 && threads.length) idleShown = true;
    lines.push(taskHeader(leader), ...threads.map((x) => `  ${taskHeader(x)}`));
    if (!threads.length) lines.push('  (no threads)');
    lines.push('');
    data.push({
      pid: leader.pid,
      task: leader.address,
      threads: threads.map((x) => ({ pid: x.pid, task: x.address })),
    });
  }
  return text(lines, data);
}

/** -Y: policy and priority of each task. */
export function policyView(k: Kernel, table: TaskTable, tasks: Task[], header: boolean): View {
  const lines = header ? ['      PID    PPID  CPU       TASK        POLICY       PRIO  COMM'] : [];
  const data: unknown[] = [];
  for (const t of tasks) {
    try {
      const { policy, prio } = taskPolicy(k, t.address);
      const active = table.active.get(t.cpu) === t.address;
      const name = SCHED_POLICIES[policy] ?? 'UNKNOWN';
      lines.push(
        `${active ? '> ' : '  '}${String(t.pid).padStart(7)} ${String(t.ppid).padStart(7)} ${String(t.cpu).padStart(3)}  ${t.address.toString(16).padStart(16, '0')}  ${name.padEnd(12)} ${String(prio).padStart(4)}  ${t.kernelThread ? `[${t.comm}]` : t.comm}`,
      );
      data.push({ pid: t.pid, task: t.address, policy: name, prio });
    } catch (e) {
      lines.push(`ps: PID ${t.pid}: ${(e as Error).message}`);
    }
  }
  return text(lines, data);
}

/** -y: policy numbers from "1,RR,normal". */
export function parsePolicies(spec: string): Set<number> {
  const out = new Set<number>();
  for (const w of spec.split(',')) {
    const n = /^\d+$/.test(w) ? Number(w) : SCHED_POLICIES.indexOf(w.toUpperCase());
    if (n < 0 || n >= SCHED_POLICIES.length) throw new Error(`invalid scheduling policy: ${w}`);
    out.add(n);
  }
  return out;
}
