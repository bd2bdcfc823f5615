/**
 * A deliberately separate, minimal reading of a kdump file's bitmaps (for tests only), so corpus
 * tests choose their sample pages without trusting the code under test. Plain kdump files only.
 */
import { closeSync, openSync, readSync } from 'node:fs';

export interface KdumpBitmaps {
  pageSize: number;
  maxPfn: number;
  /** pfn is RAM (1st bitmap) */
  inMemory(pfn: number): boolean;
  /** pfn was written to the dump (2nd bitmap) */
  dumped(pfn: number): boolean;
}

export function readKdumpBitmaps(path: string): KdumpBitmaps {
  const fd = openSync(path, 'r');
  try {
    const at = (off: number, len: number) => {
      const b = Buffer.alloc(len);
      readSync(fd, b, 0, len, off);
      return b;
    };
    const h = at(0, 464);
    const blockSize = h.readInt32LE(428);
    const subHdrBlocks = h.readInt32LE(432);
    const bitmapBlocks = h.readUInt32LE(436);
    const sub = at(blockSize, 104);
    const maxPfn = Number(sub.readBigUInt64LE(96)) || h.readUInt32LE(440); // max_mapnr_64 (header v6)
    const half = (bitmapBlocks * blockSize) / 2;
    const first = at((1 + subHdrBlocks) * blockSize, half);
    const second = at((1 + subHdrBlocks) * blockSize + half, half);
    const bit = (b: Buffer, pfn: number) => (b[pfn >> 3] >> (pfn & 7)) & 1;
    return {
      pageSize: blockSize,
      maxPfn,
      inMemory: (pfn) => bit(first, pfn) === 1,
      dumped: (pfn) => bit(second, pfn) === 1,
    };
  } finally {
    closeSync(fd);
  }
}

/** About `want` pfns spread evenly over all the pfns satisfying `pick` (deterministic). */
export function spreadSample(maxPfn: number, pick: (pfn: number) => boolean, want: number): number[] {
  const all: number[] = [];
  for (let pfn = 0; pfn < maxPfn; pfn++) if (pick(pfn)) all.push(pfn);
  const step = Math.max(1, Math.floor(all.length / want));
  return all.filter((_, i) => i % step === 0);
}
