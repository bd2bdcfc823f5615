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
import type { Session } from '../src/session.js';

const HELP = `mach - machine facts

SYNOPSIS
  mach [-m]

Without options: the machine type, memory size, CPU count (and how many are offline), processor
speed, the timer frequency HZ, the page size, and where the kernel's address-space areas begin
(direct map, vmalloc, vmemmap, kernel image, modules), then the size and per-CPU base of the IRQ
stacks and of each exception (IST) stack. An exception stack is named after the interrupt vector
that uses it (DOUBLEFAULT, NMI, DEBUG, MCE, VC); "[unavailable]" marks a stack whose pages are not
mapped (the VC stack exists only with SEV-ES), "(unknown)" one that no vector uses.

OPTIONS
  -m   the firmware (e820) memory map the kernel kept: physical ranges and their types

EXAMPLES
  mach
  mach -m`;

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

const mach: Command = {
  name: 'mach',
  summary: 'machine facts: CPUs, memory, address-space layout, per-CPU stacks',
  help: HELP,
  needsDump: true,
  options: { m: 'the e820 memory map' },
  run(session: Session, args: Args): View {
    const k = session.kernel;
    if (!k) throw new CommandError('no dump is open');
    if (args.flags.m) return memmapView(k);
    const { lines, data } = machLines(k);
    return text(lines, data);
  },
};

export default mach;
