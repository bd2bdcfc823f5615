/** Explain mode for `ps`: the columns, the `>` mark, each state the first time it shows, kernel threads. */
import type { Explanation } from '../render/view.js';
import { NoteList } from './index.js';

const STATES: Record<string, string> = {
  RU: 'RU running or runnable (TASK_RUNNING): on a CPU or waiting in its run queue',
  IN: 'IN interruptible sleep (TASK_INTERRUPTIBLE): waiting for an event; a signal wakes it',
  UN: 'UN uninterruptible sleep (TASK_UNINTERRUPTIBLE, "D"): waiting and not woken by signals; many of them mean a stuck kernel',
  ST: 'ST stopped (SIGSTOP or a debugger)',
  TR: 'TR traced: stopped by a debugger (ptrace)',
  ZO: 'ZO zombie: exited, but its parent has not reaped it (wait()) yet',
  DE: 'DE dead: exiting, about to be freed',
  ID: 'ID idle kernel thread (TASK_IDLE): sleeps like UN but does not count in the load average',
  WA: 'WA waking',
  PA: 'PA parked kernel thread',
};

export function explainPs(lines: string[]): Explanation | undefined {
  const header = lines.findIndex((l) => /^\s+PID\s+PPID\s+CPU\s+TASK\s+ST\b/.test(l));
  if (header < 0) return undefined; // ps -t, -l, -p, -c...: other layouts
  const n = new NoteList(lines);
  n.at(
    header,
    'PID, parent PID, CPU it last ran on, task_struct address, state, share of memory, virtual and resident size (KiB), name',
  );
  const stCol = lines[header]!.indexOf(' ST ') + 1;
  const seen = new Set<string>();
  let active = false;
  let kthread = false;
  for (let i = header + 1; i < lines.length; i++) {
    const l = lines[i]!;
    if (!active && l.startsWith('>')) {
      active = true;
      n.at(i, '> marks a task that was on a CPU when the dump was taken (one per CPU)');
    }
    const st = l.slice(stCol, stCol + 2);
    if (STATES[st] && !seen.has(st)) {
      seen.add(st);
      n.at(i, STATES[st]!);
    }
    if (!kthread && /\s\[[^\]]+\]$/.test(l)) {
      kthread = true;
      n.at(i, '[name] in brackets: a kernel thread, with no user memory (VSZ and RSS 0)');
    }
  }
  return n.done([
    'the task list (init_task.tasks, each signal->thread_head)',
    'task_struct.pid, tgid, real_parent, comm, __state, exit_state, on_cpu/cpu',
    'mm_struct.total_vm and rss_stat (VSZ, RSS)',
  ]);
}
