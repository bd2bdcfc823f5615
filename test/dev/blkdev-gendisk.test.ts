/**
 * dev's BLKDEV table names, for each block major, a gendisk of that major whenever the block layer has one
 * registered (dev -d's list). On 5.10 crash-ts found it only through the bdev filesystem's inodes, which exist
 * for devices opened since boot: k510-sysrq-c's nvme0n1 (never opened) showed "(none)", k510-io's the disk the
 * workload had opened. Now bdev_map first (up to 5.10; a blkext disk of minor 0 is not in it: its range of 0
 * minors spans no major), then the inodes, then the block class. crash 9 shows "(none)" for blkext on both 5.10
 * dumps (scripts/crosscheck-crash9.ts), though `dev -d` lists the disk. Checked on every made dump.
 */
import { expect, it } from 'vitest';
import { listDisks } from '../../src/kernel/objects/block.js';
import { blockDevices } from '../../src/kernel/objects/devices.js';
import { describeWithDumps, madeDumpsPresent, missingMadeDumps, openMadeDumps } from '../helpers/made-dumps.js';

const dumps = madeDumpsPresent();

describeWithDumps(
  "dev: each block major's gendisk whenever one is registered",
  dumps.length === 0 ? `none of the made dumps (${missingMadeDumps().slice(0, 2).join(', ')} ...)` : undefined,
  () => {
    const opened = openMadeDumps(dumps);

    it('a major with a readable registered disk shows one of its gendisks and that gendisk’s fops', () => {
      expect(opened.length).toBeGreaterThan(0);
      let checked = 0;
      let dumpsWithPair = 0;
      for (const { name, k } of opened) {
        const disks = listDisks(k).disks.filter((d) => !d.problem);
        const majors = blockDevices(k);
        // a run's dump may lose a disk's gendisk page or the major's entry (makedumpfile drops slab pages):
        // only a major with a readable disk of its own is judged
        if (majors.some((b) => disks.some((d) => d.major === b.major))) dumpsWithPair++;
        for (const b of majors) {
          const mine = disks.filter((d) => d.major === b.major);
          if (!mine.length) continue;
          expect(
            mine.map((d) => d.gendisk),
            `${name}: major ${b.major} (${b.name})`,
          ).toContain(b.gendisk);
          expect(b.ops).toBe(k.object('struct gendisk', b.gendisk).field('fops').value());
          expect(b.ops, `${name}: major ${b.major}`).not.toBe(0n);
          checked++;
        }
      }
      // every made guest boots from an NVMe disk (blkext, major 259): most dumps keep both halves of the pair
      expect(checked).toBeGreaterThanOrEqual(dumpsWithPair);
      expect(dumpsWithPair).toBeGreaterThan(0);
    });
  },
);
