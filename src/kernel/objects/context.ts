/**
 * The task commands default to when the user has not chosen one with `set`: the task that
 * panicked; on a dump taken without a panic (QEMU dump-guest-memory of a live guest, a
 * hand-triggered kdump that never reached panic()), the task running on the lowest-numbered CPU
 * that has one, as crash does.
 */
import type { Kernel } from '../kernel.js';
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
 * Task state bits by name, as include/linux/sched.h defines them (#defines: no type info carries
 * them). Stable since 5.14 for the low bits; 6.1 added TASK_FREEZABLE and TASK_FROZEN.
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
  [0x2000, 'TASK_FREEZABLE'],
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
