/** ptov: a physical address → its address in the kernel's direct map; OFFSET:CPUS → per-CPU addresses. */
import { CommandError, type Command } from '../src/command.js';
import { text } from '../src/render/view.js';
import { parseAddress } from '../src/kernel/address.js';
import { fit, hex } from '../src/render/mem/fields.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { parseCpuList } from '../src/repl/cpu-list.js';

function perCpuLines(k: Kernel, offset: bigint, cpus: number[]): { lines: string[]; data: unknown } {
  const n = k.nrCpuIds;
  const width = `[${n - 1}]`.length + 2;
  const rows = cpus.map((cpu) => ({ cpu, address: BigInt.asUintN(64, offset + k.perCpuOffset(cpu)) }));
  return {
    lines: [
      `PER-CPU OFFSET: ${hex(offset)}`,
      `  ${fit('CPU', width, 'left')}  ${fit('VIRTUAL', 16, 'left')}`,
      ...rows.map((r) => `  ${fit(`[${r.cpu}]`, width, 'left')}${hex(r.address)}`),
    ],
    data: { offset, cpus: rows },
  };
}

const ptov: Command = {
  name: 'ptov',
  summary: 'kernel virtual address of a physical address, or of a per-CPU offset',
  help: `ptov - physical to kernel virtual address

SYNOPSIS
  ptov PHYSICAL ...
  ptov OFFSET:CPUS ...

PHYSICAL (hexadecimal) is shown with its address in the kernel's direct map of physical memory
(page_offset_base + PHYSICAL), the address the kernel itself uses for that memory.

OFFSET:CPUS treats OFFSET as the offset of a per-CPU variable and shows its address on each CPU
named: a list such as 0,2-3, "a" for all, or nothing after the colon for the current context's CPU.

EXAMPLES
  ptov 1000000
  ptov 2de20:a          (the per-CPU address of vm_event_states on every CPU)`,
  needsDump: true,
  run(session, args) {
    const k = session.kernel!;
    if (!args.positional.length) throw new CommandError('give a physical address: ptov ADDRESS ...');
    const lines: string[] = [];
    const data: unknown[] = [];
    for (const word of args.positional) {
      if (lines.length) lines.push('');
      const colon = word.indexOf(':');
      let value: bigint;
      try {
        value = parseAddress(k, colon >= 0 ? word.slice(0, colon) : word);
      } catch (e) {
        throw new CommandError((e as Error).message);
      }
      if (colon >= 0) {
        const spec = word.slice(colon + 1);
        let cpus: number[];
        if (spec === '') {
          const t = session.currentTask();
          const cpu = t === undefined ? 0 : k.object('struct task_struct', t).fieldAny('cpu', 'thread_info.cpu').num();
          cpus = [cpu];
        } else cpus = parseCpuList(spec, k.nrCpuIds);
        const r = perCpuLines(k, value, cpus);
        lines.push(...r.lines);
        data.push(r.data);
        continue;
      }
      const virt = BigInt.asUintN(64, value + k.mem.translator.cfg.pageOffsetBase);
      lines.push(`${fit('VIRTUAL', 16, 'left')}  ${fit('PHYSICAL', 16, 'left')}`);
      lines.push(`${fit(hex(virt), 16, 'left')}  ${fit(hex(value), 16, 'left')}`);
      data.push({ physical: value, virtual: virt });
    }
    return text(lines, data.length === 1 ? data[0] : data);
  },
};

export default ptov;
