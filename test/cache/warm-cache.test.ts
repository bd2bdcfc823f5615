/**
 * The warm-start cache (src/cache/vmlinux-cache.ts): a part round-trips; copies of one vmlinux share it; a stale
 * (a vmlinux without build-id changed), corrupt (truncated, garbled, well-formed but out of range) or foreign
 * file is ignored with one note and rebuilt;
 * the folder is bounded (least recently used build-ids go first); and on a corpus kernel the second open
 * reads the cache and answers exactly as the first, also with two processes opening at once.
 */
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CacheCorrupt,
  cacheNotes,
  PAGE,
  pruneCache,
  VmlinuxCache,
  type VmlinuxStamp,
} from '../../src/cache/vmlinux-cache.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { ORDER_PART, ORDER_PART_VERSION, SYMBOL_PART, SYMBOL_PART_VERSION } from '../../src/kernel/symbol-cache.js';
import { caseInfo, describeCorpus, dumpPaths, repoRoot, vmlinuxPlain } from '../helpers/corpus.js';

const root = mkdtempSync(join(tmpdir(), 'crash-ts-warm-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let notes: string[] = [];
const sink = cacheNotes.sink;
beforeEach(() => {
  notes = [];
  cacheNotes.sink = (line) => notes.push(line);
});
afterEach(() => {
  cacheNotes.sink = sink;
});

const pad8 = (n: number) => (n + 7) & ~7;

const stamp = (over: Partial<VmlinuxStamp> = {}): VmlinuxStamp => ({
  key: '0123456789abcdef0123456789abcdef01234567',
  size: 1000,
  mtimeMs: 1_700_000_000_000,
  label: 'vmlinux-test',
  ...over,
});

describe('a cache part', () => {
  const dir = join(root, 'unit');
  const payload = [Buffer.from('hello, cache'), new Uint8Array([1, 2, 3, 4])];

  it('round-trips, 8-byte aligned', () => {
    new VmlinuxCache(stamp(), dir).save('p', 1, payload);
    const got = new VmlinuxCache(stamp(), dir).load('p', 1)!;
    expect(got.toString('latin1', 0, 12)).toBe('hello, cache');
    expect([...got.subarray(12)]).toEqual([1, 2, 3, 4]);
    expect(got.byteOffset % 8).toBe(0);
    expect(notes).toEqual([]);
  });

  it('of a copy of the vmlinux (same build-id and size, another mtime) is the same file: no note', () => {
    new VmlinuxCache(stamp(), dir).save('p', 1, payload);
    const got = new VmlinuxCache(stamp({ mtimeMs: 1_700_000_000_001 }), dir).load('p', 1);
    expect(got?.toString('latin1', 0, 12)).toBe('hello, cache');
    expect(notes).toEqual([]);
  });

  it('is stale when a vmlinux without a build-id changed (mtime): one note, nothing returned', () => {
    const bare = { key: 'nobuildid-1000', label: 'vmlinux-bare' };
    new VmlinuxCache(stamp(bare), dir).save('p', 1, payload);
    expect(new VmlinuxCache(stamp({ ...bare, mtimeMs: 1_700_000_000_001 }), dir).load('p', 1)).toBeUndefined();
    expect(notes).toEqual([
      'the p cache of vmlinux-bare is stale (vmlinux-bare changed since it was written): ignored, rebuilt',
    ]);
  });

  it('of a vmlinux of another size is another file (the plain and debug vmlinux share a build-id)', () => {
    new VmlinuxCache(stamp(), dir).save('p', 1, payload);
    expect(new VmlinuxCache(stamp({ size: 2000 }), dir).load('p', 1)).toBeUndefined();
    expect(notes).toEqual([]);
  });

  it('truncated, garbled, of another version or another build-id: one note each', () => {
    const c = new VmlinuxCache(stamp(), dir);
    const file = c.file('p')!;
    const cases: [string, (b: Buffer) => Buffer, RegExp][] = [
      ['truncated', (b) => b.subarray(0, b.length - 3), /is corrupt \(13 bytes where the header says 16\)/],
      ['cut in the header', (b) => b.subarray(0, 40), /is corrupt \(not a crash-ts cache file\)/],
      ['garbled', (b) => ((b[b.length - 2]! ^= 0xff), b), /is corrupt \(checksum mismatch\)/],
      ['another version', (b) => (b.writeUInt32LE(7, 12), b), /is written by another crash-ts version/],
      ['another build-id', (b) => ((b[48] ^= 1), b), /is corrupt \(it names another build-id\)/],
    ];
    for (const [what, mutate, want] of cases) {
      c.save('p', 1, payload);
      writeFileSync(file, mutate(readFileSync(file)));
      notes = [];
      expect(new VmlinuxCache(stamp(), dir).load('p', 1), what).toBeUndefined();
      expect(notes, what).toHaveLength(1);
      expect(notes[0], what).toMatch(want);
      expect(notes[0], what).toMatch(/^the p cache of vmlinux-test .*: ignored, rebuilt$/);
    }
  });

  it('is off with a null root', () => {
    const c = new VmlinuxCache(stamp(), null);
    c.save('p', 1, payload);
    expect(c.load('p', 1)).toBeUndefined();
    expect(c.dir).toBeUndefined();
  });
});

describe('a part read at offsets (paged)', () => {
  const dir = join(root, 'paged');
  // three pages and a bit, in chunks that do not fall on page boundaries
  const bytes = Buffer.alloc(3 * PAGE + 100);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 8)) & 0xff;
  const chunks = [bytes.subarray(0, 1000), bytes.subarray(1000, 2 * PAGE + 3), bytes.subarray(2 * PAGE + 3)];

  it('round-trips: words, bytes across a page boundary, the whole payload', () => {
    new VmlinuxCache(stamp(), dir).savePaged('q', 1, chunks);
    const part = new VmlinuxCache(stamp(), dir).openPaged('q', 1)!;
    expect(part.length).toBe(bytes.length);
    expect(part.u32(PAGE + 8)).toBe(bytes.readUInt32LE(PAGE + 8));
    expect(part.u64(2 * PAGE + 16)).toBe(bytes.readBigUInt64LE(2 * PAGE + 16));
    expect(part.bytes(PAGE - 5, 10)).toEqual(bytes.subarray(PAGE - 5, PAGE + 5));
    expect(part.bytes(3 * PAGE + 90, 10)).toEqual(bytes.subarray(3 * PAGE + 90));
    expect(part.whole()).toEqual(bytes);
    expect(notes).toEqual([]);
    part.close();
  });

  it('is not the other kind of part: a paged file is not load()ed, nor a whole one opened paged', () => {
    const c = new VmlinuxCache(stamp(), dir);
    c.savePaged('q', 1, chunks);
    expect(c.load('q', 1)).toBeUndefined();
    c.save('w', 1, chunks);
    expect(c.openPaged('w', 1)).toBeUndefined();
    expect(notes).toEqual([
      'the q cache of vmlinux-test is written by another crash-ts version: ignored, rebuilt',
      'the w cache of vmlinux-test is written by another crash-ts version: ignored, rebuilt',
    ]);
  });

  it('truncated, or its page list garbled: refused when opened, one note', () => {
    const c = new VmlinuxCache(stamp(), dir);
    const file = c.file('q')!;
    const cases: [string, (b: Buffer) => Buffer, RegExp][] = [
      ['truncated', (b) => b.subarray(0, b.length - 3), /is corrupt \(\d+ bytes where the header says \d+\)/],
      ['page list garbled', (b) => ((b[130] ^= 0xff), b), /is corrupt \(checksum mismatch\)/],
      ['another build-id', (b) => ((b[48] ^= 1), b), /is corrupt \(it names another build-id\)/],
    ];
    for (const [what, mutate, want] of cases) {
      c.savePaged('q', 1, chunks);
      writeFileSync(file, mutate(readFileSync(file)));
      notes = [];
      expect(new VmlinuxCache(stamp(), dir).openPaged('q', 1), what).toBeUndefined();
      expect(notes, what).toHaveLength(1);
      expect(notes[0], what).toMatch(want);
    }
  });

  it('a garbled page is found when it is read (not before), one note, and every later read fails', () => {
    const c = new VmlinuxCache(stamp(), dir);
    c.savePaged('q', 1, chunks);
    const file = c.file('q')!;
    const b = readFileSync(file);
    b[b.length - bytes.length + 2 * PAGE + 50] ^= 0x10; // in page 2
    writeFileSync(file, b);
    const part = new VmlinuxCache(stamp(), dir).openPaged('q', 1)!;
    expect(part.u32(0)).toBe(bytes.readUInt32LE(0));
    expect(part.bytes(3 * PAGE, 8)).toEqual(bytes.subarray(3 * PAGE, 3 * PAGE + 8));
    expect(notes).toEqual([]);
    expect(() => part.u8(2 * PAGE + 1)).toThrow(CacheCorrupt);
    expect(notes).toEqual(['the q cache of vmlinux-test is corrupt (checksum mismatch in page 2): ignored, rebuilt']);
    expect(() => part.u8(PAGE + 1)).toThrow(CacheCorrupt); // a page not read before: the file is closed
    expect(() => part.whole()).toThrow(CacheCorrupt);
    expect(notes).toHaveLength(1);
  });

  it('a read past the payload is refused as corrupt', () => {
    new VmlinuxCache(stamp(), dir).savePaged('q', 1, chunks);
    const part = new VmlinuxCache(stamp(), dir).openPaged('q', 1)!;
    expect(() => part.bytes(bytes.length - 4, 8)).toThrow(CacheCorrupt);
    expect(notes[0]).toMatch(/^the q cache of vmlinux-test is corrupt \(8 bytes at \d+ run past/);
  });
});

describe('the cache folder', () => {
  it('keeps under its bound by removing the least recently used build-ids, never the current one', () => {
    const dir = join(root, 'prune');
    const keys = ['aaaaaaaaaaaaaaaa', 'kallsyms-bbbbbbbbbbbbbbbb', 'cccccccccccccccc', 'dddddddddddddddd'];
    keys.forEach((k, i) => {
      mkdirSync(join(dir, k), { recursive: true });
      writeFileSync(join(dir, k, 'symbols.1.bin'), Buffer.alloc(1000));
      const t = new Date(Date.UTC(2026, 0, 1 + i));
      utimesSync(join(dir, k), t, t);
    });
    writeFileSync(join(dir, 'dwarf-index-aaaa.bin'), 'old layout');
    writeFileSync(join(dir, 'vmlinux-x.123.456'), 'not ours');
    // 'aaaa' is the oldest but in use: 'bbbb' (a vmcore-alone folder) and 'cccc' go
    pruneCache(dir, 2500, join(dir, keys[0]!));
    expect(readdirSync(dir).sort()).toEqual(['aaaaaaaaaaaaaaaa', 'dddddddddddddddd', 'vmlinux-x.123.456']);
  });

  it('prunes after a save when $CRASH_TS_CACHE_MAX_MB is exceeded', () => {
    const dir = join(root, 'bound');
    mkdirSync(join(dir, 'eeeeeeeeeeeeeeee'), { recursive: true });
    writeFileSync(join(dir, 'eeeeeeeeeeeeeeee', 'x.1.bin'), Buffer.alloc(2 * 1048576));
    const t = new Date(Date.UTC(2026, 0, 1));
    utimesSync(join(dir, 'eeeeeeeeeeeeeeee'), t, t);
    process.env.CRASH_TS_CACHE_MAX_MB = '1';
    try {
      new VmlinuxCache(stamp(), dir).save('p', 1, [Buffer.alloc(1000)]);
    } finally {
      delete process.env.CRASH_TS_CACHE_MAX_MB;
    }
    expect(readdirSync(dir)).toEqual([stamp().key]);
  });
});

describeCorpus('warm start on a corpus kernel (k61-sysrq-c, nodwarf vmlinux)', () => {
  const name = 'k61-sysrq-c';
  let vmlinux: string;
  let dump: string;
  const cacheRoot = join(root, 'corpus');

  beforeEach(async () => {
    vmlinux ??= await vmlinuxPlain(name);
    dump ??= (await dumpPaths(name)).find((d) => d.file === 'vmcore.kdump-zlib')!.path;
  });

  /** What a session needs of the symbols and types, to compare a cold and a warm open. */
  function answers(): string[] {
    process.env.CRASH_TS_CACHE_DIR = cacheRoot;
    try {
      const k = openKernelSync(vmlinux, dump);
      try {
        const init = k.symbols.lookup('init_task')!;
        const out = [
          `${init.name} ${init.address.toString(16)} ${init.kind}`,
          k.symbols.describe(k.symbols.address('schedule') + 5n)!,
          k.symbols.describe(k.symbols.address('jiffies_64'))!,
          `${k.symbols.count}`,
          `${k.type('struct task_struct')!.size}`,
          `${k.types.enumValue('TASK_COMM_LEN')}`,
          `${k.types.find('unsigned long')!.size}`,
          k.readCString(k.symbols.address('linux_banner'), 40),
        ];
        return out;
      } finally {
        k.elf.close();
        k.dump.close();
      }
    } finally {
      delete process.env.CRASH_TS_CACHE_DIR;
    }
  }

  it('the second open reads symbols and the BTF index from the cache and answers the same', () => {
    rmSync(cacheRoot, { recursive: true, force: true });
    const cold = answers();
    const dir = join(cacheRoot, readdirSync(cacheRoot)[0]!);
    expect(readdirSync(dir).sort()).toEqual([
      `btf-enums.${statSync(vmlinux).size}.bin`,
      `btf-index.${statSync(vmlinux).size}.bin`,
      `symbol-order.${statSync(vmlinux).size}.bin`,
      `symbols.${statSync(vmlinux).size}.bin`,
    ]);
    expect(cold[0]).toMatch(/^init_task ffffffff[0-9a-f]+ D$/);
    expect(cold[5]).toBe('16');
    const warm = answers();
    expect(warm).toEqual(cold);
    expect(notes).toEqual([]);
    expect(caseInfo(name).kernel_release).toBe('6.1.0-56-cloud-amd64');
  });

  it('a truncated or garbled file is one note, and rebuilt with the same answers', () => {
    const cold = answers();
    const dir = join(cacheRoot, readdirSync(cacheRoot)[0]!);
    const sym = join(dir, `symbols.${statSync(vmlinux).size}.bin`);
    const btf = join(dir, `btf-index.${statSync(vmlinux).size}.bin`);
    writeFileSync(sym, readFileSync(sym).subarray(0, 5000));
    const b = readFileSync(btf);
    b[130] ^= 0x55; // its list of page checksums: seen when it is opened
    writeFileSync(btf, b);
    expect(answers()).toEqual(cold);
    expect(notes).toHaveLength(2);
    expect(notes[0]).toMatch(
      /^the symbols cache of vmlinux-6\.1\.0-56-cloud-amd64\S* is corrupt \(.*\): ignored, rebuilt$/,
    );
    expect(notes[1]).toMatch(/^the btf-index cache of .* is corrupt \(checksum mismatch\): ignored, rebuilt$/);
    notes = [];
    expect(answers()).toEqual(cold); // rebuilt and saved again
    expect(notes).toEqual([]);
  });

  it('a well-formed file whose entries point out of range is refused by its reader (never trusted blindly)', () => {
    const cold = answers();
    const c = new VmlinuxCache({ ...stampOf(), label: 'x' }, cacheRoot);
    const good = c.openPaged(SYMBOL_PART, SYMBOL_PART_VERSION)!.whole();
    const bad = Buffer.from(good);
    bad.writeUInt32LE(0xffffff, 4); // hash table length no longer a power of two
    c.savePaged(SYMBOL_PART, SYMBOL_PART_VERSION, [bad]);
    expect(answers()).toEqual(cold);
    expect(notes.some((n) => /^the symbols cache of .* is corrupt \(bad hash table size 16777215\)/.test(n))).toBe(
      true,
    );
    // a hash slot pointing past the last symbol (page checksums made right): found by the lookup that reads it
    notes = [];
    const n = good.readUInt32LE(0);
    const hashAt = 16 + 2 * pad8(8 * n) + pad8(4 * n);
    const wrong = Buffer.from(good);
    for (let slot = 0; slot < good.readUInt32LE(4); slot++)
      if (wrong.readInt32LE(hashAt + 4 * slot) !== 0) wrong.writeInt32LE(n + 5, hashAt + 4 * slot);
    c.savePaged(SYMBOL_PART, SYMBOL_PART_VERSION, [wrong]);
    expect(answers()).toEqual(cold);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/^the symbols cache of .* is corrupt \(hash entry \d+ out of range\): ignored, rebuilt$/);
  });

  it('the btf-index part is read at offsets: a garbled page is found when read, one note, the same answers', () => {
    const cold = answers();
    const btf = join(cacheRoot, stampOf().key, `btf-index.${statSync(vmlinux).size}.bin`);
    const good = readFileSync(btf);
    const bad = Buffer.from(good);
    // every page of the payload but the first (its lengths): the first entry read fails
    const payload = good.length - good.readDoubleLE(32);
    for (let at = payload + PAGE + 7; at < bad.length; at += PAGE) bad[at] ^= 0x20;
    writeFileSync(btf, bad);
    expect(answers()).toEqual(cold);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      /^the btf-index cache of .* is corrupt \(checksum mismatch in page \d+\): ignored, rebuilt$/,
    );
    notes = [];
    expect(answers()).toEqual(cold);
    expect(notes).toEqual([]);
    expect(readFileSync(btf)).toEqual(good); // written again as it was
  });

  it('the symbols part is read at offsets: a garbled page is found by the lookup that reads it, then rebuilt', () => {
    const cold = answers();
    const c = new VmlinuxCache({ ...stampOf(), label: 'x' }, cacheRoot);
    const file = c.file(SYMBOL_PART)!;
    const good = readFileSync(file);
    // the last page holds the names' end, not init_task's: a names-only session reads only a few pages
    const bad = Buffer.from(good);
    bad[bad.length - 2 * PAGE] ^= 0x40;
    writeFileSync(file, bad);
    process.env.CRASH_TS_CACHE_DIR = cacheRoot;
    try {
      const k = openKernelSync(vmlinux, dump);
      try {
        expect(k.symbols.lookup('init_task')?.kind).toBe('D');
        expect(notes).toEqual([]); // the garbled page was not read
        // an address lookup reads at offsets too (the stored address order); the count needs every column:
        // the whole file is read and checked
        expect(k.symbols.describe(k.symbols.address('schedule') + 5n)).toBe(cold[1]);
        expect(notes).toEqual([]);
        expect(`${k.symbols.count}`).toBe(cold[3]);
        expect(notes).toHaveLength(1);
        expect(notes[0]).toMatch(
          /^the symbols cache of .* is corrupt \(checksum mismatch in page \d+\): ignored, rebuilt$/,
        );
        expect(k.symbols.lookup('init_task')?.kind).toBe('D');
      } finally {
        k.elf.close();
        k.dump.close();
      }
    } finally {
      delete process.env.CRASH_TS_CACHE_DIR;
    }
    notes = [];
    expect(answers()).toEqual(cold); // written again whole
    expect(notes).toEqual([]);
  });

  it('the address order is a part of its own, made by the first address lookup; a wrong one is refused', () => {
    rmSync(cacheRoot, { recursive: true, force: true });
    process.env.CRASH_TS_CACHE_DIR = cacheRoot;
    let dir: string;
    try {
      // names only (what sys and p ask): no order is sorted, none written
      const k = openKernelSync(vmlinux, dump);
      expect(k.symbols.lookup('init_task')?.kind).toBe('D');
      k.elf.close();
      k.dump.close();
      dir = join(cacheRoot, readdirSync(cacheRoot)[0]!);
      expect(readdirSync(dir).some((f) => f.startsWith('symbol-order.'))).toBe(false);
    } finally {
      delete process.env.CRASH_TS_CACHE_DIR;
    }
    const cold = answers(); // describe(): the order is built and written
    const order = join(dir, `symbol-order.${statSync(vmlinux).size}.bin`);
    expect(notes).toEqual([]);
    const c = new VmlinuxCache({ ...stampOf(), label: 'x' }, cacheRoot);
    const good = c.openPaged(ORDER_PART, ORDER_PART_VERSION)!.whole();
    const m = good.readUInt32LE(0);
    const links = 8 + pad8(4 * m);
    expect(good.length).toBe(links + 8 * m);
    // read at offsets (no column read whole): each position a lookup visits is checked against its symbol;
    // here every index is off by one (page checksums made right)
    const shifted = Buffer.from(good);
    for (let j = 0; j < m; j++) shifted.writeUInt32LE(good.readUInt32LE(8 + 4 * ((j + 1) % m)), 8 + 4 * j);
    c.savePaged(ORDER_PART, ORDER_PART_VERSION, [shifted]);
    expect(answers()).toEqual(cold);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      /^the symbol-order cache of .* is corrupt \(position \d+ does not name symbol \d+'s value\): ignored, rebuilt$/,
    );
    const payload = () => readFileSync(order).subarray(readFileSync(order).length - good.length);
    expect(payload()).toEqual(good); // rebuilt and written again
    // read whole (the columns were read first: the count): two positions swapped, each still naming its own
    // symbol's value, is seen by the whole order's check
    notes = [];
    const swapped = Buffer.from(good);
    for (const [at, size] of [
      [8, 4],
      [links, 8],
    ] as const) {
      const a = swapped.subarray(at + size * 1000, at + size * 1001);
      const b = Buffer.from(swapped.subarray(at + size * 1100, at + size * 1101));
      swapped.set(a, at + size * 1100);
      swapped.set(b, at + size * 1000);
    }
    c.savePaged(ORDER_PART, ORDER_PART_VERSION, [swapped]);
    process.env.CRASH_TS_CACHE_DIR = cacheRoot;
    try {
      const k = openKernelSync(vmlinux, dump);
      expect(`${k.symbols.count}`).toBe(cold[3]);
      expect(k.symbols.describe(k.symbols.address('schedule') + 5n)).toBe(cold[1]);
      k.elf.close();
      k.dump.close();
    } finally {
      delete process.env.CRASH_TS_CACHE_DIR;
    }
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(
      /^the symbol-order cache of .* is corrupt \(address order broken at \d+\): ignored, rebuilt$/,
    );
    expect(payload()).toEqual(good);
  });

  it('two copies of the vmlinux (same build-id and size, other mtimes) share the cache: no stale notes', () => {
    const copy = join(root, 'vmlinux-copy');
    copyFileSync(vmlinux, copy);
    const t = new Date(Date.now() + 60_000);
    utimesSync(copy, t, t);
    const saved = vmlinux;
    try {
      const cold = answers();
      notes = [];
      for (const v of [copy, saved, copy, saved]) {
        vmlinux = v;
        expect(answers()).toEqual(cold);
      }
      expect(notes).toEqual([]);
      const dir = join(cacheRoot, readdirSync(cacheRoot).find((d) => /^[0-9a-f]{16,}$/.test(d))!);
      expect(readdirSync(dir).filter((f) => f.startsWith('symbols.'))).toEqual([`symbols.${statSync(copy).size}.bin`]);
    } finally {
      vmlinux = saved;
    }
  });

  function stampOf(): VmlinuxStamp {
    const dir = readdirSync(cacheRoot).find((d) => /^[0-9a-f]{16,}$/.test(d))!;
    return { key: dir, size: statSync(vmlinux).size, mtimeMs: Math.floor(statSync(vmlinux).mtimeMs), label: 'x' };
  }

  it('two processes opening at once with an empty cache, then with a full one, both answer sys right', async () => {
    const xdg = join(root, 'concurrent');
    rmSync(xdg, { recursive: true, force: true });
    const run = () =>
      new Promise<{ out: string; err: string; code: number | null }>((res) => {
        const env = { ...process.env, XDG_CACHE_HOME: xdg };
        delete env.CRASH_TS_CACHE_DIR;
        const p = spawn(process.execPath, [join(repoRoot, 'bin', 'crash-ts'), '-s', vmlinux, dump], { env });
        let out = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => (out += d.toString()));
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        p.on('close', (code) => res({ out, err, code }));
        p.stdin.end('sys\n');
      });
    for (const round of ['cold', 'warm']) {
      const [a, b] = await Promise.all([run(), run()]);
      for (const r of [a, b]) {
        expect(r.code, round).toBe(0);
        expect(r.err, round).toBe('');
        expect(r.out, round).toMatch(/RELEASE: 6\.1\.0-56-cloud-amd64/);
      }
      expect(a.out, round).toBe(b.out);
    }
    const dir = join(xdg, 'crash-ts', readdirSync(join(xdg, 'crash-ts'))[0]!);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // sys looks no address up: the address order is neither sorted nor written; and it names the enum of each
    // enumerator it asks for: no index of every enumerator is built or written
    expect(readdirSync(dir).sort()).toEqual([
      `btf-index.${statSync(vmlinux).size}.bin`,
      `symbols.${statSync(vmlinux).size}.bin`,
    ]);
  });
});
