/**
 * bt -e: every place on a stack that holds what looks like a saved register set (struct pt_regs) of an
 * exception, interrupt or system call, found by scanning, not by unwinding: crash's "possible exception frames".
 *
 * A candidate at address A is read as a pt_regs; it is taken when its values are ones the hardware and the
 * kernel's entry code could have saved:
 * - RFLAGS has bit 1 set (always 1) and none of the bits x86 reads as zero (3, 5, 15, 22-63; crash's mask);
 * - kernel mode: CS is __KERNEL_CS (0x10) with SS __KERNEL_DS (0x18), RIP in kernel or module text and RSP a
 *   kernel address; or CS 0x10 with any SS (the IRQ entry leaves SS 0 on some paths) when RSP is just past the
 *   frame (A + sizeof(pt_regs), or 8 more: the CPU aligns RSP to 16 bytes before pushing), or when RIP is a
 *   mapped vmalloc/module address;
 * - user mode: CS __USER_CS (0x33) with SS __USER_DS (0x2b), RIP and RSP user addresses.
 * A scan can also find register sets the kernel saved for its own use (crash_setup_regs' copy in
 * __crash_kexec) and stale ones below the stack pointer: they are what crash's search finds too.
 */
import { isKernelAddress } from '../../address.js';
import type { Kernel } from '../../kernel.js';
import { ptRegsLayout } from './backtrace.js';
import { cpuStackRanges, type StackRange } from './stacks.js';
import { moduleAt } from '../../objects/modules.js';
import { readPtRegs, type PtRegsValues } from './unwind.js';

/** Bits of RFLAGS that read as zero (crash's RAZ_MASK). */
const RFLAGS_ZERO = 0xffffffffffc08028n;
const KERNEL_CS = 0x10n;
const KERNEL_SS = 0x18n;
const USER_CS = 0x33n;
const USER_SS = 0x2bn;
/** x86_64 user addresses lie below this (4-level paging; a 5-level user range is larger, crash checks the same) */
const USER_TOP = 0x0000800000000000n;

/** vmalloc_base and VMALLOC_SIZE_TB (32 TiB with 4-level paging, 12800 TiB with 5-level) */
function inVmalloc(k: Kernel, a: bigint): boolean {
  if (!k.hasSymbol('vmalloc_base')) return false;
  try {
    const base = k.readU64(k.sym('vmalloc_base'));
    const size = (base >> 56n === 0xffn && base < 0xffff800000000000n ? 12800n : 32n) << 40n;
    return a >= base && a < base + size;
  } catch {
    return false;
  }
}

export interface FoundFrame {
  /** where the pt_regs starts */
  address: bigint;
  values: PtRegsValues;
  user: boolean;
}

function isText(k: Kernel, a: bigint): boolean {
  if (!isKernelAddress(a)) return false;
  const n = k.symbols.nearest(a);
  return !!n && 'TtWw'.includes(n.symbol.kind);
}

function mapped(k: Kernel, a: bigint): boolean {
  try {
    k.mem.vtop(a);
    return true;
  } catch {
    return false;
  }
}

function plausible(k: Kernel, at: bigint, size: bigint, r: PtRegsValues, exceptionStack: boolean): boolean {
  if ((r.flags & RFLAGS_ZERO) !== 0n || (r.flags & 2n) === 0n) return false;
  if (r.cs === USER_CS && r.ss === USER_SS) return r.ip < USER_TOP && r.sp < USER_TOP;
  if (r.cs !== KERNEL_CS || !isKernelAddress(r.sp)) return false;
  if (r.ss === KERNEL_SS && isText(k, r.ip)) return true;
  // on an IST stack (NMI, double fault ...) any SS: the NMI entry saves registers with SS 0
  if (isText(k, r.ip) && (exceptionStack || r.sp === at + size || r.sp === at + size + 8n)) return true;
  // module code, or other code in the vmalloc area (BPF programs, trampolines), mapped
  return (moduleAt(k, r.ip) !== undefined || inVmalloc(k, r.ip)) && mapped(k, r.ip);
}

/** The plausible exception frames on one stack, lowest address first; unreadable pages are skipped. */
export function searchExceptionFrames(k: Kernel, stack: StackRange): FoundFrame[] {
  const layout = ptRegsLayout(k);
  const size = BigInt(layout.size);
  const words: (bigint | undefined)[] = [];
  for (let a = stack.base; a < stack.top; a += 8n) {
    try {
      words.push(k.readU64(a));
    } catch {
      words.push(undefined);
    }
  }
  // reads from the copy above: one pass over the stack, not 21 reads per candidate
  const mem = {
    readU64: (a: bigint): bigint => {
      const w = words[Number((a - stack.base) / 8n)];
      if (w === undefined) throw new Error(`stack word ${a.toString(16)} is not in the dump`);
      return w;
    },
  };
  const out: FoundFrame[] = [];
  for (let at = stack.base; at + size <= stack.top; at += 8n) {
    let r: PtRegsValues;
    try {
      // CS and SS as the whole words the slots hold (readPtRegs keeps their 16-bit selectors): a word with
      // high bits set was never pushed by the CPU, and shows so
      r = {
        ...readPtRegs(mem, layout, at),
        cs: mem.readU64(at + BigInt(layout.offsets.cs)),
        ss: mem.readU64(at + BigInt(layout.offsets.ss)),
      };
    } catch {
      continue;
    }
    if (plausible(k, at, size, r, stack.kind !== 'task' && stack.kind !== 'irq'))
      out.push({ address: at, values: r, user: (r.cs & 3n) !== 0n });
  }
  return out;
}

/** The IST stacks in IST order (cea_exception_stacks), the vector whose gate uses each, and crash's name. */
const IST_STACKS: { kind: string; vector: number; name: string }[] = [
  { kind: 'DF', vector: 8, name: 'DOUBLEFAULT' },
  { kind: 'NMI', vector: 2, name: 'NMI' },
  { kind: 'DB', vector: 1, name: 'DEBUG' },
  { kind: 'MCE', vector: 18, name: 'MCE' },
  { kind: 'VC', vector: 29, name: 'VC' },
];

/**
 * bt -E's stacks of one CPU: its IRQ stack, then the exception (IST) stacks in IST order as long as the IDT
 * gate of each one's exception really switches to it and its pages are mapped (a kernel that installed no
 * #MC handler, as under QEMU TCG, leaves its early handler there and no IST: the list stops, as crash's does).
 */
export function searchableCpuStacks(
  k: Kernel,
  cpu: number,
  gateIst: (vector: number) => number,
): { irq?: StackRange; exception: { name: string; stack: StackRange }[] } {
  const ranges = cpuStackRanges(k, cpu);
  const exception: { name: string; stack: StackRange }[] = [];
  for (const [i, s] of IST_STACKS.entries()) {
    const r = ranges.find((x) => x.kind === s.kind);
    if (!r || gateIst(s.vector) !== i + 1 || !mapped(k, r.base)) break;
    exception.push({ name: s.name, stack: r });
  }
  return { irq: ranges.find((x) => x.kind === 'irq'), exception };
}
