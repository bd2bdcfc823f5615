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

export interface PrintkLog {
  records: PrintkRecord[];
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

/**
 * An array of kernel memory read page by page when first used; unreadable pages are remembered, not
 * fatal. Only the pages a walk touches are read and kept, so a damaged ring header that claims a huge
 * ring costs what the dump holds of it, not what it claims.
 */
class PagedBuffer {
  /** start offsets (within the array) of pages that could not be read, with the reason */
  readonly holes = new Map<number, string>();
  private readonly pages = new Map<number, Buffer>();

  constructor(
    private readonly k: Kernel,
    readonly base: bigint,
    readonly length: number,
  ) {}

  /** Bytes [off, off+len), or undefined when a page of them cannot be read (hole() says which). */
  get(off: number, len: number): Buffer | undefined {
    if (off < 0 || len < 0 || off + len > this.length) return undefined;
    const parts: Buffer[] = [];
    for (let at = off; at < off + len; ) {
      const start = this.pageStart(at);
      const page = this.page(start);
      if (!page) return undefined;
      const from = at - start;
      const n = Math.min(page.length - from, off + len - at);
      parts.push(page.subarray(from, from + n));
      at += n;
    }
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  /** The first unreadable byte range overlapping [off, off+len), as an address and reason. */
  hole(off: number, len: number): { address: bigint; reason: string } | undefined {
    for (let at = off; at < Math.min(off + len, this.length); ) {
      const start = this.pageStart(at);
      if (!this.page(start)) return { address: this.base + BigInt(at), reason: this.holes.get(start)! };
      at = start + this.pageLength(start);
    }
    return undefined;
  }

  /** Offset of the start of the page holding offset `off` (the first page may start mid-page). */
  private pageStart(off: number): number {
    const intoPage = Number((this.base + BigInt(off)) & BigInt(PAGE - 1));
    return Math.max(0, off - intoPage);
  }

  private pageLength(start: number): number {
    return Math.min(this.length - start, PAGE - Number((this.base + BigInt(start)) & BigInt(PAGE - 1)));
  }

  private page(start: number): Buffer | undefined {
    const hit = this.pages.get(start);
    if (hit || this.holes.has(start)) return hit;
    try {
      const b = this.k.read(this.base + BigInt(start), this.pageLength(start));
      this.pages.set(start, b);
      return b;
    } catch (e) {
      this.holes.set(start, e instanceof Error ? e.message : String(e));
      return undefined;
    }
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

function u64(buf: Buffer, at: number): bigint {
  return buf.readBigUInt64LE(at);
}

/** An unsigned integer member (1, 2, 4 or 8 bytes) read from a buffer at its BTF offset. */
function uint(buf: Buffer, at: number, size: number): bigint {
  switch (size) {
    case 1:
      return BigInt(buf.readUInt8(at));
    case 2:
      return BigInt(buf.readUInt16LE(at));
    case 4:
      return BigInt(buf.readUInt32LE(at));
    default:
      return buf.readBigUInt64LE(at);
  }
}

/** uint() as a number (a member of up to 4 bytes, or 8 below 2^53). */
function uintNum(buf: Buffer, at: number, size: number): number {
  return size <= 4
    ? size === 4
      ? buf.readUInt32LE(at)
      : size === 2
        ? buf.readUInt16LE(at)
        : buf.readUInt8(at)
    : Number(uint(buf, at, size));
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

function readBits(buf: Buffer, base: number, f: { bit: number; width: number }): number {
  const byte = base + (f.bit >> 3);
  const shift = f.bit & 7;
  const raw = f.width + shift <= 8 ? buf.readUInt8(byte) : buf.readUInt16LE(byte);
  return (raw >> shift) & ((1 << f.width) - 1);
}

function cstrAt(buf: Buffer, at: number, max: number): string {
  if (at < 0) return '';
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

  const ID_MASK = (1n << 62n) - 1n; // state_var: 2 state bits on top of the id (DESC_ID_MASK)
  const records: PrintkRecord[] = [];
  const count = BigInt(descCount);
  const ringMask = BigInt(textSize - 1);
  let id = tailId & ID_MASK;
  const head = headId & ID_MASK;
  /** a record, undefined (none at this id), or how many ids to skip (their descriptors' page is unreadable) */
  const decode = (id: bigint): PrintkRecord | undefined | number => {
    const slot = Number(id % count);
    const dOff = slot * descSize;
    const d = descs.get(dOff, descSize);
    if (!d) {
      // reported once as a run below; every descriptor on the same page is lost with it
      const pageEnd = dOff + PAGE - Number((descs.base + BigInt(dOff)) & BigInt(PAGE - 1));
      return Math.max(1, Math.ceil((Math.min(pageEnd, descs.length) - dOff) / descSize));
    }
    const stateVar = u64(d, stateOff);
    if ((stateVar & ID_MASK) !== id) return undefined; // overwritten: desc_miss
    const state = Number(stateVar >> 62n);
    if (state !== DescState.Committed && state !== DescState.Finalized) return undefined;
    const ib = infos.get(slot * info.size, info.size);
    if (!ib) return undefined;
    const base: PrintkRecord = {
      id,
      seq: u64(ib, info.seq),
      tsNsec: u64(ib, info.tsNsec),
      level: readBits(ib, 0, info.levelBit),
      facility: uintNum(ib, info.facility, info.facilitySize),
      flags: readBits(ib, 0, info.flagsBit),
      callerId: ib.readUInt32LE(info.callerId),
      text: '',
      dataless: false,
      subsystem: cstrAt(ib, info.subsystem, info.subsystemLen),
      device: cstrAt(ib, info.device, info.deviceLen),
    };
    const begin = u64(d, beginOff);
    const next = u64(d, nextOff);
    const ext = textBlockExtent(begin, next, sizeBits);
    if (ext === 'dataless') {
      base.dataless = true;
      return base;
    }
    if (typeof ext === 'string') {
      gaps.push({
        address: text.base + (begin & ringMask),
        what: `text block of record ${id} (lpos ${begin.toString(16)}..${next.toString(16)})`,
        reason: ext,
      });
      return undefined;
    }
    const { start, size } = ext;
    let len = uintNum(ib, info.textLen, info.textLenSize);
    if (len > size - ULONG) len = size - ULONG; // truncated record
    const tStart = start + ULONG;
    const bytes = text.get(tStart, len);
    if (!bytes) {
      const hole = text.hole(tStart, len);
      if (hole) gaps.push({ address: hole.address, what: `text of record seq ${base.seq}`, reason: hole.reason });
      return undefined;
    }
    base.text = bytes.toString('latin1');
    return base;
  };
  // from tail to head inclusive; never more than the ring holds
  for (let n = 0; n <= descCount; ) {
    const rec = decode(id);
    const step = typeof rec === 'number' ? rec : 1;
    if (rec !== undefined && typeof rec !== 'number') records.push(rec);
    const left = (head - id) & ID_MASK;
    if (left === 0n) break;
    const by = BigInt(step) < left ? BigInt(step) : left;
    id = (id + by) & ID_MASK;
    n += Number(by);
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
  return { records, gaps, descCount, textSize, headId, tailId };
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
