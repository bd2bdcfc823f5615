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
