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
import { openDump } from '../../src/dump/open.js';
import { PageError } from '../../src/dump/types.js';
import type { DumpFile } from '../../src/dump/types.js';
import { RandomAccessFile } from '../../src/dump/file.js';
import { FlattenedSource } from '../../src/dump/flattened.js';
import { caseDir, corpusAvailable, describeCorpus, dumpPaths } from '../helpers/corpus.js';

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
});
