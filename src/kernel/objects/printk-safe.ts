/**
 * The printk "safe" buffers of Linux 4.11–5.14 (kernel/printk/printk_safe.c): per-CPU struct
 * printk_safe_seq_buf variables nmi_print_seq (messages printed in NMI context) and safe_print_seq
 * (printed while logbuf_lock was held), each a length, a lost-message count and a byte buffer that the
 * kernel copies into the main log later (an irq_work). A crash before that copy leaves messages only here.
 * Linux 5.15 removed them (printk writes straight into the lockless ring buffer); `present` is then false.
 */
import type { Kernel } from '../kernel.js';
import { findMemberPath, resolve } from '../types/type.js';
import { possibleCpus } from './vmstat.js';

export interface SafeBufferCpu {
  cpu: number;
  /** this CPU's copy of the variable */
  address: bigint;
  len: number;
  messageLost: number;
  /** the first min(len, buffer size) bytes */
  bytes?: Buffer;
  /** why this CPU's copy could not be read */
  problem?: string;
}

export interface SafeBuffer {
  name: 'nmi_print_seq' | 'safe_print_seq';
  /** the symbol's own address (a per-CPU offset) */
  symbol: bigint;
  cpus: SafeBufferCpu[];
}

export interface SafeBuffers {
  /** false when this kernel has no struct printk_safe_seq_buf (5.15 and later) */
  present: boolean;
  buffers: SafeBuffer[];
}

export function printkSafeBuffers(k: Kernel): SafeBuffers {
  const T = 'struct printk_safe_seq_buf';
  if (!k.findType(T) || !k.hasMember(T, 'len') || !k.hasMember(T, 'message_lost') || !k.hasMember(T, 'buffer'))
    return { present: false, buffers: [] };
  const lenOff = BigInt(k.offsetOf(T, 'len'));
  const lostOff = BigInt(k.offsetOf(T, 'message_lost'));
  const bufOff = BigInt(k.offsetOf(T, 'buffer'));
  const bufSize = resolve(findMemberPath(k.type(T), 'buffer')!.member.type).size;
  const buffers: SafeBuffer[] = [];
  // crash reads the NMI buffer first
  for (const name of ['nmi_print_seq', 'safe_print_seq'] as const) {
    if (!k.hasSymbol(name)) continue;
    const symbol = k.sym(name);
    const cpus: SafeBufferCpu[] = [];
    for (const cpu of possibleCpus(k)) {
      let address = symbol;
      try {
        address = k.perCpuPtr(symbol, cpu);
        // len and message_lost are atomic_t: an int at the start of the struct
        const len = k.readS32(address + lenOff);
        const messageLost = k.readS32(address + lostOff);
        const c: SafeBufferCpu = { cpu, address, len, messageLost };
        if (len > 0) c.bytes = k.read(address + bufOff, Math.min(len, bufSize));
        cpus.push(c);
      } catch (e) {
        cpus.push({ cpu, address, len: 0, messageLost: 0, problem: (e as Error).message });
      }
    }
    buffers.push({ name, symbol, cpus });
  }
  return { present: true, buffers };
}
