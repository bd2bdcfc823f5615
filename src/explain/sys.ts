/** Explain mode for `sys`: what each line of the system block says, and where it came from. */
import type { Explanation } from '../render/view.js';
import { NoteList } from './index.js';

export function explainSys(lines: string[], _view: unknown, argv: string[]): Explanation | undefined {
  if (argv.length) return undefined; // sys -t, sys -c, sys config...: other outputs
  const n = new NoteList(lines);
  n.first(
    /^\s*KERNEL: .*\[TAINTED\]/,
    '[TAINTED]: before the crash the kernel was tainted (an out-of-tree, unsigned or forced module, an earlier oops...)',
  );
  n.first(
    /^\s*KERNEL: (?!.*\[TAINTED\])/,
    'the vmlinux: symbols and types of the very kernel build that crashed (a different build is refused)',
  );
  if (
    n.first(
      /^\s*DUMPFILE: .*\[PARTIAL DUMP\]/,
      '[PARTIAL DUMP]: makedumpfile left pages out (by its dump level: free, cache, user, zero pages); what they held cannot be read',
    ) < 0
  )
    n.first(/^\s*DUMPFILE: /, 'the dump holds every page of memory: nothing was filtered out');
  n.first(/^\s*CPUS: /, 'processors the kernel ran on; each has its own stack at the crash (bt -a)');
  n.first(/^\s*DATE: /, 'wall-clock time of the crash, from the kernel timekeeper');
  n.first(/^\s*UPTIME: /, 'time since boot when it crashed');
  n.first(/^\s*LOAD AVERAGE: /, 'runnable plus uninterruptible (D) tasks, averaged over 1, 5 and 15 minutes');
  n.first(/^\s*TASKS: /, 'every thread is a task_struct; ps lists them');
  n.first(/^\s*RELEASE: /, 'what uname -r said; a vmlinux of another release cannot read this dump');
  n.first(/^\s*MEMORY: /, 'RAM the kernel managed (present pages of every node)');
  n.first(
    /^\s*PANIC: /,
    'the message the kernel died with: log shows what led to it, bt the stack of the task that panicked',
  );
  return n.done([
    'init_uts_ns.name (uname)',
    'the timekeeper (tk_core: xtime_sec, tkr_mono)',
    'avenrun[3]',
    'the task list from init_task.tasks',
    'the dump header (dump level, page bitmaps)',
    'the printk ring buffer (prb) for the panic line',
  ]);
}
