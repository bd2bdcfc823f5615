/**
 * Cache writes on libuv's thread pool (cacheWrites.background, what the CLI turns on): save() returns at once,
 * the file is there, whole, once the background work has settled, and a write that fails is one note and leaves
 * no temporary file.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { settleBackgroundWork } from '../../src/background-work.js';
import { cacheNotes, cacheWrites, VmlinuxCache, type VmlinuxStamp } from '../../src/cache/vmlinux-cache.js';

const root = mkdtempSync(join(tmpdir(), 'crash-ts-bg-write-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const stamp: VmlinuxStamp = { key: '00112233445566778899aabbccddeeff', size: 4242, mtimeMs: 1, label: 'vmlinux-bg' };
let notes: string[] = [];
const sink = cacheNotes.sink;
beforeEach(() => {
  notes = [];
  cacheNotes.sink = (line) => notes.push(line);
  cacheWrites.background = true;
});
afterEach(() => {
  cacheNotes.sink = sink;
  cacheWrites.background = false;
});

describe('a cache part written in the background', () => {
  it('is whole and loads once the background work has settled', async () => {
    const cache = new VmlinuxCache(stamp, join(root, 'ok'));
    const payload = new Uint8Array(3 << 20).map((_, i) => (i * 7) & 0xff);
    cache.save('part', 1, [payload.subarray(0, 1000), payload.subarray(1000)]);
    await settleBackgroundWork();
    const back = cache.load('part', 1);
    expect(back && Buffer.compare(back, payload)).toBe(0);
    expect(readdirSync(cache.dir!).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(notes).toEqual([]);
  });

  it('that cannot be written is one note, and no temporary file is left', async () => {
    // the cache root is a file: no folder can be made under it (even for root)
    const top = join(root, 'a-file');
    writeFileSync(top, 'not a folder');
    const cache = new VmlinuxCache(stamp, top);
    cache.save('part', 1, [new Uint8Array(64)]);
    await settleBackgroundWork();
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^cannot write the cache file .*a-file/);
    expect(cache.load('part', 1)).toBeUndefined();
    expect(readdirSync(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });
});
