/** RandomAccessFile (block cache reads) and openMaybeCompressed (gzip decompressed once into a cache). */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { FileError, openMaybeCompressed, RandomAccessFile } from '../../src/dump/file.js';

const dir = mkdtempSync(join(tmpdir(), 'crash-ts-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 1 MiB + 123 bytes of a pattern that differs per offset */
const data = Buffer.alloc((1 << 20) + 123);
for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 9)) & 0xff;
const plain = join(dir, 'plain.bin');
writeFileSync(plain, data);

describe('RandomAccessFile', () => {
  it('reads any range, across cache blocks and through the cache, as the bytes at that offset', () => {
    const f = new RandomAccessFile(plain);
    expect(f.size).toBe(data.length);
    for (const [off, len] of [
      [0, 16],
      [65530, 20],
      [65536 * 3 - 1, 65536 + 2],
      [1000, 300_000],
      [data.length - 5, 5],
      [77n, 3],
    ] as const) {
      expect(f.read(off, len).equals(data.subarray(Number(off), Number(off) + len))).toBe(true);
    }
    // a returned buffer is the caller's own: changing it does not change later reads
    const a = f.read(10, 4);
    a.fill(0);
    expect(f.read(10, 4).equals(data.subarray(10, 14))).toBe(true);
    expect(f.read(data.length, 0).length).toBe(0);
    expect(() => f.read(data.length - 2, 3)).toThrow(
      /plain.bin: read of 3 bytes at offset 0x100079 runs past the end of the file/,
    );
    expect(() => f.read(-1, 3)).toThrow(FileError);
    f.close();
  });

  it('a missing file is one line', () => {
    expect(() => new RandomAccessFile(join(dir, 'nope'))).toThrow(/nope: cannot open: no such file$/);
  });
});

describe('openMaybeCompressed', () => {
  it('decompresses a gzip file once into $CRASH_TS_CACHE and opens the copy', () => {
    const cache = join(dir, 'cache');
    const gz = join(dir, 'thing.bin.gz');
    writeFileSync(gz, gzipSync(data));
    const old = process.env.CRASH_TS_CACHE;
    process.env.CRASH_TS_CACHE = cache;
    try {
      const f = openMaybeCompressed(gz);
      expect(f.displayName).toBe(gz);
      expect(f.path.startsWith(cache)).toBe(true);
      expect(f.size).toBe(data.length);
      expect(f.read(500_000, 1000).equals(data.subarray(500_000, 501_000))).toBe(true);
      const made = statSync(f.path).mtimeMs;
      f.close();
      const again = openMaybeCompressed(gz); // reuses the copy
      expect(statSync(again.path).mtimeMs).toBe(made);
      expect(readdirSync(cache).filter((n) => n.endsWith('.part'))).toEqual([]);
      again.close();
      // a plain file is opened as it is
      expect(openMaybeCompressed(plain).path).toBe(plain);

      const bad = join(dir, 'bad.gz');
      writeFileSync(bad, Buffer.concat([gzipSync(data).subarray(0, 5000)]));
      expect(() => openMaybeCompressed(bad)).toThrow(/bad.gz: cannot decompress gzip file: unexpected end of file/);
      expect(readdirSync(cache).filter((n) => n.endsWith('.part'))).toEqual([]);
    } finally {
      if (old === undefined) delete process.env.CRASH_TS_CACHE;
      else process.env.CRASH_TS_CACHE = old;
    }
  });
});
