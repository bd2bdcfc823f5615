import type { CpuRegisters, Note, X86Regs } from './types.js';
import { trimNulText } from '../elf/notes.js';

export const NT_PRSTATUS = 1;

/** user_regs_struct (arch/x86/include/asm/user_64.h) field order, as stored in elf_prstatus.pr_reg. */
const X86_64_REG_ORDER: (keyof X86Regs)[] = [
  'r15',
  'r14',
  'r13',
  'r12',
  'rbp',
  'rbx',
  'r11',
  'r10',
  'r9',
  'r8',
  'rax',
  'rcx',
  'rdx',
  'rsi',
  'rdi',
  'orig_rax',
  'rip',
  'cs',
  'eflags',
  'rsp',
  'ss',
  'fs_base',
  'gs_base',
  'ds',
  'es',
  'fs',
  'gs',
];

/** struct elf_prstatus (x86_64): pr_pid at offset 32, pr_reg at offset 112, 27 registers. */
const PR_PID_OFFSET = 32;
const PR_REG_OFFSET = 112;

/** Decode every NT_PRSTATUS "CORE" note into per-CPU registers (x86_64 layout). */
export function cpuRegistersFromNotes(notes: Note[]): CpuRegisters[] {
  const out: CpuRegisters[] = [];
  for (const n of notes) {
    if (n.type !== NT_PRSTATUS || n.name !== 'CORE') continue;
    if (n.desc.length < PR_REG_OFFSET + X86_64_REG_ORDER.length * 8) continue;
    const regs = {} as X86Regs;
    X86_64_REG_ORDER.forEach((name, i) => {
      regs[name] = n.desc.readBigUInt64LE(PR_REG_OFFSET + i * 8);
    });
    out.push({ index: out.length, pid: n.desc.readInt32LE(PR_PID_OFFSET), regs });
  }
  return out;
}

/** The VMCOREINFO note's text, if any. */
export function vmcoreinfoFromNotes(notes: Note[]): string | undefined {
  const n = notes.find((x) => x.name === 'VMCOREINFO');
  return n ? trimNulText(n.desc) : undefined;
}
