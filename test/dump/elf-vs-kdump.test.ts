/**
 * k61-sysrq-c-elf: the same crash saved by makedumpfile -E (ELF) and -c (kdump-zlib); the two
 * readers must return the same bytes for the same physical pages.
 */
import { expect, it } from 'vitest';
import { openDump } from '../../src/dump/open.js';
import { describeCorpus, dumpPaths } from '../helpers/corpus.js';
import { readKdumpBitmaps, spreadSample } from './kdump-layout.js';

const CASE = 'k61-sysrq-c-elf';

describeCorpus(`${CASE}: ELF core and kdump of one crash`, () => {
  it('read >= 1000 sample pages byte-identical', async () => {
    const paths = await dumpPaths(CASE);
    const elfPath = paths.find((p) => p.file === 'vmcore.elf-d31')!.path;
    const kdumpPath = paths.find((p) => p.file === 'vmcore.kdump-zlib')!.path;
    const layout = readKdumpBitmaps(kdumpPath);
    const elf = openDump(elfPath);
    const kdump = openDump(kdumpPath);
    try {
      // makedumpfile -E filters a little differently (e.g. it drops 1..16 MiB here): compare the pages both kept
      const sample = spreadSample(
        layout.maxPfn,
        (pfn) => layout.dumped(pfn) && elf.isPresent(BigInt(pfn) * 4096n),
        1200,
      );
      expect(sample.length).toBeGreaterThanOrEqual(1000);
      expect(elf.meta.format).not.toBe(kdump.meta.format);
      let nonZero = 0;
      for (const pfn of sample) {
        const paddr = BigInt(pfn) * 4096n;
        const want = kdump.readPhys(paddr, 4096);
        if (want.some((b) => b !== 0)) nonZero++;
        if (!elf.readPhys(paddr, 4096).equals(want))
          expect.fail(`page ${pfn.toString(16)} differs between ELF and kdump`);
      }
      expect(nonZero).toBeGreaterThan(sample.length / 2);
      expect(elf.vmcoreinfo).toBe(kdump.vmcoreinfo);
      expect(elf.cpus.map((c) => c.regs.rip)).toEqual(kdump.cpus.map((c) => c.regs.rip));
    } finally {
      elf.close();
      kdump.close();
    }
  });
});
