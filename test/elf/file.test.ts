/** RandomAccessFile (block cache reads) and openMaybeCompressed (gzip decompressed once into a cache). */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
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
      const made = statSync(f.path).ino;
      f.close();
      const again = openMaybeCompressed(gz); // reuses the copy
      expect(statSync(again.path).ino).toBe(made); // not made again (a new copy is renamed in: another inode)
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

  it('a .gz copied or touched again reuses its copy; the copies stay under the bound, least recently used first', () => {
    const cache = join(dir, 'bounded');
    const old = process.env.CRASH_TS_CACHE;
    process.env.CRASH_TS_CACHE = cache;
    process.env.CRASH_TS_CACHE_MAX_MB = '2';
    const copies = () => readdirSync(cache).sort();
    try {
      const gz = (name: string, fill: number): string => {
        const p = join(dir, name);
        writeFileSync(p, gzipSync(Buffer.alloc(900_000, fill)));
        return p;
      };
      mkdirSync(cache, { recursive: true });
      writeFileSync(join(cache, 'vmlinux-old.11813728.1796458970992'), 'a copy named by the previous layout');
      const a = gz('a.gz', 1);
      const first = openMaybeCompressed(a);
      const made = statSync(first.path).ino;
      first.close();
      utimesSync(a, new Date(Date.now() + 60_000), new Date(Date.now() + 60_000)); // touched: same bytes
      const again = openMaybeCompressed(a);
      expect(statSync(again.path).ino).toBe(made);
      again.close();
      expect(copies()).toEqual([basename(first.path)]); // the previous layout's copy is gone too
      // three copies of 900 KB under a 2 MB bound: the least recently used one goes
      const b = openMaybeCompressed(gz('b.gz', 2));
      b.close();
      utimesSync(first.path, new Date(Date.now() + 5_000), statSync(first.path).mtime); // 'a' used after 'b'
      const c = openMaybeCompressed(gz('c.gz', 3));
      c.close();
      expect(copies()).toEqual([basename(first.path), basename(c.path)].sort());
      expect(basename(b.path)).toMatch(/^b\.\d+\.[0-9a-f]{16}$/);
    } finally {
      delete process.env.CRASH_TS_CACHE_MAX_MB;
      if (old === undefined) delete process.env.CRASH_TS_CACHE;
      else process.env.CRASH_TS_CACHE = old;
    }
  });
});
