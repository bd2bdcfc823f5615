/**
 * Per-page decompression for makedumpfile's kdump-compressed format. The page descriptor's flags
 * say which compressor wrote the page (struct page_desc.flags, values shared with
 * disk_dump_header.status in makedumpfile's diskdump_mod.h).
 */
import { createRequire } from 'node:module';
import { constants as zlibConstants, createInflate, inflateSync } from 'node:zlib';
import type snappyModule from 'snappyjs';
import type * as fzstdModule from 'fzstd';
import { lzo1xDecompress } from './lzo.js';

// snappyjs and fzstd are required on the first page that needs them: most dumps are zlib or lzo, and
// importing snappyjs (CommonJS) at start-up makes Node set up its CommonJS loader, ~10 ms of every start.
const requireHere = createRequire(import.meta.url);
let snappyLoaded: typeof snappyModule | undefined;
let fzstdLoaded: typeof fzstdModule | undefined;
const snappy = (): typeof snappyModule => (snappyLoaded ??= requireHere('snappyjs') as typeof snappyModule);
const zstdDecompress: typeof fzstdModule.decompress = (data, out) =>
  (fzstdLoaded ??= requireHere('fzstd') as typeof fzstdModule).decompress(data, out);

export const DUMP_DH_COMPRESSED_ZLIB = 0x1;
export const DUMP_DH_COMPRESSED_LZO = 0x2;
export const DUMP_DH_COMPRESSED_SNAPPY = 0x4;
export const DUMP_DH_COMPRESSED_INCOMPLETE = 0x8; // header status only: makedumpfile stopped early
export const DUMP_DH_EXCLUDED_VMEMMAP = 0x10; // header status only
export const DUMP_DH_COMPRESSED_ZSTD = 0x20;

const COMPRESSION_BITS =
  DUMP_DH_COMPRESSED_ZLIB | DUMP_DH_COMPRESSED_LZO | DUMP_DH_COMPRESSED_SNAPPY | DUMP_DH_COMPRESSED_ZSTD;

/** Names of the compressors a flags word declares ("zlib", "lzo"...), or ["none"]. */
export function compressionNames(flags: number): string[] {
  const names: string[] = [];
  if (flags & DUMP_DH_COMPRESSED_ZLIB) names.push('zlib');
  if (flags & DUMP_DH_COMPRESSED_LZO) names.push('lzo');
  if (flags & DUMP_DH_COMPRESSED_SNAPPY) names.push('snappy');
  if (flags & DUMP_DH_COMPRESSED_ZSTD) names.push('zstd');
  return names.length ? names : ['none'];
}

/** The stored bytes of one page could not be turned back into a page. */
export class DecompressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DecompressError';
  }
}

/**
 * Turn one stored page back into `pageSize` bytes. `flags` is page_desc.flags; a page with no
 * compression flag is stored raw and must be exactly one page long. `into`, a buffer of a page the caller no
 * longer needs, receives a raw, zlib or lzo page (the other formats make their own).
 */
export function decompressPage(flags: number, data: Buffer, pageSize: number, into?: Buffer): Buffer {
  const kind = flags & COMPRESSION_BITS;
  let out: Uint8Array;
  try {
    switch (kind) {
      case 0:
        // always a copy: the data may be a view into kdump's read window, which the next read overwrites
        if (into !== undefined && into.length === data.length) {
          data.copy(into);
          out = into;
        } else out = Buffer.from(data);
        break;
      case DUMP_DH_COMPRESSED_ZLIB:
        // one output chunk a little larger than a page: zlib's default 16 KiB chunk would make every cached
        // page hold a 16 KiB buffer, and a chunk of exactly a page costs a second round through zlib
        out = pageInflater.inflate(data, pageSize, into);
        break;
      case DUMP_DH_COMPRESSED_LZO:
        out = lzo1xDecompress(data, pageSize, into);
        break;
      case DUMP_DH_COMPRESSED_SNAPPY:
        out = snappy().uncompress(data, pageSize);
        break;
      case DUMP_DH_COMPRESSED_ZSTD:
        out = decompressZstd(data, pageSize);
        break;
      default:
        throw new DecompressError(`unknown compression flags 0x${flags.toString(16)}`);
    }
  } catch (e) {
    if (e instanceof DecompressError) throw e;
    const name = compressionNames(kind).join('+');
    throw new DecompressError(`${name}: ${(e as Error).message ?? String(e)}`);
  }
  if (out.length !== pageSize) {
    throw new DecompressError(
      `${compressionNames(kind).join('+')} page gave ${out.length} bytes, expected ${pageSize}`,
    );
  }
  return Buffer.isBuffer(out) ? out : Buffer.from(out.buffer, out.byteOffset, out.length);
}

/**
 * fzstd sizes its output from the frame's declared content size: check that size first so a bad
 * page cannot make it allocate more than a page. (Decompressing into a caller's buffer is much
 * slower in fzstd, so it is used only when the frame does not declare its size.)
 */
function decompressZstd(data: Buffer, pageSize: number): Uint8Array {
  const declared = zstdContentSize(data);
  if (declared === undefined) return zstdDecompress(data, new Uint8Array(pageSize));
  if (declared !== pageSize) throw new DecompressError(`zstd frame declares ${declared} bytes, expected ${pageSize}`);
  return zstdDecompress(data);
}

/** Frame_Content_Size from a zstd frame header (RFC 8878 section 3.1.1.1), if the frame has one. */
function zstdContentSize(data: Buffer): number | undefined {
  if (data.length < 6 || data.readUInt32LE(0) !== 0xfd2fb528) return undefined;
  const fhd = data[4];
  const fcsFlag = fhd >> 6;
  const singleSegment = (fhd >> 5) & 1;
  const dictIdBytes = [0, 1, 2, 4][fhd & 3];
  const fcsBytes = [singleSegment ? 1 : 0, 2, 4, 8][fcsFlag];
  if (fcsBytes === 0) return undefined;
  const at = 5 + (singleSegment ? 0 : 1) + dictIdBytes;
  if (at + fcsBytes > data.length) return undefined;
  switch (fcsBytes) {
    case 1:
      return data[at];
    case 2:
      return data.readUInt16LE(at) + 256;
    case 4:
      return data.readUInt32LE(at);
    default: {
      const v = data.readBigUInt64LE(at);
      return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
    }
  }
}

/**
 * The part of a Node zlib stream's native handle used here (not a public API: node:zlib's own inflateSync drives
 * it the same way). writeSync runs inflate() once over the given input and output; the stream's _writeState then
 * holds [output bytes left, input bytes left]; onerror is called, synchronously, when zlib reports an error.
 */
interface ZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOff: number,
    inLen: number,
    out: Uint8Array,
    outOff: number,
    outLen: number,
  ): void;
  reset(): void;
  onerror: (message: string, errno: number) => void;
}

/**
 * One zlib inflate context reused for every page (reset between pages) instead of a new stream per page, as
 * inflateSync makes: building the stream object and its native context cost about as much as inflating a page.
 * Each page is inflated into a scratch buffer a little larger than a page, so a stream that gives more than a
 * page, or ends early, or lacks its end (zlib's "unexpected end of file") is an error, as with inflateSync; the
 * page is then copied out. Falls back to inflateSync when the handle is not what this expects.
 */
class PageInflater {
  private handle: ZlibHandle | undefined;
  private state: Uint32Array | undefined;
  private scratch = Buffer.alloc(0);
  private error: string | undefined;
  private usable = true;

  inflate(data: Buffer, pageSize: number, into?: Buffer): Buffer {
    if (!this.usable) return inflateSync(data, { maxOutputLength: pageSize, chunkSize: pageSize + 64 });
    if (!this.handle && !this.open()) return this.inflate(data, pageSize);
    const h = this.handle!;
    const room = pageSize + 64;
    if (this.scratch.length !== room) this.scratch = Buffer.allocUnsafe(room);
    this.error = undefined;
    try {
      h.writeSync(zlibConstants.Z_FINISH, data, 0, data.length, this.scratch, 0, room);
    } catch (e) {
      this.handle = undefined; // a native assertion: make a new context next time
      throw e;
    }
    const outLeft = this.state![0]; // bytes after the stream's end are ignored, as inflateSync ignores them
    if (this.error !== undefined) {
      this.handle = undefined; // after an error the context is not reused
      throw new DecompressError(`zlib: ${this.error}`);
    }
    h.reset();
    const produced = room - outLeft;
    if (outLeft === 0) throw new DecompressError(`zlib page gave more than ${pageSize} bytes`);
    if (produced !== pageSize) throw new DecompressError(`zlib page gave ${produced} bytes, expected ${pageSize}`);
    const page = into?.length === pageSize ? into : Buffer.allocUnsafe(pageSize);
    this.scratch.copy(page, 0, 0, pageSize);
    return page;
  }

  private open(): boolean {
    const stream = createInflate() as unknown as { _handle?: ZlibHandle; _writeState?: Uint32Array };
    const h = stream._handle;
    if (
      !h ||
      typeof h.writeSync !== 'function' ||
      typeof h.reset !== 'function' ||
      !(stream._writeState instanceof Uint32Array)
    ) {
      this.usable = false;
      return false;
    }
    // errors come back here, not as an 'error' event that destroys the stream
    h.onerror = (message: string) => {
      this.error = message;
    };
    this.handle = h;
    this.state = stream._writeState;
    return true;
  }
}

const pageInflater = new PageInflater();
