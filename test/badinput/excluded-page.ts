/** The bundled sample dump opened again with one more page excluded (for tests of unreadable values). */
import { openDump } from '../../src/dump/open.js';
import { PageError, type DumpFile } from '../../src/dump/types.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { afterAll, beforeAll } from 'vitest';
import { openKernelOn, openKernelSync } from '../../src/kernel/open.js';
import { sampleVmcore, sampleVmlinux } from './fixtures.js';

/** `k0` (the sample, opened normally) again, with the physical pages holding kernel addresses `vaddrs` excluded. */
export function sampleWithoutPageOf(k0: Kernel, ...vaddrs: bigint[]): Kernel {
  const pages = new Set(vaddrs.map((v) => k0.mem.vtop(v) & ~0xfffn));
  const base = openDump(sampleVmcore);
  const dump: DumpFile = Object.create(base) as DumpFile;
  dump.readPhys = (paddr: bigint, length: number) => {
    for (let p = paddr & ~0xfffn; p < paddr + BigInt(Math.max(length, 1)); p += 4096n)
      if (pages.has(p)) throw new PageError(p, 'excluded');
    return base.readPhys(paddr, length);
  };
  dump.isPresent = (paddr: bigint) => !pages.has(paddr & ~0xfffn) && base.isPresent(paddr);
  // whole pages too (Memory reads scalars straight from the dump's page)
  const pageAt = base.pageAt?.bind(base);
  if (pageAt)
    dump.pageAt = (paddr: bigint) => {
      if (pages.has(paddr & ~0xfffn)) throw new PageError(paddr & ~0xfffn, 'excluded');
      return pageAt(paddr);
    };
  dump.close = () => base.close();
  return openKernelOn(sampleVmlinux, sampleVmcore, k0.elf, dump, { symbols: k0.symbols, loadTypes: () => k0.types });
}

/**
 * A test file's sample kernels: the sample opened before the suites (`base()`), and `without(vaddr, ...)`, the
 * sample with the pages of those addresses excluded; every kernel is closed after the suites.
 */
export function sampleKernels(): { base: () => Kernel; without: (...vaddrs: bigint[]) => Kernel } {
  let k0: Kernel | undefined;
  const opened: Kernel[] = [];
  beforeAll(() => {
    k0 = openKernelSync(sampleVmlinux, sampleVmcore);
  }, 60_000);
  afterAll(() => {
    for (const k of opened) k.dump.close();
    k0?.dump.close();
    k0?.elf.close();
  });
  return {
    base: () => k0!,
    without: (...vaddrs) => {
      const k = sampleWithoutPageOf(k0!, ...vaddrs);
      opened.push(k);
      return k;
    },
  };
}
