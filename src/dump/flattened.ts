/**
 * makedumpfile's flattened stream (`makedumpfile -F`, and QEMU's dump-guest-memory -z/-l/-s output):
 * the kdump-compressed file written as a pipe-friendly sequence of records.
 *
 *   struct makedumpfile_header      4096 bytes: "makedumpfile" (16 bytes, NUL padded), int64 type,
 *                                   int64 version, big-endian, then zeros
 *   repeated: struct makedumpfile_data_header { int64 offset; int64 buf_size; } (big-endian)
 *             followed by buf_size bytes meant for `offset` of the reassembled file
 *   terminated by offset = size = -1 (or simply the end of the file)
 *
 * We index the records once and present the reassembled file as a virtual ByteSource, so the
 * kdump parser reads it exactly like a plain kdump file. Bytes no record wrote read as zeros
 * (makedumpfile -R would leave them as holes). Later records win where records overlap.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { ByteSource } from './byte-source.js';
import { KdumpFile, openFileForDump } from './kdump.js';
import type { RandomAccessFile } from './file.js';
import { DumpFormatError } from './types.js';
import type { DumpFile } from './types.js';

export const FLAT_SIGNATURE = 'makedumpfile';
const FLAT_HEADER_SIZE = 4096;
const DATA_HEADER_SIZE = 16;
const SCAN_WINDOW = 64 * 1024;
/** after a record this small, read the next headers through the window (it holds 30 or more of them) */
const SMALL_RECORD = 2048;
/** overlapping records are resolved piecewise; a cluster larger than this is not a real stream */
const MAX_OVERLAP_CLUSTER = 4096;

/** One piece of the reassembled file: `length` bytes at virtual `offset` come from file position `filePos`. */
interface Extent {
  offset: number;
  length: number;
  filePos: number;
}

/** Open a flattened kdump stream (read-only). */
export function openFlattened(path: string): DumpFile {
  const file = openFileForDump(path);
  try {
    const flat = new FlattenedSource(file, path);
    return new KdumpFile(flat, path, { format: 'flattened', describeAs: 'flattened', warnings: flat.warnings });
  } catch (e) {
    file.close();
    throw e;
  }
}

/** Is this the start of a flattened stream? (needs the first 16 bytes) */
export function isFlattenedSignature(head: Buffer): boolean {
  return head.length >= 16 && head.toString('latin1', 0, 16) === FLAT_SIGNATURE + '\0\0\0\0';
}

export class FlattenedSource implements ByteSource {
  readonly size: number;
  readonly warnings: string[] = [];
  /** number of data records in the stream */
  readonly recordCount: number;
  private readonly extents: Extent[];

  constructor(
    private readonly file: RandomAccessFile,
    readonly path: string,
  ) {
    if (file.size < FLAT_HEADER_SIZE) {
      throw new DumpFormatError(`${path}: file is cut short inside the flattened-format header (${file.size} bytes)`);
    }
    const head = file.read(0, 32);
    if (!isFlattenedSignature(head)) throw new DumpFormatError(`${path}: not a makedumpfile flattened stream`);
    const type = head.readBigInt64BE(16);
    const version = head.readBigInt64BE(24);
    if (type !== 1n) this.warnings.push(`flattened header type is ${type}, expected 1`);
    if (version !== 1n) this.warnings.push(`flattened header version is ${version}, expected 1`);

    const records = this.scan();
    this.recordCount = records.length;
    this.extents = resolveOverlaps(records, path);
    const last = this.extents[this.extents.length - 1];
    this.size = last ? last.offset + last.length : 0;
  }

  read(offset: number, length: number): Buffer {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new DumpFormatError(
        `${this.path}: read of ${length} bytes at ${offset} is outside the reassembled dump (${this.size} bytes)`,
      );
    }
    // the virtual size comes from record offsets; no real read can be larger than the stream itself
    if (length > this.file.size) {
      throw new DumpFormatError(
        `${this.path}: read of ${length} bytes is larger than the whole stream (${this.file.size} bytes)`,
      );
    }
    const out = Buffer.alloc(length); // gaps read as zeros
    let i = this.firstExtentEndingAfter(offset);
    const end = offset + length;
    for (; i < this.extents.length && this.extents[i].offset < end; i++) {
      const e = this.extents[i];
      const from = Math.max(offset, e.offset);
      const to = Math.min(end, e.offset + e.length);
      if (to <= from) continue;
      this.file.read(e.filePos + (from - e.offset), to - from).copy(out, from - offset);
    }
    return out;
  }

  close(): void {
    this.file.close();
  }

  /**
   * Walk the record headers once; every step moves forward in the file, so this ends. The headers
   * are read on their own descriptor, not through the block cache (which would read a whole cache
   * block per record, most of the file): through a small window while records are small (QEMU
   * writes a record per few pages), 16 bytes at a time while they are large (makedumpfile: 64 KiB).
   */
  private scan(): Extent[] {
    const fd = openSync(this.file.path, 'r');
    try {
      return this.scanWith(fd);
    } finally {
      closeSync(fd);
    }
  }

  private scanWith(fd: number): Extent[] {
    const out: Extent[] = [];
    const size = this.file.size;
    const win = Buffer.alloc(SCAN_WINDOW);
    let winStart = 0;
    let winLength = 0;
    let lastLength = 0;
    let pos = FLAT_HEADER_SIZE;
    let ended = false;
    while (pos + DATA_HEADER_SIZE <= size) {
      if (pos < winStart || pos + DATA_HEADER_SIZE > winStart + winLength) {
        const want = lastLength < SMALL_RECORD ? Math.min(SCAN_WINDOW, size - pos) : DATA_HEADER_SIZE;
        winStart = pos;
        winLength = readSync(fd, win, 0, want, pos);
        if (winLength < DATA_HEADER_SIZE)
          throw new DumpFormatError(`${this.path}: file shrank while reading (offset ${pos})`);
      }
      const offset = win.readBigInt64BE(pos - winStart);
      const bufSize = win.readBigInt64BE(pos - winStart + 8);
      if (offset === -1n && bufSize === -1n) {
        ended = true;
        break;
      }
      if (offset < 0n || bufSize < 0n || offset + bufSize > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new DumpFormatError(
          `${this.path}: bad flattened record at file offset ${pos}: offset ${offset}, size ${bufSize}`,
        );
      }
      const dataPos = pos + DATA_HEADER_SIZE;
      let length = Number(bufSize);
      if (dataPos + length > size) {
        this.warnings.push(
          `flattened stream is cut short: the record at file offset ${pos} lacks ${dataPos + length - size} bytes`,
        );
        length = size - dataPos;
      }
      if (length > 0) out.push({ offset: Number(offset), length, filePos: dataPos });
      pos = dataPos + length;
      lastLength = length;
    }
    if (!ended && !this.warnings.length) {
      this.warnings.push('flattened stream has no end marker: the file may be cut short');
    }
    return out;
  }

  private firstExtentEndingAfter(offset: number): number {
    let lo = 0;
    let hi = this.extents.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = this.extents[mid];
      if (e.offset + e.length <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * Sort records by target offset into non-overlapping extents. Where records overlap, the one written
 * later in the stream wins, byte range by byte range. Adjacent extents that are also adjacent in the
 * file are merged.
 */
function resolveOverlaps(records: Extent[], path: string): Extent[] {
  const seq = new Map<Extent, number>(records.map((r, i) => [r, i]));
  const sorted = [...records].sort((a, b) => a.offset - b.offset || seq.get(a)! - seq.get(b)!);
  const out: Extent[] = [];
  let i = 0;
  while (i < sorted.length) {
    // a cluster: records connected by overlaps
    let j = i + 1;
    let clusterEnd = sorted[i].offset + sorted[i].length;
    while (j < sorted.length && sorted[j].offset < clusterEnd) {
      clusterEnd = Math.max(clusterEnd, sorted[j].offset + sorted[j].length);
      j++;
    }
    if (j - i === 1) pushMerged(out, sorted[i]);
    else {
      if (j - i > MAX_OVERLAP_CLUSTER) {
        throw new DumpFormatError(`${path}: ${j - i} flattened records overlap each other; not a makedumpfile stream`);
      }
      for (const piece of paintCluster(sorted.slice(i, j), seq)) pushMerged(out, piece);
    }
    i = j;
  }
  return out;
}

/** Split an overlapping cluster at every record boundary; each piece comes from the latest record covering it. */
function paintCluster(cluster: Extent[], seq: Map<Extent, number>): Extent[] {
  const cuts = [...new Set(cluster.flatMap((r) => [r.offset, r.offset + r.length]))].sort((a, b) => a - b);
  const pieces: Extent[] = [];
  for (let k = 0; k + 1 < cuts.length; k++) {
    const from = cuts[k];
    const to = cuts[k + 1];
    let best: Extent | undefined;
    for (const r of cluster) {
      if (r.offset <= from && r.offset + r.length >= to && (!best || seq.get(r)! > seq.get(best)!)) best = r;
    }
    if (best) pieces.push({ offset: from, length: to - from, filePos: best.filePos + (from - best.offset) });
  }
  return pieces;
}

function pushMerged(out: Extent[], e: Extent): void {
  const prev = out[out.length - 1];
  if (prev && prev.offset + prev.length === e.offset && prev.filePos + prev.length === e.filePos) {
    prev.length += e.length;
  } else {
    out.push({ ...e });
  }
}
