/**
 * The kdump readers on the corpus: the same crash in five makedumpfile formats must give the same
 * bytes for every page; excluded pages must say so; every dump of every case must open.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openDump } from '../../src/dump/open.js';
import { PageError } from '../../src/dump/types.js';
import type { DumpFile } from '../../src/dump/types.js';
import { caseDir, caseInfo, caseNames, describeCorpus, dumpPaths } from '../helpers/corpus.js';
import { readKdumpBitmaps, spreadSample } from './kdump-layout.js';
import type { KdumpBitmaps } from './kdump-layout.js';
import { join } from 'node:path';

const CASE = 'k61-sysrq-c';
const FORMATS = ['kdump-zlib', 'kdump-lzo', 'kdump-snappy', 'kdump-zstd', 'flat-zlib'] as const;
const COMPRESSION: Record<(typeof FORMATS)[number], string> = {
  'kdump-zlib': 'zlib',
  'kdump-lzo': 'lzo',
  'kdump-snappy': 'snappy',
  'kdump-zstd': 'zstd',
  'flat-zlib': 'zlib',
};

function pageErrorOf(f: () => unknown): PageError {
  try {
    f();
  } catch (e) {
    if (e instanceof PageError) return e;
    throw e;
  }
  throw new Error('expected a PageError');
}

describeCorpus(`${CASE}: five kdump formats of one crash`, () => {
  const dumps = new Map<string, DumpFile>();
  let layout: KdumpBitmaps;
  let sample: number[];

  beforeAll(() => {
    for (const f of FORMATS) dumps.set(f, openDump(join(caseDir(CASE), `vmcore.${f}`)));
    layout = readKdumpBitmaps(join(caseDir(CASE), 'vmcore.kdump-zlib'));
    sample = spreadSample(layout.maxPfn, (pfn) => layout.dumped(pfn), 1200);
  });
  afterAll(() => dumps.forEach((d) => d.close()));

  it('opens every format with the header metadata', () => {
    for (const f of FORMATS) {
      const m = dumps.get(f)!.meta;
      expect(m.format, f).toBe(f.startsWith('flat') ? 'flattened' : 'kdump');
      expect(m.compression, f).toBe(COMPRESSION[f]);
      expect(m.description, f).toContain(`(${COMPRESSION[f]})`);
      expect(m.pageSize).toBe(4096);
      expect(m.dumpLevel).toBe(31);
      expect(m.partial).toBe(true);
      expect(m.producer).toBe('makedumpfile');
      expect(m.nrCpus).toBe(2);
      expect(m.utsname?.release).toBe('6.1.0-56-cloud-amd64');
      expect(m.utsname?.machine).toBe('x86_64');
      expect(m.maxPfn).toBe(BigInt(layout.maxPfn));
      expect(m.warnings, f).toEqual([]);
      expect(m.timestamp).toBeGreaterThan(1.7e9);
    }
  });

  it('reads VMCOREINFO and the two CPUs registers from the notes', () => {
    for (const f of FORMATS) {
      const d = dumps.get(f)!;
      expect(d.vmcoreinfo).toMatch(/^OSRELEASE=6\.1\.0-56-cloud-amd64$/m);
      expect(d.vmcoreinfo).toMatch(/^PAGESIZE=4096$/m);
      expect(d.cpus).toHaveLength(2);
      // crash 9's `bt -a` on this dump: CPU 0 was in user space (corpus-spin), CPU 1 panicked in the kernel
      expect(d.cpus[0].regs.rip).toBe(0x525b80n);
      expect(d.cpus[0].regs.cs).toBe(0x33n);
      expect(d.cpus[1].regs.rip >= 0xffffffff80000000n).toBe(true);
      expect(d.cpus[1].regs.cs).toBe(0x10n);
      expect(d.cpus.map((c) => c.pid)).toEqual([111, 542]);
    }
  });

  it('reads >= 1000 sample pages byte-identical in all five formats', () => {
    expect(sample.length).toBeGreaterThanOrEqual(1000);
    expect(sample[sample.length - 1]).toBeGreaterThan(layout.maxPfn / 2); // spread over memory
    const ref = dumps.get('kdump-zlib')!;
    let nonZero = 0;
    for (const pfn of sample) {
      const paddr = BigInt(pfn) * 4096n;
      const want = ref.readPhys(paddr, 4096);
      if (want.some((b) => b !== 0)) nonZero++;
      for (const f of FORMATS.slice(1)) {
        const got = dumps.get(f)!.readPhys(paddr, 4096);
        if (!got.equals(want)) expect.fail(`${f}: page ${pfn.toString(16)} differs from kdump-zlib`);
      }
    }
    expect(nonZero).toBeGreaterThan(sample.length / 2); // real data, not a sea of zero pages
  });

  it('reads across page boundaries and at odd offsets', () => {
    const pairs = sample.filter((pfn) => layout.dumped(pfn + 1)).slice(0, 50);
    expect(pairs.length).toBeGreaterThan(10);
    for (const pfn of pairs) {
      const start = BigInt(pfn) * 4096n + 4000n;
      for (const f of FORMATS) {
        const d = dumps.get(f)!;
        const whole = Buffer.concat([d.readPhys(BigInt(pfn) * 4096n, 4096), d.readPhys(BigInt(pfn + 1) * 4096n, 4096)]);
        expect(d.readPhys(start, 300).equals(whole.subarray(4000, 4300))).toBe(true);
      }
    }
  });

  it('reports excluded pages as PageError "excluded" naming the address, in every format', () => {
    const excluded = spreadSample(layout.maxPfn, (pfn) => layout.inMemory(pfn) && !layout.dumped(pfn), 60);
    expect(excluded.length).toBeGreaterThan(30);
    for (const f of FORMATS) {
      const d = dumps.get(f)!;
      for (const pfn of excluded) {
        const paddr = BigInt(pfn) * 4096n + 0x18n;
        expect(d.isPresent(paddr)).toBe(false);
        const e = pageErrorOf(() => d.readPhys(paddr, 8));
        expect(e.reason).toBe('excluded');
        expect(e.paddr).toBe(paddr);
        expect(e.message).toContain(paddr.toString(16));
      }
    }
  });

  it('reports holes and addresses past the end as "not-present"', () => {
    const holes = spreadSample(layout.maxPfn, (pfn) => !layout.inMemory(pfn), 20);
    const beyond = BigInt(layout.maxPfn) * 4096n + 0x1000n;
    for (const f of FORMATS) {
      const d = dumps.get(f)!;
      expect(pageErrorOf(() => d.readPhys(beyond, 8)).reason).toBe('not-present');
      for (const pfn of holes) expect(pageErrorOf(() => d.readPhys(BigInt(pfn) * 4096n, 8)).reason).toBe('not-present');
    }
  });

  it('agrees with the bitmaps on isPresent', () => {
    const d = dumps.get('flat-zlib')!;
    const wrong: number[] = [];
    for (let pfn = 0; pfn < layout.maxPfn + 10; pfn += 3) {
      if (d.isPresent(BigInt(pfn) * 4096n) !== (pfn < layout.maxPfn && layout.dumped(pfn))) wrong.push(pfn);
    }
    expect(wrong).toEqual([]);
  });
});

describeCorpus('every corpus dump opens with sane metadata', () => {
  for (const name of caseNames()) {
    it(name, async () => {
      const info = caseInfo(name);
      for (const { file, path } of await dumpPaths(name)) {
        const d = openDump(path);
        try {
          expect(d.meta.pageSize, file).toBe(4096);
          expect(d.meta.partial, file).toBe(true);
          expect(d.vmcoreinfo, file).toContain(`OSRELEASE=${info.kernel_release}\n`);
          expect(d.cpus.length, file).toBe(2);
          if (!d.meta.format.includes('elf')) {
            expect(d.meta.utsname?.release, file).toBe(info.kernel_release);
            expect(d.meta.dumpLevel, file).toBe(31);
            expect(d.meta.nrCpus, file).toBe(2);
            expect(d.meta.maxPfn! > 0x20000n, file).toBe(true); // 768 MiB guest
          }
          // the panic CPU's registers are kernel ones
          const cpu = info.panic.cpu ?? 0;
          expect(d.cpus[cpu].regs.rip >= 0xffffffff80000000n, file).toBe(true);
        } finally {
          d.close();
        }
      }
    });
  }
});
