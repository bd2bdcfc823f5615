/**
 * The kernel's own Call Trace from a guest console log, and the same shape read from a bt, so a test can
 * compare the two token by token: a function (`panic`) or an exception register block (`RIP handle_softirqs+119`,
 * the kernel's `RIP: 0010:handle_softirqs+0x77/0x2c0` line, offsets in decimal as bt prints them).
 * Unreliable `? fn` entries, `<IRQ>`/`<TASK>` markers and user-mode RIP lines are left out.
 */
export function consoleTrace(log: string, after = /Kernel panic - not syncing/): string[] {
  const lines = log.split('\n');
  // an oops that went straight to crash_kexec (panic_on_oops) prints no panic line: its own trace then
  let from = lines.findIndex((l) => after.test(l));
  if (from < 0) from = lines.findIndex((l) => /\] Oops: /.test(l));
  if (from < 0) return [];
  const start = lines.findIndex((l, i) => i > from && /\] Call Trace:\s*$/.test(l));
  if (start < 0) return [];
  const out: string[] = [];
  for (const l of lines.slice(start + 1)) {
    const body = l.replace(/^\[\s*[\d.]+\]\s?/, '');
    if (/^\s*<\/TASK>/.test(body) || /Kernel Offset|end Kernel panic/.test(body)) break;
    const rip = /^RIP: 0010:([\w.]+)\+0x([0-9a-f]+)\/0x/.exec(body);
    if (rip) {
      out.push(`RIP ${rip[1]}+${BigInt('0x' + rip[2])}`);
      continue;
    }
    const fn = /^\s+([\w.]+)\+0x[0-9a-f]+\/0x[0-9a-f]+/.exec(body);
    if (fn) out.push(fn[1]!);
  }
  return out;
}

/** The same tokens from bt's text (frames and kernel exception blocks, in order). */
export function btTrace(text: string): string[] {
  const out: string[] = [];
  for (const l of text.split('\n')) {
    // an exception at a function's first byte is "[exception RIP: fn]" (as crash), the kernel's "fn+0x0/..."
    const rip = /^ {4}\[exception RIP: ([\w.]+)(?:\+(\d+))?\]$/.exec(l);
    if (rip) out.push(`RIP ${rip[1]}+${rip[2] ?? 0}`);
    const fn = /^\s*#\d+ \[[0-9a-f]{16}\] ([\w.]+) at [0-9a-f]{16}(?: \[[\w]+\])?$/.exec(l);
    if (fn) out.push(fn[1]!);
  }
  return out;
}
