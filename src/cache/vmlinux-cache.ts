/**
 * The warm-start cache: what is costly to rebuild from a vmlinux (its symbol table in address order, the BTF
 * index, the DWARF name index), kept on disk so that the second open of the same kernel reads a few small
 * files instead of walking megabytes. One folder per kernel, named by its GNU build-id:
 *
 *   $XDG_CACHE_HOME/crash-ts/BUILD-ID/PART.SIZE.bin      (default ~/.cache/crash-ts; $CRASH_TS_CACHE_DIR wins)
 *
 * SIZE is the vmlinux's size: the plain and the debug vmlinux of one build share a build-id and must not
 * overwrite each other's files. Each file starts with a header naming the format and part versions, the
 * vmlinux's size, mtime and build-id, and the payload's length and CRC-32 (the mtime is compared only for a
 * vmlinux without a build-id: copies of one vmlinux share its files). A file that does not match is
 * ignored with a one-line note and rebuilt; the parts' own readers check every length and index again
 * (a CRC only catches accidents). Files are written to a temporary name and renamed, so that readers
 * never see half a file and two processes may open the same kernel at once. The cache is bounded: after a
 * write, the least recently used build-id folders are removed until the total is under the limit.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { closeSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { mkdir, open, rename } from 'node:fs/promises';
import { addBackgroundWork } from '../background-work.js';
import { randomTag } from '../dump/file.js';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { crc32 } from 'node:zlib';

const MAGIC = 'CTSWARM1';
const FORMAT = 1;
/** the format of a part read at offsets (PagedPart): a CRC-32 per block instead of one for the payload */
const PAGED_FORMAT = 2;
/** a paged part's block: what one read brings in and one CRC covers */
export const PAGE = 4096;
const HEADER = 128;
const KEY_MAX = 80;
/** default bound of the whole cache folder ($CRASH_TS_CACHE_MAX_MB overrides) */
const DEFAULT_MAX_MB = 512;
/** temporary files older than this are leftovers of a killed process */
const STALE_TMP_MS = 10 * 60 * 1000;

/** The cache root: $CRASH_TS_CACHE_DIR, else $XDG_CACHE_HOME/crash-ts, else ~/.cache/crash-ts. */
export function defaultCacheDir(): string {
  if (process.env.CRASH_TS_CACHE_DIR) return process.env.CRASH_TS_CACHE_DIR;
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache'), 'crash-ts');
}

/** Where one-line cache notes go (stale or corrupt files, failed writes); stderr unless replaced. */
export const cacheNotes = {
  sink: (line: string): void => {
    process.stderr.write(`crash-ts: note: ${line}\n`);
  },
};

/** What a cache file is checked against: the vmlinux as the user named it. */
export interface VmlinuxStamp {
  /** GNU build-id in hex, or `nobuildid-SIZE` */
  key: string;
  size: number;
  mtimeMs: number;
  /** the vmlinux's name in notes */
  label: string;
}

/** The stamp of a vmlinux file (its build-id note's bytes, if any). */
export function vmlinuxStamp(path: string, buildId: Buffer | undefined, fallbackSize: number): VmlinuxStamp {
  let size = fallbackSize;
  let mtimeMs = 0;
  try {
    const st = statSync(path);
    size = st.size;
    mtimeMs = Math.floor(st.mtimeMs);
  } catch {
    // a path that is not a file (tests hand in synthetic names): size from the open file, no mtime
  }
  const key = buildId && buildId.length >= 8 ? buildId.toString('hex').slice(0, KEY_MAX) : `nobuildid-${size}`;
  return { key, size, mtimeMs, label: basename(path) };
}

function maxBytes(): number {
  const mb = Number(process.env.CRASH_TS_CACHE_MAX_MB);
  return (Number.isFinite(mb) && mb > 0 ? mb : DEFAULT_MAX_MB) * 1048576;
}

export class VmlinuxCache {
  /** this kernel's folder; undefined when caching is off */
  readonly dir: string | undefined;
  private touched = false;

  constructor(
    readonly stamp: VmlinuxStamp,
    /** the cache root (default defaultCacheDir()); null: no cache */
    readonly root: string | null = defaultCacheDir(),
  ) {
    this.dir = root === null ? undefined : join(root, stamp.key.replace(/[^0-9a-zA-Z_.-]/g, '_'));
  }

  /** The file of one part. */
  file(part: string): string | undefined {
    return this.dir && join(this.dir, `${part}.${this.stamp.size}.bin`);
  }

  /**
   * The payload of a part (8-byte aligned), or undefined: absent (silently), or stale, corrupt or of
   * another version (with a note; the caller rebuilds and saves).
   */
  load(part: string, version: number): Buffer | undefined {
    const file = this.file(part);
    if (!file) return undefined;
    let buf: Buffer;
    try {
      buf = readFileSync(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.note(part, `unreadable (${(e as Error).message})`);
      return undefined;
    }
    const why = this.check(buf, part, version);
    if (why) {
      this.note(part, why);
      return undefined;
    }
    this.touch();
    let payload = buf.subarray(HEADER);
    if (payload.byteOffset % 8 !== 0) payload = Buffer.from(payload); // typed-array views need alignment
    return payload;
  }

  /** Say that a part's payload passed the header checks but not its reader's (the caller rebuilds it). */
  corrupt(part: string, reason: string): void {
    this.note(part, `corrupt (${reason})`);
  }

  /** Write a part (a temporary file renamed over), then keep the cache under its bound. Never throws. */
  save(part: string, version: number, chunks: Uint8Array[]): void {
    const file = this.file(part);
    if (!file || !this.dir) return;
    const payloadLen = chunks.reduce((n, c) => n + c.length, 0);
    let crc = 0;
    for (const c of chunks) crc = crc32(c, crc);
    this.write(file, this.header(FORMAT, version, payloadLen, crc), chunks);
  }

  /**
   * Write a part that is read at offsets (openPaged): the header, a CRC-32 of each PAGE of the payload (the
   * header's checksum covers this list), then the payload. Never throws.
   */
  savePaged(part: string, version: number, chunks: Uint8Array[]): void {
    const file = this.file(part);
    if (!file || !this.dir) return;
    const payloadLen = chunks.reduce((n, c) => n + c.length, 0);
    const crcs = pageCrcs(chunks, payloadLen);
    const list = new Uint8Array(crcs.buffer, 0, pad8(crcs.byteLength));
    this.write(file, this.header(PAGED_FORMAT, version, payloadLen, crc32(list) >>> 0), [list, ...chunks]);
  }

  /**
   * A part written by savePaged, opened to be read at offsets: only its header and CRC list are read now,
   * each page of the payload when first asked for (and checked then). Undefined as load() says.
   */
  openPaged(part: string, version: number): PagedPart | undefined {
    const file = this.file(part);
    if (!file) return undefined;
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') this.note(part, `unreadable (${(e as Error).message})`);
      return undefined;
    }
    let why: string | undefined;
    try {
      const fileLen = fstatSync(fd).size;
      const head = Buffer.alloc(HEADER);
      const got = readSync(fd, head, 0, HEADER, 0);
      why = this.checkHeader(head.subarray(0, got), PAGED_FORMAT, version);
      if (!why) {
        const len = head.readDoubleLE(32);
        const listLen = pad8(4 * Math.ceil(len / PAGE));
        if (fileLen !== HEADER + listLen + len)
          why = `corrupt (${fileLen - HEADER} bytes where the header says ${listLen + len})`;
        else {
          const list = Buffer.allocUnsafeSlow(listLen);
          if (readSync(fd, list, 0, listLen, HEADER) !== listLen) why = 'corrupt (cut short)';
          else if (crc32(list) >>> 0 !== head.readUInt32LE(40)) why = 'corrupt (checksum mismatch)';
          else {
            this.touch();
            return new PagedPart(fd, HEADER + listLen, len, new Uint32Array(list.buffer, 0, listLen / 4), (r) =>
              this.corrupt(part, r),
            );
          }
        }
      }
    } catch (e) {
      why = `unreadable (${(e as Error).message})`;
    }
    closeSync(fd);
    this.note(part, why);
    return undefined;
  }

  private header(format: number, version: number, payloadLen: number, crc: number): Buffer {
    const header = Buffer.alloc(HEADER);
    header.write(MAGIC, 0, 'latin1');
    header.writeUInt32LE(format, 8);
    header.writeUInt32LE(version, 12);
    header.writeDoubleLE(this.stamp.size, 16);
    header.writeDoubleLE(this.stamp.mtimeMs, 24);
    header.writeDoubleLE(payloadLen, 32);
    header.writeUInt32LE(crc, 40);
    const key = Buffer.from(this.stamp.key, 'latin1');
    header.writeUInt32LE(key.length, 44);
    key.copy(header, 48);
    return header;
  }

  private write(file: string, header: Buffer, chunks: Uint8Array[]): void {
    const tmp = `${file}.${process.pid}.${randomTag()}.tmp`;
    const failed = (e: unknown) => {
      try {
        unlinkSync(tmp);
      } catch {
        // nothing was written
      }
      cacheNotes.sink(`cannot write the cache file ${file}: ${(e as Error).message}`);
    };
    const written = () => {
      this.touch();
      pruneCache(this.root!, maxBytes(), this.dir);
    };
    if (cacheWrites.background) {
      addBackgroundWork(
        writeChunksLater(this.dir!, tmp, [header, ...chunks])
          .then(() => rename(tmp, file))
          .then(written, failed),
      );
      return;
    }
    try {
      mkdirSync(this.dir!, { recursive: true });
      writeChunks(tmp, [header, ...chunks]);
      renameSync(tmp, file);
    } catch (e) {
      failed(e);
      return;
    }
    written();
  }

  /** Why a file is not this part of this vmlinux; undefined when it is. */
  private check(buf: Buffer, part: string, version: number): string | undefined {
    const why = this.checkHeader(buf, FORMAT, version);
    if (why) return why;
    const len = buf.readDoubleLE(32);
    if (len !== buf.length - HEADER) return `corrupt (${buf.length - HEADER} bytes where the header says ${len})`;
    if (crc32(buf.subarray(HEADER)) >>> 0 !== buf.readUInt32LE(40)) return 'corrupt (checksum mismatch)';
    void part;
    return undefined;
  }

  /** Why a file's header is not that of this part of this vmlinux; undefined when it is. */
  private checkHeader(buf: Buffer, format: number, version: number): string | undefined {
    if (buf.length < HEADER || buf.toString('latin1', 0, 8) !== MAGIC) return 'corrupt (not a crash-ts cache file)';
    if (buf.readUInt32LE(8) !== format || buf.readUInt32LE(12) !== version)
      return 'written by another crash-ts version';
    const keyLen = buf.readUInt32LE(44);
    if (keyLen > KEY_MAX || buf.toString('latin1', 48, 48 + keyLen) !== this.stamp.key)
      return 'corrupt (it names another build-id)';
    // A build-id names the linked bytes: two copies of one vmlinux (same build-id and size, another mtime: a
    // second download, a copy made by a test) share the files instead of making each other stale on every
    // start. The mtime decides only for a vmlinux without a build-id.
    const byMtime = this.stamp.key.startsWith('nobuildid-');
    if (buf.readDoubleLE(16) !== this.stamp.size || (byMtime && buf.readDoubleLE(24) !== this.stamp.mtimeMs))
      return `stale (${this.stamp.label} changed since it was written)`;
    return undefined;
  }

  private note(part: string, why: string): void {
    cacheNotes.sink(`the ${part} cache of ${this.stamp.label} is ${why}: ignored, rebuilt`);
  }

  /** Mark this kernel's folder as used now (pruning removes the least recently used first). */
  private touch(): void {
    if (this.touched || !this.dir) return;
    this.touched = true;
    try {
      const now = new Date();
      utimesSync(this.dir, now, now);
    } catch {
      // the folder may not exist yet
    }
  }
}

const pad8 = (n: number) => (n + 7) & ~7;

/** The CRC-32 of each PAGE of the chunks' concatenation (a page may span chunks). */
function pageCrcs(chunks: Uint8Array[], len: number): Uint32Array {
  const crcs = new Uint32Array(pad8(4 * Math.ceil(len / PAGE)) / 4);
  let page = 0;
  let filled = 0;
  let crc = 0;
  for (const c of chunks) {
    for (let at = 0; at < c.length; ) {
      const take = Math.min(PAGE - filled, c.length - at);
      crc = crc32(c.subarray(at, at + take), crc);
      at += take;
      filled += take;
      if (filled === PAGE) {
        crcs[page++] = crc >>> 0;
        filled = 0;
        crc = 0;
      }
    }
  }
  if (filled) crcs[page] = crc >>> 0;
  return crcs;
}

/** A part's payload was found corrupt while being read (the caller notes it and rebuilds). */
export class CacheCorrupt extends Error {
  override name = 'CacheCorrupt';
}

/**
 * A cache part read at offsets: each PAGE of the payload read once, when first asked for, and checked against
 * its CRC then. A page that does not match (or a reader that finds an entry out of range: fail()) makes every
 * later read throw CacheCorrupt, after one note. The file stays open for the session: a writer renaming a
 * new file over it does not change what this reads.
 */
export class PagedPart {
  private readonly pages = new Map<number, Buffer>();
  private broken: string | undefined;

  constructor(
    private fd: number,
    /** where the payload starts in the file */
    private readonly base: number,
    /** the payload's length */
    readonly length: number,
    private readonly crcs: Uint32Array,
    private readonly report: (reason: string) => void,
  ) {
    // a kernel opened and dropped (a test, a session that opens another dump) does not keep its files open
    openParts.register(this, fd, this);
  }

  /** The page holding payload offset `at` (checked). */
  page(at: number): Buffer {
    const n = Math.floor(at / PAGE);
    const hit = this.pages.get(n);
    if (hit) return hit;
    if (this.broken) throw new CacheCorrupt(this.broken);
    if (at < 0 || at >= this.length) this.fail(`offset ${at} beyond the ${this.length}-byte payload`);
    const len = Math.min(PAGE, this.length - n * PAGE);
    const buf = Buffer.allocUnsafe(len);
    let got = 0;
    try {
      got = readSync(this.fd, buf, 0, len, this.base + n * PAGE);
    } catch (e) {
      this.fail(`unreadable (${(e as Error).message})`);
    }
    if (got !== len) this.fail('cut short');
    if (crc32(buf) >>> 0 !== this.crcs[n]) this.fail(`checksum mismatch in page ${n}`);
    this.pages.set(n, buf);
    return buf;
  }

  u8(at: number): number {
    return this.page(at)[at % PAGE]!;
  }

  /** a 32-bit word at a 4-byte aligned offset (never across pages) */
  u32(at: number): number {
    return this.page(at).readUInt32LE(at % PAGE);
  }

  i32(at: number): number {
    return this.page(at).readInt32LE(at % PAGE);
  }

  /** a 64-bit word at an 8-byte aligned offset */
  u64(at: number): bigint {
    return this.page(at).readBigUInt64LE(at % PAGE);
  }

  /** `len` bytes at `at` (across pages if need be); a range past the end fails. */
  bytes(at: number, len: number): Buffer {
    if (at + len > this.length) this.fail(`${len} bytes at ${at} run past the ${this.length}-byte payload`);
    const p = this.page(at);
    const off = at % PAGE;
    if (off + len <= p.length) return p.subarray(off, off + len);
    const out = Buffer.allocUnsafe(len);
    for (let done = 0; done < len; ) {
      const q = this.page(at + done);
      const o = (at + done) % PAGE;
      done += q.copy(out, done, o, Math.min(q.length, o + len - done));
    }
    return out;
  }

  /** The whole payload, every page checked (8-byte aligned, a buffer of its own); throws CacheCorrupt. */
  whole(): Buffer {
    if (this.broken) throw new CacheCorrupt(this.broken);
    const buf = Buffer.allocUnsafeSlow(this.length);
    let got = 0;
    try {
      got = readSync(this.fd, buf, 0, this.length, this.base);
    } catch (e) {
      this.fail(`unreadable (${(e as Error).message})`);
    }
    if (got !== this.length) this.fail('cut short');
    for (let n = 0; n * PAGE < this.length; n++)
      if (crc32(buf.subarray(n * PAGE, (n + 1) * PAGE)) >>> 0 !== this.crcs[n])
        this.fail(`checksum mismatch in page ${n}`);
    return buf;
  }

  /** The payload is not what its reader expects: one note, then every read throws. */
  fail(reason: string): never {
    this.reject(reason);
    throw new CacheCorrupt(reason);
  }

  /** fail() without the throw */
  reject(reason: string): void {
    if (this.broken) return;
    this.broken = reason;
    this.report(reason);
    this.close();
  }

  close(): void {
    if (this.fd < 0) return;
    openParts.unregister(this);
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = -1;
  }
}

/** The file of a part no longer reachable is closed. */
const openParts = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // closed already
  }
});

/**
 * Whether save() writes on libuv's thread pool (and returns before the file is there) rather than before it
 * returns. The CLI turns it on: a cold start's cache files (~7 MB) are then written while the session answers,
 * and the CLI waits for them before it exits (settleBackgroundWork). Off by default: a caller that saves and
 * then loads (the tests) finds the file.
 */
export const cacheWrites = { background: false };

/** writeChunks() on libuv's thread pool, the folder made first. */
async function writeChunksLater(dir: string, path: string, chunks: Uint8Array[]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const fh = await open(path, 'w');
  try {
    // one writev for them all (one trip to the pool); what a short write left, chunk by chunk
    let left = (await fh.writev(chunks)).bytesWritten;
    for (const c of chunks) {
      if (left >= c.length) {
        left -= c.length;
        continue;
      }
      for (let done = left; done < c.length; ) done += (await fh.write(c, done)).bytesWritten;
      left = 0;
    }
  } finally {
    await fh.close();
  }
}

/** Write chunks one after the other to a new file (no copy of them all into one buffer first). */
function writeChunks(path: string, chunks: Uint8Array[]): void {
  const fd = openSync(path, 'w');
  try {
    for (const c of chunks) for (let done = 0; done < c.length; ) done += writeSync(fd, c, done, c.length - done);
  } finally {
    closeSync(fd);
  }
}

/**
 * Keep the cache root under `limit` bytes: remove the least recently used build-id folders first (never
 * `keep`), leftovers of killed writers, and the DWARF index files of the previous layout. Errors are
 * ignored: another process may be pruning at the same time.
 */
export function pruneCache(root: string, limit: number, keep?: string): void {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  const now = Date.now();
  const folders: { path: string; bytes: number; used: number }[] = [];
  let total = 0;
  for (const name of names) {
    const path = join(root, name);
    try {
      if (/^dwarf-index-.*\.bin$/.test(name)) {
        unlinkSync(path); // the previous layout (one file per build-id in the root): never read again
        continue;
      }
      const st = statSync(path);
      if (!st.isDirectory() || !/^((kallsyms-)?[0-9a-f]{16,}|nobuildid-\d+)$/.test(name)) continue;
      let bytes = 0;
      for (const f of readdirSync(path)) {
        const fp = join(path, f);
        const fst = statSync(fp);
        if (f.endsWith('.tmp') && now - fst.mtimeMs > STALE_TMP_MS) unlinkSync(fp);
        else bytes += fst.size;
      }
      folders.push({ path, bytes, used: st.mtimeMs });
      total += bytes;
    } catch {
      // gone meanwhile
    }
  }
  folders.sort((a, b) => a.used - b.used);
  for (const f of folders) {
    if (total <= limit) break;
    if (f.path === keep) continue;
    try {
      rmSync(f.path, { recursive: true, force: true });
      total -= f.bytes;
    } catch {
      // another process holds or removed it
    }
  }
}
