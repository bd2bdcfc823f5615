/** mach: the machine's facts: memory size, CPUs, clock, address-space layout and every per-CPU stack. */
import { CommandError, type Args, type Command } from '../src/command.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { e820Map, machineLayout, type StackBase } from '../src/kernel/objects/machine.js';
import { kernelHz } from '../src/kernel/objects/boot-time.js';
import {
  cpuCounts,
  cpuMhz,
  formatMemorySize,
  installedMemoryBytes,
  physicalPages,
  utsname,
} from '../src/kernel/objects/system.js';
import { text, type View } from '../src/render/view.js';
import { formatValue } from '../src/render/gdb-value.js';
import type { Session } from '../src/session.js';

const HELP = `mach - machine facts

SYNOPSIS
  mach [-m | -c [-x|-d]]

Without options: the machine type, memory size, CPU count (and how many are offline), processor
speed, the timer frequency HZ, the page size, and where the kernel's address-space areas begin
(direct map, vmalloc, vmemmap, kernel image, modules), then the size and per-CPU base of the IRQ
stacks and of each exception (IST) stack. An exception stack is named after the interrupt vector
that uses it (DOUBLEFAULT, NMI, DEBUG, MCE, VC); "[unavailable]" marks a stack whose pages are not
mapped (the VC stack exists only with SEV-ES), "(unknown)" one that no vector uses.

OPTIONS
  -m   the firmware (e820) memory map the kernel kept: physical ranges and their types
  -c   each CPU's struct cpuinfo_x86 (the per-CPU cpu_info: vendor, family, model, capability words,
       cache sizes, core and package ids) as the struct command prints it; an offline CPU is marked
  -x   with -c: integers in hexadecimal;  -d: in decimal (default: the output radix)

EXAMPLES
  mach
  mach -m
  mach -c | grep -e CPU -e x86_model_id`;

const hex = (v: bigint): string => v.toString(16);
const hex16 = (v: bigint): string => v.toString(16).padStart(16, '0');
/** crash's mach labels: right-aligned in 22 columns */
const line = (label: string, value: string): string => `${label.padStart(22)}: ${value}`;

function stackLines(stacks: StackBase[]): string[] {
  return stacks.map((s) => line(`CPU ${s.cpu}`, hex16(s.base) + (s.available ? '' : ' [unavailable]')));
}

function machLines(k: Kernel): { lines: string[]; data: unknown } {
  const pageSize = BigInt(k.dump.meta.pageSize || 4096);
  const memory = installedMemoryBytes(physicalPages(k) * pageSize);
  const { present, online } = cpuCounts(k);
  const mhz = cpuMhz(k);
  const hz = kernelHz(k);
  let machine = 'x86_64';
  try {
    machine = utsname(k).machine || machine;
  } catch {
    /* the dump's utsname is unreadable: the vmlinux is x86_64 */
  }
  const l = machineLayout(k);
  const lines = [
    line('MACHINE TYPE', machine),
    line('MEMORY SIZE', formatMemorySize(memory)),
    line('CPUS', String(present) + (present > online ? ` [OFFLINE: ${present - online}]` : '')),
    line('PROCESSOR SPEED', mhz !== undefined ? `${mhz} Mhz` : '(unknown)'),
    line('HZ', hz !== undefined ? String(hz) : '(unknown)'),
    line('PAGE SIZE', String(pageSize)),
    line('KERNEL VIRTUAL BASE', hex(l.kernelVirtualBase)),
    line('KERNEL VMALLOC BASE', hex(l.vmallocBase)),
    line('KERNEL VMEMMAP BASE', hex(l.vmemmapBase)),
    line('KERNEL START MAP', hex(l.startKernelMap)),
    line('KERNEL MODULES BASE', hex(l.modulesBase)),
    line('KERNEL STACK SIZE', String(l.stackSize)),
    line('IRQ STACK SIZE', String(l.irqStackSize)),
    `${'IRQ STACKS'.padStart(22)}:`,
    ...stackLines(l.irqStacks),
  ];
  for (const e of l.exceptionStacks) {
    lines.push(`${e.name.padStart(11)} STACK SIZE: ${e.size}`);
    lines.push(`${`${e.name} STACKS`.padStart(22)}:`, ...stackLines(e.stacks));
  }
  return {
    lines,
    data: { machine, memoryBytes: memory, cpus: present, offlineCpus: present - online, mhz, hz, pageSize, ...l },
  };
}

/** crash's names of e820 types 1-5 (and 12, 128) */
const E820_TYPES: Record<number, string> = {
  0: '(invalid type)',
  1: 'E820_RAM',
  2: 'E820_RESERVED',
  3: 'E820_ACPI',
  4: 'E820_NVS',
  5: 'E820_UNUSABLE',
  12: 'E820_PRAM',
  128: 'E820_RESERVED_KERN',
};

function memmapView(k: Kernel): View {
  let map;
  try {
    map = e820Map(k);
  } catch (e) {
    throw new CommandError(`cannot read the e820 memory map: ${(e as Error).message}`);
  }
  return text(
    [
      '      PHYSICAL ADDRESS RANGE         TYPE',
      ...map.map((e) => `${hex16(e.start)} - ${hex16(e.end)}  ${E820_TYPES[e.type] ?? `type ${e.type}`}`),
    ],
    map,
  );
}

/** mach -c: per_cpu(cpu_info) of each CPU up to the highest present one (boot_cpu_data on UP kernels). */
function cpuInfoView(k: Kernel, radix: 10 | 16): View {
  const t = k.findType('struct cpuinfo_x86');
  if (!t) throw new CommandError('struct cpuinfo_x86 is not in the type information');
  const perCpu = k.hasSymbol('cpu_info');
  if (!perCpu && !k.hasSymbol('boot_cpu_data')) throw new CommandError('neither cpu_info nor boot_cpu_data exists');
  const online = new Set(k.onlineCpus);
  const last = perCpu ? Math.max(0, ...k.presentCpus) : 0;
  const lines: string[] = [];
  const data: { cpu: number; address?: bigint; offline?: boolean; problem?: string }[] = [];
  for (let cpu = 0; cpu <= last; cpu++) {
    const sep = cpu ? '\n' : '';
    if (!perCpu) lines.push('BOOT CPU:');
    else if (!online.has(cpu)) {
      lines.push(`${sep}CPU ${cpu}: [OFFLINE]`);
      data.push({ cpu, offline: true });
      continue;
    } else lines.push(`${sep}CPU ${cpu}:`);
    try {
      const address = perCpu ? k.perCpu('cpu_info', cpu) : k.sym('boot_cpu_data');
      lines.push(...`struct cpuinfo_x86 ${formatValue(k, { type: t, address }, { radix })}`.split('\n'));
      data.push({ cpu, address });
    } catch (e) {
      lines.push(`mach: cpuinfo_x86 of CPU ${cpu} unreadable: ${(e as Error).message}`);
      data.push({ cpu, problem: (e as Error).message });
    }
  }
  return text(lines, data);
}

const mach: Command = {
  name: 'mach',
  summary: 'machine facts: CPUs, memory, address-space layout, per-CPU stacks',
  help: HELP,
  needsDump: true,
  options: {
    m: 'the e820 memory map',
    c: "each CPU's cpuinfo_x86",
    x: 'with -c: hexadecimal',
    d: 'with -c: decimal',
  },
  run(session: Session, args: Args): View {
    const k = session.kernel;
    if (!k) throw new CommandError('no dump is open');
    if (args.flags.m) return memmapView(k);
    if (args.flags.c) return cpuInfoView(k, args.flags.x ? 16 : args.flags.d ? 10 : session.settings.radix);
    const { lines, data } = machLines(k);
    return text(lines, data);
  },
};

export default mach;
