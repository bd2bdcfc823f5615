/** waitq: the tasks sleeping on a wait queue. */
import { CommandError, type Command } from '../src/command.js';
import { text } from '../src/render/view.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { allTasks, taskHeader, type Task } from '../src/kernel/objects/tasks.js';
import { waitQueueEntries } from '../src/kernel/objects/waitq.js';
import { threadSize } from '../src/kernel/arch/x86_64/stacks.js';
import { isKernelAddress } from '../src/kernel/address.js';

const USAGE = [
  'Usage:',
  '  waitq  [ symbol ] | [ struct.member struct_addr ] | [ address ]',
  'Enter "help waitq" for details.',
];

const HELP = `waitq - tasks on a wait queue

SYNOPSIS
  waitq SYMBOL | STRUCT.MEMBER ADDRESS | ADDRESS

Walks a wait queue (a wait_queue_head_t) and prints the task header of each task sleeping on it, in
queue order (the order wake-ups reach them). The queue is named by:

  SYMBOL                 a global wait_queue_head_t (log_wait, kauditd_wait ...)
  STRUCT.MEMBER ADDRESS  the wait_queue_head_t member of the structure at ADDRESS (hexadecimal), e.g.
                         signal_struct.wait_chldexit of a task's signal: the parents waiting in wait4()
  ADDRESS                the wait_queue_head_t itself (hexadecimal)

An entry whose private word is not a task (epoll, poll and similar waiters keep their own data there)
is shown with its wake function instead of being taken for a task.

EXAMPLES
  waitq log_wait                                  readers of the kernel log (syslog, /proc/kmsg)
  task -R signal 111
  waitq signal_struct.wait_chldexit ffff897c01807600`;

/** The task a waiter's private word names: the task_struct itself, or (old kernels) a pointer into its stack. */
function taskOf(k: Kernel, word: bigint): Task | undefined {
  const table = allTasks(k);
  const t = table.byAddress.get(word);
  if (t) return t;
  const size = threadSize(k);
  return table.tasks.find((x) => x.stack !== 0n && word >= x.stack && word < x.stack + size);
}

const waitq: Command = {
  name: 'waitq',
  summary: 'tasks sleeping on a wait queue',
  help: HELP,
  needsDump: true,
  options: {},
  run(session, args) {
    const k = session.kernel!;
    const words = args.positional;
    if (words.length < 1 || words.length > 2) return text(USAGE);
    const first = words[0]!;
    let head: bigint;
    let name: string | undefined;
    if (/^(0x)?[0-9a-f]+$/i.test(first)) {
      head = BigInt(first.startsWith('0x') ? first : '0x' + first);
    } else if (first.includes('.')) {
      const dot = first.indexOf('.');
      const struct = first.slice(0, dot);
      const member = first.slice(dot + 1);
      if (words.length !== 2) return text([`must supply an address for ${struct}`]);
      const addr = words[1]!;
      if (!/^(0x)?[0-9a-f]+$/i.test(addr)) throw new CommandError(`invalid address: ${addr}`);
      let off: number;
      try {
        off = k.offsetOf(`struct ${struct}`, member);
      } catch {
        return text([`${member} is not a member of ${struct}`]);
      }
      head = BigInt(addr.startsWith('0x') ? addr : '0x' + addr) + BigInt(off);
    } else {
      name = first;
      if (!k.hasSymbol(first)) throw new CommandError(`cannot resolve "${first}"`);
      head = k.sym(first);
    }
    if (head === 0n) return text([]);
    if (!isKernelAddress(head)) throw new CommandError(`invalid kernel virtual address: ${head.toString(16)}`);
    const q = waitQueueEntries(k, head);
    const lines: string[] = [];
    const waiters = q.entries.map((e) => ({ ...e, task: taskOf(k, e.private) }));
    for (const w of waiters) {
      if (w.task) lines.push(taskHeader(w.task));
      else {
        const func = k.symbols.describe(w.func) ?? w.func.toString(16);
        lines.push(
          `wait_queue_entry ${w.entry.toString(16)}: no task (private ${w.private.toString(16)}, wakes ${func})`,
        );
      }
    }
    if (!q.entries.length && !q.problem)
      lines.push(
        name ? `wait queue "${name}" (${head.toString(16)}) is empty` : `wait queue ${head.toString(16)} is empty`,
      );
    if (q.problem) lines.push(`waitq: the queue could not be followed further: ${q.problem}`);
    return text(lines, {
      head,
      waiters: waiters.map((w) => ({
        entry: w.entry,
        private: w.private,
        func: w.func,
        task: w.task ? { pid: w.task.pid, address: w.task.address, comm: w.task.comm } : undefined,
      })),
      problem: q.problem,
    });
  },
};

export default waitq;
