/** Explain mode for `log`: the banner, the panic or oops, the kernel's own call trace, `?` entries. */
import type { Explanation } from '../render/view.js';
import { NoteList } from './index.js';

export function explainLog(lines: string[]): Explanation | undefined {
  const n = new NoteList(lines);
  n.first(/\] Linux version /, '[seconds since boot] message: the first line is the kernel banner, as at boot');
  n.first(/\] Command line: /, 'the kernel command line: crashkernel= reserved the memory the capture kernel ran in');
  n.first(
    /\] sysrq: (Trigger a crash|.*crash)/,
    'someone asked for the crash: echo c > /proc/sysrq-trigger (or Alt-SysRq-c)',
  );
  n.first(/\] BUG: /, 'the kernel says what went wrong first: read this line before anything else');
  n.first(
    /\] (Oops|general protection fault)/,
    'an oops: the CPU faulted in kernel code; the lines below are the registers and the call trace',
  );
  n.first(
    /\] Kernel panic - not syncing: /,
    'panic(): the kernel stopped here and started the capture kernel that wrote this dump',
  );
  n.first(/\] CPU: \d+ PID: \d+ Comm: /, 'who was running on the CPU that panicked: its PID and command name');
  n.first(/\] Call Trace:/, "the kernel's own backtrace at the panic; bt rebuilds the same from the dump");
  n.first(
    /\]\s+\? \S+/,
    '? marks a guess: an address found on the stack that may be a stale leftover, not a real caller',
  );
  n.first(/\] Modules linked in: /, 'the modules loaded at the time: one marked (OE) is out-of-tree and unsigned');
  n.first(/\] RIP: 0033:/, 'RIP 0033:...: the user-space instruction where the process entered the kernel');
  return n.done(["the printk ring buffer (prb: desc_ring, text_data_ring, each record's printk_info)"]);
}
