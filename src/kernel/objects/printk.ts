/**
 * The kernel log: the lockless printk ring buffer of Linux 5.10+ (kernel/printk/printk_ringbuffer.h).
 *
 *   prb ──> struct printk_ringbuffer { desc_ring, text_data_ring, fail }
 *           desc_ring: prb_desc_ring { count_bits, descs[], infos[], head_id, tail_id }
 *           text_data_ring: prb_data_ring { size_bits, data[], head_lpos, tail_lpos }
 *
 * Record `id` lives in descs[id % count] (its state and the logical positions of its text block)
 * and infos[id % count] (seq, timestamp, level, caller...). Its text block in the data ring starts
 * with the owning descriptor id (an unsigned long), then the text. Every field is found by name
 * through the type info; only the state bits of state_var and the lpos arithmetic are fixed by the
 * ring buffer's design (see the kernel header).
 *
 * The three arrays are read in bulk, page by page; a page that the dump lacks becomes a gap (with
 * its address) and the walk goes on with the records it can still decode.
 */
import type { Kernel } from '../kernel.js';
import type { KObject } from '../value.js';

/** Descriptor states: the top two bits of state_var (enum desc_state in printk_ringbuffer.c). */
export const DescState = { Reserved: 0, Committed: 1, Finalized: 2, Reusable: 3 } as const;

/** printk_info.flags bits (enum printk_info_flags) */
export const LOG_NEWLINE = 2;
export const LOG_CONT = 8;

/** caller_id: bit 31 set means a CPU number (printed C<n>), else a thread id (T<n>). */
export const CALLER_CPU_FLAG = 0x80000000;

export interface PrintkRecord {
  /** descriptor id */
  id: bigint;
  seq: bigint;
  /** nanoseconds since boot (local_clock) */
  tsNsec: bigint;
  /** 0 (emerg) .. 7 (debug) */
  level: number;
  facility: number;
  /** LOG_NEWLINE | LOG_CONT ... */
  flags: number;
  callerId: number;
  /** the raw text bytes as a latin1 string (one char per byte; may hold embedded newlines) */
  text: string;
  /** true for a record without a text block (an empty line) */
  dataless: boolean;
  /** dev_printk_info: SUBSYSTEM= and DEVICE= of dev_printk() messages ('' when unset) */
  subsystem: string;
  device: string;
}

/** Something the walk could not read: the address and what it was. */
export interface PrintkGap {
  address: bigint;
  what: string;
  reason: string;
  /** the descriptor ids affected, when known */
  ids?: [bigint, bigint];
}

/**
 * The records in columns, record i at index i of each, oldest first: what `log` lays out without an object or a
 * bigint per record. Numbers are exact: a 64-bit value that fits in 53 bits is a number, a larger one a bigint
 * (the time stamp is kept as whole seconds and nanoseconds, both always exact numbers).
 */
export interface PrintkColumns {
  length: number;
  /** descriptor id minus the tail id (ids wrap: the id itself is (tailId + idOffset) & DESC_ID_MASK) */
  idOffset: number[];
  seq: (number | bigint)[];
  /** ts_nsec / 10^9 and ts_nsec % 10^9 */
  tsSec: number[];
  tsNsecRem: number[];
  level: number[];
  facility: number[];
  flags: number[];
  callerId: number[];
  /** latin1, '' for a record without text (see dataless) */
  text: string[];
  dataless: boolean[];
  subsystem: string[];
  device: string[];
}

export interface PrintkLog {
  /** the records as objects (made from `columns` when first asked for) */
  readonly records: PrintkRecord[];
  columns: PrintkColumns;
  gaps: PrintkGap[];
  /** descriptors in the ring (1 << count_bits) */
  descCount: number;
  /** bytes in the text data ring (1 << size_bits) */
  textSize: number;
  headId: bigint;
  tailId: bigint;
}

export class PrintkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrintkError';
  }
}

const ULONG = 8;
const PAGE = 4096;
/** refuse rings the kernel cannot have (CONFIG_LOG_BUF_SHIFT is at most 25; log_buf_len= at most ~2 GiB) */
const MAX_DESC_BITS = 26;
const MAX_TEXT_BITS = 31;

const EMPTY = Buffer.alloc(0);

/** page buffers a ring keeps (the walk moves forward through each ring: a few suffice) */
const SLOTS = 4;

/**
 * An array of kernel memory read page by page when first used; unreadable pages are remembered, not
 * fatal. Only the pages a walk touches are read, so a damaged ring header that claims a huge ring costs
 * what the dump holds of it, not what it claims. A page read is copied from the dump's decompressed page
 * into one of a few buffers this array reuses (fresh memory costs a page fault per 4 KiB on first touch:
 * ~15 µs each on a VM, more than the copy), and a record is read where it lies in that buffer, through a
 * DataView (a builtin: cheap even before the JIT has compiled the walk, unlike Buffer's read methods).
 */
class PagedBuffer {
  /** start offsets (within the array) of pages that could not be read, with the reason */
  readonly holes = new Map<number, string>();
  /** per page (index from pageIndex): 0 not read yet, 1 readable, 2 unreadable */
  private readonly state: Uint8Array;
  /** the pages held now: their index (-1: none) and bytes, oldest replaced first */
  private readonly slotPage = new Int32Array(SLOTS).fill(-1);
  private readonly slotBuf: Buffer[] = [];
  private readonly slotView: DataView[] = [];
  private nextSlot = 0;
  /** bytes that cross a page boundary, put together */
  private scratch: Buffer = EMPTY;
  private scratchView: DataView = new DataView(EMPTY.buffer, EMPTY.byteOffset, 0);
  /** bytes from the array's start to its first page boundary */
  private readonly firstLen: number;
  /** the last get()'s bytes: `buf` (and `view` over the same bytes) from `at` on */
  buf: Buffer = EMPTY;
  view: DataView = this.scratchView;
  at = 0;

  constructor(
    private readonly k: Kernel,
    readonly base: bigint,
    readonly length: number,
  ) {
    this.firstLen = PAGE - Number(base & BigInt(PAGE - 1));
    this.state = new Uint8Array(this.pageIndex(Math.max(0, length - 1)) + 1);
  }

  /**
   * Make bytes [off, off+len) readable at `buf`/`view` from `at` on, valid until the next get() (read them, do
   * not keep them); false when a page of them cannot be read (hole() says which).
   */
  get(off: number, len: number): boolean {
    if (off < 0 || len < 0 || off + len > this.length) return false;
    if (len === 0) {
      this.at = 0;
      this.buf = EMPTY;
      return true;
    }
    const first = this.pageIndex(off);
    const last = this.pageIndex(off + len - 1);
    if (first === last) {
      const s = this.slot(first);
      if (s < 0) return false;
      this.at = off - this.pageStart(first);
      this.buf = this.slotBuf[s]!;
      this.view = this.slotView[s]!;
      return true;
    }
    for (let i = first; i <= last; i++)
      if (this.state[i] === 2 || (this.state[i] === 0 && this.slot(i) < 0)) return false;
    if (this.scratch.length < len) {
      this.scratch = Buffer.alloc(Math.max(len, 2 * this.scratch.length));
      this.scratchView = new DataView(this.scratch.buffer, this.scratch.byteOffset, this.scratch.length);
    }
    for (let i = first; i <= last; i++) {
      const page = this.slotBuf[this.slot(i)]!;
      const start = this.pageStart(i);
      const from = Math.max(off, start);
      const to = Math.min(off + len, start + this.pageLength(start));
      page.copy(this.scratch, from - off, from - start, to - start);
    }
    this.at = 0;
    this.buf = this.scratch;
    this.view = this.scratchView;
    return true;
  }

  /** The first unreadable byte range overlapping [off, off+len), as an address and reason. */
  hole(off: number, len: number): { address: bigint; reason: string } | undefined {
    for (let at = off; at < Math.min(off + len, this.length); ) {
      const i = this.pageIndex(at);
      const start = this.pageStart(i);
      if (this.slot(i) < 0) return { address: this.base + BigInt(at), reason: this.holes.get(start)! };
      at = start + this.pageLength(start);
    }
    return undefined;
  }

  /** Index of the page holding offset `off` (the first page may start mid-page). */
  private pageIndex(off: number): number {
    return off < this.firstLen ? 0 : 1 + Math.floor((off - this.firstLen) / PAGE);
  }

  private pageStart(i: number): number {
    return i === 0 ? 0 : this.firstLen + (i - 1) * PAGE;
  }

  private pageLength(start: number): number {
    return Math.min(this.length - start, start === 0 ? this.firstLen : PAGE);
  }

  /** The slot holding page `i` (its first pageLength bytes), read into one if needed; -1 (and a hole) when unreadable. */
  private slot(i: number): number {
    for (let s = 0; s < SLOTS; s++) if (this.slotPage[s] === i) return s;
    if (this.state[i] === 2) return -1;
    const start = this.pageStart(i);
    const len = this.pageLength(start);
    const addr = this.base + BigInt(start);
    const s = this.nextSlot;
    if (!this.slotBuf[s]) {
      const b = Buffer.alloc(PAGE);
      this.slotBuf[s] = b;
      this.slotView[s] = new DataView(b.buffer, b.byteOffset, PAGE);
    }
    const buf = this.slotBuf[s]!;
    try {
      // the dump's own decompressed page is lent: copied before anything else is read
      const lent = this.k.mem.scalarAt(addr, len);
      if (lent) lent.page.copy(buf, 0, lent.offset, lent.offset + len);
      else this.k.read(addr, len).copy(buf, 0);
    } catch (e) {
      this.state[i] = 2;
      this.holes.set(start, e instanceof Error ? e.message : String(e));
      return -1;
    }
    this.state[i] = 1;
    this.slotPage[s] = i;
    this.nextSlot = (s + 1) % SLOTS;
    return s;
  }

  /** Pages that could not be read, merged into runs. */
  runs(): { address: bigint; length: number; reason: string }[] {
    const out: { address: bigint; length: number; reason: string }[] = [];
    const starts = [...this.holes.keys()].sort((a, b) => a - b);
    for (const s of starts) {
      const len = this.pageLength(s);
      const last = out[out.length - 1];
      const reason = this.holes.get(s)!;
      if (last && last.address + BigInt(last.length) === this.base + BigInt(s)) last.length += len;
      else out.push({ address: this.base + BigInt(s), length: len, reason });
    }
    return out;
  }
}

/** Byte offset of a member inside a struct, by name (dotted paths allowed). */
function off(k: Kernel, type: string, path: string): number {
  return k.offsetOf(type, path);
}

/** The printk_ringbuffer the kernel logs into: `prb` points at it (VMCOREINFO names it too). */
function ringBufferAddress(k: Kernel): bigint {
  if (k.hasSymbol('prb')) return k.readU64(k.sym('prb'));
  const fromInfo = k.vmcoreinfo.symbol('prb');
  if (fromInfo !== undefined) return k.readU64(fromInfo);
  throw new PrintkError(
    'no printk ring buffer: the kernel has no "prb" symbol (a kernel older than 5.10 keeps log_buf, not read here)',
  );
}

interface InfoLayout {
  size: number;
  seq: number;
  tsNsec: number;
  textLen: number;
  textLenSize: number;
  facility: number;
  facilitySize: number;
  /** flags:5 and level:3 are bitfields: their bit offsets and widths */
  flagsBit: { bit: number; width: number };
  levelBit: { bit: number; width: number };
  callerId: number;
  subsystem: number;
  subsystemLen: number;
  device: number;
  deviceLen: number;
}

/** Where printk_info's members are, from the type info. */
function infoLayout(k: Kernel): InfoLayout {
  const T = 'struct printk_info';
  const bits = (name: string, fallbackWidth: number): { bit: number; width: number } => {
    const info = k.object(T, 0n).field(name);
    const byte = Number(info.address);
    return { bit: byte * 8 + (info.bits?.offset ?? 0), width: info.bits?.size ?? fallbackWidth * 8 };
  };
  const sizeOfMember = (name: string): number => k.object(T, 0n).field(name).size;
  const hasDev = k.hasMember(T, 'dev_info');
  const devOff = hasDev ? off(k, T, 'dev_info') : 0;
  const D = 'struct dev_printk_info';
  return {
    size: k.sizeOf(T),
    seq: off(k, T, 'seq'),
    tsNsec: off(k, T, 'ts_nsec'),
    textLen: off(k, T, 'text_len'),
    textLenSize: sizeOfMember('text_len'),
    facility: off(k, T, 'facility'),
    facilitySize: sizeOfMember('facility'),
    flagsBit: bits('flags', 1),
    levelBit: bits('level', 1),
    callerId: off(k, T, 'caller_id'),
    subsystem: hasDev ? devOff + off(k, D, 'subsystem') : -1,
    subsystemLen: hasDev ? k.object(D, 0n).field('subsystem').size : 0,
    device: hasDev ? devOff + off(k, D, 'device') : -1,
    deviceLen: hasDev ? k.object(D, 0n).field('device').size : 0,
  };
}

function readBits(v: DataView, base: number, f: { bit: number; width: number }): number {
  const byte = base + (f.bit >> 3);
  const shift = f.bit & 7;
  const raw = f.width + shift <= 8 ? v.getUint8(byte) : v.getUint16(byte, true);
  return (raw >> shift) & ((1 << f.width) - 1);
}

function cstrAt(buf: Buffer, at: number, max: number): string {
  if (at < 0 || buf[at] === 0) return '';
  const end = at + max;
  let i = at;
  while (i < end && buf[i] !== 0) i++;
  return buf.toString('latin1', at, i);
}

/**
 * Where a record's text block lies in the data ring, from its logical positions (prb_data_blk_lpos):
 * `begin`/`next` count bytes written since boot, so `lpos >> size_bits` is the wrap count. A block
 * that would cross the ring's end is stored whole at offset 0 (data_alloc() in
 * printk_ringbuffer.c), so its `next` is one wrap later. begin == next, or the low bit set
 * (NO_LPOS / FAILED_LPOS), marks a record without text. Returns the offset and size (the size
 * includes the leading descriptor id), 'dataless', or why the positions make no sense.
 */
export function textBlockExtent(
  begin: bigint,
  next: bigint,
  sizeBits: number,
): { start: number; size: number } | 'dataless' | string {
  if (begin === next || (begin & 1n) === 1n) return 'dataless';
  const bits = BigInt(sizeBits);
  const ringSize = 1n << bits;
  const mask = ringSize - 1n;
  const wrapsBegin = begin >> bits;
  const wrapsNext = next >> bits;
  // lpos is an unsigned long that starts at -ring size (BLK0_LPOS) and overflows to 0 after the first lap: the
  // wrap count is modulo 2^(64 - size_bits)
  const wrapMask = (1n << (64n - bits)) - 1n;
  let start: bigint;
  let size: bigint;
  if (wrapsBegin === wrapsNext) {
    start = begin & mask;
    size = next - begin;
  } else if (((wrapsBegin + 1n) & wrapMask) === wrapsNext) {
    start = 0n;
    size = next & mask;
  } else return 'invalid logical positions';
  if (size < BigInt(ULONG) || start + size > ringSize) return `invalid block size ${size}`;
  return { start: Number(start), size: Number(size) };
}

/**
 * Read every record of the kernel log, oldest first (tail_id .. head_id), as the kernel and crash
 * show them: only committed and finalized descriptors whose id matches. Cached per session.
 */
export function readPrintkLog(k: Kernel): PrintkLog {
  const cached = k.cache.get('printk.log') as PrintkLog | undefined;
  if (cached) return cached;
  const log = walkRing(k);
  k.cache.set('printk.log', log);
  return log;
}

/** All records, oldest first (convenience for callers that ignore gaps). */
export function printkRecords(k: Kernel): PrintkRecord[] {
  return readPrintkLog(k).records;
}

/** state_var: 2 state bits on top of the id (DESC_ID_MASK), as the high 32 bits' mask */
const ID_MASK = (1n << 62n) - 1n;
const ID_HI_MASK = 0x3fffffff;
const TWO32 = 2 ** 32;
/** below this, hi * 2^32 + lo is exact as a number */
const HI_EXACT = 2 ** 21;

/** An unsigned member of 1, 2, 4 or 8 bytes as a number (8 bytes: exact below 2^53). */
function uintAt(v: DataView, at: number, size: number): number {
  switch (size) {
    case 1:
      return v.getUint8(at);
    case 2:
      return v.getUint16(at, true);
    case 4:
      return v.getUint32(at, true);
    default:
      return v.getUint32(at + 4, true) * TWO32 + v.getUint32(at, true);
  }
}

function emptyColumns(): PrintkColumns {
  return {
    length: 0,
    idOffset: [],
    seq: [],
    tsSec: [],
    tsNsecRem: [],
    level: [],
    facility: [],
    flags: [],
    callerId: [],
    text: [],
    dataless: [],
    subsystem: [],
    device: [],
  };
}

/** The records as objects (ids, sequence numbers and time stamps as bigints). */
function recordsOf(c: PrintkColumns, tailId: bigint): PrintkRecord[] {
  const out: PrintkRecord[] = new Array(c.length);
  for (let i = 0; i < c.length; i++) {
    out[i] = {
      id: (tailId + BigInt(c.idOffset[i]!)) & ID_MASK,
      seq: BigInt(c.seq[i]!),
      tsNsec: BigInt(c.tsSec[i]!) * 1_000_000_000n + BigInt(c.tsNsecRem[i]!),
      level: c.level[i]!,
      facility: c.facility[i]!,
      flags: c.flags[i]!,
      callerId: c.callerId[i]!,
      text: c.text[i]!,
      dataless: c.dataless[i]!,
      subsystem: c.subsystem[i]!,
      device: c.device[i]!,
    };
  }
  return out;
}

function walkRing(k: Kernel): PrintkLog {
  const prbAddr = ringBufferAddress(k);
  const prb: KObject = k.object('struct printk_ringbuffer', prbAddr);
  const descRing = prb.field('desc_ring');
  const dataRing = prb.field('text_data_ring');

  const countBits = descRing.field('count_bits').num();
  const sizeBits = dataRing.field('size_bits').num();
  if (countBits < 0 || countBits > MAX_DESC_BITS)
    throw new PrintkError(`printk ring buffer at ${prbAddr.toString(16)}: implausible count_bits ${countBits}`);
  if (sizeBits < 0 || sizeBits > MAX_TEXT_BITS)
    throw new PrintkError(`printk ring buffer at ${prbAddr.toString(16)}: implausible size_bits ${sizeBits}`);
  const descCount = 2 ** countBits;
  const textSize = 2 ** sizeBits;

  // head_id / tail_id are atomic_long_t { counter }
  const atomic = (o: KObject): bigint => (o.has('counter') ? o.field('counter').value() : o.value());
  const headId = BigInt.asUintN(64, atomic(descRing.field('head_id')));
  const tailId = BigInt.asUintN(64, atomic(descRing.field('tail_id')));

  const descSize = k.sizeOf('struct prb_desc');
  const D = 'struct prb_desc';
  const stateOff = off(k, D, 'state_var');
  const beginOff = off(k, D, 'text_blk_lpos') + off(k, 'struct prb_data_blk_lpos', 'begin');
  const nextOff = off(k, D, 'text_blk_lpos') + off(k, 'struct prb_data_blk_lpos', 'next');
  const info = infoLayout(k);

  // the rings live in the machine's memory: a ring larger than all of it is a damaged header
  const ringBytes = descCount * (descSize + info.size) + textSize;
  const memBytes = k.dump.meta.maxPfn !== undefined ? Number(k.dump.meta.maxPfn) * (k.dump.meta.pageSize || PAGE) : 0;
  if (memBytes > 0 && ringBytes > memBytes)
    throw new PrintkError(
      `printk ring buffer at ${prbAddr.toString(16)}: implausible size (count_bits ${countBits}, size_bits ${sizeBits}: ${ringBytes} bytes, more than the dump's ${memBytes} bytes of memory)`,
    );
  const descs = new PagedBuffer(k, descRing.field('descs').value(), descCount * descSize);
  const infos = new PagedBuffer(k, descRing.field('infos').value(), descCount * info.size);
  const text = new PagedBuffer(k, dataRing.field('data').value(), textSize);
  const gaps: PrintkGap[] = [];
  const cols = emptyColumns();

  // ids run from tail to head; everything per record is worked out in numbers from the tail's 32-bit halves
  // (the id offset stays below the ring's count, at most 2^26)
  const tail = tailId & ID_MASK;
  const total = Number((headId - tail) & ID_MASK);
  const tailLo = Number(tail & 0xffffffffn);
  const tailHi = Number(tail >> 32n);
  const tailSlot = Number(tail % BigInt(descCount));
  const textMask = textSize - 1;
  const idAt = (n: number): bigint => (tail + BigInt(n)) & ID_MASK;

  /** record n (id tail + n) into the columns; or how many ids to skip (their descriptors' page is unreadable) */
  const decode = (n: number): number => {
    const slot = (tailSlot + n) % descCount;
    const dOff = slot * descSize;
    if (!descs.get(dOff, descSize)) {
      // reported once as a run below; every descriptor on the same page is lost with it
      const pageEnd = dOff + PAGE - Number((descs.base + BigInt(dOff)) & BigInt(PAGE - 1));
      return Math.max(1, Math.ceil((Math.min(pageEnd, descs.length) - dOff) / descSize));
    }
    const d = descs.view;
    const da = descs.at;
    const idLoSum = tailLo + n;
    const idLo = idLoSum >= TWO32 ? idLoSum - TWO32 : idLoSum;
    const idHi = (tailHi + (idLoSum >= TWO32 ? 1 : 0)) & ID_HI_MASK;
    const stateHi = d.getUint32(da + stateOff + 4, true);
    if (d.getUint32(da + stateOff, true) !== idLo || (stateHi & ID_HI_MASK) !== idHi) return 1; // overwritten: desc_miss
    const state = stateHi >>> 30;
    if (state !== DescState.Committed && state !== DescState.Finalized) return 1;
    if (!infos.get(slot * info.size, info.size)) return 1;
    const iv = infos.view;
    const ia = infos.at;
    // the text block's logical positions (see textBlockExtent), in numbers while both lie in one 2^32 window
    const bLo = d.getUint32(da + beginOff, true);
    const bHi = d.getUint32(da + beginOff + 4, true);
    const nLo = d.getUint32(da + nextOff, true);
    const nHi = d.getUint32(da + nextOff + 4, true);
    let start = 0;
    let size = 0;
    const dataless = (bLo === nLo && bHi === nHi) || (bLo & 1) === 1;
    if (!dataless) {
      if (bHi === nHi && bLo >>> sizeBits === nLo >>> sizeBits) {
        start = bLo & textMask;
        size = nLo - bLo;
      } else if (bHi === nHi && (bLo >>> sizeBits) + 1 === nLo >>> sizeBits) size = nLo & textMask;
      else {
        // another window or an invalid pair: the exact arithmetic, and the reason if it is invalid
        const ext = bigExtent(n, d, da);
        if (ext < 0) return 1;
        start = ext;
        size = extentSize;
      }
      if (size < ULONG || start + size > textSize) return badBlock(n, d, da, `invalid block size ${size}`);
    }
    let str = '';
    if (!dataless) {
      let len = uintAt(iv, ia + info.textLen, info.textLenSize);
      if (len > size - ULONG) len = size - ULONG; // truncated record
      const tStart = start + ULONG;
      if (!text.get(tStart, len)) {
        textHole(tStart, len, iv, ia);
        return 1;
      }
      str = text.buf.toString('latin1', text.at, text.at + len);
    }
    const tsHi = iv.getUint32(ia + info.tsNsec + 4, true);
    const tsLo = iv.getUint32(ia + info.tsNsec, true);
    if (tsHi < HI_EXACT) {
      // exact below 2^53 ns (~104 days): seconds by division, corrected so that the remainder is exact
      const ts = tsHi * TWO32 + tsLo;
      let sec = Math.floor(ts / 1e9);
      let rem = ts - sec * 1e9;
      if (rem < 0) {
        sec -= 1;
        rem += 1e9;
      } else if (rem >= 1e9) {
        sec += 1;
        rem -= 1e9;
      }
      cols.tsSec.push(sec);
      cols.tsNsecRem.push(rem);
    } else bigStamp(tsHi, tsLo);
    const seqHi = iv.getUint32(ia + info.seq + 4, true);
    cols.seq.push(seqHi < HI_EXACT ? seqHi * TWO32 + iv.getUint32(ia + info.seq, true) : bigSeq(iv, ia));
    cols.idOffset.push(n);
    cols.level.push(readBits(iv, ia, info.levelBit));
    cols.facility.push(uintAt(iv, ia + info.facility, info.facilitySize));
    cols.flags.push(readBits(iv, ia, info.flagsBit));
    cols.callerId.push(iv.getUint32(ia + info.callerId, true));
    cols.text.push(str);
    cols.dataless.push(dataless);
    cols.subsystem.push(info.subsystem < 0 ? '' : cstrAt(infos.buf, ia + info.subsystem, info.subsystemLen));
    cols.device.push(info.device < 0 ? '' : cstrAt(infos.buf, ia + info.device, info.deviceLen));
    cols.length++;
    return 1;
  };
  // the rare cases, out of decode's way: positions that straddle a 2^32 boundary (the first lap ends at 2^64),
  // invalid positions, unreadable text, values beyond 2^53
  const lposAt = (d: DataView, at: number): bigint => d.getBigUint64(at, true);
  let extentSize = 0;
  /** the text block's start (and extentSize), or -1 after recording why the positions are invalid */
  const bigExtent = (n: number, d: DataView, da: number): number => {
    const ext = textBlockExtent(lposAt(d, da + beginOff), lposAt(d, da + nextOff), sizeBits);
    if (typeof ext === 'string') {
      if (ext !== 'dataless') badBlock(n, d, da, ext);
      return -1;
    }
    extentSize = ext.size;
    return ext.start;
  };
  const badBlock = (n: number, d: DataView, da: number, why: string): number => {
    const begin = lposAt(d, da + beginOff);
    const next = lposAt(d, da + nextOff);
    gaps.push({
      address: text.base + (begin & BigInt(textMask)),
      what: `text block of record ${idAt(n)} (lpos ${begin.toString(16)}..${next.toString(16)})`,
      reason: why,
    });
    return 1;
  };
  const textHole = (tStart: number, len: number, iv: DataView, ia: number): void => {
    const hole = text.hole(tStart, len);
    if (hole) gaps.push({ address: hole.address, what: `text of record seq ${bigSeq(iv, ia)}`, reason: hole.reason });
  };
  const bigSeq = (iv: DataView, ia: number): bigint => iv.getBigUint64(ia + info.seq, true);
  const bigStamp = (hi: number, lo: number): void => {
    const ts = (BigInt(hi) << 32n) | BigInt(lo);
    cols.tsSec.push(Number(ts / 1_000_000_000n));
    cols.tsNsecRem.push(Number(ts % 1_000_000_000n));
  };
  // from tail to head inclusive; never more than the ring holds
  const last = Math.min(total, descCount);
  for (let n = 0; n <= last; ) {
    const step = decode(n);
    if (n >= total) break;
    n += Math.min(step, total - n);
  }
  // the unreadable parts of the rings the walk needed, before the records' own gaps
  const ringGaps: PrintkGap[] = [];
  for (const [name, b] of [
    ['descriptor ring (prb_desc)', descs],
    ['info ring (printk_info)', infos],
    ['text data ring', text],
  ] as const) {
    for (const r of b.runs())
      ringGaps.push({ address: r.address, what: `${name}, ${r.length} bytes`, reason: r.reason });
  }
  gaps.unshift(...ringGaps);
  let records: PrintkRecord[] | undefined;
  return {
    get records(): PrintkRecord[] {
      return (records ??= recordsOf(cols, tail));
    },
    columns: cols,
    gaps,
    descCount,
    textSize,
    headId,
    tailId,
  };
}

/**
 * Where the kernel log says why the machine died, as crash finds it: the first line, oldest first,
 * that contains one of the kernel's fatal-message prefixes below, taken from that prefix on. So an
 * oops that ended in "Kernel panic - not syncing: Fatal exception" is named by its earlier
 * "Oops: 0002 [#1] ..." line (6.12 prints "Oops: Oops: ..."), while sysrq-c on a current kernel (whose
 * "sysrq: Trigger a crash" is none of them) is named by its "Kernel panic - not syncing" line.
 */
const FATAL_PREFIXES = [
  'SysRq : Crash', // sysrq wording before 5.x
  'SysRq : Trigger a crash',
  'SysRq : Netdump',
  'Kernel panic: ',
  'Kernel panic - ',
  'Kernel BUG at',
  'kernel BUG at',
  'Unable to handle kernel paging request',
  'Unable to handle kernel NULL pointer dereference',
  'BUG: unable to handle kernel ',
  'general protection fault: ',
  'double fault: ',
  'divide error: ',
  'stack segment: ',
  '[Hardware Error]: ',
  'Bad mode in ',
  'Oops: ',
];

export interface PanicLine {
  record: PrintkRecord;
  /** the line from the matched prefix on, without a trailing newline */
  text: string;
}

export function findPanicLine(records: readonly PrintkRecord[]): PanicLine | undefined {
  return firstLineWith(records, FATAL_PREFIXES) ?? firstLineWith(records, OOPS_HEADERS);
}

/**
 * Oops headers current kernels print without any of crash's prefixes: with panic_on_oops the dump is taken
 * in oops_end() before panic() logs a "Kernel panic" line, so for a general protection fault ("general
 * protection fault, probably for non-canonical address ...") crash finds nothing and shows PANIC: "". We show
 * the header the kernel printed.
 */
const OOPS_HEADERS = ['general protection fault', 'BUG: ', 'kernel BUG', 'Oops', 'Unable to handle'];

function firstLineWith(records: readonly PrintkRecord[], prefixes: readonly string[]): PanicLine | undefined {
  for (const record of records) {
    for (const line of record.text.split('\n')) {
      let at = -1;
      for (const p of prefixes) {
        const i = line.indexOf(p);
        if (i >= 0 && (at < 0 || i < at)) at = i;
      }
      if (at >= 0) return { record, text: line.slice(at).trimEnd() };
    }
  }
  return undefined;
}

/** The record holding the panic line (findPanicLine). */
export function findPanicRecord(records: readonly PrintkRecord[]): PrintkRecord | undefined {
  return findPanicLine(records)?.record;
}

/** The panic line ("Kernel panic - not syncing: sysrq triggered crash", "Oops: 0002 [#1] ..."). */
export function panicMessage(k: Kernel): string | undefined {
  return findPanicLine(printkRecords(k))?.text;
}
