/** search: find a value or a string in kernel, user or physical memory, crash's way. */
import { CommandError, type Args, type Command } from '../src/command.js';
import { evaluateAddressExpression } from '../src/kernel/expr/index.js';
import { parseAddress, parseCount } from '../src/kernel/address.js';
import type { Kernel } from '../src/kernel/kernel.js';
import {
  readableChunks,
  searchableRanges,
  taskStacks,
  type Chunk,
  type KernelParts,
  type Range,
  type SearchSpace,
} from '../src/kernel/objects/search.js';
import { taskHeader } from '../src/kernel/objects/tasks.js';
import { text } from '../src/render/view.js';
import type { Session } from '../src/session.js';
import { wordLines, type RdRequest } from './rd.js';

/** crash shows this many characters from where a string matched (less at the end of a page). */
const STRING_CONTEXT = 56;
/** Stop after this many matches: a search for 0 would otherwise print millions of lines. */
export const SEARCH_MAX_MATCHES = 100_000;

interface Target {
  value: bigint;
  /** what the user typed when it was a symbol or an expression, shown after each match */
  label: string;
}

function targetOf(k: Kernel, word: string): Target {
  if (word.startsWith('('))
    return { value: evaluateAddressExpression(k, word, (m) => new CommandError(m)), label: word };
  if (/^(0x)?[0-9a-f]+$/i.test(word)) return { value: parseAddress(k, word), label: '' };
  const sym = k.symbols.lookupAny(word);
  if (!sym) throw new CommandError(`symbol not found: ${word}`);
  return { value: sym.address, label: `(${word})` };
}

function printable(b: number): boolean {
  return b >= 0x20 && b < 0x7f;
}

function contextLines(
  k: Kernel,
  space: SearchSpace,
  address: bigint,
  count: number,
  unit: 2 | 4 | 8,
  mm?: bigint,
): string[] {
  if (count <= 0) return [];
  const len = count * unit;
  let data: Buffer | undefined;
  for (const c of readableChunks(
    k,
    space,
    [{ start: address, end: address + BigInt(len) }],
    address,
    address + BigInt(len),
    mm,
  ))
    data = data ? Buffer.concat([data, c.data]) : c.data;
  if (!data || data.length < len) return [];
  const req: RdRequest = {
    address,
    count,
    unit,
    ascii: false,
    format: 'hex',
    symbols: false,
    slab: 0,
    noAscii: false,
    netEndian: false,
    space: space === 'user' ? 'UVADDR' : space === 'physical' ? 'PHYSADDR' : 'KVADDR',
  };
  return wordLines(k, req, data, 16).lines;
}

const search: Command = {
  name: 'search',
  summary: 'search memory for values or strings',
  needsDump: true,
  options: {
    s: '=start address',
    e: '=end address',
    l: '=length in bytes',
    m: '=mask of bits to ignore',
    x: '=context: words to show before and after each match',
    k: 'kernel virtual memory (the default)',
    K: 'kernel virtual memory but the vmalloc areas',
    V: 'only the vmalloc areas of kernel virtual memory',
    t: 'only the kernel stack of every task',
    T: 'only the kernel stack of every running task',
    u: "user memory of the current context's task",
    p: 'physical memory',
    c: 'search for strings',
    w: '32-bit values',
    h: '16-bit values',
  },
  help: `NAME
  search - find values or strings in memory

SYNOPSIS
  search [-s START] [-e END | -l LENGTH] [-k | -K | -V | -u | -p | -t | -T]
         [-m MASK] [-x COUNT] [-c | -w | -h] VALUE|SYMBOL|(EXPRESSION)|STRING ...

DESCRIPTION
  Looks through memory for each 64-bit VALUE (hexadecimal), the address of
  SYMBOL, or the value of an (EXPRESSION), at every 8-byte aligned place, and
  prints "ADDRESS: VALUE" for each match (with the symbol or expression after
  it). -w and -h look for 32- and 16-bit values instead; -c for strings,
  printing what follows each match (56 characters, less at a page's end; a
  string that runs from one page into the next is found as well).

  Kernel memory (the default) is searched where it is mapped: the direct map
  of every page the dump holds, vmalloc areas (module memory too) and the
  kernel image, in address order; -K leaves the vmalloc areas out, -V
  searches only them. -t searches only each task's kernel stack and names the
  task (PID, TASK, CPU, COMMAND) above its matches; -T does so for the tasks
  running on a CPU. -u searches the mapped memory of the current context's
  task (set PID chooses it), -p physical memory. Pages the dump does not hold
  are skipped. START and END (or LENGTH) limit the search.
  At most ${SEARCH_MAX_MATCHES} matches are printed.

OPTIONS
  -s START   start here (an address, symbol or expression)
  -e END     stop before this address
  -l LENGTH  search LENGTH bytes from START
  -m MASK    ignore the bits set in MASK when comparing
  -x COUNT   show COUNT values before and after each match, rd's way
  -k, -K, -V kernel virtual memory: all of it (default), all but the vmalloc
             areas, or only the vmalloc areas
  -t, -T     every task's kernel stack, or only running tasks' stacks
  -u, -p     user memory of the current context, or physical memory
  -c         STRING arguments (quote ones with spaces)
  -w, -h     32-bit or 16-bit values

EXAMPLES
  crash> search -c "Linux version"
  crash> search -s init_task -l 4096 ffffffff89c1b2d0
  crash> search -t ffff8e71824c8000
  crash> search -K -c "expected magic"
  crash> search -p -m ffff babe0000
  crash> search -u deadbeef`,
  run(session: Session, args) {
    const k = session.kernel!;
    const f = args.flags;
    if (args.positional.length === 0)
      throw new CommandError('give a value, symbol, (expression) or -c string to look for');
    const stacks = f.t || f.T;
    if (stacks && (f.k || f.K || f.V || f.u || f.p || f.s !== undefined || f.e !== undefined || f.l !== undefined))
      throw new CommandError(
        `-${f.t ? 't' : 'T'} searches task stacks only: it takes no -s, -e, -l, -k, -K, -V, -u or -p`,
      );
    if ([f.k, f.K, f.V, f.u, f.p].filter(Boolean).length > 1)
      throw new CommandError('choose one memory: -k, -K, -V, -u or -p');
    const space: SearchSpace = f.p ? 'physical' : f.u ? 'user' : 'kernel';
    let mm: bigint | undefined;
    if (space === 'user') {
      const task = session.currentTask();
      mm = task === undefined ? 0n : k.object('struct task_struct', task).field('mm').value();
      if (!mm)
        throw new CommandError('the current context has no user memory (a kernel thread): choose a task with set PID');
    }
    const addr = (w: string): bigint => {
      try {
        return space === 'physical' ? parseCount(w.startsWith('0x') ? w : '0x' + w) : parseAddress(k, w);
      } catch (err) {
        throw new CommandError((err as Error).message);
      }
    };
    const from = typeof f.s === 'string' ? addr(f.s) : 0n;
    let to = (1n << 64n) - 1n;
    if (typeof f.e === 'string') to = addr(f.e);
    else if (typeof f.l === 'string') to = from + parseCount(f.l);
    if (to <= from) throw new CommandError(`the end ${to.toString(16)} is not above the start ${from.toString(16)}`);
    const parts: KernelParts = f.K ? 'no-vmalloc' : f.V ? 'vmalloc-only' : 'all';

    const find = f.c ? stringFinder(args.positional) : valueFinder(k, args, space, mm);
    const lines: string[] = [];
    let matches = 0;
    const run = (ranges: Range[], start: bigint, end: bigint, out: string[]) => {
      for (const line of find(readableChunks(k, space, ranges, start, end, mm), () => session.checkCancelled())) {
        if (matches >= SEARCH_MAX_MATCHES) return;
        out.push(line.text);
        if (line.match) matches++;
      }
    };
    if (stacks) {
      for (const { task, range } of taskStacks(k, !!f.T)) {
        const found: string[] = [];
        run([range], range.start, range.end, found);
        if (found.length) lines.push(taskHeader(task), ...found);
      }
    } else {
      const ranges =
        typeof f.s === 'string' && (typeof f.e === 'string' || typeof f.l === 'string')
          ? [{ start: from, end: to }]
          : searchableRanges(k, space, mm, parts);
      run(ranges, from, to, lines);
    }
    if (matches >= SEARCH_MAX_MATCHES)
      lines.push(`search: stopped after ${SEARCH_MAX_MATCHES} matches (narrow it with -s/-e/-l or -m)`);
    return text(lines, { matches });
  },
};

/** An output line: a match, or context around one (-x). */
interface Found {
  text: string;
  match: boolean;
}

type Finder = (chunks: Iterable<Chunk>, tick: () => void) => Generator<Found>;

/**
 * -c: each string at any byte, with what follows it (up to 56 characters, not past the page it is on). A
 * string that begins at the end of one page and ends on the next (read next) is found too, and shown with
 * the 56 characters from its start, crash's way.
 */
function stringFinder(words: string[]): Finder {
  const needles = words.map((w) => Buffer.from(w, 'latin1'));
  return function* (chunks, tick) {
    let prev: Chunk | undefined;
    for (const chunk of chunks) {
      tick();
      const d = chunk.data;
      // strings that began on the previous page: their first m bytes end it, the rest starts this one
      if (prev && prev.address + BigInt(prev.data.length) === chunk.address)
        for (const n of needles)
          for (let m = Math.min(n.length - 1, prev.data.length); m >= 1; m--) {
            const head = prev.data.subarray(prev.data.length - m);
            if (!head.equals(n.subarray(0, m)) || !d.subarray(0, n.length - m).equals(n.subarray(m))) continue;
            const after = d.subarray(n.length - m, n.length - m + Math.max(0, STRING_CONTEXT - n.length));
            yield { text: `${(chunk.address - BigInt(m)).toString(16)}: ${shown(n)}${shown(after)}`, match: true };
          }
      const hits: { at: number; text: string }[] = [];
      for (const n of needles)
        for (let i = d.indexOf(n); i >= 0; i = d.indexOf(n, i + 1))
          hits.push({ at: i, text: shown(d.subarray(i, Math.min(d.length, i + STRING_CONTEXT))) });
      hits.sort((a, b) => a.at - b.at);
      for (const h of hits) yield { text: `${(chunk.address + BigInt(h.at)).toString(16)}: ${h.text}`, match: true };
      prev = chunk;
    }
  };
}

function shown(b: Buffer): string {
  let s = '';
  for (const c of b) s += printable(c) ? String.fromCharCode(c) : '.';
  return s;
}

/** A value (or symbol, or expression) at every aligned place, 64-, 32- (-w) or 16-bit (-h), under a mask. */
function valueFinder(k: Kernel, args: Args, space: SearchSpace, mm: bigint | undefined): Finder {
  const f = args.flags;
  const unit: 2 | 4 | 8 = f.h ? 2 : f.w ? 4 : 8;
  const bits = BigInt(unit * 8);
  const limit = (1n << bits) - 1n;
  const mask =
    typeof f.m === 'string'
      ? BigInt.asUintN(Number(bits), ~parseCount(f.m.startsWith('0x') ? f.m : '0x' + f.m))
      : limit;
  const targets = args.positional.map((w) => targetOf(k, w));
  for (const t of targets)
    if (t.value > limit)
      throw new CommandError(`value ${t.value.toString(16)} is too large for a ${unit * 8}-bit search`);
  const ctx = typeof f.x === 'string' ? Number(parseCount(f.x)) : 0;
  // compare as two 32-bit halves: no BigInt per word
  const want = targets.map((t) => ({
    lo: Number(t.value & mask & 0xffffffffn),
    hi: Number(((t.value & mask) >> 32n) & 0xffffffffn),
    t,
  }));
  const mlo = Number(mask & 0xffffffffn);
  const mhi = Number((mask >> 32n) & 0xffffffffn);
  return function* (chunks, tick) {
    for (const chunk of chunks) {
      tick();
      const d = chunk.data;
      const skew = Number(chunk.address % BigInt(unit));
      for (let i = skew === 0 ? 0 : unit - skew; i + unit <= d.length; i += unit) {
        const lo = (unit === 8 ? d.readUInt32LE(i) : unit === 4 ? d.readUInt32LE(i) : d.readUInt16LE(i)) & mlo;
        const hi = unit === 8 ? d.readUInt32LE(i + 4) & mhi : 0;
        for (const w of want) {
          if (lo >>> 0 !== w.lo >>> 0 || hi >>> 0 !== w.hi >>> 0) continue;
          const at = chunk.address + BigInt(i);
          const raw = unit === 8 ? d.readBigUInt64LE(i) : BigInt(unit === 4 ? d.readUInt32LE(i) : d.readUInt16LE(i));
          if (ctx > 0) {
            for (const l of contextLines(k, space, at - BigInt(ctx * unit), ctx, unit, mm))
              yield { text: l, match: false };
            yield { text: `${at.toString(16).padStart(16)}:  ${raw.toString(16)} ${w.t.label}`, match: true };
            for (const l of contextLines(k, space, at + BigInt(unit), ctx, unit, mm)) yield { text: l, match: false };
            yield { text: '', match: false };
          } else yield { text: `${at.toString(16)}: ${raw.toString(16)} ${w.t.label}`, match: true };
        }
      }
    }
  };
}

export default search;
