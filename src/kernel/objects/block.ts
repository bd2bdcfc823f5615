/**
 * Block devices: the disks the kernel registered and the I/O requests each one has in flight.
 *
 * Disks are found the way block/genhd.c lists them (class_dev_iter over &block_class, keeping the devices
 * whose type is &disk_type): the block class's struct subsys_private — class->p before 6.4, since then the
 * class_kset entry whose ->class is &block_class — holds klist_devices, a klist of device_private.knode_class
 * (device.knode_class before 5.1). From the struct device to its gendisk:
 * - until 5.10 the disk's device is gendisk.part0 (an embedded hd_struct) .__dev;
 * - from 5.11 it is block_device.bd_device of the disk's part0 block_device, whose bd_disk is the gendisk;
 * - before 2.6.28 it was gendisk.dev itself.
 *
 * In-flight requests: see inFlightByTags (blk-mq queues) and inFlightByStats (bio-based queues).
 */
import type { Kernel } from '../kernel.js';
import type { KObject } from '../value.js';
import { walkListBothWays } from './task-lists.js';
import { walkXarray } from './trees.js';

export interface InFlight {
  read: number;
  write: number;
  /** how they were counted: blk-mq tag bitmaps, or the per-CPU disk_stats of a bio-based queue */
  source: 'blk-mq tags' | 'disk_stats';
}

export interface Disk {
  gendisk: bigint;
  major: number;
  name: string;
  /** struct request_queue */
  queue: bigint;
  /** undefined when it could not be counted (see inFlightProblem) */
  inFlight?: InFlight;
  inFlightProblem?: string;
  /**
   * request_queue.in_flight, the requests the driver held, on kernels that still kept it (before 5.0);
   * 'blk-mq' for a blk-mq queue there (the field is not used); undefined when the kernel has no such field
   */
  driverInFlight?: number | 'blk-mq';
  /** set when the gendisk itself could not be read (then only `gendisk` is known) */
  problem?: string;
}

export interface DiskList {
  disks: Disk[];
  /** the list of block devices could not be walked (fully): what is missing */
  problem?: string;
}

const hex = (v: bigint): string => v.toString(16);
const msg = (e: unknown): string => (e as Error).message;

/** The struct subsys_private of the block class. */
function blockClassPrivate(k: Kernel): bigint {
  const blockClass = k.sym('block_class');
  if (k.hasMember('struct class', 'p')) return k.variable('block_class', 'struct class').field('p').value();
  // 6.4+: the class keeps no pointer to it; class_to_subsys() searches class_kset for the one naming the class
  const kset = k.object('struct kset', k.readU64(k.sym('class_kset')));
  const entryOff = BigInt(k.offsetOf('struct kobject', 'entry'));
  const kobjOff = BigInt(k.offsetOf('struct subsys_private', 'subsys.kobj'));
  let lost = 0;
  for (const node of walkListBothWays(k, kset.field('list').address, 4096).nodes) {
    try {
      const sp = k.object('struct subsys_private', node - entryOff - kobjOff);
      if (sp.field('class').value() === blockClass) return sp.address;
    } catch {
      lost++;
    }
  }
  throw new Error(`not found in class_kset${lost ? ` (${lost} of its classes unreadable)` : ''}`);
}

/** The struct device of each klist node, in list order; dead nodes (n_klist bit 0, being removed) skipped. */
function classDevices(k: Kernel, sp: bigint): { devices: bigint[]; problem?: string } {
  const head = k.object('struct subsys_private', sp).field('klist_devices.k_list').address;
  const walk = walkListBothWays(k, head);
  if (walk.headUnreadable) throw new Error(`subsys_private.klist_devices at ${hex(head)} unreadable`);
  const nodeOff = BigInt(k.offsetOf('struct klist_node', 'n_node'));
  const viaPrivate = !k.hasMember('struct device', 'knode_class');
  const knodeOff = BigInt(
    viaPrivate ? k.offsetOf('struct device_private', 'knode_class') : k.offsetOf('struct device', 'knode_class'),
  );
  const devices: bigint[] = [];
  let lost = 0;
  for (const n of walk.nodes) {
    try {
      const node = k.object('struct klist_node', n - nodeOff);
      if (node.field('n_klist').value() & 1n) continue;
      const at = node.address - knodeOff;
      devices.push(viaPrivate ? k.object('struct device_private', at).field('device').value() : at);
    } catch {
      lost++;
    }
  }
  const broken = walk.broken.length ? `, the list is broken at ${walk.broken.map(hex).join(', ')}` : '';
  const problem =
    lost || broken ? `${lost} block class entr${lost === 1 ? 'y' : 'ies'} unreadable${broken}` : undefined;
  return { devices, problem };
}

/** The gendisk whose disk device (not a partition's) is `device`, or 0 for a device of another type. */
function gendiskOfDevice(k: Kernel, device: bigint, diskType: bigint): bigint {
  if (k.object('struct device', device).field('type').value() !== diskType) return 0n;
  if (k.hasMember('struct hd_struct', '__dev') && k.hasMember('struct gendisk', 'part0.__dev'))
    return device - BigInt(k.offsetOf('struct gendisk', 'part0.__dev'));
  if (k.hasMember('struct block_device', 'bd_device'))
    return k.containerOf(device, 'struct block_device', 'bd_device').field('bd_disk').value();
  return device - BigInt(k.offsetOf('struct gendisk', k.hasMember('struct gendisk', 'dev') ? 'dev' : '__dev'));
}

/**
 * The struct device of every device the kernel registered, from devices_kset (all of them, in the order they
 * were added): the way to the disks when the block class's own list is on pages the dump lacks.
 */
function allDevices(k: Kernel): { devices: bigint[]; problem?: string } {
  const kset = k.object('struct kset', k.readU64(k.sym('devices_kset')));
  const walk = walkListBothWays(k, kset.field('list').address);
  if (walk.headUnreadable) throw new Error('devices_kset unreadable');
  const entryOff = BigInt(k.offsetOf('struct device', 'kobj.entry'));
  const devices = walk.nodes.map((n) => n - entryOff);
  const problem = walk.broken.length
    ? `devices_kset's list is broken at ${walk.broken.map(hex).join(', ')}`
    : undefined;
  return { devices, problem };
}

/** Every disk registered with the block layer, in the order the kernel lists them (/proc/partitions). */
export function listDisks(k: Kernel): DiskList {
  let devices: { devices: bigint[]; problem?: string };
  try {
    devices = classDevices(k, blockClassPrivate(k));
  } catch (e) {
    const why = `the block class is unreadable: ${msg(e)}`;
    try {
      const all = allDevices(k);
      devices = {
        devices: all.devices,
        problem: [why, 'disks looked for in devices_kset', all.problem].filter(Boolean).join('; '),
      };
    } catch (e2) {
      return { disks: [], problem: `${why}; ${msg(e2)}` };
    }
  }
  const diskType = k.sym('disk_type');
  const disks: Disk[] = [];
  let lost = 0;
  for (const dev of devices.devices) {
    let gendisk: bigint;
    try {
      gendisk = gendiskOfDevice(k, dev, diskType);
    } catch {
      lost++;
      continue;
    }
    if (gendisk !== 0n) disks.push(readDisk(k, gendisk));
  }
  const problems = [devices.problem, lost ? `${lost} device${lost === 1 ? '' : 's'} unreadable` : undefined];
  const problem = problems.filter(Boolean).join('; ') || undefined;
  return { disks, problem };
}

function readDisk(k: Kernel, gendisk: bigint): Disk {
  let disk: Disk;
  try {
    const g = k.object('struct gendisk', gendisk);
    disk = {
      gendisk,
      major: g.field('major').num(),
      name: g.field('disk_name').cstring(),
      queue: g.field('queue').value(),
    };
  } catch (e) {
    return { gendisk, major: -1, name: '', queue: 0n, problem: `gendisk ${hex(gendisk)}: ${msg(e)}` };
  }
  try {
    const q = k.object('struct request_queue', disk.queue);
    const mq = q.has('mq_ops') && q.field('mq_ops').value() !== 0n;
    if (q.has('in_flight')) disk.driverInFlight = mq ? 'blk-mq' : sumOf(q.field('in_flight'));
    disk.inFlight = mq ? inFlightByTags(k, q) : inFlightByStats(k, gendisk);
  } catch (e) {
    disk.inFlightProblem = `request_queue ${hex(disk.queue)}: ${msg(e)}`;
  }
  return disk;
}

/** An int, or the sum of an array of ints (request_queue.in_flight was unsigned int[2] in its last years). */
function sumOf(o: KObject): number {
  const t = o.resolved;
  if (t.kind !== 'array') return o.num();
  let s = 0;
  for (let i = 0; i < (t.length ?? 0); i++) s += o.index(i).num();
  return s;
}

/** One struct blk_mq_tags to scan, and the hardware context it belongs to (none for a set's shared tags). */
interface TagsToScan {
  tags: bigint;
  hctx?: bigint;
}

/** The queue's hardware contexts: the hctx_table XArray (6.0-6.x), else the queue_hw_ctx array. */
function hardwareContexts(k: Kernel, q: KObject): bigint[] {
  if (q.has('hctx_table')) {
    const walk = walkXarray(k, q.field('hctx_table.xa_head').value());
    if (walk.problem) throw new Error(walk.problem);
    return walk.entries.map((e) => e.address);
  }
  const n = q.field('nr_hw_queues').num();
  const arr = q.field('queue_hw_ctx').value();
  return Array.from({ length: n }, (_, i) => k.readU64(arr + BigInt(i) * 8n));
}

/**
 * Requests in flight on a blk-mq queue, counted as the kernel's blk_mq_in_flight() counts them for a whole
 * disk (block/blk-mq.c, through blk_mq_queue_tag_busy_iter() and bt_iter() in block/blk-mq-tag.c): the tags
 * are the tag set's shared_tags when its hardware queues share one set of tags (BLK_MQ_F_TAG_HCTX_SHARED and
 * a shared_tags member; 5.10 has the flag but points each hardware context's tags at one shared bitmap), else
 * each mapped hardware context's own; every tag set in their reserved and normal sbitmaps names
 * tags->rqs[tag], a request counted when it belongs to this queue (and to that hardware context) and its
 * state is MQ_RQ_IN_FLIGHT, as a write when its operation is a write (op_is_write: an odd REQ_OP).
 * Newer kernels' blk_mq_check_inflight() (6.1's among them) also drop requests kept out of the I/O
 * statistics (RQF_IO_STAT unset, passthrough); those flags are preprocessor constants no type information
 * carries, so such requests are counted too, as crash counts them: the number is what the driver holds.
 */
function inFlightByTags(k: Kernel, q: KObject): InFlight {
  const inFlightState = k.types.enumValue?.('MQ_RQ_IN_FLIGHT', 'mq_rq_state') ?? 1n;
  const set = q.field('tag_set');
  const sharedFlag = k.types.enumValue?.('BLK_MQ_F_TAG_HCTX_SHARED');
  const shared =
    sharedFlag !== undefined && set.has('shared_tags') && (BigInt(set.field('flags').num()) & sharedFlag) !== 0n;
  const scans: TagsToScan[] = shared
    ? [{ tags: set.field('shared_tags').value() }]
    : hardwareContexts(k, q)
        .map((h) => ({ tags: k.object('struct blk_mq_hw_ctx', h).field('tags').value(), hctx: h }))
        .filter((s) => s.tags !== 0n); // an unmapped hardware context has no tags (blk_mq_hw_queue_mapped)
  const out: InFlight = { read: 0, write: 0, source: 'blk-mq tags' };
  for (const s of scans) {
    const tags = k.object('struct blk_mq_tags', s.tags);
    const reserved = tags.field('nr_reserved_tags').num();
    const rqs = tags.field('rqs').value();
    const count = (bitmap: KObject, firstTag: number): void => {
      for (const bit of setBits(k, bitmap.resolved.kind === 'pointer' ? bitmap.deref() : bitmap)) {
        const rq = k.readU64(rqs + BigInt(firstTag + bit) * 8n);
        // a tag is taken before rqs[] names its request: an empty slot is skipped, as bt_iter() does
        if (rq === 0n) continue;
        const r = k.object('struct request', rq);
        if (r.field('q').value() !== q.address) continue;
        if (s.hctx !== undefined && r.field('mq_hctx').value() !== s.hctx) continue;
        if (r.field('state').value() !== inFlightState) continue;
        if (r.field('cmd_flags').value() & 1n) out.write++;
        else out.read++;
      }
    };
    if (reserved) count(tags.field('breserved_tags'), 0);
    count(tags.field('bitmap_tags'), reserved);
  }
  return out;
}

/**
 * The bits set in a struct sbitmap_queue's bitmap, in order (lib/sbitmap.c __sbitmap_for_each_set: map_nr
 * words of 1 << shift bits, the last one shorter; before 5.13 each sbitmap_word kept its own depth).
 */
function setBits(k: Kernel, sbq: KObject): number[] {
  const sb = sbq.field('sb');
  const depth = sb.field('depth').num();
  const shift = sb.field('shift').num();
  const words = sb.field('map_nr').num();
  const map = sb.field('map');
  const out: number[] = [];
  for (let i = 0; i < words; i++) {
    const w = map.index(i);
    const bits = w.has('depth') ? w.field('depth').num() : i === words - 1 ? depth - (i << shift) : 1 << shift;
    let word = w.field('word').value();
    for (let b = 0; word !== 0n && b < Math.min(bits, 64); b++, word >>= 1n) if (word & 1n) out.push((i << shift) + b);
  }
  return out;
}

/**
 * Requests in flight on a bio-based queue (no blk-mq ops: device-mapper, zram...), as part_in_flight() in
 * block/genhd.c sums them: disk_stats.in_flight[READ] and [WRITE] of every possible CPU's copy of the disk's
 * per-CPU statistics (gendisk.part0.dkstats until 5.10, then part0->bd_stats). 5.10's blk-mq leaves these
 * counters at 0; 6.1's keeps them for its requests too, from submission to completion (so they may also hold
 * requests not yet handed to the driver): on a dump taken with I/O in flight they agree with the tag count.
 */
export function inFlightByStats(k: Kernel, gendisk: bigint): InFlight {
  const part0 = k.object('struct gendisk', gendisk).field('part0');
  const stats = part0.resolved.kind === 'pointer' ? part0.field('bd_stats').value() : part0.field('dkstats').value();
  const off = BigInt(k.offsetOf('struct disk_stats', 'in_flight'));
  let cpus: number[];
  try {
    cpus = k.cpuMask('__cpu_possible_mask');
  } catch {
    cpus = k.onlineCpus;
  }
  let read = 0n;
  let write = 0n;
  for (const cpu of cpus) {
    const at = k.perCpuPtr(stats, cpu) + off;
    // in_flight[2] of local_t: one signed long each
    read += BigInt.asIntN(64, k.readU64(at));
    write += BigInt.asIntN(64, k.readU64(at + 8n));
  }
  // a request can start on one CPU and end on another: one CPU's count can be negative, never the sum (the
  // kernel clamps a negative sum to 0 all the same)
  const clamp = (v: bigint): number => (v < 0n ? 0 : Number(v));
  return { read: clamp(read), write: clamp(write), source: 'disk_stats' };
}
