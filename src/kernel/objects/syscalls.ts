/**
 * The system call table (arch/x86/entry/syscall_64.c: sys_call_table[] of handler addresses), each
 * entry's handler and, with DWARF, the source line of its definition.
 */
import type { Kernel } from '../kernel.js';
import type { SourceLine } from '../debuginfo/types.js';

export interface SyscallEntry {
  number: number;
  handler: bigint;
  /** the handler's symbol; undefined when the entry points at no symbol (a corrupted table) */
  name: string | undefined;
  /** where the handler is defined (DWARF), undefined without line information */
  source?: SourceLine;
}

/** Entries in the table: the symbol's size (8 bytes each), or the distance to the next symbol. */
function tableLength(k: Kernel, addr: bigint): number {
  const sym = k.symbols.nearest(addr);
  let size = sym && sym.offset === 0n ? sym.symbol.size : 0n;
  if (size === 0n) {
    const next = [...k.symbols.inAddressOrder()].find((s) => s.address > addr);
    size = next ? next.address - addr : 0n;
  }
  const n = Number(size / 8n);
  if (n < 1 || n > 4096) throw new Error(`sys_call_table: implausible length ${n}`);
  return n;
}

/**
 * The line a handler is defined on, as crash finds it: the first address of the function whose line is
 * not in an include/ header (a syscall often starts with inlined header code).
 */
function definitionLine(k: Kernel, handler: bigint): SourceLine | undefined {
  const sym = k.symbols.nearest(handler);
  const end = sym && sym.symbol.size > 0n ? sym.symbol.address + sym.symbol.size : handler + 1n;
  for (let a = handler; a < end && a < handler + 4096n; a++) {
    const l = k.sourceLine(a);
    if (l && !(l.file.endsWith('.h') && l.file.includes('include/'))) return l;
  }
  return undefined;
}

/**
 * The name the table itself uses: syscall_64.c fills it with the __x64_sys_* wrappers, which often share
 * their address with __ia32_sys_* or __do_sys_* (crash shows whichever its sort puts first).
 */
function handlerName(k: Kernel, handler: bigint): string | undefined {
  const names = k.symbols.aliases(handler).map((s) => s.name);
  return names.find((n) => n.startsWith('__x64_sys_')) ?? names.find((n) => n.startsWith('sys_')) ?? names[0];
}

export function syscallTable(k: Kernel): SyscallEntry[] {
  const base = k.sym('sys_call_table');
  const n = tableLength(k, base);
  const words = k.read(base, n * 8);
  const withLines = k.debugInfo !== undefined;
  const out: SyscallEntry[] = [];
  for (let i = 0; i < n; i++) {
    const handler = words.readBigUInt64LE(i * 8);
    const name = handlerName(k, handler);
    out.push({ number: i, handler, name, source: withLines && name ? definitionLine(k, handler) : undefined });
  }
  return out;
}
