/** dev: character and block device majors with their cdev/gendisk and file operations. */
import { CommandError, type Args, type Command } from '../src/command.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { blockDevices, charDevices } from '../src/kernel/objects/devices.js';
import { text, type View } from '../src/render/view.js';
import { fit } from '../src/render/mem/fields.js';
import type { Session } from '../src/session.js';
import { diskView } from './dev/disks.js';
import { pciView } from './dev/pci.js';
import { resourcesView } from './dev/resources.js';

const HELP = `dev - device majors, disk I/O in flight and PCI devices

SYNOPSIS
  dev [-d | -D | -p | -i]

Lists the registered character device majors (CHRDEV: name, the struct cdev, and its
file_operations by symbol) and block device majors (BLKDEV: name, the struct gendisk, and its
block_device_operations). A major registered without its own cdev (tty, console, misc) shows the
cdev the kernel's cdev_map finds for it; "(none)" where the kernel has none.

OPTIONS
  -d  Disks and the I/O requests they have in flight: for each disk the block layer knows (the
      devices of the kernel's block class that are whole disks, in the kernel's order), its
      major, struct gendisk, name and struct request_queue, then how many requests are in
      flight in total, how many are reads and how many writes. On a blk-mq queue a request
      counts when a tag of the queue's tag bitmaps names it and it is marked in flight (what
      the driver holds); a bio-based queue (device-mapper, zram...) sums its per-CPU in-flight
      counters. RAM disks and loop devices are left out, as crash leaves them out. On kernels
      that still define BLK_RW_SYNC (5.10 does, 6.1 no longer) the two count columns are
      headed ASYNC and SYNC, as crash heads them, though they hold reads and writes there too. A disk whose counts cannot be read from the dump shows what
      is missing instead of numbers.
  -D  The same, only for the disks with requests in flight.
  -p  PCI devices: each root bus (struct pci_bus, its name DDDD:BB), the struct pci_dev on it
      with its slot DDDD:BB:SS.F, class code (base class and subclass), vendor:device id and
      PCI Express port type (ENDPOINT, ROOT_PORT, ...; " [BRIDGE]" for a bridge header), then
      each bus behind a bridge with its parent bus, the bridge and its devices. As crash does,
      a conventional PCI device, whose PCI Express register reads 0, shows as ENDPOINT; the
      JSON output's pcieCap is 0 for those.
  -i  I/O resources: the kernel's I/O port tree (ioport_resource, /proc/ioports) and its physical
      address space tree (iomem_resource, /proc/iomem: System RAM, the kernel's code and data, the
      crash kernel's reservation, PCI windows, device registers), each node with its struct
      resource, its range and its name, children after their parent.

EXAMPLES
  dev
  dev -d
  dev -D
  dev -p
  dev -i        where System RAM and the PCI holes lie`;

const hex = (v: bigint): string => v.toString(16);

function row(k: Kernel, major: number, name: string, object: bigint, ops: bigint): string {
  const head = ` ${String(major).padStart(3)}      ${name.padEnd(13)} `;
  if (ops === 0n) return `${head} ${fit('(none)', 16, 'center')}`;
  return `${head} ${hex(object).padStart(16)}  ${k.symbols.describe(ops, true) ?? hex(ops)}`;
}

function devView(k: Kernel): View {
  const chr = charDevices(k);
  const blk = blockDevices(k);
  const lines = [
    `CHRDEV    NAME           ${fit('CDEV', 16, 'center')}  ${'OPERATIONS'.padEnd(16)}`,
    ...chr.map((c) => (c.problem ? `   ?      (unreadable: ${c.problem})` : row(k, c.major, c.name, c.cdev, c.ops))),
    '',
    // crash centres GENDISK with the odd space on the left (CENTER|RJUST)
    `BLKDEV    NAME           ${'     GENDISK'.padEnd(16)}  ${'OPERATIONS'.padEnd(16)}`,
    ...blk.map((b) =>
      b.problem ? `   ?      (unreadable: ${b.problem})` : row(k, b.major, b.name || '(unknown)', b.gendisk, b.ops),
    ),
  ];
  return text(lines, { chrdevs: chr, blkdevs: blk });
}

const dev: Command = {
  name: 'dev',
  summary: 'character and block device majors',
  help: HELP,
  needsDump: true,
  options: {
    d: 'disks and their requests in flight',
    D: 'only disks with requests in flight',
    p: 'PCI buses and devices',
    i: 'I/O port and memory resources',
  },
  run(session: Session, args: Args): View {
    const k = session.kernel;
    if (!k) throw new CommandError('no dump is open');
    if (args.positional.length) throw new CommandError(`unexpected argument: ${args.positional[0]}`);
    try {
      if (args.flags.d || args.flags.D) return diskView(k, !args.flags.d);
      if (args.flags.i) return resourcesView(k);
      return args.flags.p ? pciView(k) : devView(k);
    } catch (e) {
      throw new CommandError((e as Error).message);
    }
  },
};

export default dev;
