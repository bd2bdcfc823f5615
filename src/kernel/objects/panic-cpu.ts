/**
 * Which CPU panicked, by every route the dump offers, in order of trust:
 *   1. the kernel's own variables: panic_cpu (set by panic() and by crash_kexec() on an oops), then x86's
 *      crashing_cpu (set by the crash shutdown path); -1 means unset, and a kernel may rename either;
 *   2. the CPU registers the kdump notes hold (NT_PRSTATUS): the panicking CPU saved its own registers
 *      on the crash path (crash_setup_regs, inlined in __crash_kexec), the others where the shutdown
 *      NMI found them;
 *   3. the console: the "CPU: N ... PID: P Comm: C" line dump_stack() printed after the last panic or
 *      oops line.
 * Each route that fails leaves one line saying what it lacked.
 */
import type { Kernel } from '../kernel.js';
import { printkRecords } from './printk.js';

export const PANIC_CPU_SYMBOLS = ['panic_cpu', 'crashing_cpu'];

/** Functions in which the crashing CPU's own registers are saved (__crash_kexec inlines crash_setup_regs). */
const CRASH_PATH = new Set([
  '__crash_kexec',
  'crash_kexec',
  'crash_setup_regs',
  'machine_kexec',
  'machine_crash_shutdown',
  'native_machine_crash_shutdown',
  'panic',
  'vpanic',
]);

export interface PanicCpuReading {
  cpu: number | undefined;
  /** which route gave it: a symbol name, 'registers' or 'console' */
  route?: string;
  /** the routes before it that failed, each with why */
  missing: string[];
}

export function panicCpuReading(k: Kernel): PanicCpuReading {
  const cached = k.cache.get('objects/panic-cpu') as PanicCpuReading | undefined;
  if (cached) return cached;
  const r = readPanicCpu(k);
  k.cache.set('objects/panic-cpu', r);
  return r;
}

function readPanicCpu(k: Kernel): PanicCpuReading {
  const missing: string[] = [];
  const n = k.nrCpuIds;
  for (const name of PANIC_CPU_SYMBOLS) {
    if (!k.hasSymbol(name)) {
      missing.push(`${name}: not a symbol of this kernel`);
      continue;
    }
    try {
      const v = k.readS32(k.sym(name));
      if (v >= 0 && v < n) return { cpu: v, route: name, missing };
      missing.push(`${name}: ${v} (unset)`);
    } catch (e) {
      missing.push(`${name}: ${(e as Error).message}`);
    }
  }
  const byRegs = crashPathCpu(k);
  if (byRegs.cpu !== undefined) return { cpu: byRegs.cpu, route: 'registers', missing };
  missing.push(`registers: ${byRegs.why}`);
  const byConsole = consolePanicCpu(k);
  if (byConsole.cpu !== undefined && byConsole.cpu < n) return { cpu: byConsole.cpu, route: 'console', missing };
  missing.push(`console: ${byConsole.why}`);
  return { cpu: undefined, missing };
}

/** The one CPU whose saved instruction pointer is in a crash-path function. */
export function crashPathCpu(k: Kernel): { cpu?: number; why: string } {
  const notes = k.dump.cpus;
  if (!notes.length) return { why: 'the dump holds no CPU registers (NT_PRSTATUS)' };
  const hits: number[] = [];
  const online = k.onlineCpus;
  notes.forEach((note, i) => {
    const name = k.symbols.nearest(note.regs.rip)?.symbol.name;
    // notes are written one per online CPU, in CPU order
    if (name !== undefined && CRASH_PATH.has(name)) hits.push(online[i] ?? i);
  });
  if (hits.length === 1) return { cpu: hits[0], why: '' };
  return {
    why: hits.length
      ? `CPUs ${hits.join(', ')} all stopped on the crash path`
      : 'no CPU stopped on the crash path (__crash_kexec, machine_kexec ...)',
  };
}

/** lib/dump_stack.c: "CPU: %d UID: %u PID: %d Comm: ..." (6.12+), "CPU: %d PID: %d Comm: ..." before. */
const CPU_LINE = /^CPU: (\d+) (?:UID: \d+ )?PID: (\d+) Comm: /;
const PANIC_LINE = /^(Kernel panic - not syncing|Oops: |BUG: |general protection fault)/;

/** The CPU of the first "CPU: N ..." line after the last panic or oops line of the log. */
export function consolePanicCpu(k: Kernel): { cpu?: number; pid?: number; why: string } {
  let records;
  try {
    records = printkRecords(k);
  } catch (e) {
    return { why: `the log is unreadable (${(e as Error).message})` };
  }
  let start = -1;
  for (let i = records.length - 1; i >= 0; i--)
    if (PANIC_LINE.test(records[i]!.text)) {
      start = i;
      break;
    }
  if (start < 0) return { why: 'no panic or oops line in the log' };
  for (let i = start; i < records.length; i++) {
    const m = CPU_LINE.exec(records[i]!.text);
    if (m) return { cpu: Number(m[1]), pid: Number(m[2]), why: '' };
  }
  return { why: 'no "CPU: N ... PID: P Comm: C" line after the panic line' };
}
