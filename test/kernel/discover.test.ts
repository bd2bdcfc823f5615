/**
 * Locating the kernel without VMCOREINFO (QEMU dumps of guests without -device vmcoreinfo): on
 * every corpus dump, the banner scan must find the same KASLR offset, phys_base and page-table
 * root that the dump's own VMCOREINFO states.
 */
import { expect, it } from 'vitest';
import { openDump } from '../../src/dump/open.js';
import { ElfFile } from '../../src/elf/index.js';
import { discoverKernel } from '../../src/kernel/discover.js';
import { VmcoreInfo } from '../../src/kernel/vmcoreinfo.js';
import { caseInfo, caseNames, describeCorpus, dumpPaths, vmlinuxPlain } from '../helpers/corpus.js';

describeCorpus('kernel discovery without VMCOREINFO', () => {
  for (const name of caseNames()) {
    it(`${name}: banner scan agrees with VMCOREINFO`, async () => {
      const elf = ElfFile.open(await vmlinuxPlain(name));
      const syms = new Map(elf.symbols().map((s) => [s.name, s.value]));
      const d = (await dumpPaths(name))[0]!;
      const dump = openDump(d.path);
      try {
        const info = new VmcoreInfo(dump.vmcoreinfo!);
        const found = discoverKernel(dump, elf, (n) => syms.get(n));
        expect(found).toBeDefined();
        expect(found!.kaslrOffset).toBe(BigInt(caseInfo(name).kaslr_offset_runtime));
        expect(found!.physBase).toBe(info.number('phys_base'));
        const pgd = info.symbol('init_top_pgt')! - 0xffffffff80000000n + info.number('phys_base')!;
        expect(found!.kernelPgdPhys).toBe(pgd);
      } finally {
        dump.close();
        elf.close();
      }
    });
  }
});
