/**
 * crash's text layout of a backtrace:
 *
 *   PID: 542      TASK: ffff8e71824c8000  CPU: 1    COMMAND: "sh"
 *    #0 [ffffd3e7406ab900] machine_kexec at ffffffff8826c62f
 *       [exception RIP: native_safe_halt+11]          (kernel registers saved by an exception/NMI)
 *       RIP: ...  RSP: ...  RFLAGS: ...               (register block)
 *   --- <NMI exception stack> ---                     (the walk left that stack)
 */
import { isKernelAddress, symbolizeValue } from '../../address.js';
import type { Kernel } from '../../kernel.js';
import { slabCacheOf } from '../../objects/slab.js';
import { ptRegsLayout, textWordsIn, type Backtrace, type BtFrame, type TextWord } from './backtrace.js';
import type { StackRange } from './stacks.js';
import type { RegsBlock } from './unwind.js';

export interface BtFormatOptions {
  /** -s: name+offset */
  symbolOffsets?: boolean;
  /** -x: frame offsets in hex */
  hexOffsets?: boolean;
  /**
   * the session's output radix is 16 (set radix 16, as crash's gdb output radix): frame offsets and the
   * exception RIP's offset in hex; -x alone leaves the exception RIP's offset decimal, as in crash
   */
  radix16?: boolean;
  /** -f: every stack word of each frame */
  frameWords?: boolean;
  /**
   * -F (1) / -FF (2): frame words as -f, but a word pointing into the kernel image is written as its symbol
   * (name+offset), one pointing into a slab object as its cache in brackets ([filp]; -FF: [VALUE:filp])
   */
  symbolicWords?: 0 | 1 | 2;
  /** -l: the source file and line of each frame's address (and of an exception's RIP), from DWARF */
  sourceLines?: boolean;
  /** --inline (with -l): the inlined calls each address lies in, one indented line each */
  inlineFrames?: boolean;
}

/**
 * crash's -l line under a frame ("    path/file.c: 250"), plus with --inline one line per inlined call the
 * address lies in, innermost first ("      inlined kexec_unlock from kernel/kexec_core.c: 979"). Nothing
 * where DWARF has no line (module code, addresses in padding).
 */
function sourceLines(k: Kernel, addr: bigint, o: BtFormatOptions): string[] {
  const l = k.sourceLine(addr);
  if (!l) return [];
  const out = [`    ${l.file}: ${l.line}`];
  if (o.inlineFrames)
    for (const f of k.inlineFrames(addr))
      out.push(`      inlined ${f.function} from ${f.callSite.file}: ${f.callSite.line}`);
  return out;
}

const h16 = (v: bigint): string => v.toString(16).padStart(16, '0');

export function btHeader(bt: Backtrace): string {
  const t = bt.task;
  const pid = t.pid < 0 ? '?' : String(t.pid);
  return `PID: ${pid.padEnd(8)} TASK: ${h16(t.task)}  CPU: ${String(t.cpu).padEnd(3)}  COMMAND: "${t.comm}"`;
}

function frameName(f: BtFrame, o: BtFormatOptions): string {
  if (!f.symbol) return '(unknown)';
  if (!o.symbolOffsets || f.offset === undefined || f.offset === 0n) return f.symbol;
  return `${f.symbol}+${o.hexOffsets || o.radix16 ? '0x' + f.offset.toString(16) : f.offset.toString()}`;
}

/** The register block as crash prints it (five lines of pairs/triples, then ORIG_RAX, CS, SS). */
export function formatRegs(r: RegsBlock): string[] {
  const v = r.values;
  const p = (name: string, x: bigint): string => `${name.padStart(3)}: ${h16(x)}`;
  const out = [`    RIP: ${h16(v.ip)}  RSP: ${h16(v.sp)}  RFLAGS: ${v.flags.toString(16).padStart(8, '0')}`];
  if (!r.partial) {
    out.push(
      `    ${p('RAX', v.ax)}  ${p('RBX', v.bx)}  ${p('RCX', v.cx)}`,
      `    ${p('RDX', v.dx)}  ${p('RSI', v.si)}  ${p('RDI', v.di)}`,
      `    ${p('RBP', v.bp)}  ${p('R8', v.r8)}  ${p('R9', v.r9)}`,
      `    ${p('R10', v.r10)}  ${p('R11', v.r11)}  ${p('R12', v.r12)}`,
      `    ${p('R13', v.r13)}  ${p('R14', v.r14)}  ${p('R15', v.r15)}`,
      r.cpuNote
        ? `    CS: ${v.cs.toString(16).padStart(4, '0')}  SS: ${v.ss.toString(16).padStart(4, '0')}`
        : `    ORIG_RAX: ${h16(v.orig_ax)}  CS: ${v.cs.toString(16).padStart(4, '0')}  SS: ${v.ss.toString(16).padStart(4, '0')}`,
    );
  } else {
    out.push(
      `    CS: ${v.cs.toString(16).padStart(4, '0')}  SS: ${v.ss.toString(16).padStart(4, '0')}  (interrupt frame only: other registers not saved)`,
    );
  }
  return out;
}

function exceptionLine(k: Kernel, r: RegsBlock, o: BtFormatOptions): string {
  const n = k.symbols.nearest(r.values.ip);
  if (!n || !'TtWw'.includes(n.symbol.kind)) return `    [exception RIP: unknown or invalid address]`;
  const off = n.offset === 0n ? '' : `+${o.radix16 ? '0x' + n.offset.toString(16) : n.offset.toString()}`;
  return `    [exception RIP: ${n.symbol.name}${off}]`;
}

/**
 * bt -F's name for a stack word, left-justified in 16 columns (longer names push the line wider, as in crash):
 * the kernel symbol it points into, else the slab cache of the object it points into; undefined for a word
 * that is neither (printed as hex). Only a word that is itself a readable address qualifies.
 */
function symbolicWord(k: Kernel, v: bigint, level: 1 | 2): string | undefined {
  if (!isKernelAddress(v) || !readable(k, v)) return undefined;
  const sym = symbolizeValue(k, v);
  if (sym) return sym.padEnd(16);
  const cache = slabCacheOf(k, v);
  if (!cache) return undefined;
  return (level === 2 ? `[${v.toString(16)}:${cache}]` : `[${cache}]`).padEnd(16);
}

function readable(k: Kernel, v: bigint): boolean {
  try {
    k.readU64(v & ~7n);
    return true;
  } catch {
    return false;
  }
}

/** Stack words (slot, nextSlot] of a frame, two per line, each followed by a space (crash -f). */
function frameWords(k: Kernel, from: bigint, to: bigint, symbolic: 0 | 1 | 2): string[] {
  const out: string[] = [];
  const words = Number((to - from) / 8n);
  if (words <= 0 || words > 4096) return out;
  let line = '';
  for (let i = 0; i < words; i++) {
    const a = from + 8n + BigInt(i) * 8n;
    if (i % 2 === 0) {
      if (line) out.push(line);
      line = `    ${h16(a)}: `;
    }
    let w: string;
    try {
      const v = k.readU64(a);
      w = (symbolic && symbolicWord(k, v, symbolic)) || h16(v);
    } catch {
      w = '????????????????';
    }
    line += w + ' ';
  }
  if (line) out.push(line);
  return out;
}

/** The lines of one backtrace, header first. */
export function formatBacktrace(k: Kernel, bt: Backtrace, o: BtFormatOptions = {}): string[] {
  const out = [btHeader(bt)];
  const u = bt.task.unreadable;
  if (u) {
    const from = u.sources.length ? `; ${u.sources.join(', ')}` : '';
    out.push(`    (the task_struct cannot be read: ${u.reason}${from}; unwound from CPU ${u.cpu}'s saved registers)`);
  }
  if (bt.stop === 'no-stack') {
    out.push('(no stack)');
    return out;
  }
  bt.frames.forEach((f, i) => {
    const prev = bt.frames[i - 1];
    if (f.regs && !f.regs.user) {
      out.push(exceptionLine(k, f.regs, o), ...formatRegs(f.regs));
      if (o.sourceLines) out.push(...sourceLines(k, f.regs.values.ip, o));
      // -f: the words of the frame that holds this exception frame (the pt_regs and what lies up to this
      // frame's slot) come under its registers, as in crash
      if (o.frameWords && prev && prev.stack === f.stack && f.slot > prev.slot)
        out.push(...frameWords(k, prev.slot, f.slot, o.symbolicWords ?? 0));
    }
    if (prev && prev.stack && prev.stack !== f.stack && prev.stack.kind !== 'task')
      out.push(`--- <${prev.stack.label}> ---`);
    const num = `#${f.level}`.padStart(3);
    // crash names a module function's module after the address: "... at ffffffffc02de01b [ct_oops]"
    out.push(`${num} [${h16(f.slot)}] ${frameName(f, o)} at ${h16(f.ip)}${f.module ? ` [${f.module}]` : ''}`);
    if (o.sourceLines && !f.module) out.push(...sourceLines(k, f.ip, o));
    const next = bt.frames[i + 1];
    if (o.frameWords && next && !next.regs && next.stack === f.stack && next.slot > f.slot) {
      out.push(...frameWords(k, f.slot, next.slot, o.symbolicWords ?? 0));
    }
  });
  if (bt.userRegs) out.push(...formatRegs(bt.userRegs));
  if (bt.message) out.push(`    bt: ${bt.message}`);
  return out;
}

/**
 * bt -e: the header, then each register set the stack search found (eframe-search.ts), as crash lays it out:
 * a blank line, "KERNEL-MODE EXCEPTION FRAME AT: addr" (or USER-MODE), the exception RIP of a kernel one,
 * the registers.
 */
export function formatFoundFrames(
  k: Kernel,
  bt: Backtrace,
  found: { address: bigint; values: RegsBlock['values']; user: boolean }[],
  o: BtFormatOptions = {},
): string[] {
  return [btHeader(bt), ...foundFrameLines(k, found, o)];
}

/** The found register sets, each after a blank line, as bt -e and -E print them. */
export function foundFrameLines(
  k: Kernel,
  found: { address: bigint; values: RegsBlock['values']; user: boolean }[],
  o: BtFormatOptions = {},
): string[] {
  const out: string[] = [];
  for (const f of found) {
    const regs: RegsBlock = { address: f.address, values: f.values, partial: false, user: f.user };
    out.push('', `  ${f.user ? 'USER' : 'KERNEL'}-MODE EXCEPTION FRAME AT: ${h16(f.address)}`);
    if (!f.user) out.push(exceptionLine(k, regs, o));
    out.push(...formatRegs(regs));
  }
  return out;
}

/** One "  [slot] name+off at value [module]" line of bt -t/-T. */
function textWordLine(w: TextWord, o: BtFormatOptions): string {
  const off =
    o.symbolOffsets && w.offset !== 0n ? `+${o.hexOffsets || o.radix16 ? '0x' + w.offset.toString(16) : w.offset}` : '';
  return `  [${h16(w.slot)}] ${w.symbol}${off} at ${h16(w.value)}${w.module ? ` [${w.module}]` : ''}`;
}

/**
 * bt -t (`all` false): every text address on the stacks the backtrace went through, from the first frame's
 * slot up; where the walk moved to another stack, crash's "--- <IRQ stack> ---" line, the interrupt entry's
 * frame and the registers it saved, then the words above them; the user-mode registers at the end.
 * bt -T (`all` true): every text address of the task's own stack from its base, the user-mode registers at the
 * end. The words inside a saved register set are skipped where it is printed as one.
 */
export function formatTextScan(k: Kernel, bt: Backtrace, all: boolean, o: BtFormatOptions = {}): string[] {
  const out = [btHeader(bt)];
  if (bt.stop === 'no-stack') return [...out, '(no stack)'];
  const f0 = bt.frames[0];
  const user = bt.userRegs?.address;
  const endOf = (r: StackRange): bigint => (r.kind === 'task' && user !== undefined ? user : r.top);
  if (all) {
    const task = bt.stacks.find((r) => r.kind === 'task');
    if (task) out.push(...textWordsIn(k, task.base, endOf(task)).map((w) => textWordLine(w, o)));
  } else {
    if (f0) out.push(`              START: ${f0.symbol ?? '(unknown)'} at ${h16(f0.ip)}`);
    let stack: StackRange | undefined;
    const size = BigInt(ptRegsLayout(k).size);
    bt.frames.forEach((f, i) => {
      if (!f.stack || f.stack === stack) return;
      // a sleeping task's words from switch_to's frame up
      let from = i === 0 && bt.savedSp !== undefined && bt.savedSp < f.slot ? bt.savedSp : f.slot;
      if (stack) {
        const old = stack;
        const regs = [f.regs, bt.frames[i + 1]?.regs].find((r) => r && !r.user && r.address !== undefined);
        if (regs && regs.address! >= old.base && regs.address! < old.top) {
          // saved on the stack the walk leaves (an NMI's, on its IST stack): the registers, then the line,
          // then the interrupted stack from the interrupted RSP
          out.push(exceptionLine(k, regs, o), ...formatRegs(regs), `--- <${old.label}> ---`);
          from = regs.values.sp;
        } else {
          // saved on the interrupted stack by the entry code (an IRQ's): the line, the entry frame, the
          // registers, then the words above them
          out.push(`--- <${old.label}> ---`);
          out.push(`  [${h16(f.slot)}] ${frameName(f, o)} at ${h16(f.ip)}${f.module ? ` [${f.module}]` : ''}`);
          if (regs) {
            out.push(exceptionLine(k, regs, o), ...formatRegs(regs));
            from = regs.address! + size;
          } else from = f.slot + 8n;
        }
      }
      stack = f.stack;
      const next = bt.frames.slice(i + 1).find((g) => g.stack !== f.stack);
      const nextRegs =
        next && [next.regs, bt.frames[bt.frames.indexOf(next) + 1]?.regs].find((r) => r?.address !== undefined);
      // words of a register set printed at the switch are not listed again
      const to =
        nextRegs && nextRegs.address! >= f.stack.base && nextRegs.address! < f.stack.top
          ? nextRegs.address!
          : endOf(f.stack);
      out.push(...textWordsIn(k, from, to).map((w) => textWordLine(w, o)));
    });
  }
  if (bt.userRegs) out.push(...formatRegs(bt.userRegs));
  return out;
}
