/**
 * makedumpfile's compressed kdump format ("KDUMP   ", and the older "DISKDUMP" signature).
 *
 * File layout, in blocks of `block_size` bytes (= the page size):
 *   block 0                         struct disk_dump_header
 *   block 1 .. sub_hdr_size         struct kdump_sub_header (+ VMCOREINFO, ELF notes, erase info)
 *   next bitmap_blocks blocks       two bitmaps of equal size: 1st = pfns that exist in memory,
 *                                   2nd = pfns written to the dump (bit pfn%8 of byte pfn/8)
 *   then                            struct page_desc [one per set bit of the 2nd bitmap, pfn order]
 *   then                            page data, where each descriptor points
 *
 * The header is read at open; the 2nd bitmap is read once and turned into a rank table so that a
 * pfn's descriptor index (set bits below it) costs O(1); the 1st bitmap is read only when a
 * failed lookup needs to tell "excluded" from "not present"; descriptors and pages on demand.
 */
import { RandomAccessFile } from './file.js';
import type { ByteSource } from './byte-source.js';
import {
  compressionNames,
  decompressPage,
  DUMP_DH_COMPRESSED_INCOMPLETE,
  DUMP_DH_EXCLUDED_VMEMMAP,
} from './decompress.js';
import { PageCache } from './page-cache.js';
import { cpuRegistersFromNotes, vmcoreinfoFromNotes } from './prstatus.js';
import { DumpFormatError, PageError } from './types.js';
import type { CpuRegisters, DumpFile, DumpMeta, Note } from './types.js';
import { parseNotes, trimNulText } from '../elf/notes.js';

// struct disk_dump_header (makedumpfile diskdump_mod.h), x86_64 / LP64 little-endian layout
const SIG_LEN = 8;
const H_VERSION = 8;
const H_UTSNAME = 12; // struct new_utsname: 6 fields of 65 bytes
const UTS_FIELD = 65;
const H_TIMESTAMP = 408; // struct timeval, 8-aligned after the utsname
const H_STATUS = 424;
const H_BLOCK_SIZE = 428;
const H_SUB_HDR_SIZE = 432;
const H_BITMAP_BLOCKS = 436;
const H_MAX_MAPNR = 440; // 32-bit; superseded by sub-header max_mapnr_64 from version 6
const H_CURRENT_CPU = 456;
const H_NR_CPUS = 460;
const HEADER_SIZE = 464;

// struct kdump_sub_header (offsets within block 1); which fields exist depends on header_version
const S_PHYS_BASE = 0;
const S_DUMP_LEVEL = 8; // version >= 1
const S_SPLIT = 12; // version >= 2
const S_START_PFN = 16;
const S_END_PFN = 24;
const S_OFFSET_VMCOREINFO = 32; // version >= 3
const S_SIZE_VMCOREINFO = 40;
const S_OFFSET_NOTE = 48; // version >= 4
const S_SIZE_NOTE = 56;
const S_START_PFN_64 = 80; // version >= 6
const S_END_PFN_64 = 88;
const S_MAX_MAPNR_64 = 96;
const SUB_HEADER_V6_SIZE = 104;

/** struct page_desc: off_t offset, u32 size, u32 flags, u64 page_flags */
const PAGE_DESC_SIZE = 24;
/** page descriptors read at a time (170 of them, so none straddles two chunks), and how many such chunks are kept */
const DESC_CHUNK = PAGE_DESC_SIZE * 170;
const DESC_CHUNKS = 256;
/** page data read at a time (pageData) */
const DATA_WINDOW = 16 * 1024;

/** bits of the 2nd bitmap per rank-table entry (8 x 32-bit words) */
const RANK_CHUNK_BITS = 256;
/** a note area larger than this is not a real one (a kernel writes a few KiB per CPU) */
const MAX_NOTE_BYTES = 64 << 20;
/** how much of the end of the descriptor table is checked at open for a cut file */
const TAIL_DESC_BYTES = 64 << 10;

export interface KdumpHeader {
  signature: string;
  version: number;
  utsname: { sysname: string; nodename: string; release: string; version: string; machine: string; domainname: string };
  timestamp: number;
  status: number;
  blockSize: number;
  subHdrSize: number;
  bitmapBlocks: number;
  maxMapnr: number;
  currentCpu: number;
  nrCpus: number;
  /** from the sub-header (undefined for old "DISKDUMP" files without a kdump sub-header) */
  physBase?: bigint;
  dumpLevel?: number;
  split?: { startPfn: number; endPfn: number };
}

export interface KdumpOptions {
  /** meta.format (default "kdump"); the flattened reader passes "flattened" */
  format?: string;
  /** prefix of meta.description, e.g. "makedumpfile flattened" */
  describeAs?: string;
  /** warnings found by a wrapping layer (e.g. the flattened stream's index) */
  warnings?: string[];
}

/** Open a kdump-compressed file (read-only). Throws DumpFormatError with one line naming the file. */
export function openKdump(path: string): DumpFile {
  const file = openFileForDump(path);
  try {
    return new KdumpFile(file, path);
  } catch (e) {
    file.close();
    throw e;
  }
}

/** Open a file read-only, turning open errors into DumpFormatError. */
export function openFileForDump(path: string): RandomAccessFile {
  try {
    return new RandomAccessFile(path);
  } catch (e) {
    throw new DumpFormatError((e as Error).message);
  }
}

export class KdumpFile implements DumpFile {
  readonly meta: DumpMeta;
  readonly header: KdumpHeader;
  readonly notes: Note[];
  readonly vmcoreinfo: string | undefined;
  private cpuRegs: CpuRegisters[] | undefined;

  private readonly pageSize: number;
  /** pfns below this are covered by the bitmaps */
  private readonly maxPfn: number;
  private readonly bitmapOffset: number;
  private readonly bitmapBytes: number; // of each of the two bitmaps
  private readonly descOffset: number;
  private readonly dumped: Uint32Array; // 2nd bitmap
  private readonly rank: Float64Array; // set bits of `dumped` before each RANK_CHUNK_BITS chunk
  private exists: Uint32Array | undefined; // 1st bitmap, read on demand
  private readonly firstDescIndex: number; // for split files: rank of start_pfn
  private readonly cache = new PageCache(1024);
  /** chunks of the page descriptor table by index (FIFO, DESC_CHUNKS of them) */
  private readonly descChunks = new Map<number, Buffer>();
  /** the last DATA_WINDOW bytes of page data read (see pageData) */
  private dataWindow: { start: number; buf: Buffer } | undefined;
  private windowBuf: Buffer | undefined;

  constructor(
    private readonly src: ByteSource,
    readonly path: string,
    opts: KdumpOptions = {},
  ) {
    const warnings = [...(opts.warnings ?? [])];
    if (src.size < HEADER_SIZE) {
      throw new DumpFormatError(`${path}: file is cut short inside the kdump header (${src.size} bytes)`);
    }
    const h = this.readHeader();
    this.pageSize = h.blockSize;

    // block 1..: the kdump sub-header (absent in the original diskdump format)
    const subOff = h.blockSize;
    const subBytes = h.subHdrSize * h.blockSize;
    let sub: Buffer | undefined;
    if (h.signature === 'KDUMP   ' && h.subHdrSize > 0) {
      const want = Math.min(subBytes, SUB_HEADER_V6_SIZE);
      if (subOff + want > src.size) throw new DumpFormatError(`${path}: file is cut short inside the kdump sub-header`);
      sub = src.read(subOff, want);
      parseSubHeader(h, sub, path);
    }

    this.bitmapOffset = (1 + h.subHdrSize) * h.blockSize;
    const bitmapTotal = h.bitmapBlocks * h.blockSize;
    if (h.bitmapBlocks % 2 !== 0 || h.bitmapBlocks === 0) {
      throw new DumpFormatError(
        `${path}: bad kdump header: bitmap_blocks is ${h.bitmapBlocks} (must be even and non-zero)`,
      );
    }
    if (this.bitmapOffset + bitmapTotal > src.size) {
      throw new DumpFormatError(
        `${path}: file is cut short inside the page bitmaps (they end at ${this.bitmapOffset + bitmapTotal}, the file at ${src.size})`,
      );
    }
    this.bitmapBytes = bitmapTotal / 2;
    this.descOffset = this.bitmapOffset + bitmapTotal;
    const bitmapPfns = this.bitmapBytes * 8;
    if (h.maxMapnr > bitmapPfns) {
      warnings.push(`header says ${h.maxMapnr} page frames but the bitmaps cover ${bitmapPfns}; using ${bitmapPfns}`);
    }
    this.maxPfn = Math.min(h.maxMapnr, bitmapPfns);
    this.header = h;

    this.dumped = toWords(src.read(this.bitmapOffset + this.bitmapBytes, this.bitmapBytes));
    this.rank = rankTable(this.dumped);
    this.firstDescIndex = h.split ? this.rankOf(Math.min(h.split.startPfn, this.maxPfn)) : 0;

    if (h.status & DUMP_DH_COMPRESSED_INCOMPLETE) {
      warnings.push('the dump is incomplete: makedumpfile stopped before writing every page (disk full?)');
    }
    if (h.status & DUMP_DH_EXCLUDED_VMEMMAP) warnings.push('unused vmemmap pages were excluded from the dump');
    if (h.split) {
      const { startPfn, endPfn } = h.split;
      warnings.push(
        endPfn > startPfn
          ? `this is one file of a split dump: pfns ${startPfn}..${endPfn - 1} only`
          : 'this is an empty file of a split dump: it holds no pages',
      );
    }
    this.checkLength(warnings);

    // notes and VMCOREINFO from the sub-header's pointers
    this.notes = [];
    let vmcoreinfo: string | undefined;
    if (sub && h.version >= 4) {
      const noteOff = Number(sub.readBigInt64LE(S_OFFSET_NOTE));
      const noteSize = Number(sub.readBigUInt64LE(S_SIZE_NOTE));
      const area = this.readArea(noteOff, noteSize, 'ELF note', warnings);
      if (area) {
        const parsed = parseNotes(area);
        this.notes = parsed.notes;
        if (parsed.error) warnings.push(`ELF notes: ${parsed.error}`);
      }
    }
    vmcoreinfo = vmcoreinfoFromNotes(this.notes);
    if (vmcoreinfo === undefined && sub && h.version >= 3) {
      const off = Number(sub.readBigInt64LE(S_OFFSET_VMCOREINFO));
      const size = Number(sub.readBigUInt64LE(S_SIZE_VMCOREINFO));
      const area = this.readArea(off, size, 'VMCOREINFO', warnings);
      if (area) vmcoreinfo = trimNulText(area);
    }
    this.vmcoreinfo = vmcoreinfo;

    const fromQemu = this.notes.some((n) => n.name === 'QEMU');
    if (vmcoreinfo === undefined) {
      warnings.push(
        fromQemu
          ? 'no VMCOREINFO in the dump (QEMU writes it only when the guest has the vmcoreinfo device)'
          : 'no VMCOREINFO in the dump',
      );
    }
    const compression = compressionNames(h.status).join('+');
    const u = h.utsname;
    this.meta = {
      format: opts.format ?? 'kdump',
      description: `${opts.describeAs ? opts.describeAs + ' ' : ''}kdump-compressed (${compression})`,
      path,
      pageSize: h.blockSize,
      dumpLevel: h.dumpLevel,
      // crash marks any filtered dump "[PARTIAL DUMP]"; QEMU writes every page whatever its dump_level field says
      partial: !fromQemu && (h.dumpLevel ?? 0) !== 0,
      compression,
      producer: fromQemu ? 'QEMU' : 'makedumpfile',
      utsname: { sysname: u.sysname, nodename: u.nodename, release: u.release, version: u.version, machine: u.machine },
      timestamp: h.timestamp,
      nrCpus: h.nrCpus,
      maxPfn: BigInt(this.maxPfn),
      splitRange: h.split ? { startPfn: BigInt(h.split.startPfn), endPfn: BigInt(h.split.endPfn) } : undefined,
      warnings,
    };
  }

  get cpus(): CpuRegisters[] {
    this.cpuRegs ??= cpuRegistersFromNotes(this.notes);
    return this.cpuRegs;
  }

  isPresent(paddr: bigint): boolean {
    const pfn = this.pfnOf(paddr);
    return pfn !== undefined && this.inRange(pfn) && testBit(this.dumped, pfn);
  }

  readPhys(paddr: bigint, length: number): Buffer {
    const ps = BigInt(this.pageSize);
    const first = Number(paddr % ps);
    if (first + length <= this.pageSize) {
      // the common case, a read inside one page: one copy, no zero-filling
      const out = Buffer.allocUnsafe(length);
      this.page(paddr).copy(out, 0, first, first + length);
      return out;
    }
    const out = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const at = paddr + BigInt(done);
      const inPage = Number(at % ps);
      const n = Math.min(length - done, this.pageSize - inPage);
      const page = this.page(at);
      page.copy(out, done, inPage, inPage + n);
      done += n;
    }
    return out;
  }

  pageAt(paddr: bigint): Buffer {
    return this.page(paddr);
  }

  close(): void {
    this.cache.clear();
    this.src.close();
  }

  /** The decompressed page holding `paddr`; throws PageError. */
  private page(paddr: bigint): Buffer {
    const pfn = this.pfnOf(paddr);
    if (pfn === undefined) {
      throw new PageError(paddr, 'not-present', `beyond the last page frame of the dump (${this.maxPfn})`);
    }
    const hit = this.cache.get(pfn);
    if (hit) return hit;
    if (!this.inRange(pfn)) throw new PageError(paddr, 'not-present', 'in another file of this split dump');
    if (!testBit(this.dumped, pfn)) {
      if (this.existsInMemory(pfn))
        throw new PageError(paddr, 'excluded', `dump level ${this.header.dumpLevel ?? '?'}`);
      throw new PageError(paddr, 'not-present');
    }
    const descPos = this.descOffset + (this.rankOf(pfn) - this.firstDescIndex) * PAGE_DESC_SIZE;
    if (descPos + PAGE_DESC_SIZE > this.src.size)
      throw new PageError(paddr, 'truncated', 'its page descriptor is past the end of the file');
    const { d, at } = this.descriptor(descPos);
    const offset = pageDataOffset(d, at);
    const size = d.readUInt32LE(at + 8);
    const flags = d.readUInt32LE(at + 12);
    if (offset === 0 && size === 0)
      throw new PageError(paddr, 'truncated', 'the page was never written (incomplete dump)');
    if (size === 0 || size > this.pageSize || offset < this.descOffset) {
      throw new PageError(paddr, 'corrupt', `bad page descriptor: offset ${offset}, size ${size}`);
    }
    if (offset + size > this.src.size)
      throw new PageError(paddr, 'truncated', `its data at file offset ${offset} is past the end of the file`);
    let page: Buffer;
    try {
      const stored = this.pageData(offset, size);
      page = decompressPage(flags, stored, this.pageSize, this.cache.spare(this.pageSize));
    } catch (e) {
      throw new PageError(paddr, 'corrupt', (e as Error).message);
    }
    this.cache.set(pfn, page);
    return page;
  }

  /**
   * The stored bytes of one page. Pages the kernel keeps together (a slab of task_structs is 8 contiguous pages)
   * lie one after another in the file: one read of DATA_WINDOW bytes serves the next ones too, without the 64 KiB
   * block cache's copy of a whole block per page.
   */
  private pageData(offset: number, size: number): Buffer {
    const w = this.dataWindow;
    if (w && offset >= w.start && offset + size <= w.start + w.buf.length)
      return w.buf.subarray(offset - w.start, offset - w.start + size);
    if (!this.src.readUncached) return this.src.read(offset, size);
    const len = Math.max(size, Math.min(DATA_WINDOW, this.src.size - offset));
    let buf: Buffer;
    if (this.src.readInto) {
      // one window buffer reused for every read: a new 16 KiB buffer per read was most of the page reads' cost
      // (fresh memory to fault in, then garbage); decompressPage copies what it keeps
      if (!this.windowBuf || this.windowBuf.length < len)
        this.windowBuf = Buffer.allocUnsafe(Math.max(len, DATA_WINDOW));
      buf = this.src.readInto(offset, len, this.windowBuf);
    } else buf = this.src.readUncached(offset, len);
    this.dataWindow = { start: offset, buf };
    return buf.subarray(0, size);
  }

  /**
   * The page descriptor at file offset `pos`: a buffer and the descriptor's offset in it. Descriptors are read
   * in chunks of DESC_CHUNK bytes kept in a small cache of their own (a task walk asks for pages all over
   * memory: the file's 64 KiB block cache would copy a block per 24-byte descriptor).
   */
  private descriptor(pos: number): { d: Buffer; at: number } {
    const chunk = Math.floor((pos - this.descOffset) / DESC_CHUNK);
    let d = this.descChunks.get(chunk);
    const start = this.descOffset + chunk * DESC_CHUNK;
    if (!d) {
      const len = Math.min(DESC_CHUNK, this.src.size - start);
      d = this.src.readUncached ? this.src.readUncached(start, len) : this.src.read(start, len);
      if (this.descChunks.size >= DESC_CHUNKS) this.descChunks.delete(this.descChunks.keys().next().value as number);
      this.descChunks.set(chunk, d);
    }
    return { d, at: pos - start };
  }

  private pfnOf(paddr: bigint): number | undefined {
    if (paddr < 0n) return undefined;
    // bigint constants made once: pfnOf runs for every read of a page (a task walk: ~100,000 times)
    const pfn = paddr / (this.pageSizeBig ??= BigInt(this.pageSize));
    return pfn < (this.maxPfnBig ??= BigInt(this.maxPfn)) ? Number(pfn) : undefined;
  }

  private pageSizeBig: bigint | undefined;
  private maxPfnBig: bigint | undefined;

  private inRange(pfn: number): boolean {
    const s = this.header.split;
    return !s || (pfn >= s.startPfn && pfn < s.endPfn);
  }

  private existsInMemory(pfn: number): boolean {
    this.exists ??= toWords(this.src.read(this.bitmapOffset, this.bitmapBytes));
    return testBit(this.exists, pfn);
  }

  /** Number of dumped pfns below `pfn`. */
  private rankOf(pfn: number): number {
    const chunk = Math.floor(pfn / RANK_CHUNK_BITS);
    let n = this.rank[chunk];
    const words = this.dumped;
    const lastWord = Math.floor(pfn / 32);
    for (let w = chunk * (RANK_CHUNK_BITS / 32); w < lastWord; w++) n += popcount32(words[w]);
    const bit = pfn % 32;
    if (bit) n += popcount32(words[lastWord] & ((1 << bit) - 1));
    return n;
  }

  /** Note (as warnings) a file cut inside the descriptors or the page data. */
  private checkLength(warnings: string[]): void {
    const s = this.header.split;
    const count =
      (s ? this.rankOf(Math.min(s.endPfn, this.maxPfn)) : this.rank[this.rank.length - 1]) - this.firstDescIndex;
    if (count <= 0) return;
    const descEnd = this.descOffset + count * PAGE_DESC_SIZE;
    if (descEnd > this.src.size) {
      const have = Math.max(0, Math.floor((this.src.size - this.descOffset) / PAGE_DESC_SIZE));
      warnings.push(`file is cut short: only ${have} of ${count} page descriptors are present`);
      return;
    }
    // Page data follows pfn order, but runs of zero pages all point back at one shared copy near the
    // start: take the furthest data end among the last descriptors (at most 64 KiB of them).
    const tail = Math.min(count, Math.floor(TAIL_DESC_BYTES / PAGE_DESC_SIZE));
    const descs = this.src.read(descEnd - tail * PAGE_DESC_SIZE, tail * PAGE_DESC_SIZE);
    let end = 0;
    for (let i = 0; i < tail; i++) {
      const at = i * PAGE_DESC_SIZE;
      end = Math.max(end, pageDataOffset(descs, at) + descs.readUInt32LE(at + 8));
    }
    if (end > this.src.size) warnings.push(`file is cut short: page data ends at ${end}, the file at ${this.src.size}`);
  }

  /** Read a sub-header area (notes, VMCOREINFO) if it lies inside the file. */
  private readArea(offset: number, size: number, what: string, warnings: string[]): Buffer | undefined {
    if (size === 0) return undefined;
    if (!Number.isSafeInteger(offset) || offset < 0 || size > MAX_NOTE_BYTES || offset + size > this.src.size) {
      warnings.push(`${what} area (offset ${offset}, ${size} bytes) is outside the file; ignored`);
      return undefined;
    }
    return this.src.read(offset, size);
  }

  private readHeader(): KdumpHeader {
    const path = this.path;
    const b = this.src.read(0, HEADER_SIZE);
    const signature = b.toString('latin1', 0, SIG_LEN);
    if (signature !== 'KDUMP   ' && signature !== 'DISKDUMP') {
      throw new DumpFormatError(`${path}: not a kdump-compressed file (signature ${JSON.stringify(signature)})`);
    }
    const str = (off: number, len: number) => {
      const s = b.toString('latin1', off, off + len);
      const nul = s.indexOf('\0');
      return nul < 0 ? s : s.slice(0, nul);
    };
    const uts = (i: number) => str(H_UTSNAME + i * UTS_FIELD, UTS_FIELD);
    const blockSize = b.readInt32LE(H_BLOCK_SIZE);
    if (blockSize < 512 || blockSize > 1 << 20 || (blockSize & (blockSize - 1)) !== 0) {
      throw new DumpFormatError(`${path}: bad kdump header: block size ${blockSize}`);
    }
    const subHdrSize = b.readInt32LE(H_SUB_HDR_SIZE);
    const bitmapBlocks = b.readUInt32LE(H_BITMAP_BLOCKS);
    if (subHdrSize < 0 || (1 + subHdrSize) * blockSize > this.src.size) {
      throw new DumpFormatError(
        subHdrSize < 0 || subHdrSize > 1 << 20
          ? `${path}: bad kdump header: sub-header of ${subHdrSize} blocks`
          : `${path}: file is cut short inside the kdump sub-header (${this.src.size} bytes)`,
      );
    }
    return {
      signature,
      version: b.readInt32LE(H_VERSION),
      utsname: {
        sysname: uts(0),
        nodename: uts(1),
        release: uts(2),
        version: uts(3),
        machine: uts(4),
        domainname: uts(5),
      },
      timestamp: Number(b.readBigInt64LE(H_TIMESTAMP)),
      status: b.readUInt32LE(H_STATUS),
      blockSize,
      subHdrSize,
      bitmapBlocks,
      maxMapnr: b.readUInt32LE(H_MAX_MAPNR),
      currentCpu: b.readUInt32LE(H_CURRENT_CPU),
      nrCpus: b.readInt32LE(H_NR_CPUS),
    };
  }
}

/** Fill the header fields that live in the kdump sub-header, by header version. */
function parseSubHeader(h: KdumpHeader, sub: Buffer, path: string): void {
  const has = (end: number) => sub.length >= end;
  if (has(S_DUMP_LEVEL)) h.physBase = sub.readBigUInt64LE(S_PHYS_BASE);
  if (h.version >= 1 && has(S_DUMP_LEVEL + 4)) h.dumpLevel = sub.readInt32LE(S_DUMP_LEVEL);
  let split = false;
  if (h.version >= 2 && has(S_END_PFN + 8)) {
    split = sub.readInt32LE(S_SPLIT) !== 0;
    if (split)
      h.split = {
        startPfn: safePfn(sub.readBigUInt64LE(S_START_PFN)),
        endPfn: safePfn(sub.readBigUInt64LE(S_END_PFN)),
      };
  }
  if (h.version >= 6 && has(SUB_HEADER_V6_SIZE)) {
    const max64 = sub.readBigUInt64LE(S_MAX_MAPNR_64);
    // the 32-bit header field is truncated on machines with more than 2^32 page frames
    if (max64 > 0n) h.maxMapnr = safePfn(max64);
    if (split)
      h.split = {
        startPfn: safePfn(sub.readBigUInt64LE(S_START_PFN_64)),
        endPfn: safePfn(sub.readBigUInt64LE(S_END_PFN_64)),
      };
  }
  if (h.split && h.split.endPfn < h.split.startPfn) {
    throw new DumpFormatError(`${path}: bad kdump sub-header: split range ${h.split.startPfn}..${h.split.endPfn}`);
  }
}

/** pfns are compared against the bitmap size later; clamp absurd values to something a number holds. */
function safePfn(v: bigint): number {
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

/** Copy bytes into an aligned Uint32Array (little-endian host: bit n is bit n%32 of word n/32). */
function toWords(bytes: Buffer): Uint32Array {
  const words = new Uint32Array(Math.ceil(bytes.length / 4));
  new Uint8Array(words.buffer).set(bytes);
  return words;
}

/** rank[i] = set bits before chunk i (RANK_CHUNK_BITS per chunk); the last entry is the total. */
function rankTable(words: Uint32Array): Float64Array {
  const wordsPerChunk = RANK_CHUNK_BITS / 32;
  const rank = new Float64Array(Math.ceil(words.length / wordsPerChunk) + 1);
  let total = 0;
  for (let w = 0; w < words.length; w++) {
    if (w % wordsPerChunk === 0) rank[w / wordsPerChunk] = total;
    total += popcount32(words[w]);
  }
  rank[rank.length - 1] = total;
  return rank;
}

function testBit(words: Uint32Array, bit: number): boolean {
  return ((words[Math.floor(bit / 32)] >>> bit % 32) & 1) === 1;
}

function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/**
 * A page descriptor's data offset (off_t) from its two halves: the same number Number(readBigInt64LE) gives (both
 * round the exact value once), without a bigint per descriptor (2,730 of them cost a start ~5 ms that way).
 */
function pageDataOffset(d: Buffer, at: number): number {
  return d.readInt32LE(at + 4) * 0x100000000 + d.readUInt32LE(at);
}
