/**
 * The task commands default to when the user has not chosen one with `set`: the task that
 * panicked; on a dump taken without a panic (QEMU dump-guest-memory of a live guest, a
 * hand-triggered kdump that never reached panic()), the task running on the lowest-numbered CPU
 * that has one (crash 9 falls back to init_task there, running or not).
 */
import type { Kernel } from '../kernel.js';
import { printkRecords } from './printk.js';
import { allTasks, type Task } from './tasks.js';

export function defaultTask(k: Kernel): Task | undefined {
  const table = allTasks(k);
  if (table.panicTask) return table.panicTask;
  const cpus = [...table.active.keys()].sort((a, b) => a - b);
  for (const cpu of cpus) {
    const t = table.byAddress.get(table.active.get(cpu)!);
    if (t) return t;
  }
  return undefined;
}

/**
 * The address of the default task: the panic CPU's current task even when its own struct is on a
 * page the dump lacks (makedumpfile older than the kernel can exclude it), so that `bt` still
 * unwinds the panic from that CPU's saved registers instead of falling back to another CPU.
 */
export function defaultTaskAddress(k: Kernel): bigint | undefined {
  const table = allTasks(k);
  if (table.panicCpu !== undefined) {
    const a = table.active.get(table.panicCpu);
    if (a !== undefined) return a;
  }
  return defaultTask(k)?.address;
}

/**
 * What can still be said of a task that ran on a CPU at the crash but whose task_struct cannot be
 * read: its CPU (from the runqueue), its pid (from the pid table, when it names it) and, for the CPU
 * whose stack the kernel dumped, the command from the console line dump_stack() printed
 * ("CPU: 1 UID: 0 PID: 158 Comm: ct-spinner ..." on 6.12, without "UID: n" before). undefined when the
 * address is no CPU's current task.
 */
export interface UnreadableActiveTask {
  address: bigint;
  cpu: number;
  pid?: number;
  /** the parent's pid, when a readable parent's children list holds the task */
  ppid?: number;
  comm?: string;
  /** why the struct cannot be read */
  reason: string;
  /** where pid and comm came from, for a note */
  sources: string[];
}

export function unreadableActiveTask(k: Kernel, address: bigint): UnreadableActiveTask | undefined {
  const table = allTasks(k);
  if (table.byAddress.has(address)) return undefined;
  const cpu = [...table.active.entries()].find(([, a]) => a === address)?.[0];
  if (cpu === undefined) return undefined;
  const lost = table.unreadable.find((u) => u.address === address);
  const out: UnreadableActiveTask = {
    address,
    cpu,
    pid: lost?.pid,
    ppid: lost?.ppid,
    reason: lost?.reason ?? 'its task_struct cannot be read',
    sources: [],
  };
  if (lost?.comm !== undefined) {
    // the struct straddles a missing page, but the page with pid and comm is in the dump
    out.comm = lost.comm;
    out.sources.push('PID and COMMAND from the readable part of the task_struct');
    return out;
  }
  if (out.pid !== undefined) out.sources.push('PID from the pid table');
  const line = consoleTaskLine(k, cpu, out.pid);
  if (line) {
    if (out.pid === undefined) {
      out.pid = line.pid;
      out.sources.push('PID from the console log');
    }
    out.comm = line.comm;
    out.sources.push('COMMAND from the console log');
  }
  return out;
}

/** The newest "CPU: N [UID: u ]PID: P Comm: C ..." console line of a CPU (and pid, when known). */
function consoleTaskLine(k: Kernel, cpu: number, pid: number | undefined): { pid: number; comm: string } | undefined {
  let records;
  try {
    records = printkRecords(k);
  } catch {
    return undefined;
  }
  // lib/dump_stack.c: "CPU: %d UID: %u PID: %d Comm: %.20s %s%s %s %.*s" (6.12), "CPU: %d PID: %d Comm: ..." (6.1)
  const re = /^CPU: (\d+) (?:UID: \d+ )?PID: (\d+) Comm: (.{1,16}?) (?:Kdump: |Not tainted|Tainted: )/;
  for (let i = records.length - 1; i >= 0; i--) {
    const m = re.exec(records[i]!.text);
    if (!m || Number(m[1]) !== cpu) continue;
    if (pid !== undefined && Number(m[2]) !== pid) continue;
    return { pid: Number(m[2]), comm: m[3]! };
  }
  return undefined;
}

/**
 * Task state bits by name, as include/linux/sched.h defines them (#defines: no type info carries
 * them). Stable since 5.14 for the low bits; 6.1 added TASK_FREEZABLE (0x2000) and TASK_FROZEN. TASK_FREEZABLE
 * is left out: it only marks a sleep the freezer may interrupt, the kernel's own state reports mask it off
 * (task_state_index() keeps TASK_REPORT: /proc's "S (sleeping)", sysrq-t's S) and crash 9 does not show it.
 */
const STATE_BITS: [number, string][] = [
  [0x1, 'TASK_INTERRUPTIBLE'],
  [0x2, 'TASK_UNINTERRUPTIBLE'],
  [0x4, 'TASK_STOPPED'],
  [0x8, 'TASK_TRACED'],
  [0x40, 'TASK_PARKED'],
  [0x80, 'TASK_DEAD'],
  [0x100, 'TASK_WAKEKILL'],
  [0x200, 'TASK_WAKING'],
  [0x400, 'TASK_NOLOAD'],
  [0x800, 'TASK_NEW'],
  [0x1000, 'TASK_RTLOCK_WAIT'],
  [0x8000, 'TASK_FROZEN'],
];
const EXIT_BITS: [number, string][] = [
  [0x10, 'EXIT_DEAD'],
  [0x20, 'EXIT_ZOMBIE'],
];

/**
 * Every state bit of a task joined with '|', the way crash's `set` shows STATE
 * (TASK_STOPPED|TASK_WAKEKILL, TASK_UNINTERRUPTIBLE|TASK_NOLOAD); a task with an exit state shows
 * that (EXIT_ZOMBIE) after its state bits. crash 9 names 0x80 "EXIT_DEAD" for a zombie; the kernel
 * calls that bit TASK_DEAD, and so do we.
 */
export function stateFlagNames(state: number, exitState: number): string {
  const names = STATE_BITS.filter(([bit]) => state & bit).map(([, n]) => n);
  names.push(...EXIT_BITS.filter(([bit]) => exitState & bit).map(([, n]) => n));
  return names.length ? names.join('|') : 'TASK_RUNNING';
}
