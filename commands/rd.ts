/** rd: show memory (kernel virtual, user virtual or physical) in crash's rd layout. */
import { CommandError, type Args, type Command } from '../src/command.js';
import { error, group, type HexDumpView, type View } from '../src/render/view.js';
import type { Session } from '../src/session.js';
import type { Kernel } from '../src/kernel/kernel.js';
import {
  AddressError,
  isKernelAddress,
  isUserAddress,
  parseAddress,
  parseCount,
  symbolizeValue,
} from '../src/kernel/address.js';
import { slabCacheOf } from '../src/kernel/objects/slab.js';

type Space = 'KVADDR' | 'UVADDR' | 'PHYSADDR';
type Unit = 1 | 2 | 4 | 8;

/** What the user asked for, after option parsing. */
export interface RdRequest {
  address: bigint;
  /** units to show; undefined with -a means "up to the first non-printable byte" */
  count: number | undefined;
  unit: Unit;
  ascii: boolean;
  format: 'hex' | 'signed' | 'unsigned';
  symbols: boolean;
  /** -S: slab cache names in brackets; -SS: with the value too */
  slab: 0 | 1 | 2;
  noAscii: boolean;
  netEndian: boolean;
  space: Space;
}

/** Never read more than this for one rd (crash would print gigabytes; we stop with a note). */
export const RD_MAX_BYTES = 16 << 20;
/** rd -a without a count stops at the first non-printable byte, or after this many bytes. */
const ASCII_UNLIMITED_MAX = 1 << 20;
const PAGE = 4096n;

const HEX_DIGITS: Record<Unit, number> = { 1: 2, 2: 4, 4: 8, 8: 16 };
/** decimal field widths per unit (signed, unsigned): crash's printf widths */
const DEC_WIDTH: Record<Unit, [number, number]> = { 1: [3, 3], 2: [5, 5], 4: [12, 12], 8: [15, 20] };
const PER_LINE: Record<Unit, number> = { 1: 16, 2: 8, 4: 4, 8: 2 };
/** column where the ASCII text starts (after the 16-wide address): a full line's width */
const ASCII_COLUMN: Record<Unit, number> = { 1: 67, 2: 59, 4: 55, 8: 53 };
const ASCII_PER_LINE = 60;

const addrText = (a: bigint): string => a.toString(16).padStart(16);
const printable = (b: number): boolean => b >= 0x20 && b < 0x7f;

/** A reader of one address space; throws (MemoryError / PageError) naming the failing address. */
type Reader = (addr: bigint, len: number) => Buffer;

/**
 * The page table (mm->pgd) of the current context's user memory (`set PID`, else the panic task); a kernel
 * thread has none. `what` names the access in the error.
 */
export function currentUserPgd(session: Session, k: Kernel, what: string): bigint {
  const task = session.currentTask();
  if (task === undefined)
    throw new CommandError(`${what}: no current task context to read user memory from (choose one with \`set PID\`)`);
  const t = k.object('struct task_struct', task);
  const mm = t.field('mm').value();
  const comm = t.field('comm').cstring(16);
  if (mm === 0n)
    throw new CommandError(
      `${what}: the current context (task ${task.toString(16)}, "${comm}") is a kernel thread without user memory`,
    );
  return k.object('struct mm_struct', mm).field('pgd').value();
}

function userReader(session: Session, k: Kernel, address: bigint): Reader {
  const pgd = currentUserPgd(session, k, `user address ${address.toString(16)}`);
  return (addr, len) => k.mem.readUser(pgd, addr, len);
}

function readerFor(session: Session, k: Kernel, space: Space, address: bigint): Reader {
  if (space === 'PHYSADDR') return (addr, len) => k.mem.readPhys(addr, len);
  if (space === 'UVADDR') return userReader(session, k, address);
  return (addr, len) => k.read(addr, len);
}

/** Read up to `len` bytes page by page; stop at the first failure (returned with what was read). */
function readUpTo(
  session: Session,
  read: Reader,
  addr: bigint,
  len: number,
  stopAt?: (chunk: Buffer) => number,
): { data: Buffer; failure?: unknown; stoppedEarly: boolean } {
  const parts: Buffer[] = [];
  let done = 0;
  let at = addr;
  while (done < len) {
    session.checkCancelled();
    const chunk = Math.min(len - done, Number(PAGE - (at & (PAGE - 1n))));
    let b: Buffer;
    try {
      b = read(at, chunk);
    } catch (e) {
      return { data: Buffer.concat(parts), failure: e, stoppedEarly: false };
    }
    if (stopAt) {
      const end = stopAt(b);
      if (end >= 0) {
        parts.push(b.subarray(0, end));
        return { data: Buffer.concat(parts), stoppedEarly: true };
      }
    }
    parts.push(b);
    done += chunk;
    at += BigInt(chunk);
  }
  return { data: Buffer.concat(parts), stoppedEarly: false };
}

function unitValue(buf: Buffer, at: number, unit: Unit, netEndian: boolean): bigint {
  switch (unit) {
    case 1:
      return BigInt(buf[at]!);
    case 2:
      return BigInt(netEndian ? buf.readUInt16BE(at) : buf.readUInt16LE(at));
    case 4:
      return BigInt(netEndian ? buf.readUInt32BE(at) : buf.readUInt32LE(at));
    case 8:
      // crash applies network order to 16- and 32-bit words only
      return buf.readBigUInt64LE(at);
  }
}

/** The bytes of a value in memory order after any -N swap (what the ASCII column shows). */
function unitBytes(v: bigint, unit: Unit): number[] {
  const out: number[] = [];
  for (let i = 0; i < unit; i++) out.push(Number((v >> BigInt(8 * i)) & 0xffn));
  return out;
}

function formatWord(k: Kernel, v: bigint, req: RdRequest, radix: 10 | 16): { text: string; symbol?: string } {
  if (req.format === 'hex') {
    if (req.symbols && req.unit === 8) {
      const s = symbolizeValue(k, v, radix);
      if (s) return { text: s.padEnd(16) + ' ', symbol: s };
      const cache = req.slab ? slabCacheOf(k, v) : undefined;
      if (cache) {
        const shown = req.slab === 2 ? `[${v.toString(16)}:${cache}]` : `[${cache}]`;
        return { text: shown.padEnd(16) + ' ', symbol: shown };
      }
    }
    return { text: v.toString(16).padStart(HEX_DIGITS[req.unit], '0') + ' ' };
  }
  const [sw, uw] = DEC_WIDTH[req.unit];
  // crash prints 8- and 16-bit words through int promotion: never negative; 32/64-bit -d are signed
  if (req.format === 'signed' && req.unit >= 4)
    return {
      text:
        BigInt.asIntN(req.unit * 8, v)
          .toString()
          .padStart(sw) + ' ',
    };
  return { text: v.toString().padStart(req.format === 'signed' ? sw : uw) + ' ' };
}

/** Lines of words: "address:  word word ...  ascii". */
export function wordLines(k: Kernel, req: RdRequest, data: Buffer, radix: 10 | 16): HexDumpView {
  const per = PER_LINE[req.unit];
  const withAscii = req.format === 'hex' && !req.symbols && !req.noAscii;
  const n = Math.floor(data.length / req.unit);
  const lines: string[] = [];
  const rows: HexDumpView['rows'] = [];
  for (let first = 0; first < n; first += per) {
    const lineAddr = req.address + BigInt(first * req.unit);
    let line = `${addrText(lineAddr)}:  `;
    let ascii = '';
    const values: (bigint | string)[] = [];
    for (let i = first; i < Math.min(n, first + per); i++) {
      const v = unitValue(data, i * req.unit, req.unit, req.netEndian);
      const w = formatWord(k, v, req, radix);
      line += w.text;
      values.push(w.symbol ?? v);
      for (const b of unitBytes(v, req.unit)) ascii += printable(b) ? String.fromCharCode(b) : '.';
    }
    if (withAscii) line = line.padEnd(ASCII_COLUMN[req.unit]) + '  ' + ascii;
    lines.push(line);
    rows.push(withAscii ? { address: lineAddr, values, ascii } : { address: lineAddr, values });
  }
  return { kind: 'hexdump', lines, rows };
}

/**
 * rd -a: printable runs, 60 characters a line, each line starting with its address; a
 * non-printable byte ends the output when no count was given, else starts a new line.
 */
export function asciiLines(req: RdRequest, data: Buffer): HexDumpView {
  const lines: string[] = [];
  const rows: HexDumpView['rows'] = [];
  let cur: { address: bigint; text: string } | undefined;
  let run = 0;
  let shown = 0;
  const flush = (): void => {
    if (!cur) return;
    lines.push(`${addrText(cur.address)}:  ${cur.text}`);
    rows.push({ address: cur.address, values: [cur.text] });
    cur = undefined;
  };
  for (let i = 0; i < data.length; i++) {
    const b = data[i]!;
    if (!printable(b)) {
      if (req.count === undefined) break;
      run = 0;
      continue;
    }
    if (run % ASCII_PER_LINE === 0) {
      flush();
      cur = { address: req.address + BigInt(i), text: '' };
    }
    cur!.text += String.fromCharCode(b);
    shown++;
    run++;
  }
  flush();
  if (shown === 0 && req.count !== undefined) lines.push('');
  return { kind: 'hexdump', lines, rows };
}

function failureLine(e: unknown, req: RdRequest): string {
  const what = req.ascii ? 'ascii' : `${req.unit * 8}-bit ${req.space}`;
  const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
  return `rd: ${msg}  type: "${what}"`;
}

/** Words of a parenthesized expression split by the line parser, joined again: `(init_task + 8)`. */
export function joinParenthesized(words: string[]): string[] {
  const out: string[] = [];
  let depth = 0;
  for (const w of words) {
    if (depth > 0) out[out.length - 1] += ' ' + w;
    else out.push(w);
    for (const c of w) depth += c === '(' ? 1 : c === ')' ? -1 : 0;
  }
  return out;
}

/** Parse rd's options and arguments into a request (throws CommandError on bad input). */
export function parseRequest(k: Kernel, args: Args): { req: RdRequest; notes: string[] } {
  const f = args.flags;
  const notes: string[] = [];
  args = { ...args, positional: joinParenthesized(args.positional) };
  if (args.positional.length === 0)
    throw new CommandError('give an address or symbol: rd [options] ADDRESS|SYMBOL[+OFFSET] [COUNT]');
  if (args.positional.length > 2) throw new CommandError(`too many arguments: ${args.positional.slice(2).join(' ')}`);
  const unit: Unit = f['8'] ? 1 : f['16'] ? 2 : f['32'] ? 4 : 8;
  const ascii = !!f.a;
  const symbols = !!(f.s || f.S);
  if (symbols && (f['8'] || f['16'] || f['32']))
    throw new CommandError(`-${f.s ? 's' : 'S'}: symbols are shown only with 64-bit words`);
  if (f.p && f.u) throw new CommandError('-p and -u: choose physical or user addresses, not both');
  let address: bigint;
  try {
    address = parseAddress(k, args.positional[0]!);
    if (typeof f.o === 'string') address = BigInt.asUintN(64, address + parseCount(f.o));
  } catch (e) {
    if (e instanceof AddressError) throw new CommandError(e.message);
    throw e;
  }
  let space: Space = f.p ? 'PHYSADDR' : f.u ? 'UVADDR' : 'KVADDR';
  if (space === 'KVADDR' && isUserAddress(address)) space = 'UVADDR'; // as crash: a low address is a user address
  if (space === 'KVADDR' && !isKernelAddress(address))
    throw new CommandError(`invalid kernel virtual address: ${address.toString(16)} (not canonical)`);
  const size = ascii ? 1 : unit;
  let count: number | undefined;
  if (args.positional[1] !== undefined) {
    let c: bigint;
    try {
      c = parseCount(args.positional[1]);
    } catch {
      throw new CommandError(`invalid count: ${args.positional[1]}`);
    }
    if (c <= 0n) throw new CommandError(`invalid count request: ${c}`);
    count = c > BigInt(RD_MAX_BYTES) ? RD_MAX_BYTES + 1 : Number(c);
    if (typeof f.e === 'string') notes.push('rd: ending address ignored when count is specified');
  } else if (typeof f.e === 'string') {
    let end: bigint;
    try {
      end = parseAddress(k, f.e);
    } catch (e) {
      throw new CommandError(e instanceof Error ? e.message : String(e));
    }
    if (end <= address) throw new CommandError(`invalid ending address: ${end.toString(16)}`);
    const bytes = end - address;
    count = Number(bytes / BigInt(size) > BigInt(RD_MAX_BYTES) ? BigInt(RD_MAX_BYTES + 1) : bytes / BigInt(size)) || 1;
  } else if (!ascii) count = 1;
  if (f.R && count !== undefined && count > 1) address -= BigInt((count - 1) * size);
  const format = f.D ? 'unsigned' : f.d ? 'signed' : 'hex';
  return {
    req: {
      address,
      count,
      unit: ascii ? 1 : unit,
      ascii,
      format,
      symbols: symbols && format === 'hex',
      slab: f.S === undefined ? 0 : f.S === true || f.S === 1 ? 1 : 2,
      noAscii: !!f.x,
      netEndian: !!f.N,
      space,
    },
    notes,
  };
}

/** Run a parsed request: the dump lines, then the error line if a page could not be read. */
export function runRequest(session: Session, k: Kernel, req: RdRequest): View {
  const read = readerFor(session, k, req.space, req.address);
  const size = req.ascii ? 1 : req.unit;
  const wanted =
    req.count === undefined ? ASCII_UNLIMITED_MAX : Math.min(req.count, Math.floor(RD_MAX_BYTES / size)) * size;
  const stopAt = req.ascii && req.count === undefined ? (b: Buffer) => b.findIndex((x) => !printable(x)) : undefined;
  const got = readUpTo(session, read, req.address, wanted, stopAt);
  const view = req.ascii ? asciiLines(req, got.data) : wordLines(k, req, got.data, session.settings.radix);
  const extra: View[] = [];
  if (got.failure !== undefined) extra.push(error(failureLine(got.failure, req)));
  else if (req.count !== undefined && req.count * size > wanted)
    extra.push(
      error(`rd: stopped after ${wanted} bytes (at most ${RD_MAX_BYTES} per command: give a smaller COUNT or -e)`),
    );
  if (extra.length === 0) return view;
  if (view.lines.length === 0 || (view.lines.length === 1 && view.lines[0] === '')) return extra[0]!;
  return group(view, ...extra);
}

const rd: Command = {
  name: 'rd',
  summary: 'read memory: words, bytes, decimal, symbols or strings',
  help: `NAME
  rd - show the contents of memory

SYNOPSIS
  rd [-8|-16|-32|-64] [-s|-S|-SS] [-a] [-x] [-d|-D] [-N] [-R] [-p|-u] [-o OFFSET]
     [-e END] ADDRESS|SYMBOL[+OFFSET] [COUNT]

DESCRIPTION
  Shows COUNT units (default 1) of memory starting at ADDRESS: a kernel
  virtual address unless -p or -u says otherwise (an address below the kernel
  half is taken as a user address of the current task, as crash does). Each
  line starts with the address; hexadecimal words are followed by their bytes
  as text ('.' for bytes that are not printable).

  ADDRESS is hexadecimal (ffffffff81000000, 0x1000, 1000 = 0x1000), a symbol
  (linux_banner), or an expression against the symbols: linux_banner+0x10,
  init_task+64 (in expressions plain digits are decimal), (jiffies + 8).
  crash refuses SYMBOL+OFFSET; crash-ts accepts it.

  A page the dump does not hold stops the output with one line that names the
  address and why (excluded by makedumpfile, not in the dump, no page-table
  entry); what was read before it is shown.

OPTIONS
  -8, -16, -32, -64  unit size in bits (default 64)
  -s      show 64-bit words that point into the kernel image as symbol+offset
          (offsets in decimal, or hex under \`set radix 16\`); no text column
  -S      as -s, and a word pointing into a slab object shows its cache: [kmalloc-64]
  -SS     as -S, with the word itself: [ffff8e71c2452000:kmalloc-64]
  -a      the memory as text: printable runs, 60 characters a line; without
          COUNT, stops at the first byte that is not printable
  -x      no text column
  -d, -D  signed / unsigned decimal instead of hexadecimal
  -N      16- and 32-bit words in network (big-endian) byte order
  -R      COUNT units ending at ADDRESS instead of starting there
  -p      ADDRESS is physical
  -u      ADDRESS is a user virtual address of the current task (\`set PID\`)
  -o OFFSET  add OFFSET bytes to ADDRESS (a struct member's offset, say)
  -e END  show up to END instead of COUNT units

  At most ${RD_MAX_BYTES / (1 << 20)} MiB is read by one command.

EXAMPLES
  crash> rd linux_banner 8
  crash> rd -a linux_banner
  crash> rd -s init_task 16
  crash> rd -32 -d jiffies
  crash> rd -p 1000 4
  crash> rd -8 linux_banner+0x10 32`,
  options: {
    '8': '8-bit units',
    '16': '16-bit units',
    '32': '32-bit units',
    '64': '64-bit units',
    s: 'symbols',
    S: 'symbols, and slab cache names in brackets (-SS: with the value)',
    a: 'ASCII strings',
    x: 'no ASCII column',
    d: 'signed decimal',
    D: 'unsigned decimal',
    N: 'network byte order',
    R: 'reverse: end at ADDRESS',
    p: 'physical address',
    u: 'user virtual address',
    o: '=offset',
    e: '=end address',
  },
  needsDump: true,
  run(session, args) {
    const k = session.kernel!;
    const { req, notes } = parseRequest(k, args);
    const view = runRequest(session, k, req);
    return notes.length ? group({ kind: 'text', lines: notes }, view) : view;
  },
};

export default rd;
