/**
 * dis: disassemble kernel (or user) code read from the dump itself — the bytes the running kernel
 * executed, with its ftrace NOPs, alternatives and static keys patched in — in gdb's AT&T syntax and
 * crash's line layout. The decoder (iced-x86, WebAssembly) is loaded on the first `dis`.
 */
import { CommandError, type Args, type Command } from '../src/command.js';
import { text, type View } from '../src/render/view.js';
import type { Session } from '../src/session.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { AddressError, isKernelAddress, parseAddress, parseCount } from '../src/kernel/address.js';
import {
  gdbNamesAddress,
  isTextSymbol,
  neighbourSymbol,
  symbolAt,
  symbolsContaining,
  symbolsNamed,
  type ListedSymbol,
} from '../src/kernel/symbol-list.js';
import { readUser } from '../src/kernel/objects/user-memory.js';
import { Disassembler, type Instruction } from '../src/disasm/x86_64.js';
import { disLine, instructionText, type DisLine } from '../src/render/dis-lines.js';
import { sourceLineText, symbolLine, symbolOffsetText } from '../src/render/symbol-lines.js';
import { joinParenthesized } from './rd.js';

const HELP = `NAME
  dis - disassemble code

SYNOPSIS
  dis [-r|-f] [-l] [-s] [-u] [-d|-x] [-b N] ADDRESS|SYMBOL|(EXPRESSION) [COUNT]
  dis -b [N]

DESCRIPTION
  Shows the machine code at an address as instructions, in the AT&T syntax
  gdb and objdump print, each line starting with the address and the symbol
  plus offset it falls in:

    0xffffffff8e1cc3a6 <panic+5>:	push   %rbp

  The bytes are read from the dump, so the code is what the kernel was
  running: the 5-byte NOP ftrace leaves over a function's call to __fentry__
  is marked [FTRACE NOP], and patched alternatives show as patched. Branch
  targets and rip-relative operands are named with the symbol they point to.

  A SYMBOL of a function, or an ADDRESS exactly at one, shows the whole
  function; any other address or an expression (panic+16) shows one
  instruction; COUNT shows that many instructions instead. Module functions
  are named from the module's own kallsyms in the dump.

OPTIONS
  -r        from the start of the function up to and including the
            instruction at ADDRESS (with COUNT: only the last COUNT of them)
  -f        from ADDRESS to the end of its function
  -l        the source file and line before each run of instructions from
            one line (needs the vmlinux's DWARF)
  -s        the source file and line of ADDRESS (the source text itself is
            not in the dump or the vmlinux, so it is said to be unavailable)
  -u        ADDRESS is a user address of the current context's process
            (\`set PID\`)
  -d, -x    offsets in decimal / hexadecimal (default: the output radix)
  -U        gdb's raw lines (address and instruction only)
  -b N      from now on skip N bytes after each ud2 instead of decoding them
            (kernels before 4.11 or so put BUG()'s line number there; today's
            keep it in __bug_table, so the default is 0); -b alone shows N

EXAMPLES
  crash> dis panic 8
  crash> dis -l sysrq_handle_crash
  crash> dis -r ffffffff8e1cc3c1
  crash> dis ffffffffc03fb010 4
  crash> set 1; dis -u 55d0f0a4c000 10
  crash> dis -b 2`;

/** Never decode more than this many bytes for one command (the largest kernel functions are ~30 KiB). */
const MAX_BYTES = 1 << 20;
/** the longest x86 instruction */
const MAX_INSN = 15;
const PAGE = 4096n;

let disassembler: Promise<Disassembler> | undefined;

/** The decoder, loaded once (its WebAssembly is compiled on the first call). */
export function loadDisassembler(): Promise<Disassembler> {
  disassembler ??= Disassembler.load();
  return disassembler;
}

type Reader = (addr: bigint, len: number) => Buffer;

/** Read up to `len` bytes page by page; stops at the first unreadable page (the error is returned). */
function readCode(read: Reader, addr: bigint, len: number): { bytes: Buffer; failure?: Error } {
  const parts: Buffer[] = [];
  let at = addr;
  let left = len;
  while (left > 0) {
    const chunk = Math.min(left, Number(PAGE - (at & (PAGE - 1n))));
    try {
      parts.push(read(at, chunk));
    } catch (e) {
      return { bytes: Buffer.concat(parts), failure: e instanceof Error ? e : new Error(String(e)) };
    }
    at += BigInt(chunk);
    left -= chunk;
  }
  return { bytes: Buffer.concat(parts) };
}

/** Decode `count` instructions, or every instruction starting before `end`, from `start`. */
function decodeRange(
  d: Disassembler,
  read: Reader,
  start: bigint,
  limit: { end: bigint } | { count: number },
  afterUd2: number,
): { ins: Instruction[]; failure?: Error } {
  const len =
    'end' in limit
      ? Math.min(MAX_BYTES, Number(limit.end - start) + MAX_INSN)
      : Math.min(MAX_BYTES, limit.count * MAX_INSN);
  const { bytes, failure } = readCode(read, start, Math.max(len, 1));
  let ins = d.decode(bytes, start, 'count' in limit ? limit.count : Infinity, afterUd2);
  if ('end' in limit) ins = ins.filter((i) => i.address < limit.end);
  const wanted = 'count' in limit ? ins.length < limit.count : (ins.at(-1)?.address ?? start) < limit.end - 1n;
  return { ins, failure: wanted ? failure : undefined };
}

/** Where a function ends: its vmlinux size, else the next symbol above it (modules: always the next symbol). */
function functionEnd(k: Kernel, s: ListedSymbol): bigint {
  if (!s.module && s.size > 0n) return s.value + s.size;
  let n: ListedSymbol | undefined = s;
  for (let i = 0; i < 64 && n && n.value <= s.value; i++) n = neighbourSymbol(k, n, 1);
  if (n && n.value > s.value) return n.value;
  return s.value + 1n;
}

/** The assembler's alignment fill between functions in one section (multi-byte nops). */
const isAlignmentFill = (x: Instruction): boolean =>
  /^(?:(?:cs|ds|data16) )*(?:nop[wl]?\b|xchg +%ax,%ax$)/.test(x.text);
const isInt3 = (x: Instruction): boolean => x.text === 'int3';
/**
 * `ret`, `jmp *REG`/`jmp *MEM` and a `jmp` to a return or retpoline thunk (an indirect jump the kernel left
 * unpatched): their site may hold int3s of its own (below)
 */
function isReturnOrIndirectJump(k: Kernel, x: Instruction): boolean {
  if (/^(?:ret|jmp +\*)/.test(x.text)) return true;
  if (!x.text.startsWith('jmp') || x.branchTarget === undefined) return false;
  return /^__x86_(?:return|indirect(?:_its)?)_thunk/.test(k.symbols.nearest(x.branchTarget)?.symbol.name ?? '');
}

/**
 * A whole kernel function on a vmcore opened alone: kallsyms has no sizes, so the function seemed to reach the
 * next symbol, and the fill before it (the assembler's nops, the linker's int3 bytes) looked like its end; with
 * the vmlinux, .symtab's size ends it before the fill, as crash shows it. The fill is dropped: every nop and
 * int3 after the last other instruction, except up to 4 int3 after a `ret` or an indirect `jmp`, which belong
 * to it (a 5-byte `jmp __x86_return_thunk` the kernel patched into `ret` + 4 int3, or the int3 that
 * straight-line-speculation hardening puts after them). Module functions keep it: crash ends them at the next
 * symbol too.
 */
function withoutGuessedPadding(k: Kernel, target: Target, ins: Instruction[]): Instruction[] {
  if (k.elf || !target.symbol || target.symbol.module || ins.length === 0) return ins;
  let last = ins.length - 1;
  while (last >= 0 && (isAlignmentFill(ins[last]!) || isInt3(ins[last]!))) last--;
  if (last < 0) return ins; // nothing but nops: 6.2+'s __pfx_ padding before a function is a symbol of its own
  let n = last + 1;
  if (isReturnOrIndirectJump(k, ins[last]!)) while (n < ins.length && n - last <= 4 && isInt3(ins[n]!)) n++;
  return n === ins.length ? ins : ins.slice(0, n);
}

/** dis -b: bytes skipped after each ud2, per session (0: modern kernels keep BUG()'s details in __bug_table). */
const ud2Skip = new WeakMap<Session, number>();

/**
 * -b [N]: the word after -b is the number of bytes to skip after a ud2 (then an address may follow to
 * disassemble); -b alone says the current number. Returns the words left, or a View when there is nothing
 * to disassemble.
 */
function ud2Option(session: Session, words: string[]): string[] | View {
  if (words.length && /^\d+$/.test(words[0]!)) {
    const n = Number(words[0]);
    if (n > 15) throw new CommandError(`-b ${n}: at most 15 bytes (an instruction's length) can follow a ud2`);
    ud2Skip.set(session, n);
    return words.length > 1 ? words.slice(1) : text([], { ud2Skip: n });
  }
  if (words.length) throw new CommandError(`-b takes a number of bytes (0 to 15), not ${words[0]}`);
  const n = ud2Skip.get(session) ?? 0;
  return text([`encoded bytes being skipped after ud2a: ${n}`], { ud2Skip: n });
}

const isHexWord = (w: string): boolean => /^(0x)?[0-9a-f]+$/i.test(w);
const isExpression = (w: string): boolean => /[-+*/%&|^~()<>]/.test(w);

function parse(k: Kernel, word: string): bigint {
  try {
    return parseAddress(k, word);
  } catch (e) {
    if (e instanceof AddressError) throw new CommandError(e.message);
    throw e;
  }
}

interface Target {
  addr: bigint;
  /** the symbol named or found (kernel addresses) */
  symbol?: ListedSymbol;
  /** the whole function was asked for (a function's name, or an address exactly at one) */
  wholeFunction: boolean;
  /** no kernel symbol: gdb's raw form */
  raw: boolean;
  /** lines to print before the listing (warnings) */
  notes: string[];
}

function resolveTarget(k: Kernel, session: Session, word: string, user: boolean): Target | View {
  const radix = session.settings.radix === 16 ? 16 : 10;
  if (user) return { addr: parse(k, word), wholeFunction: false, raw: true, notes: [] };
  const named = isHexWord(word) || isExpression(word) ? [] : symbolsNamed(k, word);
  if (named.length === 0 && (isHexWord(word) || isExpression(word))) {
    const addr = parse(k, word);
    const hit = symbolAt(k, addr);
    if (!hit)
      return {
        addr,
        wholeFunction: false,
        raw: true,
        notes: [`WARNING: ${addr.toString(16)}: no associated kernel symbol found`],
      };
    const whole = !isExpression(word) && hit.offset === 0n && isTextSymbol(hit.symbol);
    return { addr, symbol: hit.symbol, wholeFunction: whole, raw: false, notes: [] };
  }
  if (named.length === 0) {
    const alt = symbolsContaining(k, word).map((s) => '  ' + symbolLine(s, 0n, { radix, showModule: !!s.module }));
    return text([`symbol not found: ${word}`, 'possible alternatives:', ...(alt.length ? alt : ['  (none found)'])]);
  }
  const texts = named.filter(isTextSymbol);
  if (texts.length > 1) {
    const lines = [`dis: ${word}: duplicate text symbols found:`];
    for (const s of texts) {
      const line = s.module ? undefined : k.sourceLine(s.value);
      lines.push(symbolLine(s, 0n, { radix, showModule: true, line }));
    }
    return text(lines);
  }
  const s = texts[0] ?? named[0]!;
  return { addr: s.value, symbol: s, wholeFunction: isTextSymbol(s), raw: false, notes: [] };
}

function userReaderFor(session: Session, k: Kernel): Reader {
  const task = session.currentTask();
  if (task === undefined) throw new CommandError('-u: no current task context (choose one with `set PID`)');
  const t = k.object('struct task_struct', task);
  const mm = t.field('mm').value();
  if (mm === 0n)
    throw new CommandError(
      `-u: the current context (task ${task.toString(16)}, "${t.field('comm').cstring(16)}") is a kernel thread without user memory`,
    );
  return (addr, len) => readUser(k, mm, addr, len);
}

/** -s: where the address is in the source (the file as gdb's `list` names it); the source text itself is not here. */
function sourceView(k: Kernel, word: string, addr: bigint): View {
  const hit = symbolAt(k, addr);
  if (!hit || !isTextSymbol(hit.symbol)) throw new CommandError(`${addr.toString(16)}: not a kernel text address`);
  if (hit.symbol.module) throw new CommandError(`${hit.symbol.module}: module source code is not available`);
  const line = k.sourceLineRelative(addr);
  if (!line)
    return text([
      'FILE: (unknown)',
      'LINE: (unknown)',
      '',
      `dis: ${word}: source code is not available (${k.dwarfLacker} has no DWARF line table)`,
      '',
    ]);
  // the source files are not here: crash says so with a blank line after
  return text([`FILE: ${line.file}`, `LINE: ${line.line}`, '', `dis: ${word}: source code is not available`, ''], {
    file: line.file,
    line: line.line,
  });
}

const dis: Command = {
  name: 'dis',
  summary: 'disassemble code',
  help: HELP,
  needsDump: true,
  options: {
    r: 'from the function start up to ADDRESS',
    f: 'from ADDRESS to the function end',
    l: 'source lines',
    s: 'source position',
    u: 'user address',
    d: 'decimal offsets',
    x: 'hexadecimal offsets',
    h: 'hexadecimal offsets',
    U: "gdb's raw lines: no symbols, no [FTRACE NOP]",
    b: 'bytes to skip after each ud2 (BUG()); alone: the current number',
  },
  async run(session: Session, args: Args): Promise<View> {
    const k = session.kernel;
    if (!k) throw new CommandError('no dump is open');
    const f = args.flags;
    if (f.d && (f.x || f.h)) throw new CommandError('-d and -x are mutually exclusive');
    if (f.r && f.f) throw new CommandError('-r and -f are mutually exclusive');
    if (f.s && (f.r || f.f)) throw new CommandError(`-${f.r ? 'r' : 'f'} and -s are mutually exclusive`);
    if (f.s && f.u) throw new CommandError('-s can only be used with kernel addresses');
    const radix: 10 | 16 = f.d ? 10 : f.x || f.h ? 16 : session.settings.radix === 16 ? 16 : 10;
    let words = joinParenthesized(args.positional);
    if (f.b) {
      const left = ud2Option(session, words);
      if (!Array.isArray(left)) return left;
      words = left;
    }
    if (words.length === 0) throw new CommandError('give an address or a symbol: dis [-rfluds] ADDRESS|SYMBOL [COUNT]');
    if (words.length > 2) throw new CommandError(`too many arguments: ${words.slice(2).join(' ')}`);
    const user = !!f.u;
    const target = resolveTarget(k, session, words[0]!, user);
    if (!('addr' in target)) return target;
    let count: number | undefined;
    if (words[1] !== undefined) {
      let c: bigint;
      try {
        c = parseCount(words[1]);
      } catch {
        throw new CommandError(`invalid count argument: ${words[1]}`);
      }
      if (c === 0n) throw new CommandError('invalid count argument: 0');
      count = Number(c > 100000n ? 100000n : c);
    }
    if (f.s) return sourceView(k, words[0]!, target.addr);
    const forward = !!f.f && count === undefined; // as crash: a COUNT turns -f into a plain count
    if (!user && !target.raw && !isKernelAddress(target.addr))
      throw new CommandError(`${target.addr.toString(16)} is not a kernel virtual address`);

    const notes = [...target.notes];
    let withLines = !!f.l;
    if (withLines && !k.debugInfo) {
      notes.push(`dis: line numbers are not available (${k.dwarfLacker} has no DWARF: open the debug vmlinux)`);
      withLines = false;
    }
    const read: Reader = user ? userReaderFor(session, k) : (a, n) => k.read(a, n);
    const d = await loadDisassembler();

    let start = target.addr;
    let limit: { end: bigint } | { count: number } = { count: count ?? 1 };
    let from: bigint | undefined; // -f: first address shown
    let upTo: bigint | undefined; // -r: last address shown
    if (!target.raw && (f.r || forward || (target.wholeFunction && count === undefined))) {
      const fn = symbolAt(k, target.addr)!;
      const end = functionEnd(k, fn.symbol);
      if (f.r) {
        start = fn.symbol.value;
        upTo = target.addr;
        // decode past the target: an address inside an instruction ends at the next one, as in crash
        limit = { end: target.addr + 16n };
      } else if (forward) {
        start = fn.symbol.value;
        from = target.addr;
        limit = { end };
      } else limit = { end };
    }
    const got = decodeRange(d, read, start, limit, ud2Skip.get(session) ?? 0);
    let ins = got.ins;
    if (from !== undefined || (upTo === undefined && 'end' in limit)) ins = withoutGuessedPadding(k, target, ins);
    if (from !== undefined) {
      const i = ins.findIndex((x) => x.address >= from!);
      ins = i < 0 ? [] : ins.slice(i);
    }
    if (upTo !== undefined) {
      // up to and including the instruction at (or first past) the target
      const i = ins.findIndex((x) => x.address >= upTo!);
      if (i >= 0) ins = ins.slice(0, i + 1);
      if (count !== undefined) ins = ins.slice(Math.max(0, ins.length - count));
    }

    const lines: string[] = [...notes];
    const data: unknown[] = [];
    let lastLine = '';
    for (const x of ins) {
      let l: DisLine;
      const here = target.raw ? undefined : symbolAt(k, x.address);
      if (target.raw || f.U) l = { ins: x, atSymbol: false };
      else {
        const to = x.branchTarget ?? x.ripTarget;
        const toHit = to !== undefined && gdbNamesAddress(k, to) ? symbolAt(k, to) : undefined;
        l = {
          ins: x,
          where: here ? symbolOffsetText(here.symbol, here.offset, radix) : '',
          targetName: toHit ? symbolOffsetText(toHit.symbol, toHit.offset, radix) : undefined,
          atSymbol: !!here && here.offset === 0n,
        };
      }
      let src: string | undefined;
      if (withLines) {
        // module code has no line table here (and its address, less the KASLR offset, could fall on an
        // unrelated vmlinux line): kernel image code only
        const sl = here && !here.symbol.module ? k.sourceLine(x.address) : undefined;
        src = sl ? sourceLineText(sl) : '';
        if (src !== lastLine) {
          if (src) lines.push(src);
          lastLine = src;
        }
      }
      lines.push(disLine(l));
      data.push({
        address: x.address,
        symbol: l.where,
        text: instructionText(l),
        length: x.length,
        target: x.branchTarget ?? x.ripTarget,
        targetSymbol: l.targetName,
        source: src || undefined,
      });
    }
    if (got.failure)
      lines.push(`dis: cannot read code at ${start.toString(16)}: ${got.failure.message.split('\n')[0]}`);
    else if (ins.length === 0) lines.push(`dis: nothing to disassemble at ${target.addr.toString(16)}`);
    return text(lines, data);
  },
};

export default dis;
