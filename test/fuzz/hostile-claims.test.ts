/**
 * A damaged dump's claims about sizes never make crash-ts allocate in proportion to the claim: every
 * allocation is bounded by what the file can hold. Each case patches one size field of the bundled
 * sample's kernel memory (through a DumpOverlay, the fuzzer's own mutating layer) to the largest value
 * the reader accepts, runs the command that reads it, and measures the peak RSS the process reached.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDump } from '../../src/dump/open.js';
import { PageCache } from '../../src/dump/page-cache.js';
import { DumpOverlay } from '../../src/fuzz/dump-overlay.js';
import { collectGarbage, peakRss, resetPeakRss } from '../../src/fuzz/peak-rss.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelOn, openKernelSync } from '../../src/kernel/open.js';
import { readPrintkLog } from '../../src/kernel/objects/printk.js';
import { sampleVmcore, sampleVmlinux } from '../badinput/fixtures.js';

/** the most a case may grow the process (the sample's whole dump is 17 MB) */
const GROWTH_BOUND = 150 * 1048576;

let k0: Kernel;
beforeAll(() => {
  k0 = openKernelSync(sampleVmlinux, sampleVmcore);
}, 60_000);
afterAll(() => {
  k0?.dump.close();
  k0?.elf.close();
});

/** Open the sample again with `patches` (physical address → little-endian u32) applied to every read. */
function patched(patches: Map<bigint, number>): Kernel {
  const dump = new DumpOverlay(openDump(sampleVmcore), {
    memory: (paddr, buf) => {
      for (const [at, v] of patches) {
        if (at >= paddr && at + 4n <= paddr + BigInt(buf.length)) buf.writeUInt32LE(v, Number(at - paddr));
      }
    },
  });
  return openKernelOn(sampleVmlinux, sampleVmcore, k0.elf, dump, { symbols: k0.symbols, loadTypes: () => k0.types });
}

/** Run f, return its result (or error) and how much the process grew meanwhile. */
function measure<T>(f: () => T): { value?: T; error?: Error; growth: number; ms: number } {
  collectGarbage();
  const before = process.memoryUsage().rss;
  resetPeakRss();
  const t0 = performance.now();
  let value: T | undefined;
  let error: Error | undefined;
  try {
    value = f();
  } catch (e) {
    error = e as Error;
  }
  return { value, error, growth: Math.max(peakRss(), process.memoryUsage().rss) - before, ms: performance.now() - t0 };
}

describe('peak RSS of one case', () => {
  it('sees an allocation made and dropped within the case', () => {
    const r = measure(() => Buffer.alloc(96 * 1048576, 1).length);
    expect(r.value).toBe(96 * 1048576);
    expect(r.growth).toBeGreaterThan(80 * 1048576);
  });
});

describe('the decompressed-page cache', () => {
  it('keeps at most its byte bound, whatever page size a header claims (1 MiB pages here)', () => {
    const cache = new PageCache(1024);
    const r = measure(() => {
      for (let pfn = 0; pfn < 1024; pfn++) cache.set(pfn, Buffer.alloc(1 << 20, 1));
      return cache;
    });
    expect(r.value!.get(1023)?.length).toBe(1 << 20);
    expect(r.value!.get(0)).toBeUndefined();
    expect(r.growth, `grew ${Math.round(r.growth / 1048576)} MB`).toBeLessThan(GROWTH_BOUND);
  });
});

describe('hostile size claims: allocations bounded by what the dump holds', () => {
  it('printk ring: count_bits 26 and size_bits 31 (a 1.5 GB descriptor ring and a 2 GB text ring claimed)', () => {
    const prb = k0.object('struct printk_ringbuffer', k0.readU64(k0.sym('prb')));
    const at = (o: { address: bigint }) => k0.mem.vtop(o.address);
    const k = patched(
      new Map([
        [at(prb.field('desc_ring').field('count_bits')), 26],
        [at(prb.field('text_data_ring').field('size_bits')), 31],
      ]),
    );
    try {
      const r = measure(() => readPrintkLog(k));
      expect(r.growth, `grew ${Math.round(r.growth / 1048576)} MB`).toBeLessThan(GROWTH_BOUND);
      // one clear line, or a log that says what it could not read
      if (r.error) expect(r.error.message).not.toMatch(/\n/);
      else expect(r.value!.gaps.length).toBeGreaterThan(0);
    } finally {
      k.dump.close();
    }
  }, 120_000);

  it('printk ring: count_bits 22 (a 470 MB descriptor and info ring, within the memory): read lazily, quickly', () => {
    const prb = k0.object('struct printk_ringbuffer', k0.readU64(k0.sym('prb')));
    const k = patched(new Map([[k0.mem.vtop(prb.field('desc_ring').field('count_bits').address), 22]]));
    try {
      const r = measure(() => readPrintkLog(k));
      expect(r.growth, `grew ${Math.round(r.growth / 1048576)} MB`).toBeLessThan(GROWTH_BOUND);
      expect(r.ms).toBeLessThan(5_000); // 14 s when the whole ring was read up front
      if (r.error) expect(r.error.message).not.toMatch(/\n/);
    } finally {
      k.dump.close();
    }
  }, 120_000);
});
