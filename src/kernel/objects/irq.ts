/**
 * Interrupt descriptors (kernel/irq/irqdesc.c, SPARSE_IRQ): struct irq_desc by IRQ number, kept in
 * the radix tree irq_desc_tree (an XArray) up to 6.4 and in the maple tree sparse_irqs from 6.5; a
 * descriptor's chip (irq_data.chip → irq_chip.name), flow name (desc->name: "edge", "fasteoi"),
 * handlers (the irqaction chain: name, next) and per-CPU counts (desc->kstat_irqs, whose first
 * field is the count: unsigned int up to 6.9, struct irqstat.cnt after).
 */
import type { Kernel } from '../kernel.js';
import { mapleTreeEntries } from './maple-tree.js';
import { walkXarray } from './task-lists.js';

export interface IrqAction {
  address: bigint;
  name: string | undefined;
}

export interface IrqDesc {
  irq: number;
  desc: bigint;
  chipName: string | undefined;
  flowName: string | undefined;
  actions: IrqAction[];
}

/**
 * nr_irqs: the IRQ numbers in use are below it. 7.x has no such symbol (a static behind irq_get_nr_irqs()):
 * then one more than the highest IRQ the descriptor tree holds, which bounds the same descriptors.
 */
export function irqCount(k: Kernel): number {
  if (k.hasSymbol('nr_irqs')) return k.readU32(k.sym('nr_irqs'));
  const irqs = [...irqDescriptors(k).byIrq.keys()];
  if (!irqs.length) throw new Error('no nr_irqs symbol, and no IRQ descriptor could be read');
  return Math.max(...irqs) + 1;
}

export interface IrqDescriptors {
  /** descriptor address by IRQ number */
  byIrq: Map<number, bigint>;
  /** tree nodes and descriptors on pages the dump lacks (their IRQs are missing from byIrq) */
  unreadable: number;
}

/** Every allocated descriptor, keyed by IRQ number. */
export function irqDescriptors(k: Kernel): IrqDescriptors {
  const cached = k.cache.get('objects/irqdescs') as IrqDescriptors | undefined;
  if (cached) return cached;
  const out: IrqDescriptors = { byIrq: new Map(), unreadable: 0 };
  let walk: { entries: { value: bigint }[]; broken: bigint[] };
  if (k.hasSymbol('sparse_irqs')) walk = mapleTreeEntries(k, k.sym('sparse_irqs'));
  else if (k.hasSymbol('irq_desc_tree')) walk = walkXarray(k, k.sym('irq_desc_tree'));
  else throw new Error('neither sparse_irqs nor irq_desc_tree is in the symbol table (a kernel without SPARSE_IRQ)');
  out.unreadable = walk.broken.length;
  for (const { value } of walk.entries) {
    try {
      // the descriptor names its own number: irq_desc.irq_data.irq
      out.byIrq.set(k.object('struct irq_desc', value).field('irq_data').field('irq').num(), value);
    } catch {
      out.unreadable++;
    }
  }
  k.cache.set('objects/irqdescs', out);
  return out;
}

function optString(k: Kernel, p: bigint): string | undefined {
  if (p === 0n) return undefined;
  try {
    return k.readCString(p, 256);
  } catch {
    return undefined;
  }
}

export function irqDesc(k: Kernel, irq: number, desc: bigint): IrqDesc {
  const d = k.object('struct irq_desc', desc);
  const chip = d.field('irq_data').field('chip').value();
  const actions: IrqAction[] = [];
  let a = d.field('action').value();
  for (let n = 0; a !== 0n && n < 64; n++) {
    const act = k.object('struct irqaction', a);
    actions.push({ address: a, name: optString(k, act.field('name').value()) });
    a = act.field('next').value();
  }
  return {
    irq,
    desc,
    chipName: chip === 0n ? undefined : optString(k, k.object('struct irq_chip', chip).field('name').value()),
    flowName: optString(k, d.field('name').value()),
    actions,
  };
}

/** The count of one IRQ on each CPU (desc->kstat_irqs is per-CPU). */
export function irqCounts(k: Kernel, desc: bigint, cpus: number[]): number[] {
  const p = k.object('struct irq_desc', desc).field('kstat_irqs').value();
  return cpus.map((cpu) => k.readU32(k.perCpuPtr(p, cpu)));
}

/**
 * The CPUs an IRQ may be delivered to: irq_common_data.affinity (a cpumask_var_t: a pointer with
 * CPUMASK_OFFSTACK, the mask itself otherwise), bits below nr_cpu_ids.
 */
export function irqAffinity(k: Kernel, desc: bigint): number[] {
  const d = k.object('struct irq_desc', desc);
  let mask = d.has('irq_common_data.affinity')
    ? d.field('irq_common_data').field('affinity')
    : d.field('irq_data').field('affinity');
  if (mask.resolved.kind === 'pointer') mask = mask.deref();
  const bytes = Math.ceil(k.nrCpuIds / 8);
  const b = k.read(mask.address, bytes);
  const out: number[] = [];
  for (let c = 0; c < k.nrCpuIds; c++) if ((b[c >> 3]! >> (c & 7)) & 1) out.push(c);
  return out;
}

/** "0-1", "0,2-3": a CPU list as crash and the kernel's %*pbl print it. */
export function cpuRanges(cpus: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < cpus.length; ) {
    let j = i;
    while (j + 1 < cpus.length && cpus[j + 1] === cpus[j]! + 1) j++;
    parts.push(i === j ? `${cpus[i]}` : `${cpus[i]}-${cpus[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** One softirq vector: its number and the handler softirq_vec[nr].action points at (0: none registered). */
export interface SoftirqVector {
  nr: number;
  action: bigint;
}

/**
 * The softirq handlers (kernel/softirq.c: softirq_vec[NR_SOFTIRQS], struct softirq_action { action }). The
 * count is the kernel's own NR_SOFTIRQS enumerator (10 since 3.x: HI, TIMER, NET_TX, NET_RX, BLOCK,
 * IRQ_POLL, TASKLET, SCHED, HRTIMER, RCU).
 */
export function softirqVectors(k: Kernel): SoftirqVector[] {
  if (!k.hasSymbol('softirq_vec')) throw new Error('no softirq_vec in this kernel');
  const n = Number(k.types.enumValue?.('NR_SOFTIRQS') ?? 10n);
  const size = BigInt(k.sizeOf('struct softirq_action'));
  const at = BigInt(k.offsetOf('struct softirq_action', 'action'));
  const out: SoftirqVector[] = [];
  for (let i = 0; i < n; i++) out.push({ nr: i, action: k.readU64(k.sym('softirq_vec') + BigInt(i) * size + at) });
  return out;
}

/**
 * The handler address of each of the 256 x86_64 interrupt vectors: idt_table's gate descriptors (struct
 * gate_struct), the address split in offset_low (bits 0-15), offset_middle (16-31) and offset_high (32-63).
 */
export function idtHandlers(k: Kernel): bigint[] {
  if (!k.hasSymbol('idt_table') || !k.findType('struct gate_struct'))
    throw new Error('no idt_table (struct gate_struct) in this kernel');
  const size = BigInt(k.sizeOf('struct gate_struct'));
  const out: bigint[] = [];
  for (let i = 0n; i < 256n; i++) {
    const g = k.object('struct gate_struct', k.sym('idt_table') + i * size);
    out.push(
      g.field('offset_low').value() |
        (g.field('offset_middle').value() << 16n) |
        (g.field('offset_high').value() << 32n),
    );
  }
  return out;
}

/**
 * The IST stack number (1-7) the IDT gate of `vector` switches to, 0 for none: gate_struct.bits' low 3 bits
 * (struct idt_bits: ist:3, zero:5, type:5, dpl:2, p:1).
 */
export function idtGateIst(k: Kernel, vector: number): number {
  const size = BigInt(k.sizeOf('struct gate_struct'));
  const bits = k.read(k.sym('idt_table') + BigInt(vector) * size + BigInt(k.offsetOf('struct gate_struct', 'bits')), 2);
  return bits.readUInt16LE(0) & 7;
}
