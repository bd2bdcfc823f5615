/**
 * Character and block device majors (fs/char_dev.c, block/genhd.c).
 * - chrdevs[CHRDEV_MAJOR_HASH_SIZE]: struct char_device_struct chains (by major % 255, ->next); the
 *   operations come from ->cdev->ops, or, for a region registered without a cdev (tty, console,
 *   misc...), from the cdev the kobj_map cdev_map names for that major:minor.
 * - major_names[]: struct blk_major_name chains; the gendisk of a major is found in bdev_map up to 5.10,
 *   from 5.11 (no bdev_map) through the block-device inodes of blockdev_superblock (bdev_inode.bdev.bd_disk).
 */
import type { Kernel } from '../kernel.js';
import { listDisks } from './block.js';
import { walkListBothWays } from './task-lists.js';
import { resolve } from '../types/type.js';

export interface CharDevice {
  /** -1 when the entry itself could not be read (see problem) */
  major: number;
  name: string;
  /** struct cdev, 0 when none */
  cdev: bigint;
  /** struct file_operations, 0 when none */
  ops: bigint;
  /** why the entry could not be read (a page the dump lacks) */
  problem?: string;
}

export interface BlockDevice {
  major: number;
  name: string;
  gendisk: bigint;
  ops: bigint;
  problem?: string;
}

const MINORBITS = 20;

/** A global array of pointers, read in one piece. */
function pointerArray(k: Kernel, symbol: string, length: number): bigint[] {
  const b = k.read(k.sym(symbol), length * 8);
  return Array.from({ length }, (_, i) => b.readBigUInt64LE(i * 8));
}

function chainOf(k: Kernel, head: bigint, nextMember: string, type: string): bigint[] {
  const out: bigint[] = [];
  const seen = new Set<bigint>();
  for (let p = head; p !== 0n && !seen.has(p) && out.length < 4096; ) {
    seen.add(p);
    out.push(p);
    p = k.object(type, p).field(nextMember).value();
  }
  return out;
}

export function charDevices(k: Kernel): CharDevice[] {
  // CHRDEV_MAJOR_HASH_SIZE
  const arr = pointerArray(k, 'chrdevs', 255);
  const out: CharDevice[] = [];
  for (const head of arr) {
    if (head === 0n) continue;
    let p = head;
    const seen = new Set<bigint>();
    // one chain per hash slot, linked by ->next; an entry the dump lacks ends its chain
    while (p !== 0n && !seen.has(p) && seen.size < 4096) {
      seen.add(p);
      try {
        const c = k.object('struct char_device_struct', p);
        const major = c.field('major').num();
        const minor = c.field('baseminor').num();
        const nameField = c.field('name');
        const name = nameField.resolved.kind === 'array' ? nameField.cstring() : k.readCString(nameField.value());
        const next = c.field('next').value();
        let cdev = c.has('cdev') ? c.field('cdev').value() : 0n;
        let ops = 0n;
        try {
          if (cdev !== 0n) ops = k.object('struct cdev', cdev).field('ops').value();
        } catch {
          cdev = 0n; // the cdev is on a page the dump lacks: shown as having none, as crash does
        }
        if (ops === 0n) [cdev, ops] = cdevFromMap(k, major, minor) ?? [0n, 0n];
        out.push({ major, name, cdev, ops });
        p = next;
      } catch (e) {
        out.push({
          major: -1,
          name: '',
          cdev: 0n,
          ops: 0n,
          problem: `char_device_struct ${p.toString(16)}: ${(e as Error).message}`,
        });
        break;
      }
    }
  }
  return out;
}

/** The cdev cdev_map's probes name for major:minor (its ->data), and its ops. */
function cdevFromMap(k: Kernel, major: number, minor: number): [bigint, bigint] | undefined {
  if (!k.hasSymbol('cdev_map')) return undefined;
  try {
    const map = k.object('struct kobj_map', k.readU64(k.sym('cdev_map')));
    let p = map
      .field('probes')
      .index(major % 255)
      .value();
    // walked lazily: a probe further down the chain may be on a page the dump lacks
    for (let n = 0; p !== 0n && n < 4096; n++) {
      const probe = k.object('struct probe', p);
      const dev = probe.field('dev').num();
      if (dev >>> MINORBITS === major && (dev & ((1 << MINORBITS) - 1)) === minor) {
        const data = probe.field('data').value();
        return [data, k.object('struct cdev', data).field('ops').value()];
      }
      p = probe.field('next').value();
    }
  } catch {
    /* a probe chain on a page the dump lacks: no ops known */
  }
  return undefined;
}

export function blockDevices(k: Kernel): BlockDevice[] {
  // BLKDEV_MAJOR_HASH_SIZE, unless the variable's type (DWARF) says otherwise
  const t = k.debugInfo?.variableType('major_names');
  const heads = pointerArray(k, 'major_names', (t && resolve(t).length) || 255);
  const disks = gendisks(k);
  let classDisks: bigint[] | undefined;
  const out: BlockDevice[] = [];
  for (const head of heads) {
    if (head === 0n) continue;
    try {
      for (const p of chainOf(k, head, 'next', 'struct blk_major_name')) {
        const b = k.object('struct blk_major_name', p);
        const major = b.field('major').num();
        const disk =
          gendiskFromMap(k, major) ??
          disks.find((d) => d.major === major && d.ops !== 0n) ??
          gendiskOfClass(k, major, (classDisks ??= classGendisks(k)));
        out.push({ major, name: b.field('name').cstring(), gendisk: disk?.gendisk ?? 0n, ops: disk?.ops ?? 0n });
      }
    } catch (e) {
      out.push({ major: -1, name: '', gendisk: 0n, ops: 0n, problem: `blk_major_name: ${(e as Error).message}` });
    }
  }
  return out;
}

/**
 * Up to 5.10: the gendisk bdev_map's probes name for a major (add_disk registers each disk's dev_t range there,
 * ->data the gendisk; the chain of slot major % 255, so an extended-devt major such as blkext 259 is found too).
 * The bdev inodes below exist only for devices opened since boot.
 */
function gendiskFromMap(k: Kernel, major: number): { gendisk: bigint; ops: bigint } | undefined {
  if (!k.hasSymbol('bdev_map')) return undefined;
  try {
    let p = k
      .object('struct kobj_map', k.readU64(k.sym('bdev_map')))
      .field('probes')
      .index(major % 255)
      .value();
    for (let n = 0; p !== 0n && n < 4096; n++) {
      const probe = k.object('struct probe', p);
      if (probe.field('dev').num() >>> MINORBITS === major) {
        const gendisk = probe.field('data').value();
        // the catch-all probes (base_probe for a whole major's range) carry no gendisk
        if (gendisk !== 0n) {
          const g = k.object('struct gendisk', gendisk);
          if (g.field('major').num() === major) return { gendisk, ops: g.field('fops').value() };
        }
      }
      p = probe.field('next').value();
    }
  } catch {
    /* a probe chain on a page the dump lacks: try the bdev inodes */
  }
  return undefined;
}

/** The gendisks of the block class (dev -d's list), read once; none when that list cannot be read. */
function classGendisks(k: Kernel): bigint[] {
  try {
    return listDisks(k)
      .disks.filter((d) => !d.problem)
      .map((d) => d.gendisk);
  } catch {
    return [];
  }
}

/**
 * The first registered disk of a major: the last resort, for a disk neither bdev_map names (5.10 leaves a
 * blkext disk of minor 0 out: its range of 0 minors spans no major) nor an inode of the bdev filesystem does
 * (never opened since boot).
 */
function gendiskOfClass(k: Kernel, major: number, gendisks: bigint[]): { gendisk: bigint; ops: bigint } | undefined {
  for (const gendisk of gendisks) {
    try {
      const g = k.object('struct gendisk', gendisk);
      if (g.field('major').num() === major) return { gendisk, ops: g.field('fops').value() };
    } catch {
      /* on a page the dump lacks */
    }
  }
  return undefined;
}

/** Every gendisk reachable from a block-device inode of the bdev pseudo filesystem. */
function gendisks(k: Kernel): { major: number; gendisk: bigint; ops: bigint }[] {
  if (!k.hasSymbol('blockdev_superblock')) return [];
  let walk;
  try {
    const sb = k.object('struct super_block', k.readU64(k.sym('blockdev_superblock')));
    walk = walkListBothWays(k, sb.field('s_inodes').address);
  } catch {
    return []; // the bdev superblock is not in the dump: no gendisk can be named
  }
  const listOff = BigInt(k.offsetOf('struct inode', 'i_sb_list'));
  const inodeOff = BigInt(k.offsetOf('struct bdev_inode', 'vfs_inode'));
  const bdevOff = BigInt(k.offsetOf('struct bdev_inode', 'bdev'));
  const out = [];
  for (const node of walk.nodes) {
    try {
      const bdev = k.object('struct block_device', node - listOff - inodeOff + bdevOff);
      const disk = bdev.field('bd_disk').value();
      if (disk === 0n) continue;
      const g = k.object('struct gendisk', disk);
      out.push({ major: g.field('major').num(), gendisk: disk, ops: g.field('fops').value() });
    } catch {
      /* an inode on a page the dump lacks */
    }
  }
  return out;
}
