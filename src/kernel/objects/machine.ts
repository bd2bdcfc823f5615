/**
 * Machine facts for `mach`: the x86_64 kernel's address-space layout (direct map, vmalloc, vmemmap,
 * image and module areas), stack sizes, and each CPU's IRQ and exception (IST) stacks.
 */
import type { Kernel } from '../kernel.js';
import { START_KERNEL_MAP } from '../arch/x86_64/translate.js';
import { irqStackTop, threadSize } from '../arch/x86_64/stacks.js';
import { findMemberPath, resolve } from '../types/type.js';

export interface StackBase {
  cpu: number;
  base: bigint;
  /** false when the stack's first page cannot be read (a VC stack without SEV-ES is never mapped) */
  available: boolean;
}

export interface ExceptionStack {
  /** crash's name, from the IDT vector that uses this IST slot: NMI, DEBUG, DOUBLEFAULT, MCE, VC... */
  name: string;
  size: number;
  stacks: StackBase[];
}

export interface MachineLayout {
  /** the direct map of physical memory (page_offset_base) */
  kernelVirtualBase: bigint;
  vmallocBase: bigint;
  vmemmapBase: bigint;
  startKernelMap: bigint;
  modulesBase: bigint;
  stackSize: number;
  irqStackSize: number;
  irqStacks: StackBase[];
  exceptionStacks: ExceptionStack[];
}

/** The non-KASLR defaults of arch/x86/include/asm/page_64_types.h and pgtable_64_types.h. */
const DEFAULTS = {
  four: { page_offset_base: 0xffff888000000000n, vmalloc_base: 0xffffc90000000000n, vmemmap_base: 0xffffea0000000000n },
  five: { page_offset_base: 0xff11000000000000n, vmalloc_base: 0xffa0000000000000n, vmemmap_base: 0xffd4000000000000n },
};

/** A layout variable: randomized with KASLR (CONFIG_RANDOMIZE_MEMORY), else the compile-time default. */
function layoutBase(k: Kernel, name: keyof typeof DEFAULTS.four): bigint {
  if (k.hasSymbol(name)) return k.readU64(k.sym(name));
  return DEFAULTS[k.mem.translator.cfg.fiveLevel ? 'five' : 'four'][name];
}

export function machineLayout(k: Kernel): MachineLayout {
  const stackSize = Number(threadSize(k));
  const cpus = cpuIndices(k);
  return {
    kernelVirtualBase: layoutBase(k, 'page_offset_base'),
    vmallocBase: layoutBase(k, 'vmalloc_base'),
    vmemmapBase: layoutBase(k, 'vmemmap_base'),
    startKernelMap: START_KERNEL_MAP,
    // MODULES_VADDR = __START_KERNEL_map + KERNEL_IMAGE_SIZE (1 GiB with KASLR configured)
    modulesBase: START_KERNEL_MAP + (1n << 30n),
    stackSize,
    // IRQ_STACK_SIZE is THREAD_SIZE on x86_64
    irqStackSize: stackSize,
    irqStacks: cpus.flatMap((cpu) => {
      const top = irqStackTop(k, cpu);
      return top === undefined ? [] : [{ cpu, base: top - BigInt(stackSize), available: true }];
    }),
    exceptionStacks: exceptionStacks(k, cpus),
  };
}

/** Every possible CPU: __per_cpu_offset entries up to nr_cpu_ids. */
function cpuIndices(k: Kernel): number[] {
  const out: number[] = [];
  for (let c = 0; c < k.nrCpuIds; c++) out.push(c);
  return out;
}

/** cea_exception_stacks member holding each named stack (its size is the member's). */
const STACK_MEMBER: Record<string, string> = {
  DOUBLEFAULT: 'DF_stack',
  NMI: 'NMI_stack',
  DEBUG: 'DB_stack',
  MCE: 'MCE_stack',
  VC: 'VC_stack',
};

/** The IST slots in use, named by the IDT vectors that use them, and each CPU's stack in each slot. */
function exceptionStacks(k: Kernel, cpus: number[]): ExceptionStack[] {
  const names = istNames(k);
  if (!names) return [];
  const istTops = cpus.map((cpu) => {
    try {
      return tssIst(k, cpu);
    } catch {
      return [];
    }
  });
  const out: ExceptionStack[] = [];
  for (let slot = 0; slot < 7; slot++) {
    if (!istTops[0]?.[slot]) break;
    const name = names[slot] ?? '(unknown)';
    const member = STACK_MEMBER[name];
    let size = 0;
    const found = member ? memberOf(k, 'struct cea_exception_stacks', member) : undefined;
    if (found) size = resolve(found.member.type).size;
    const stacks: StackBase[] = [];
    for (const cpu of cpus) {
      const top = istTops[cpu]?.[slot];
      if (!top) break;
      const base = top - BigInt(size);
      stacks.push({ cpu, base, available: readable(k, base) });
    }
    // crash reports a slot no vector names as "(unknown)" of size 0 (6.1 without CONFIG_X86_MCE keeps
    // an MCE stack that nothing uses); we do the same so its layout parses alike
    out.push({ name, size, stacks });
  }
  return out;
}

/** cpu_tss_rw.x86_tss.ist[0..6]: the top of each IST stack of one CPU (0 = slot unused). */
function tssIst(k: Kernel, cpu: number): bigint[] {
  const name = k.hasSymbol('cpu_tss_rw') ? 'cpu_tss_rw' : 'cpu_tss';
  const tss = k.object('struct tss_struct', k.perCpu(name, cpu)).field('x86_tss').field('ist');
  const out: bigint[] = [];
  for (let i = 0; i < 7; i++) out.push(tss.index(i).value());
  return out;
}

/**
 * The name of each IST slot, from the IDT: gate descriptors whose IST field is set, named after their
 * handler (asm_exc_nmi → NMI, asm_exc_double_fault → DOUBLEFAULT...). The gate layout is the CPU's
 * (16-byte x86_64 interrupt gate: offset 0-15, selector, IST in bits 0-2 of byte 4, offset 16-31,
 * offset 32-63), so it is read as bytes rather than through the kernel's struct gate_struct.
 */
function istNames(k: Kernel): (string | undefined)[] | undefined {
  if (!k.hasSymbol('idt_table')) return undefined;
  let idt: Buffer;
  try {
    idt = k.read(k.sym('idt_table'), 256 * 16);
  } catch {
    return undefined;
  }
  const names: (string | undefined)[] = [];
  for (let v = 0; v < 256; v++) {
    const g = idt.subarray(v * 16, v * 16 + 16);
    const ist = g[4]! & 7;
    if (!ist) continue;
    const handler = BigInt(g.readUInt16LE(0)) | (BigInt(g.readUInt16LE(6)) << 16n) | (BigInt(g.readUInt32LE(8)) << 32n);
    const fn = k.symbols.nearest(handler)?.symbol.name ?? '';
    const name = istName(fn);
    if (name) names[ist - 1] = name;
  }
  return names;
}

function istName(handler: string): string | undefined {
  if (handler.includes('nmi')) return 'NMI';
  if (handler.includes('debug')) return 'DEBUG';
  if (handler.includes('double')) return 'DOUBLEFAULT';
  if (handler.includes('stack')) return 'STACKFAULT';
  if (handler.includes('machine')) return 'MCE';
  if (handler.includes('vmm')) return 'VC';
  return undefined;
}

function readable(k: Kernel, addr: bigint): boolean {
  try {
    k.read(addr, 8);
    return true;
  } catch {
    return false;
  }
}

function memberOf(k: Kernel, type: string, member: string): ReturnType<typeof findMemberPath> {
  const t = k.findType(type);
  return t ? findMemberPath(resolve(t), member) : undefined;
}

export interface E820Entry {
  start: bigint;
  end: bigint;
  type: number;
}

/** The firmware memory map the kernel kept (e820_table, a pointer since 4.12; `e820` struct before). */
export function e820Map(k: Kernel): E820Entry[] {
  let table;
  if (k.hasSymbol('e820_table')) {
    table = k.object('struct e820_table', k.readU64(k.sym('e820_table')));
  } else if (k.hasSymbol('e820')) {
    table = k.object('struct e820map', k.sym('e820'));
  } else {
    throw new Error('neither e820_table nor e820 is in the symbol table');
  }
  const n = table.field('nr_entries').num();
  const entries = table.field('entries');
  const max = entries.resolved.length ?? 0;
  if (n < 0 || n > max) throw new Error(`e820 table claims ${n} entries (room for ${max})`);
  const out: E820Entry[] = [];
  for (let i = 0; i < n; i++) {
    const e = entries.index(i);
    const start = e.field('addr').value();
    out.push({ start, end: start + e.field('size').value(), type: e.field('type').num() });
  }
  return out;
}
