/** The bundled sample dump opened again with one more page excluded (for tests of unreadable values). */
import { openDump } from '../../src/dump/open.js';
import { PageError, type DumpFile } from '../../src/dump/types.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelOn } from '../../src/kernel/open.js';
import { sampleVmcore, sampleVmlinux } from './fixtures.js';

/** `k0` (the sample, opened normally) again, with the physical page holding kernel address `vaddr` excluded. */
export function sampleWithoutPageOf(k0: Kernel, vaddr: bigint): Kernel {
  const page = k0.mem.vtop(vaddr) & ~0xfffn;
  const base = openDump(sampleVmcore);
  const dump: DumpFile = Object.create(base) as DumpFile;
  dump.readPhys = (paddr: bigint, length: number) => {
    if (paddr + BigInt(length) > page && paddr < page + 4096n) throw new PageError(page, 'excluded');
    return base.readPhys(paddr, length);
  };
  // whole pages too (Memory reads scalars straight from the dump's page)
  const pageAt = base.pageAt?.bind(base);
  if (pageAt)
    dump.pageAt = (paddr: bigint) => {
      if (paddr >= page && paddr < page + 4096n) throw new PageError(page, 'excluded');
      return pageAt(paddr);
    };
  dump.close = () => base.close();
  return openKernelOn(sampleVmlinux, sampleVmcore, k0.elf, dump, { symbols: k0.symbols, loadTypes: () => k0.types });
}
