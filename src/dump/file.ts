/**
 * Read-only random access to a (possibly huge) file: reads at offsets through fs.readSync, with a
 * small LRU cache of fixed-size blocks. Never holds the whole file in memory.
 *
 * `openMaybeCompressed` also accepts a gzip-compressed file (the corpus ships vmlinux as .gz and
 * crash opens such files directly): it is decompressed once, as a stream, into a cache file.
 */
import {
  accessSync,
  closeSync,
  constants as fsConstants,
  fstatSync,
  mkdirSync,
  openSync,
  read,
  readSync,
  readdirSync,
  statSync,
  unlinkSync,
  utimesSync,
} from 'node:fs';
import type { Stats } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createRequire } from 'node:module';

/** A file could not be opened or read (missing, unreadable, read past its end). One line, names the file. */
export class FileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FileError';
  }
}

const BLOCK_SIZE = 64 * 1024;
const CACHE_BLOCKS = 64;
/** Reads larger than this go straight to the file instead of through (and flushing) the block cache. */
const DIRECT_READ_THRESHOLD = 4 * BLOCK_SIZE;

/** What a path that is not a regular file (nor a block device, which reads at offsets too) is, else undefined. */
export function specialFileKind(st: Stats): string | undefined {
  if (st.isFile() || st.isBlockDevice()) return undefined;
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO (named pipe)';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice()) return 'a character device';
  return 'a special file';
}

export class RandomAccessFile {
  /** size of the file in bytes */
  readonly size: number;
  private fd: number | undefined;
  /** block index -> block bytes; Map iteration order doubles as LRU order (oldest first) */
  private readonly blocks = new Map<number, Buffer>();

  /**
   * @param path the file to open (read-only)
   * @param displayName the name used in error messages (e.g. the .gz the user gave, not the cache file)
   */
  constructor(
    readonly path: string,
    readonly displayName: string = path,
  ) {
    // opening a FIFO waits for a writer: refuse what is not a file before opening it
    let special: string | undefined;
    try {
      const st = statSync(path);
      if (!st.isDirectory()) special = specialFileKind(st); // a directory: the read says EISDIR, as before
    } catch {
      /* openSync below says why */
    }
    if (special)
      throw new FileError(
        `${displayName}: is ${special}, not a regular file: a dump or vmlinux must be a file read at offsets`,
      );
    try {
      this.fd = openSync(path, 'r');
      this.size = fstatSync(this.fd).size;
    } catch (e) {
      if (this.fd !== undefined) closeSync(this.fd);
      throw new FileError(`${displayName}: cannot open: ${errnoText(e)}`);
    }
  }

  /** Read exactly `length` bytes at `offset`; throws FileError if that runs past the end of the file. */
  read(offset: number | bigint, length: number): Buffer {
    const off = typeof offset === 'bigint' ? Number(offset) : offset;
    if (!Number.isSafeInteger(off) || off < 0 || !Number.isSafeInteger(length) || length < 0) {
      throw new FileError(`${this.displayName}: bad read of ${length} bytes at offset ${String(offset)}`);
    }
    if (off + length > this.size) {
      throw new FileError(
        `${this.displayName}: read of ${length} bytes at offset 0x${off.toString(16)} runs past the end of the file (size ${this.size})`,
      );
    }
    if (length === 0) return Buffer.alloc(0);
    if (length >= DIRECT_READ_THRESHOLD) return this.readDirect(off, length);

    const first = Math.floor(off / BLOCK_SIZE);
    const last = Math.floor((off + length - 1) / BLOCK_SIZE);
    if (first === last) {
      const b = this.block(first);
      const start = off - first * BLOCK_SIZE;
      return Buffer.from(b.subarray(start, start + length)); // a copy: callers may keep or modify it
    }
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    for (let i = first; i <= last; i++) {
      const b = this.block(i);
      const start = i === first ? off - first * BLOCK_SIZE : 0;
      const n = Math.min(b.length - start, length - done);
      b.copy(out, done, start, start + n);
      done += n;
    }
    return out;
  }

  /** Like read(), bypassing the block cache: one read of exactly these bytes. */
  readUncached(offset: number, length: number): Buffer {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0)
      throw new FileError(`${this.displayName}: bad read of ${length} bytes at offset ${String(offset)}`);
    if (offset + length > this.size)
      throw new FileError(
        `${this.displayName}: read of ${length} bytes at offset 0x${offset.toString(16)} runs past the end of the file (size ${this.size})`,
      );
    return length === 0 ? Buffer.alloc(0) : this.readDirect(offset, length);
  }

  /** Like readUncached(), into `into` (a buffer the caller reuses): the bytes' view in it. */
  readInto(offset: number, length: number, into: Buffer): Buffer {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0)
      throw new FileError(`${this.displayName}: bad read of ${length} bytes at offset ${String(offset)}`);
    if (offset + length > this.size)
      throw new FileError(
        `${this.displayName}: read of ${length} bytes at offset 0x${offset.toString(16)} runs past the end of the file (size ${this.size})`,
      );
    if (length > into.length) throw new FileError(`${this.displayName}: read of ${length} bytes into ${into.length}`);
    this.readAt(offset, length, into);
    return into.subarray(0, length);
  }

  /**
   * Exactly `length` bytes at `offset`, read on libuv's thread pool: the copy, and the page faults of the new
   * buffer (costly in a VM), happen off this thread while it does other work. Rejects with a FileError.
   */
  readAhead(offset: number, length: number): Promise<Buffer> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 0)
      return Promise.reject(new FileError(`${this.displayName}: bad read of ${length} bytes at offset ${offset}`));
    if (offset + length > this.size || this.fd === undefined)
      return Promise.reject(new FileError(`${this.displayName}: read of ${length} bytes at offset ${offset} refused`));
    const fd = this.fd;
    const out = Buffer.allocUnsafe(length);
    return new Promise((resolve, reject) => {
      const next = (done: number): void => {
        if (done === length) return resolve(out);
        read(fd, out, done, length - done, offset + done, (e, n) => {
          if (e || n === 0 || this.fd !== fd)
            reject(new FileError(`${this.displayName}: read error at offset 0x${(offset + done).toString(16)}`));
          else next(done + n);
        });
      };
      next(0);
    });
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.blocks.clear();
  }

  private block(index: number): Buffer {
    const hit = this.blocks.get(index);
    if (hit) {
      this.blocks.delete(index); // move to the young end
      this.blocks.set(index, hit);
      return hit;
    }
    const start = index * BLOCK_SIZE;
    const b = this.readDirect(start, Math.min(BLOCK_SIZE, this.size - start));
    if (this.blocks.size >= CACHE_BLOCKS) {
      const oldest = this.blocks.keys().next().value as number;
      this.blocks.delete(oldest);
    }
    this.blocks.set(index, b);
    return b;
  }

  private readDirect(off: number, length: number): Buffer {
    return this.readAt(off, length, Buffer.allocUnsafe(length));
  }

  private readAt(off: number, length: number, out: Buffer): Buffer {
    if (this.fd === undefined) throw new FileError(`${this.displayName}: read after close`);
    let done = 0;
    while (done < length) {
      let n: number;
      try {
        n = readSync(this.fd, out, done, length - done, off + done);
      } catch (e) {
        throw new FileError(
          `${this.displayName}: read error at offset 0x${(off + done).toString(16)}: ${errnoText(e)}`,
        );
      }
      if (n === 0) {
        throw new FileError(`${this.displayName}: file shrank while reading (offset 0x${(off + done).toString(16)})`);
      }
      done += n;
    }
    return out;
  }
}

/**
 * A random tag for a temporary file's name (beside the process id: two threads, or two opens, must not collide).
 * Not node:crypto's randomBytes: loading crypto costs every start ~10 ms of CPU, and these names guard nothing.
 */
export function randomTag(): string {
  return Math.floor(Math.random() * 2 ** 32)
    .toString(16)
    .padStart(8, '0');
}

/** Does the file start with the gzip magic (1f 8b)? */
export function isGzipFile(path: string): boolean {
  const f = new RandomAccessFile(path);
  try {
    return f.size >= 2 && f.read(0, 2).equals(Buffer.from([0x1f, 0x8b]));
  } finally {
    f.close();
  }
}

/**
 * Open a file for random access; a gzip file is first decompressed (once) into the cache directory
 * ($CRASH_TS_CACHE, default ~/.cache/crash-ts; os.tmpdir() when that is not writable) and the
 * decompressed copy is opened. Error messages name `path`, not the cache file.
 */
export function openMaybeCompressed(path: string): RandomAccessFile {
  if (!isGzipFile(path)) return new RandomAccessFile(path);
  return new RandomAccessFile(decompressedCopy(path), path);
}

/**
 * Path of the decompressed copy of a gzip file, creating it if needed (never the whole file in memory). The copy
 * is named by the file's name, size and gzip trailer (CRC-32 and length of the data), not its mtime: a .gz copied
 * or touched again (a test's copy, a fresh checkout) reuses the copy instead of adding another 60 MB one. Each use
 * sets the copy's access time; after a new copy is made the oldest-used ones are removed (see pruneCopies).
 */
export function decompressedCopy(gzPath: string): string {
  const st = statSync(gzPath);
  const key = `${basename(gzPath).replace(/\.gz$/, '')}.${st.size}.${gzipTrailer(gzPath, st.size)}`;
  const dir = writableCacheDir();
  const out = join(dir, key);
  try {
    const copy = statSync(out);
    if (copy.isFile()) {
      markUsed(out, copy);
      return out;
    }
  } catch {
    // not cached yet
  }
  gunzipFileSync(gzPath, out);
  pruneCopies(dir, out);
  return out;
}

/** The gzip trailer (CRC-32 and size mod 2^32 of the data, its last 8 bytes) in hex. */
function gzipTrailer(path: string, size: number): string {
  if (size < 18) return '0';
  const f = new RandomAccessFile(path);
  try {
    return f.read(size - 8, 8).toString('hex');
  } finally {
    f.close();
  }
}

function markUsed(path: string, st: Stats): void {
  try {
    utimesSync(path, new Date(), st.mtime); // access time = last use; the mtime stays the copy's
  } catch {
    // read-only cache: pruning then goes by when it was made
  }
}

/** A decompressed copy: NAME.SIZE.TRAILER (16 hex digits) */
const COPY_NAME = /^.+\.\d+\.[0-9a-f]{16}$/;
/** a copy named by the previous layout (NAME.SIZE.MTIME_MS): never looked up again */
const OLD_COPY_NAME = /^.+\.\d+\.\d{12,14}$/;
const DEFAULT_COPIES_MAX_MB = 512;

/**
 * Keep the decompressed copies in `dir` under $CRASH_TS_CACHE_MAX_MB (512) together: the least recently used go
 * first, never `keep` (the one just made, which may alone be larger). Copies of the previous layout are removed.
 * A process that still has a removed copy open reads on (the file lives until closed). Errors are ignored.
 */
export function pruneCopies(dir: string, keep: string): void {
  const mb = Number(process.env.CRASH_TS_CACHE_MAX_MB);
  const limit = (Number.isFinite(mb) && mb > 0 ? mb : DEFAULT_COPIES_MAX_MB) * 1048576;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  const copies: { path: string; bytes: number; used: number }[] = [];
  let total = 0;
  for (const name of names) {
    const path = join(dir, name);
    try {
      if (OLD_COPY_NAME.test(name) && !COPY_NAME.test(name) && /^vmlinux/.test(name)) {
        unlinkSync(path);
        continue;
      }
      if (!COPY_NAME.test(name)) continue;
      const st = statSync(path);
      if (!st.isFile()) continue;
      copies.push({ path, bytes: st.size, used: Math.max(st.atimeMs, st.mtimeMs) });
      total += st.size;
    } catch {
      // gone meanwhile
    }
  }
  copies.sort((a, b) => a.used - b.used);
  for (const c of copies) {
    if (total <= limit) break;
    if (c.path === keep) continue;
    try {
      unlinkSync(c.path);
      total -= c.bytes;
    } catch {
      // another process removed it
    }
  }
}

function writableCacheDir(): string {
  const wanted = process.env.CRASH_TS_CACHE ?? join(homedir(), '.cache', 'crash-ts');
  for (const dir of [wanted, join(tmpdir(), 'crash-ts-cache')]) {
    try {
      mkdirSync(dir, { recursive: true });
      accessSync(dir, fsConstants.W_OK);
      return dir;
    } catch {
      // try the next one
    }
  }
  throw new FileError(`no writable cache directory for decompressed files (tried ${wanted} and ${tmpdir()})`);
}

/**
 * Stream-decompress `src` into `dest` synchronously. zlib has no synchronous streaming API, so a
 * worker thread runs the stream pipeline while this thread waits on a shared flag. The output is
 * written to a .part file of its own (process, thread and a random tag: two threads of one process may
 * decompress the same file at once) and renamed, so concurrent openers never see half a file.
 */
function gunzipFileSync(src: string, dest: string): void {
  // loaded here, when a .gz is first decompressed: worker_threads costs every start ~6 ms of CPU otherwise
  const { MessageChannel, receiveMessageOnPort, threadId, Worker } = createRequire(import.meta.url)(
    'node:worker_threads',
  ) as typeof import('node:worker_threads');
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  const part = `${dest}.${process.pid}.${threadId}.${randomTag()}.part`;
  const worker = new Worker(GUNZIP_WORKER, {
    eval: true,
    workerData: { src, part, dest, flag, port: port2 },
    transferList: [port2],
  });
  Atomics.wait(flag, 0, 0);
  const msg = receiveMessageOnPort(port1)?.message as { error?: string } | undefined;
  port1.close();
  void worker.terminate();
  if (flag[0] !== 1) {
    throw new FileError(`${src}: cannot decompress gzip file: ${msg?.error ?? 'unknown error'}`);
  }
}

const GUNZIP_WORKER = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');
const zlib = require('node:zlib');
const { pipeline } = require('node:stream/promises');
const { src, part, dest, flag, port } = workerData;
pipeline(fs.createReadStream(src), zlib.createGunzip(), fs.createWriteStream(part))
  .then(() => { fs.renameSync(part, dest); return 1; })
  .catch((e) => { try { fs.unlinkSync(part); } catch {} port.postMessage({ error: String(e && e.message || e) }); return 2; })
  .then((v) => { Atomics.store(flag, 0, v); Atomics.notify(flag, 0); port.close(); });
`;

function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err && err.code === 'ENOENT') return 'no such file';
  if (err && err.code === 'EACCES') return 'permission denied';
  if (err && err.code === 'EISDIR') return 'is a directory';
  return err?.message ?? String(e);
}
