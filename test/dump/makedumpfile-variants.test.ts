/**
 * Variants made on the spot with the system's makedumpfile (skipped when it is not installed) from
 * the corpus ELF dump: an uncompressed kdump file and a three-way --split dump (every page they
 * hold must equal the ELF source's); and makedumpfile -R's reassembly of the flattened corpus dump.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import btCommand from '../../commands/bt.js';
import sysCommand from '../../commands/sys.js';
import type { Command } from '../../src/command.js';
import { openDump, openDumps } from '../../src/dump/open.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { PageError } from '../../src/dump/types.js';
import type { DumpFile } from '../../src/dump/types.js';
import { RandomAccessFile } from '../../src/dump/file.js';
import { FlattenedSource } from '../../src/dump/flattened.js';
import { caseDir, corpusAvailable, describeCorpus, dumpPaths, vmlinuxPlain } from '../helpers/corpus.js';

function hasMakedumpfile(): boolean {
  try {
    execFileSync('makedumpfile', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const haveMdf = corpusAvailable && hasMakedumpfile();

describeCorpus(`makedumpfile variants of k61-sysrq-c-elf${haveMdf ? '' : ' (skipped: no makedumpfile)'}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'crash-ts-mdf-'));
  let elf: DumpFile;
  let elfPath: string;
  beforeAll(async () => {
    if (!haveMdf) return;
    elfPath = (await dumpPaths('k61-sysrq-c-elf')).find((d) => d.file === 'vmcore.elf-d31')!.path;
    elf = openDump(elfPath);
  });
  afterAll(() => {
    elf?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const mdf = (args: string[]) => execFileSync('makedumpfile', args, { stdio: 'ignore', timeout: 60_000 });

  /** every page `d` holds equals the ELF's; returns how many were compared */
  function sameAsElf(d: DumpFile, step: bigint): number {
    let n = 0;
    for (let pfn = 0n; pfn < d.meta.maxPfn!; pfn += step) {
      const a = pfn * 4096n;
      if (!d.isPresent(a)) continue;
      if (!d.readPhys(a, 4096).equals(elf.readPhys(a, 4096)))
        expect.fail(`page ${pfn.toString(16)} differs from the ELF dump`);
      n++;
    }
    return n;
  }

  it.skipIf(!haveMdf)(
    'uncompressed kdump (no -c/-l/-p/-z)',
    () => {
      const out = join(dir, 'plain');
      mdf(['-d', '31', elfPath, out]);
      const d = openDump(out);
      try {
        expect(d.meta.compression).toBe('none');
        expect(d.meta.description).toBe('kdump-compressed (none)');
        expect(sameAsElf(d, 13n)).toBeGreaterThan(1000);
      } finally {
        d.close();
      }
    },
    60_000,
  );

  it.skipIf(!haveMdf)(
    'the flattened reader presents exactly the file makedumpfile -R reassembles',
    () => {
      const flat = join(caseDir('k61-sysrq-c'), 'vmcore.flat-zlib');
      const out = join(dir, 'reassembled');
      execFileSync('sh', ['-c', 'makedumpfile -R "$1" < "$2"', 'sh', out, flat], { stdio: 'ignore', timeout: 60_000 });
      const want = readFileSync(out);
      const src = new FlattenedSource(new RandomAccessFile(flat), flat);
      try {
        expect(src.size).toBe(want.length);
        for (let off = 0; off < want.length; off += 1 << 20) {
          const n = Math.min(1 << 20, want.length - off);
          if (!src.read(off, n).equals(want.subarray(off, off + n))) expect.fail(`differs in the MiB at ${off}`);
        }
      } finally {
        src.close();
      }
    },
    60_000,
  );

  it.skipIf(!haveMdf)(
    'split into three files: each holds its own pfn range, the rest is "not-present"',
    () => {
      const outs = ['s1', 's2', 's3'].map((s) => join(dir, s));
      mdf(['-l', '-d', '31', '--splitblock-size', '1024', '--split', elfPath, ...outs]);
      const parts = outs.map((o) => openDump(o));
      try {
        let total = 0;
        for (const p of parts) {
          expect(p.meta.warnings.join(' ')).toMatch(/split dump: pfns \d+\.\.\d+ only/);
          total += sameAsElf(p, 5n);
        }
        expect(total).toBeGreaterThan(3000);
        // a page of part 3 asked of part 1
        let pfn = parts[0].meta.maxPfn! - 1n;
        while (!parts[2].isPresent(pfn * 4096n)) pfn--;
        let err: unknown;
        try {
          parts[0].readPhys(pfn * 4096n, 8);
        } catch (e) {
          err = e;
        }
        expect(err).toBeInstanceOf(PageError);
        expect((err as PageError).reason).toBe('not-present');
        expect((err as PageError).message).toMatch(/another file of this split dump/);
      } finally {
        parts.forEach((p) => p.close());
      }
    },
    60_000,
  );

  it.skipIf(!haveMdf)(
    'the split files given together, in any order, are one dump: same pages as the ELF, same sys and bt',
    async () => {
      const outs = ['j1', 'j2', 'j3'].map((s) => join(dir, s));
      mdf(['-c', '-d', '31', '--splitblock-size', '1024', '--split', elfPath, ...outs]);
      const joined = openDumps([outs[2]!, outs[0]!, outs[1]!]);
      try {
        expect(joined.meta.warnings.join(' ')).not.toMatch(/split/);
        expect(sameAsElf(joined, 3n)).toBeGreaterThan(5_000);
      } finally {
        joined.close();
      }
      // missing a part: opens, and a warning names the pfns that are gone
      const two = openDumps([outs[0]!, outs[2]!]);
      try {
        expect(two.meta.warnings.join(' ')).toMatch(/pfns \d+\.\.\d+ are in a part of the split dump not given/);
      } finally {
        two.close();
      }
      expect(() => openDumps([outs[0]!, elfPath])).toThrow(/not a file of a split dump/);
      const vmlinux = await vmlinuxPlain('k61-sysrq-c-elf');
      const k = openKernelSync(vmlinux, [outs[1]!, outs[0]!, outs[2]!]);
      const whole = openKernelSync(vmlinux, elfPath);
      try {
        const run = async (kern: Kernel, c: Command, args: string[]) =>
          renderText((await c.run(new Session(kern), parseArgs(args, c.options))) as View);
        const sys = await run(k, sysCommand, []);
        expect(sys).toContain('   DUMPFILES: j2 j1 j3  [PARTIAL DUMP]\n');
        expect(sys.replace(/^ *DUMPFILES?: .*\n/m, '')).toBe(
          (await run(whole, sysCommand, [])).replace(/^ *DUMPFILES?: .*\n/m, ''),
        );
        expect(await run(k, btCommand, ['-a'])).toBe(await run(whole, btCommand, ['-a']));
      } finally {
        k.dump.close();
        whole.dump.close();
      }
    },
    120_000,
  );
});
