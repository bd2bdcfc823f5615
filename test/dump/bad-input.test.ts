/**
 * openDump on things that are not (whole) dumps: one clear line naming the file, or a PageError
 * for the pages a cut file lacks; never a hang or a huge allocation.
 */
import {
  chmodSync,
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { openDump } from '../../src/dump/open.js';
import { DumpFormatError, PageError } from '../../src/dump/types.js';
import type { DumpFile } from '../../src/dump/types.js';
import { caseDir, describeCorpus } from '../helpers/corpus.js';
import { readKdumpBitmaps, spreadSample } from './kdump-layout.js';

const dir = mkdtempSync(join(tmpdir(), 'crash-ts-dump-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function openError(path: string): string {
  try {
    openDump(path).close();
  } catch (e) {
    expect(e).toBeInstanceOf(DumpFormatError);
    const msg = (e as Error).message;
    expect(msg).not.toContain('\n');
    expect(msg).toContain(path);
    return msg;
  }
  throw new Error(`${path} opened`);
}

function pageReason(d: DumpFile, paddr: bigint): string | undefined {
  try {
    d.readPhys(paddr, 4096);
    return undefined;
  } catch (e) {
    if (!(e instanceof PageError)) throw e;
    return e.reason;
  }
}

/** The first `n` bytes of `src` (or all of it), with `patch` applied, as a new file. */
function copyOf(src: string, name: string, n?: number, patch?: (b: Buffer) => void): string {
  const fd = openSync(src, 'r');
  const whole = n === undefined ? readFileSync(src) : Buffer.alloc(n);
  if (n !== undefined) readSync(fd, whole, 0, n, 0);
  closeSync(fd);
  patch?.(whole);
  const out = join(dir, name);
  writeFileSync(out, whole);
  return out;
}

describe('openDump on non-dumps', () => {
  it('missing file, directory, empty file', () => {
    expect(openError(join(dir, 'nope'))).toMatch(/no such file/);
    const sub = join(dir, 'adir');
    mkdirSync(sub);
    expect(openError(sub)).toMatch(/is a directory/);
    writeFileSync(join(dir, 'empty'), '');
    expect(openError(join(dir, 'empty'))).toMatch(/empty file/);
  });

  it.skipIf(process.getuid?.() === 0)('unreadable file', () => {
    const p = join(dir, 'secret');
    writeFileSync(p, 'KDUMP   ');
    chmodSync(p, 0);
    expect(openError(p)).toMatch(/permission denied/);
  });

  it('compressed whole files say to decompress first', () => {
    const gz = join(dir, 'vmcore-looking-name');
    writeFileSync(gz, gzipSync(Buffer.from('KDUMP   ')));
    expect(openError(gz)).toMatch(/gzip-compressed file: decompress it first/);
    const zst = join(dir, 'x.zst');
    writeFileSync(zst, Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0, 0, 0]));
    expect(openError(zst)).toMatch(/zstd-compressed/);
  });

  it('anything else names what it saw', () => {
    const p = join(dir, 'vmcore'); // a dump-like name does not matter
    writeFileSync(p, 'hello, world\n');
    expect(openError(p)).toMatch(/not a dump file.*68 65 6c 6c 6f.*"hello, world."/);
  });
});

describeCorpus('cut and damaged kdump files', () => {
  const zlib = join(caseDir('k61-sysrq-c'), 'vmcore.kdump-zlib');
  const flat = join(caseDir('k61-sysrq-c'), 'vmcore.flat-zlib');

  it('cut inside the header, sub-header or bitmaps: one-line open error', () => {
    expect(openError(copyOf(zlib, 'cut-header', 300))).toMatch(/cut short inside the kdump header/);
    expect(openError(copyOf(zlib, 'cut-sub', 4096 + 50))).toMatch(/cut short inside the kdump sub-header/);
    expect(openError(copyOf(zlib, 'cut-bitmap', 3 * 4096 + 100))).toMatch(/cut short inside the page bitmaps/);
    expect(openError(copyOf(flat, 'cut-flat-header', 2000))).toMatch(/cut short inside the flattened-format header/);
  });

  it('cut inside the descriptors or the page data: opens with a warning, lost pages are "truncated"', () => {
    const layout = readKdumpBitmaps(zlib);
    const sample = spreadSample(layout.maxPfn, (pfn) => layout.dumped(pfn), 200);
    const full = openDump(zlib);
    const size = full.meta.maxPfn!; // keep `full` for reference reads
    expect(size > 0n).toBe(true);
    for (const [name, src, n] of [
      ['cut-descs', zlib, 15 * 4096 + 5000],
      ['cut-data', zlib, 9_000_000],
      ['cut-flat-data', flat, 9_000_000],
    ] as const) {
      const d = openDump(copyOf(src, name, n));
      try {
        expect(d.meta.warnings.join(' '), name).toMatch(/cut short/);
        const reasons = new Map<string | undefined, number>();
        for (const pfn of sample) {
          const paddr = BigInt(pfn) * 4096n;
          const r = pageReason(d, paddr);
          reasons.set(r, (reasons.get(r) ?? 0) + 1);
          if (r === undefined) expect(d.readPhys(paddr, 4096).equals(full.readPhys(paddr, 4096))).toBe(true);
        }
        expect(
          [...reasons.keys()].every((r) => r === undefined || r === 'truncated'),
          name,
        ).toBe(true);
        expect(reasons.get('truncated') ?? 0, name).toBeGreaterThan(10);
        if (name !== 'cut-descs') expect(reasons.get(undefined) ?? 0, name).toBeGreaterThan(10);
      } finally {
        d.close();
      }
    }
    full.close();
  });

  it('absurd header sizes fail or are clamped without allocating', () => {
    // bitmap_blocks = 2^31 - 2: the bitmaps would end far past the file
    const huge = copyOf(zlib, 'huge-bitmap', 64 * 1024, (b) => b.writeUInt32LE(0x7ffffffe, 436));
    expect(openError(huge)).toMatch(/cut short inside the page bitmaps/);
    // max_mapnr_64 = 2^40 pages: more than the bitmaps cover -> clamped, with a warning
    const many = copyOf(zlib, 'many-pages', undefined, (b) => b.writeBigUInt64LE(1n << 40n, 4096 + 96));
    const d = openDump(many);
    expect(d.meta.maxPfn! < 1n << 20n).toBe(true);
    expect(d.meta.warnings.join(' ')).toMatch(/bitmaps cover/);
    expect(pageReason(d, 1n << 45n)).toBe('not-present');
    d.close();
    const badBlock = copyOf(zlib, 'bad-block', 64 * 1024, (b) => b.writeInt32LE(12345, 428));
    expect(openError(badBlock)).toMatch(/block size 12345/);
  });

  it('a flattened stream claiming a huge reassembled file fails fast', () => {
    const head = readFileSync(zlib).subarray(0, 3 * 4096); // kdump header + sub-header
    const kdumpHead = Buffer.from(head);
    kdumpHead.writeUInt32LE(1 << 30, 436); // bitmap_blocks: 4 TiB of bitmaps
    const flatHeader = Buffer.alloc(4096);
    flatHeader.write('makedumpfile', 0, 'latin1');
    flatHeader.writeBigInt64BE(1n, 16);
    flatHeader.writeBigInt64BE(1n, 24);
    const rec = (offset: bigint, data: Buffer) => {
      const h = Buffer.alloc(16);
      h.writeBigInt64BE(offset, 0);
      h.writeBigInt64BE(BigInt(data.length), 8);
      return Buffer.concat([h, data]);
    };
    const end = Buffer.alloc(16, 0xff);
    const p = join(dir, 'huge-flat');
    writeFileSync(p, Buffer.concat([flatHeader, rec(0n, kdumpHead), rec(1n << 45n, Buffer.from([1])), end]));
    const t0 = performance.now();
    expect(openError(p)).toMatch(/larger than the whole stream/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('damaged page data is "corrupt"', () => {
    const layout = readKdumpBitmaps(zlib);
    const pfn = spreadSample(layout.maxPfn, (p) => layout.dumped(p), 10)[5];
    let dataAt = 0;
    const damaged = copyOf(zlib, 'damaged', undefined, (b) => {
      // find the page's descriptor the way the format defines it: rank in the 2nd bitmap
      let index = 0;
      for (let p = 0; p < pfn; p++) if (layout.dumped(p)) index++;
      const descs = (1 + b.readInt32LE(432) + b.readUInt32LE(436)) * 4096;
      dataAt = Number(b.readBigInt64LE(descs + index * 24));
      b.fill(0xa5, dataAt, dataAt + 16);
    });
    expect(dataAt).toBeGreaterThan(0);
    const d = openDump(damaged);
    expect(pageReason(d, BigInt(pfn) * 4096n)).toBe('corrupt');
    d.close();
  });
});
