/**
 * crash's `dis` lines: `0xffffffff8e1cc3a0 <panic+5>:\tpush   %rbp`, gdb's instruction text with the
 * symbol crash names each branch target and rip-relative address with (`call   0x... <panic>`,
 * `# 0x... <jiffies>`), `[FTRACE NOP]` on the 5-byte NOP the kernel patched over a function's
 * `call __fentry__`, and the raw form gdb prints where no kernel symbol applies (`   0x400000:\t...`).
 */
import type { Instruction } from '../disasm/x86_64.js';

/** the NOP ftrace leaves at a function's first byte when tracing is off (crash marks it) */
const FTRACE_NOP = 'nopl   0x0(%rax,%rax,1)';

export interface DisLine {
  ins: Instruction;
  /** `panic+5` for the address (undefined: raw gdb form) */
  where?: string;
  /** symbol text for the branch target or the rip-relative address, when one applies */
  targetName?: string;
  /** true when the instruction starts exactly at a symbol */
  atSymbol: boolean;
}

/** The instruction text with crash's additions (target symbol, [FTRACE NOP]). */
export function instructionText(l: DisLine): string {
  let t = l.ins.text;
  if (l.targetName) t += ` <${l.targetName}>`;
  if (l.atSymbol && t.includes(FTRACE_NOP)) t += ' [FTRACE NOP]';
  return t;
}

/** One line as crash prints it. */
export function disLine(l: DisLine): string {
  const addr = '0x' + l.ins.address.toString(16);
  if (l.where === undefined) return `   ${addr}:\t${instructionText(l)}`;
  return `${addr} <${l.where}>:\t${instructionText(l)}`;
}
