/**
 * The kernel stacks an x86_64 CPU runs on, so bt can tell when a walk moves from one to another:
 * the task's own stack, the per-CPU hard-IRQ stack and the per-CPU exception (IST) stacks
 * in the cpu_entry_area. Every location is found through symbols and type info:
 *
 * - IRQ stack: per-CPU `hardirq_stack_ptr` (up to 6.1, and 6.15+) or `pcpu_hot.hardirq_stack_ptr` (6.2-6.14);
 *   the pointer is the stack's top minus 8 from 5.12 (arch/x86/kernel/irq_64.c: "va + IRQ_STACK_SIZE - 8"),
 *   the top itself before (irqStackTop).
 * - Exception stacks: per-CPU `cea_exception_stacks` points at a struct cea_exception_stacks whose
 *   members XX_stack are the stacks (XX_stack_guard members are unmapped guard pages).
 */
import { isKernelAddress } from '../../address.js';
import type { Kernel } from '../../kernel.js';
import { resolve } from '../../types/type.js';

export interface StackRange {
  /** 'task', 'irq', or the exception stack's member prefix: 'NMI', 'DF', 'DB', 'MCE', 'VC', 'VC2' */
  kind: string;
  /** how crash names it in "--- <...> ---" lines */
  label: string;
  /** lowest address */
  base: bigint;
  /** one past the highest address */
  top: bigint;
}

/**
 * x86_64 THREAD_SIZE (arch/x86/include/asm/page_64_types.h: PAGE_SIZE << (2 + KASAN_STACK_ORDER)).
 * BTF has no union thread_union on these kernels, so a KASAN kernel (32K stacks) is recognized by
 * its kasan_early_init symbol.
 */
export function threadSize(k: Kernel): bigint {
  return k.hasSymbol('kasan_early_init') ? 32768n : 16384n;
}

/** crash's names for the IST stacks. */
const EXCEPTION_LABELS: Record<string, string> = {
  DF: 'DOUBLE_FAULT',
  NMI: 'NMI',
  DB: 'DEBUG',
  DB1: 'DEBUG',
  MCE: 'MCE',
  VC: 'VC',
  VC2: 'VC2',
};

/** The task stack starting at `base` (task->stack): THREAD_SIZE bytes. */
export function taskStackAt(k: Kernel, base: bigint): StackRange {
  return { kind: 'task', label: 'task stack', base, top: base + threadSize(k) };
}

/** The IRQ and exception stacks of one CPU (those that can be located; errors are skipped). */
export function cpuStackRanges(k: Kernel, cpu: number): StackRange[] {
  const key = `bt.cpuStacks.${cpu}`;
  const cached = k.cache.get(key) as StackRange[] | undefined;
  if (cached) return cached;
  const out: StackRange[] = [];
  const irqTop = irqStackTop(k, cpu);
  if (irqTop !== undefined && irqTop !== 0n) {
    // IRQ_STACK_SIZE equals THREAD_SIZE on x86_64 (IRQ_STACK_ORDER = 2 + KASAN_STACK_ORDER)
    out.push({ kind: 'irq', label: 'IRQ stack', base: irqTop - threadSize(k), top: irqTop });
  }
  out.push(...exceptionStacks(k, cpu));
  k.cache.set(key, out);
  return out;
}

/**
 * The top (one past the highest byte) of a CPU's hard-IRQ stack. The stack is whole pages (vmapped, or the
 * page-aligned irq_stack_backing_store), so its top is page-aligned; hardirq_stack_ptr holds the top itself
 * up to 5.11 and the top minus 8 from 5.12 ("x86/irq/64: Adjust the per CPU irq stack pointer by 8"):
 * rounding the pointer up to its page boundary gives the top on both.
 */
export function irqStackTop(k: Kernel, cpu: number): bigint | undefined {
  try {
    let ptrAddr: bigint | undefined;
    if (k.hasSymbol('hardirq_stack_ptr')) ptrAddr = k.perCpu('hardirq_stack_ptr', cpu);
    else if (k.hasSymbol('pcpu_hot') && k.hasMember('struct pcpu_hot', 'hardirq_stack_ptr'))
      ptrAddr = k.perCpu('pcpu_hot', cpu) + BigInt(k.offsetOf('struct pcpu_hot', 'hardirq_stack_ptr'));
    if (ptrAddr === undefined) return undefined;
    const p = k.readU64(ptrAddr);
    return p === 0n ? undefined : (p + 0xfffn) & ~0xfffn;
  } catch {
    return undefined;
  }
}

function exceptionStacks(k: Kernel, cpu: number): StackRange[] {
  const out: StackRange[] = [];
  try {
    if (!k.hasSymbol('cea_exception_stacks')) return out;
    const t = k.findType('struct cea_exception_stacks');
    if (!t) return out;
    const p = k.readU64(k.perCpu('cea_exception_stacks', cpu));
    if (p === 0n) return out;
    for (const m of resolve(t).members ?? []) {
      const mm = /^(\w+)_stack$/.exec(m.name);
      if (!mm) continue;
      const base = p + BigInt(m.bitOffset / 8);
      const size = BigInt(resolve(m.type).size);
      const kind = mm[1]!;
      out.push({ kind, label: `${EXCEPTION_LABELS[kind] ?? kind} exception stack`, base, top: base + size });
    }
  } catch {
    // no exception stacks known: walks still work, only the stack-switch lines are lost
  }
  return out;
}

/** more than TOP_OF_KERNEL_STACK_PADDING has ever been: where a per-CPU top of stack stops being plausible */
const MAX_STACK_PADDING = 64n;

/**
 * The task stack of the task running on a CPU, from the CPU's own record of it rather than the task_struct:
 * the top of the current task's stack, which the context switch stores per CPU for the entry code (syscalls,
 * interrupts and NMIs from user mode switch to it). Where it is depends on the kernel:
 * - `pcpu_hot.top_of_stack` (6.2-6.14);
 * - the per-CPU `cpu_current_top_of_stack` (to 5.8, 6.0-6.1, 6.15+);
 * - `cpu_tss_rw.x86_tss.sp1` (5.9-5.19, where cpu_current_top_of_stack is a macro naming it).
 * The value is task_stack_page + THREAD_SIZE - TOP_OF_KERNEL_STACK_PADDING: 0 on x86_64, 16 with CONFIG_X86_FRED
 * (6.9+; Debian's 7.x kernels). undefined when the kernel keeps none of these, or the value is unreadable or is not
 * a kernel address at most MAX_STACK_PADDING below a THREAD_SIZE boundary.
 */
export function cpuTaskStack(k: Kernel, cpu: number): StackRange | undefined {
  try {
    let at: bigint | undefined;
    if (k.hasSymbol('pcpu_hot') && k.hasMember('struct pcpu_hot', 'top_of_stack'))
      at = k.perCpu('pcpu_hot', cpu) + BigInt(k.offsetOf('struct pcpu_hot', 'top_of_stack'));
    else if (k.hasSymbol('cpu_current_top_of_stack')) at = k.perCpu('cpu_current_top_of_stack', cpu);
    else if (k.hasSymbol('cpu_tss_rw') && k.hasMember('struct tss_struct', 'x86_tss.sp1'))
      at = k.perCpu('cpu_tss_rw', cpu) + BigInt(k.offsetOf('struct tss_struct', 'x86_tss.sp1'));
    if (at === undefined) return undefined;
    const top = k.readU64(at);
    const size = threadSize(k);
    const base = (top - 1n) & ~(size - 1n);
    if (!isKernelAddress(top) || base + size - top > MAX_STACK_PADDING) return undefined;
    return taskStackAt(k, base);
  } catch {
    return undefined;
  }
}

/**
 * The task stack of a CPU's current task whose task_struct (and so task->stack) cannot be read,
 * from that CPU's saved stack pointer. Task stacks are THREAD_SIZE-aligned (vmap stacks are
 * allocated with THREAD_ALIGN), so the block holding a task-stack address is the stack:
 * - a stack pointer on none of the CPU's own stacks is on the task stack;
 * - on the IRQ stack, the top word (the pointer slot hardirq_stack_ptr points at) holds the stack
 *   pointer the IRQ interrupted: call_on_irqstack() stores it there (arch/x86/include/asm/irq_stack.h);
 * - on an exception (IST) stack, the hardware frame at its top holds the interrupted RSP (the word
 *   below SS): this holds for the NMI stack too, whose first frame the entry code leaves in place.
 * undefined when the pointer found is on no plausible stack.
 */
export function inferTaskStack(k: Kernel, sp: bigint, cpuStacks: StackRange[]): StackRange | undefined {
  const block = (a: bigint): StackRange => taskStackAt(k, a & ~(threadSize(k) - 1n));
  const on = stackOf(cpuStacks, sp);
  if (!on) return isKernelAddress(sp) ? block(sp) : undefined;
  try {
    const prev = on.kind === 'irq' ? k.readU64(on.top - 8n) : k.readU64(on.top - 16n);
    if (isKernelAddress(prev) && !stackOf(cpuStacks, prev)) return block(prev);
  } catch {
    // the slot is unreadable: the walk goes as far as the CPU's own stacks
  }
  return undefined;
}

/** The stack holding `addr`, among `ranges`. */
export function stackOf(ranges: StackRange[], addr: bigint): StackRange | undefined {
  return ranges.find((r) => addr >= r.base && addr < r.top);
}
