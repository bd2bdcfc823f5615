/**
 * dev -d: the disks and their requests in flight.
 * - Corpus dumps (Debian 6.1 and 6.12 guests with one virtio disk): the text equals what crash 9.0.2 printed
 *   on every dump (golden/crash-9-ext/<dump>/NN_dev_-d.out), the lossy k612-sysrq-c kdump-zlib included; the
 *   disk is the one the guest's virtio_blk driver announced on its console ("virtio_blk virtio0: [vda]"),
 *   its major the one "virtblk" registered (dev's BLKDEV list), and the idle guest has nothing in flight.
 * - Made dumps (a new run each CI): 5.10 (k510-sysrq-c) and 7.x (k7-sysrq-c) guests with one NVMe disk:
 *   invariants only — an nvme0n<N> disk on the extended-devt major 259, counts that are whole numbers >= 0,
 *   or (on a dump that lost the pages of the kernel's device lists) one line naming what is missing.
 * - Made dumps with I/O in flight (make-scenario.sh k61-io, CI; k510-io by hand): three dd's read and one
 *   writes a second NVMe disk with direct I/O, one request each at a time, while QEMU holds every request of
 *   that disk ~1/8 s: the busy disk (named on the guest's console) has 1 to 3 reads and at most 1 write in
 *   flight, the other none; on the dump crash 9 was run on (test/fixtures/dev/<scenario>/dev-d.crash9.txt) the
 *   text is crash 9's, byte for byte (there: 3 reads, 1 write, as /sys/block/<disk>/inflight said 1 s before).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import dev from '../../commands/dev.js';
import { CommandError } from '../../src/command.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { inFlightByStats, listDisks } from '../../src/kernel/objects/block.js';
import { blockDevices } from '../../src/kernel/objects/devices.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { renderJson } from '../../src/render/json.js';
import { renderText } from '../../src/render/text.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import {
  caseDir,
  caseNames,
  describeCorpus,
  dumpPaths,
  repoRoot,
  skipWhenNoCases,
  vmlinuxPlain,
} from '../helpers/corpus.js';
import { describeWithDumps, describeWithOptionalDump, scenariosDir, vmlinuxOfRelease } from '../helpers/made-dumps.js';
import { openForSuite, type SuiteDump } from '../helpers/suite-dump.js';

const view = (k: Kernel, argv: string[]) => dev.run(new Session(k), parseArgs(argv, dev.options)) as never;

function run(k: Kernel, argv: string[]): string {
  try {
    return renderText(view(k, argv));
  } catch (e) {
    if (e instanceof CommandError) return `dev: ${e.message}\n`;
    throw e;
  }
}

/** crash 9's `dev -d` output on one dump of a case (golden/crash-9-ext), if it was captured there. */
function crashDevD(name: string, dumpFile: string): string | undefined {
  const dir = join(caseDir(name), 'golden', 'crash-9-ext', dumpFile);
  const f = existsSync(dir) ? readdirSync(dir).find((n) => /^\d+_dev_-d\.out$/.test(n)) : undefined;
  return f ? readFileSync(join(dir, f), 'latin1') : undefined;
}

/** The disks the guest's virtio_blk driver announced on the console. */
function consoleVirtioDisks(name: string): string[] {
  const log = join(caseDir(name), 'serial-first-kernel.log');
  if (!existsSync(log)) return [];
  return [...new Set([...readFileSync(log, 'latin1').matchAll(/virtio_blk virtio\d+: \[(\w+)\]/g)].map((m) => m[1]!))];
}

skipWhenNoCases('dev -d against crash 9 and the guests console logs');

for (const name of caseNames()) {
  describeCorpus(`dev -d on ${name}`, () => {
    const kernels: { file: string; k: Kernel }[] = [];
    beforeAll(async () => {
      const vml = await vmlinuxPlain(name);
      for (const d of await dumpPaths(name)) kernels.push({ file: d.file, k: openKernelSync(vml, d.path) });
    }, 240_000);
    afterAll(() => kernels.forEach(({ k }) => k.dump.close()));

    it('prints what crash 9 printed, on every dump of the case', () => {
      let compared = 0;
      for (const { file, k } of kernels) {
        const want = crashDevD(name, file);
        if (want === undefined) continue;
        expect(run(k, ['-d']), file).toBe(want.endsWith('\n') ? want : `${want}\n`);
        compared++;
      }
      expect(compared).toBeGreaterThan(0);
    });

    it('lists the virtio disk the guest announced, on the major virtblk registered, with nothing in flight', () => {
      const announced = consoleVirtioDisks(name);
      expect(announced.length).toBeGreaterThan(0);
      for (const { file, k } of kernels) {
        const list = listDisks(k);
        expect(list.problem, file).toBeUndefined();
        const virtblk = blockDevices(k).find((b) => b.name === 'virtblk');
        expect(virtblk, file).toBeDefined();
        const virtio = list.disks.filter((d) => d.major === virtblk!.major);
        expect(virtio.map((d) => d.name).sort(), file).toEqual(announced.sort());
        for (const d of virtio) {
          // the gendisk dev's BLKDEV line names for virtblk is this disk's
          expect(d.gendisk, file).toBe(virtblk!.gendisk);
          expect(d.queue, file).not.toBe(0n);
          // the guests were idle (a shell, sleepers) when they crashed
          expect(d.inFlight, file).toEqual({ read: 0, write: 0, source: 'blk-mq tags' });
          // the per-CPU in-flight counters (what a bio-based disk is counted by): 0 on an idle disk
          expect(inFlightByStats(k, d.gendisk), file).toEqual({ read: 0, write: 0, source: 'disk_stats' });
        }
      }
    });

    it('gives the same disks as JSON through the view', () => {
      const withGolden = kernels.find(({ file }) => crashDevD(name, file) !== undefined);
      expect(withGolden).toBeDefined();
      const data = JSON.parse(renderJson(view(withGolden!.k, ['-d']))) as {
        disks: { gendisk: string; major: number; name: string; queue: string; inFlight: unknown }[];
      };
      const golden = crashDevD(name, withGolden!.file);
      const row = /^ +(\d+) ([0-9a-f]{16}) +(\S+) +([0-9a-f]{16})/m.exec(golden ?? '');
      expect(row).not.toBeNull();
      expect(data.disks[0]).toMatchObject({
        major: Number(row![1]),
        gendisk: `0x${row![2]}`,
        name: row![3],
        queue: `0x${row![4]}`,
        inFlight: { read: 0, write: 0 },
      });
    });

    it('-D leaves out the disks with nothing in flight', () => {
      const { k } = kernels[0]!;
      expect(run(k, ['-D'])).toBe(`${run(k, ['-d']).split('\n')[0]}\n`);
    });
  });
}

/** A made scenario's kdump opened for a suite, or the suite skipped with how to make it. */
function withScenarioDump(
  scenario: string,
  describeIt: typeof describeWithDumps,
  title: (release: string) => string,
  body: (opened: SuiteDump, dir: string) => void,
): void {
  const dir = join(scenariosDir, scenario);
  const dump = join(dir, 'vmcore.kdump-zlib');
  const have = existsSync(dump) && existsSync(join(dir, 'case.json'));
  const release = have
    ? (JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { kernel_release: string }).kernel_release
    : '?';
  describeIt(title(release), have ? undefined : `no ${dump} (scripts/qemu/make-scenario.sh ${scenario})`, () => {
    const opened = openForSuite(async () => {
      const vml = await vmlinuxOfRelease(release);
      if (!vml) throw new Error(`no vmlinux for ${release}`);
      return [vml, dump];
    });
    body(opened, dir);
  });
}

/** dev -d on a made dump: an NVMe disk nvme0n<N> on major 259, or one line naming what the dump lacks. */
function madeDumpSuite(scenario: string, countHeads: [string, string]): void {
  withScenarioDump(
    scenario,
    describeWithDumps,
    (release) => `dev -d on the ${scenario} dump (${release})`,
    (opened) => {
      it('finds the guest NVMe disk with sane counts, or names what it could not read', () => {
        const log = readFileSync(join(scenariosDir, scenario, 'serial-first-kernel.log'), 'latin1');
        expect(log).toMatch(/nvme nvme0: pci function/);
        const list = listDisks(opened.k);
        const nvme = list.disks.filter((d) => /^nvme0n\d+$/.test(d.name));
        if (nvme.length === 0) expect(list.problem).toMatch(/\S/);
        for (const d of nvme) {
          expect(d.major).toBe(259); // BLOCK_EXT_MAJOR: NVMe namespaces take their numbers from the extended devt
          if (!d.inFlight) expect(d.inFlightProblem).toMatch(/\S/);
          else {
            expect(Number.isInteger(d.inFlight.read) && d.inFlight.read >= 0).toBe(true);
            expect(Number.isInteger(d.inFlight.write) && d.inFlight.write >= 0).toBe(true);
            expect(d.inFlight.source).toBe('blk-mq tags');
          }
        }
        const text = run(opened.k, ['-d']).trimEnd().split('\n');
        expect(text[0]).toBe(
          `MAJOR GENDISK            NAME       REQUEST_QUEUE      TOTAL ${countHeads[0]} ${countHeads[1]} `,
        );
        for (const d of nvme)
          expect(text.some((l) => l.startsWith(`  259 ${d.gendisk.toString(16)}   ${d.name} `))).toBe(true);
        if (list.problem) expect(text.at(-1)).toBe(`(not every disk could be listed: ${list.problem})`);
        else expect(text.length).toBe(1 + list.disks.length);
      });
    },
  );
}

// 5.10 still defines BLK_RW_SYNC, and crash heads the count columns ASYNC / SYNC
madeDumpSuite('k510-sysrq-c', ['ASYNC', ' SYNC']);
madeDumpSuite('k7-sysrq-c', [' READ', 'WRITE']);

/** dev -d on a dump taken while a throttled disk had direct reads and a write in flight (make-scenario.sh io). */
function ioSuite(scenario: string, describeIt: typeof describeWithDumps): void {
  withScenarioDump(
    scenario,
    describeIt,
    (release) => `dev -d with requests in flight: ${scenario} (${release})`,
    (opened, dir) => {
      it('counts the busy disk reads and write, and nothing on the idle one', () => {
        const log = readFileSync(join(dir, 'serial-first-kernel.log'), 'latin1');
        const busyName = /crash-ts io: data disk (\w+), in flight/.exec(log)?.[1];
        expect(busyName).toMatch(/^nvme\dn\d+$/);
        const list = listDisks(opened.k);
        expect(list.problem).toBeUndefined();
        const nvme = list.disks.filter((d) => /^nvme\dn\d+$/.test(d.name));
        expect(nvme.length).toBe(2);
        for (const d of nvme) {
          expect(d.inFlight?.source).toBe('blk-mq tags');
          if (d.name !== busyName) expect(d.inFlight).toMatchObject({ read: 0, write: 0 });
          else {
            const { read, write } = d.inFlight!;
            // each dd has one request out at a time; QEMU keeps each ~1/8 s, the gaps between are microseconds
            expect(read).toBeGreaterThanOrEqual(1);
            expect(read).toBeLessThanOrEqual(3);
            expect(write).toBeLessThanOrEqual(1);
          }
        }
        // the per-CPU in-flight counters (what a bio-based disk is counted by), read on every possible CPU: 5.10's
        // blk-mq leaves them at 0; 6.1's counts its requests there too, from submission to completion, a superset
        // of those the driver holds (on NVMe, with no I/O scheduler, the same ones)
        for (const d of nvme) {
          const stats = inFlightByStats(opened.k, d.gendisk);
          if (stats.read + stats.write === 0) continue;
          expect(stats.read).toBeGreaterThanOrEqual(d.inFlight!.read);
          expect(stats.write).toBeGreaterThanOrEqual(d.inFlight!.write);
          expect(stats.read + stats.write).toBeLessThanOrEqual(4);
        }
        // -D: the busy disk only
        const busy = run(opened.k, ['-D']).split('\n').slice(1, -1);
        expect(busy).toHaveLength(1);
        expect(busy[0]).toMatch(new RegExp(`^  259 [0-9a-f]{16}   ${busyName} +[0-9a-f]{16} +[1-4] +[1-3] +[01] $`));
      });

      it('equals crash 9 on the dump crash 9 was run on (else: its shape)', () => {
        const f = join(repoRoot, 'test', 'fixtures', 'dev', scenario, 'dev-d.crash9.txt');
        const theirs = readFileSync(f, 'latin1');
        const ours = run(opened.k, ['-d']);
        const gendisks = [...theirs.matchAll(/^ +\d+ ([0-9a-f]{16}) /gm)].map((m) => m[1]);
        if (gendisks.every((g) => ours.includes(` ${g} `))) expect(ours).toBe(theirs);
        else expect(ours.split('\n')[0]).toBe(theirs.split('\n')[0]);
      });
    },
  );
}

ioSuite('k61-io', describeWithDumps);
ioSuite('k510-io', describeWithOptionalDump);
