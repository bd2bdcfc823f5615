/**
 * dev -d / -D: one line per disk — major, struct gendisk, name, struct request_queue, then the requests in
 * flight (total, reads, writes) — in crash's columns. As crash does, RAM disks and loop devices are left out
 * (names starting "ram" or "loop"), and the count columns are headed ASYNC/SYNC on kernels that still define
 * BLK_RW_SYNC (5.10 does, 6.1 no longer), READ/WRITE after; DRV (request_queue.in_flight) only where the kernel has it.
 */
import type { Kernel } from '../../src/kernel/kernel.js';
import { listDisks, type Disk } from '../../src/kernel/objects/block.js';
import { text, type View } from '../../src/render/view.js';

const SKIPPED_PREFIXES = ['ram', 'loop'];
const ADDR = 16;

const hex = (v: bigint): string => v.toString(16);
const num = (n: number): string => String(n).padStart(5);

function header(k: Kernel, withDrv: boolean): string {
  const syncNames = k.types.enumValue?.('BLK_RW_SYNC') !== undefined;
  const cols = [
    'MAJOR',
    'GENDISK'.padEnd(ADDR + 2),
    'NAME      ',
    'REQUEST_QUEUE'.padEnd(ADDR + 2),
    'TOTAL',
    syncNames ? 'ASYNC' : ' READ',
    syncNames ? ' SYNC' : 'WRITE',
    withDrv ? '  DRV' : '',
  ];
  return cols.join(' ');
}

function diskLine(d: Disk): string {
  if (d.problem) return `${'?'.padStart(5)} ${hex(d.gendisk).padEnd(ADDR)}   (unreadable: ${d.problem})`;
  const head = `${num(d.major)} ${hex(d.gendisk).padEnd(ADDR)}   ${d.name.padEnd(10)} ${hex(d.queue).padEnd(ADDR)}  `;
  if (!d.inFlight) return `${head} (requests in flight unreadable: ${d.inFlightProblem ?? 'unknown'})`;
  const { read, write } = d.inFlight;
  const drv = d.driverInFlight === undefined ? '' : d.driverInFlight === 'blk-mq' ? 'N/A(MQ)' : num(d.driverInFlight);
  return `${head} ${num(read + write)} ${num(read)} ${num(write)} ${drv}`;
}

/** `nonZeroOnly` (-D): only the disks with requests in flight (and those whose count could not be read). */
export function diskView(k: Kernel, nonZeroOnly: boolean): View {
  const list = listDisks(k);
  const disks = list.disks.filter(
    (d) =>
      !SKIPPED_PREFIXES.some((p) => d.name.startsWith(p)) &&
      !(nonZeroOnly && d.inFlight && d.inFlight.read + d.inFlight.write === 0),
  );
  const withDrv = k.hasMember('struct request_queue', 'in_flight');
  const lines = [header(k, withDrv), ...disks.map(diskLine)];
  if (list.problem) lines.push(`(not every disk could be listed: ${list.problem})`);
  return text(lines, { disks, ...(list.problem ? { problem: list.problem } : {}) });
}
