/** irq: interrupt descriptors and their handlers; -s the per-CPU counts as /proc/interrupts shows them. */
import { CommandError, type Args, type Command } from '../src/command.js';
import type { Kernel } from '../src/kernel/kernel.js';
import {
  cpuRanges,
  irqAffinity,
  irqCount,
  irqCounts,
  irqDesc,
  irqDescriptors,
  idtHandlers,
  softirqVectors,
  type IrqDesc,
} from '../src/kernel/objects/irq.js';
import { moduleAt } from '../src/kernel/objects/modules.js';
import { cpuCounts } from '../src/kernel/objects/system.js';
import { text, type TableView, type View } from '../src/render/view.js';
import { fit } from '../src/render/mem/fields.js';
import type { Session } from '../src/session.js';
import { parseCpuList } from '../src/repl/cpu-list.js';

const HELP = `irq - interrupt descriptors

SYNOPSIS
  irq [IRQ ...]
  irq -s [-c CPU]
  irq -a
  irq -b
  irq -d

Without options, every IRQ number below nr_irqs: its struct irq_desc, its irqaction(s) and the name
each handler registered ("(unused)" where there is none). With numbers, only those IRQs.

OPTIONS
  -s       per-CPU interrupt counts of the IRQs that have a handler, with the chip and flow names
           and the handlers' names, as /proc/interrupts lays them out
  -c CPU   with -s: only these CPUs (a number or a list such as 0,2-3)
  -a       the CPUs each handled IRQ may be delivered to (its affinity mask), as a CPU list
  -b       the softirq ("bottom half") handlers: each vector of softirq_vec and the function it runs
  -d       the interrupt descriptor table: the handler of each of the 256 vectors (exceptions 0-31,
           device IRQs through irq_entries_start, the APIC's system vectors at the top)

EXAMPLES
  irq
  irq 4
  irq -s
  irq -a
  irq -b        which function runs TIMER, NET_RX, RCU ... softirqs
  irq -d        what vector 14 (page fault) or 236 (local timer) enters`;

const hex = (v: bigint): string => v.toString(16);

/** `unknown`: the descriptor tree lost pages, so an IRQ without a descriptor may have one we cannot see */
/** One row per handler of an IRQ (its first row names the IRQ and descriptor), or one for an unused IRQ. */
function describeRows(d: IrqDesc | undefined, irq: number, unknown: boolean): Record<string, unknown>[] {
  const none = unknown ? '(unknown)' : '(unused)';
  if (!d) return [{ irq, descCell: none, actionCell: !d && unknown ? none : '(unused)' }];
  if (!d.actions.length) return [{ irq, desc: d.desc, actionCell: '(unused)' }];
  return d.actions.map((a, i) => ({ irq, desc: d.desc, more: i > 0, action: a.address, name: a.name }));
}

const centred = (s: string) => fit(s, 16, 'center');

/** crash's irq table: the IRQ number right of centre in 4 columns, the two addresses centred in 16 */
function irqTable(rows: Record<string, unknown>[]): TableView {
  return {
    kind: 'table',
    columns: [
      {
        key: 'irq',
        header: ' IRQ',
        align: 'left',
        width: 4,
        fixed: true,
        sep: '',
        format: (v, r) => (r.more ? '' : fit(String(v), 4, 'center-right')),
      },
      {
        key: 'desc',
        header: centred('IRQ_DESC/_DATA'),
        align: 'left',
        width: 16,
        fixed: true,
        sep: '  ',
        format: (v, r) => (r.more ? '' : centred(v === undefined ? String(r.descCell) : hex(v as bigint))),
      },
      {
        key: 'action',
        header: centred('IRQACTION'),
        align: 'left',
        width: 16,
        fixed: true,
        sep: '  ',
        format: (v, r) => centred(v === undefined ? String(r.actionCell) : hex(v as bigint)),
      },
      {
        key: 'name',
        header: 'NAME',
        align: 'left',
        width: 0,
        sep: '  ',
        format: (v) => (v === undefined ? '' : `"${String(v)}"`),
      },
    ],
    rows,
    lineKey: 'line',
    rowAction: 'struct irq_desc {desc}',
  };
}

/** irq -a: the handled IRQs, their handlers' names and the CPUs each may be delivered to. */
function affinityView(k: Kernel): View {
  const descs = irqDescriptors(k);
  const n = irqCount(k);
  const lines = ['IRQ NAME                 AFFINITY'];
  const rows = [];
  for (let irq = 0; irq < n; irq++) {
    const addr = descs.byIrq.get(irq);
    if (addr === undefined) continue;
    try {
      const d = irqDesc(k, irq, addr);
      if (!d.actions.length) continue;
      const names = d.actions.flatMap((a) => (a.name !== undefined ? [a.name] : [])).join(',');
      const cpus = irqAffinity(k, addr);
      lines.push(`${String(irq).padStart(3)} ${names.padEnd(20)} ${cpuRanges(cpus)}`);
      rows.push({ irq, names, cpus });
    } catch (e) {
      lines.push(`${String(irq).padStart(3)} (unreadable: ${(e as Error).message})`);
    }
  }
  lines.push(...unreadableNote(descs.unreadable));
  return text(lines, rows);
}

function statsView(k: Kernel, cpuSpec: string | undefined): View {
  const { present } = cpuCounts(k);
  const chosen = cpuSpec !== undefined ? new Set(parseCpuList(cpuSpec, present)) : undefined;
  // an offline CPU's column too (the interrupts it took before going offline), as crash shows it
  const cpus: number[] = [];
  for (let c = 0; c < present; c++) if (!chosen || chosen.has(c)) cpus.push(c);
  const lines = [`     ${cpus.map((c) => `CPU${c}`.padStart(10) + ' ').join('')}`];
  const rows = [];
  const descs = irqDescriptors(k);
  const n = irqCount(k);
  for (let irq = 0; irq < n; irq++) {
    const addr = descs.byIrq.get(irq);
    if (addr === undefined) continue;
    let d: IrqDesc;
    let counts: number[];
    try {
      d = irqDesc(k, irq, addr);
      if (!d.actions.length) continue;
      counts = irqCounts(k, addr, cpus);
    } catch (e) {
      lines.push(`${String(irq).padStart(3)}: (unreadable: ${(e as Error).message})`);
      continue;
    }
    // chip name in 8 columns, "-" and the flow name in 8 more, then the handlers' names joined by ","
    const chip =
      d.chipName !== undefined
        ? d.chipName.padStart(8) + (d.flowName !== undefined ? `-${d.flowName.padEnd(8)}` : '')
        : '';
    const names = d.actions.flatMap((a) => (a.name !== undefined ? [a.name] : [])).join(',');
    lines.push(
      `${String(irq).padStart(3)}: ${counts.map((c) => `${String(c).padStart(10)} `).join('')}${chip} ${names}`,
    );
    rows.push({
      irq,
      counts: Object.fromEntries(cpus.map((c, i) => [`CPU${c}`, counts[i]])),
      chip: d.chipName,
      flow: d.flowName,
      names,
    });
  }
  lines.push(...unreadableNote(descs.unreadable));
  return text(lines, rows);
}

/** A dump that lost pages of the descriptor tree: its IRQs cannot be listed, and we say so. */
function unreadableNote(n: number): string[] {
  return n
    ? [
        `irq: ${n} descriptor-tree node${n === 1 ? '' : 's'} or descriptor${n === 1 ? '' : 's'} not in the dump: their IRQs are missing`,
      ]
    : [];
}

/** irq -b: "SOFTIRQ_VEC      ACTION", then "    [N]     address  <symbol>" per registered vector, as crash. */
function softirqView(k: Kernel): View {
  const vecs = softirqVectors(k).filter((v) => v.action !== 0n);
  const lines = [`SOFTIRQ_VEC ${fit('ACTION', 16, 'center')}`];
  for (const v of vecs) {
    const n = k.symbols.nearest(v.action);
    const name = n ? (n.offset ? `${n.symbol.name}+${n.offset}` : n.symbol.name) : hex(v.action);
    const m = moduleAt(k, v.action);
    lines.push(
      `    [${v.nr}]${' '.repeat(v.nr < 10 ? 4 : 3)} ${hex(v.action).padStart(16)}  <${name}>${m ? `  [${m.name}]` : ''}`,
    );
  }
  return text(lines, vecs);
}

/** irq -d: "[N] handler" for the 256 vectors, N right-aligned in 5 columns with its brackets, as crash. */
function idtView(k: Kernel): View {
  const handlers = idtHandlers(k);
  const lines = handlers.map((a, i) => {
    const n = k.symbols.nearest(a);
    const name = n ? (n.offset ? `${n.symbol.name}+${n.offset}` : n.symbol.name) : a.toString(16).padStart(16, '0');
    return `${`[${i}]`.padStart(5)} ${name}`;
  });
  return text(
    lines,
    handlers.map((a, vector) => ({ vector, handler: a })),
  );
}

const irq: Command = {
  name: 'irq',
  summary: 'interrupt descriptors, handlers and per-CPU counts',
  help: HELP,
  needsDump: true,
  options: { s: 'per-CPU counts', c: '=cpu', a: 'affinity', b: 'softirq handlers', d: 'interrupt descriptor table' },
  run(session: Session, args: Args): View {
    const k = session.kernel;
    if (!k) throw new CommandError('no dump is open');
    try {
      if (args.flags.a) return affinityView(k);
      if (args.flags.b) return softirqView(k);
      if (args.flags.d) return idtView(k);
      if (args.flags.s) return statsView(k, args.flags.c !== undefined ? String(args.flags.c) : undefined);
      const n = irqCount(k);
      const wanted = args.positional.map((w) => {
        if (!/^\d+$/.test(w)) throw new CommandError(`invalid IRQ value: ${w}`);
        const i = Number(w);
        if (i >= n) throw new CommandError(`invalid IRQ value: ${i}  (${n - 1} max)`);
        return i;
      });
      const descs = irqDescriptors(k);
      const rows: Record<string, unknown>[] = [];
      const data = [];
      for (const i of wanted.length ? wanted : Array.from({ length: n }, (_, x) => x)) {
        const addr = descs.byIrq.get(i);
        let d: IrqDesc | undefined;
        if (addr !== undefined) {
          try {
            d = irqDesc(k, i, addr);
          } catch (e) {
            const why = `(unreadable: ${(e as Error).message})`;
            rows.push({
              irq: i,
              desc: addr,
              line: `${fit(String(i), 4, 'center-right')}  ${centred(hex(addr))}  ${why}`,
            });
            continue;
          }
        }
        rows.push(...describeRows(d, i, descs.unreadable > 0));
        if (d) data.push(d);
      }
      return { ...irqTable(rows), after: unreadableNote(descs.unreadable), data };
    } catch (e) {
      if (e instanceof CommandError) throw e;
      throw new CommandError((e as Error).message);
    }
  },
};

export default irq;
