/** Explain mode for `bt`: the header, the frames, exception frames, `.cold` parts, and the user registers. */
import type { Explanation } from '../render/view.js';
import { NoteList } from './index.js';

export function explainBt(lines: string[]): Explanation | undefined {
  const n = new NoteList(lines);
  const head = n.first(/^PID: /, 'the task whose kernel stack this is: its PID, task_struct address, CPU and name');
  const frame = n.first(
    /^\s*#\d+ \[[0-9a-f]+\] /,
    '#N [stack address where this frame starts] FUNCTION at RETURN-ADDRESS; #0 is the innermost (most recent) call',
    head + 1,
  );
  if (
    n.first(
      /^\s*#\d+ \[[0-9a-f]+\] panic at /,
      'panic() was called here: the frames below it say who called it and why',
    ) < 0
  )
    n.first(
      /^\s*#\d+ \[[0-9a-f]+\] (oops_end|die) at /,
      (m) => `${m[1]}: the end of an oops report; with panic_on_oops the kernel goes on to the dump from here`,
    );
  n.first(
    /\S+\.cold(\.\d+)? at /,
    '.cold: the rarely run part of a function (error paths) that the compiler moved out of line',
  );
  n.first(
    /^\s*\[exception RIP: /,
    'exception frame: the CPU was interrupted here (a fault, an interrupt); the registers below were saved at that moment',
  );
  n.first(
    /^\s*--- <(\w+ )*(IRQ|NMI|exception)[^>]*stack> ---/,
    'the walk changed stacks: an interrupt or exception ran on its own stack',
  );
  let userCs = -1;
  for (let i = 0; i < lines.length; i++) if (/CS: 0033\b/.test(lines[i]!)) userCs = i;
  if (userCs >= 0)
    n.at(
      userCs,
      'CS 0033 is user mode: these are the registers of the process when it entered the kernel (ORIG_RAX is the system call number)',
    );
  if (frame < 0 && head < 0) return undefined;
  return n.done([
    'task_struct.thread.sp (or the CPU registers saved in the dump notes for an active task)',
    'the kernel stack pages',
    'the ORC unwind tables (.orc_unwind, .orc_unwind_ip)',
    'struct pt_regs at exception and system-call entry',
  ]);
}
