/** bt: kernel stack backtraces, unwound with the kernel's own ORC tables, in crash's layout. */
import { CommandError, type Args, type Command } from '../src/command.js';
import { isKernelAddress } from '../src/kernel/address.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { backtrace, type Backtrace } from '../src/kernel/arch/x86_64/backtrace.js';
import {
  btHeader,
  formatBacktrace,
  formatFoundFrames,
  foundFrameLines,
  formatTextScan,
  type BtFormatOptions,
} from '../src/kernel/arch/x86_64/bt-format.js';
import { searchableCpuStacks, searchExceptionFrames } from '../src/kernel/arch/x86_64/eframe-search.js';
import { idtGateIst } from '../src/kernel/objects/irq.js';
import { cpuCounts } from '../src/kernel/objects/system.js';
import type { StackRange } from '../src/kernel/arch/x86_64/stacks.js';
import { allTasks, taskStructProblem } from '../src/kernel/objects/tasks.js';
import { panicCpuReading } from '../src/kernel/objects/panic-cpu.js';
import { unreadableActiveTask } from '../src/kernel/objects/context.js';
import { selectTaskAddresses } from '../src/repl/task-selector.js';
import { text, type TextView, type View } from '../src/render/view.js';
import { frameLineActions, frameWordsView } from './bt/frame.js';
import type { Session } from '../src/session.js';

const HELP = `bt - backtrace of a task's kernel stack

SYNOPSIS
  bt [-a | -c CPU | -p | PID | TASK ...] [-f | -F | -FF] [-s] [-x] [-t | -T | -e | -E] [-l [--inline]] [--frame N]

With no argument, bt shows the current context task (set with "set"), which is the task that
panicked when the session starts.

Frames come from the kernel's ORC unwind tables (both the 6.1 layout and the 6.4+ layout): each
line is "#N [stack address] function at address", where the stack address is the slot the return
address was read from. A "[exception RIP: ...]" block is the register set an interrupt, exception
or NMI saved; "--- <IRQ stack> ---" and "--- <NMI exception stack> ---" lines mark where the walk
left a per-CPU stack for the one it interrupted; the register block at the end is user mode at the
system call or interrupt boundary.

How far to trust it: bt does not guess. Every frame is unwound with ORC, or for the few functions
objtool leaves without ORC data (e.g. __crash_kexec on 6.1) from the function's prologue. For a task
running on a CPU at the crash, the walk starts from that CPU's saved registers; the frames of the
call it made afterwards (machine_kexec on the panic CPU, crash_nmi_callback on the others) are
taken from the stack only when unwinding from them leads exactly back to those saved registers.
When a walk cannot go on it stops and says why (an unreadable stack page, no unwind data), rather
than scanning the stack. Only -t/-T list raw stack contents, which can include stale addresses.

OPTIONS
  -a        the active task of every CPU
  -p        the task that panicked, whichever task "set" made the current context
  -c CPU    the active task of one CPU (a list: 0,1)
  -f        also every stack word of each frame
  -F        as -f, but a word that is a readable kernel address is written by what it points to: the
            kernel symbol (name+decimal offset) when it lies in the kernel image, else the slab cache
            of the object it lies in, in brackets ([filp]); other words stay hex. A name wider than
            16 columns pushes the rest of its line right
  -FF       as -F, with the word itself in the brackets: [ffff8e71824a6d00:filp]
  -s        function+offset for each frame (decimal offsets)
  -x        with -s: hexadecimal frame offsets (the exception RIP's offset follows "set radix", as in crash)
  -t        every text address on the stack from the first frame up (a raw scan)
  -T        every text address on the whole stack (a raw scan)
  -e        search the task's stack for saved register sets of exceptions, interrupts and system calls
            (kernel- and user-mode "exception frames"), by their values, not by unwinding: each place that
            holds a plausible struct pt_regs (RFLAGS valid, kernel CS/SS with a text RIP and a kernel RSP,
            or user CS/SS with user RIP and RSP). A search: it may also show register sets the kernel
            copied for itself (crash_setup_regs' in __crash_kexec) or stale ones below the stack pointer
  -E        the same search on every CPU's IRQ stack, then on each CPU's exception stacks (double fault,
            NMI, debug, machine check: those whose IDT gate switches to them), "(none found)" where none
  -l        under each frame, the source file and line of its address (and of an exception's RIP), from
            the vmlinux's DWARF line table: the innermost inlined function's line, as crash and
            \`addr2line -e vmlinux\` give it
  --inline  with -l: also the calls inlined at each address, innermost first, one indented line each
            ("inlined FUNCTION from FILE: LINE", the line where it was inlined into its caller). crash
            does not show these; they are extra lines, so crash's layout is unchanged without --inline
  --frame N one frame's stack words (bt -f's words under #N), one a line, each with what it points to:
            a symbol, an object of a named slab cache, a stack. The terminal UI opens it from a frame
            line (Enter), and from a word the struct, kmem, rd or dis of what it points to

EXAMPLES
  bt            the panic task
  bt -a         what every CPU was doing
  bt -p         the panic task, after "set" chose another
  bt 542        a task by PID;  bt ffff8e71824c8000  a task by address
  bt -f 1       frames with their stack words
  bt -e         the exception frames on the panic task's stack (the Oops's, the system call's)
  bt -F         the panic task's frame words by name: __crash_kexec+119, [filp], [kmalloc-2k]
  bt -l         frames with file:line (the full debug vmlinux has the DWARF this needs)
  bt -l --inline  and the inlined calls at each return address
  bt --frame 2 1  the words of pid 1's frame #2`;

/** Resolve the argument words to task addresses. */
function selectTasks(k: Kernel, s: Session, args: Args): bigint[] {
  const table = allTasks(k);
  if (args.flags.a) return [...table.active.entries()].sort((a, b) => a[0] - b[0]).map(([, t]) => t);
  if (args.flags.p) {
    // the task that panicked, whatever the current context (set PID) is
    const t = table.panicCpu === undefined ? undefined : table.active.get(table.panicCpu);
    if (t === undefined)
      throw new CommandError(
        `no panic task found (${[...panicCpuReading(k).missing, ...table.missingRoutes].join('; ') || 'the dump records no panic'})`,
      );
    return [t];
  }
  if (args.flags.c !== undefined) {
    const spec = String(args.flags.c);
    const out: bigint[] = [];
    for (const w of spec.split(',')) {
      const cpu = Number(w);
      const t = table.active.get(cpu);
      if (!Number.isInteger(cpu) || t === undefined) throw new CommandError(`invalid cpu: ${w}`);
      out.push(t);
    }
    return out;
  }
  if (args.positional.length === 0) {
    const t = s.currentTask();
    if (t === undefined)
      throw new CommandError(
        `no panic task found (${[...panicCpuReading(k).missing, ...table.missingRoutes].join('; ') || 'no CPU had a current task'}): give a PID or task address`,
      );
    return [t];
  }
  return selectTaskAddresses(table, args.positional, {
    acceptAddress: (a) => isTaskStruct(k, a),
    // the same unwind the default context gets: a CPU's current task from that CPU's registers
    acceptUnreadable: (a) => unreadableActiveTask(k, a) !== undefined,
  });
}

/**
 * An address no task of the table has is taken only when a task_struct is there (an exiting task the
 * lists no longer hold); anything else is one line saying why it is not a task, never a garbage trace.
 */
function isTaskStruct(k: Kernel, address: bigint): boolean {
  if (!isKernelAddress(address)) return false;
  const why = taskStructProblem(k, address);
  if (why) throw new CommandError(`${address.toString(16)} is not a task: no task the dump lists, and ${why}`);
  return true;
}

/** JSON form of one backtrace. */
function btData(k: Kernel, bt: Backtrace, o: BtFormatOptions): unknown {
  const line = (addr: bigint) => (o.sourceLines ? (k.sourceLine(addr) ?? null) : undefined);
  const inlined = (addr: bigint) => (o.inlineFrames ? k.inlineFrames(addr) : undefined);
  return {
    pid: bt.task.pid,
    task: bt.task.task,
    cpu: bt.task.cpu,
    command: bt.task.comm,
    start: bt.start,
    frames: bt.frames.map((f) => ({
      level: f.level,
      stackAddress: f.slot,
      function: f.symbol ?? null,
      offset: f.offset ?? null,
      address: f.ip,
      line: f.module ? undefined : line(f.ip),
      inlined: f.module ? undefined : inlined(f.ip),
      stack: f.stack?.label ?? null,
      exception: f.regs
        ? { address: f.regs.address ?? null, registers: f.regs.values, partial: f.regs.partial }
        : undefined,
    })),
    userRegisters: bt.userRegs?.values,
    stop: bt.stop,
    message: bt.message,
  };
}

/** A text view whose data and line actions are made by `makeData` / `makeActions` when first read (then kept). */
function lazyBtView(lines: string[], makeData: () => unknown, makeActions: () => TextView['lineActions']): TextView {
  let data: unknown;
  let actions: TextView['lineActions'];
  let [dataMade, actionsMade] = [false, false];
  return {
    ...text(lines),
    get data(): unknown {
      if (!dataMade) [data, dataMade] = [makeData(), true];
      return data;
    },
    get lineActions(): TextView['lineActions'] {
      if (!actionsMade) [actions, actionsMade] = [makeActions(), true];
      return actions;
    },
    set lineActions(v: TextView['lineActions']) {
      [actions, actionsMade] = [v, true];
    },
  };
}

/** bt --frame N [TASK]: one frame's stack words, each with what it points to (bt-frame.ts). */
function oneFrame(k: Kernel, tasks: bigint[], level: string): View {
  if (!/^\d+$/.test(level)) throw new CommandError(`--frame: give a frame number (the N of #N), not "${level}"`);
  if (tasks.length !== 1) throw new CommandError('--frame: give one task');
  return frameWordsView(k, backtrace(k, tasks[0]!), Number(level));
}

/** bt -E: every CPU's IRQ stack, then every CPU's exception stacks, each searched for register sets. */
function perCpuSearch(k: Kernel, o: BtFormatOptions): string[] {
  const cpus = cpuCounts(k).present;
  const online = new Set(k.onlineCpus);
  const lines: string[] = [];
  const one = (title: string, cpu: number, stack: StackRange): void => {
    if (!online.has(cpu)) {
      lines.push(`${title} [OFFLINE]`, '');
      return;
    }
    const found = searchExceptionFrames(k, stack);
    lines.push(title, ...(found.length ? foundFrameLines(k, found, o) : ['(none found)']), '');
  };
  const gates = new Map<number, number>();
  const gateIst = (v: number): number => {
    if (!gates.has(v)) gates.set(v, idtGateIst(k, v));
    return gates.get(v)!;
  };
  const stacks = Array.from({ length: cpus }, (_, c) => searchableCpuStacks(k, c, gateIst));
  for (const [c, s] of stacks.entries()) {
    if (!s.irq) break;
    one(`CPU ${c} IRQ STACK:`, c, s.irq);
  }
  for (const [c, s] of stacks.entries())
    for (const e of s.exception) one(`CPU ${c} ${e.name} EXCEPTION STACK:`, c, e.stack);
  return lines;
}

const bt: Command = {
  name: 'bt',
  summary: 'backtrace',
  help: HELP,
  needsDump: true,
  options: {
    a: 'active task of every CPU',
    p: 'the panic task',
    c: '=cpu',
    f: 'stack words of each frame',
    F: 'stack words, symbols and slab caches by name (-FF: with the value)',
    s: 'symbol offsets',
    x: 'hex offsets',
    t: 'text symbols on the stack from the first frame',
    T: 'text symbols on the whole stack',
    e: 'search the stack for exception frames',
    E: 'search the IRQ and exception stacks for exception frames',
    l: 'line numbers (needs DWARF)',
    inline: 'with -l: inlined calls too',
    frame: '=level',
  },
  run(s: Session, args: Args): View {
    const k = s.kernel;
    if (!k) throw new CommandError('no dump is open');
    if (!k.image.hasOrc)
      throw new CommandError(
        `unavailable: ${k.image.source === 'vmlinux' ? 'the vmlinux' : 'the kernel in the dump'} has no ORC unwind tables (.orc_unwind_ip/.orc_unwind, CONFIG_UNWINDER_ORC), and crash-ts unwinds with ORC only`,
      );
    const F = args.flags.F;
    const symbolicWords = F === undefined || F === false ? 0 : F === true || F === 1 ? 1 : 2;
    const o: BtFormatOptions = {
      frameWords: !!args.flags.f || symbolicWords > 0,
      symbolicWords,
      symbolOffsets: !!args.flags.s,
      hexOffsets: !!args.flags.x,
      radix16: s.settings.radix === 16,
      sourceLines: !!args.flags.l || !!args.flags.inline,
      inlineFrames: !!args.flags.inline,
    };
    const lines: string[] = [];
    const bts: Backtrace[] = [];
    if (o.sourceLines && !k.debugInfo)
      lines.push(
        k.image.source === 'vmlinux'
          ? `bt: -l: no line numbers: ${k.image.label} has no DWARF (.debug_info)`
          : `bt: -l: no line numbers without the kernel's debug vmlinux (DWARF)`,
      );
    if (args.flags.E) return text(perCpuSearch(k, o));
    const tasks = selectTasks(k, s, args);
    if (args.flags.frame !== undefined) return oneFrame(k, tasks, String(args.flags.frame));
    const frameLines: { from: number; task: bigint }[] = [];
    tasks.forEach((task, i) => {
      s.checkCancelled();
      if (i > 0) lines.push('');
      let b: Backtrace;
      try {
        b = backtrace(k, task);
      } catch (e) {
        lines.push(`bt: cannot read task ${task.toString(16)}: ${(e as Error).message}`);
        return;
      }
      if (args.flags.e) {
        const stack = b.stacks.find((r) => r.kind === 'task');
        lines.push(
          ...(stack ? formatFoundFrames(k, b, searchExceptionFrames(k, stack), o) : [btHeader(b), '(no stack)']),
        );
        bts.push(b);
        return;
      }
      if (!args.flags.t && !args.flags.T) frameLines.push({ from: lines.length, task });
      lines.push(
        ...(args.flags.t || args.flags.T ? formatTextScan(k, b, !!args.flags.T, o) : formatBacktrace(k, b, o)),
      );
      bts.push(b);
    });
    const problem = k.debugInfo?.problem;
    if (o.sourceLines && problem) lines.push(`bt: ${problem}`);
    // the JSON form and the terminal UI's Enter on a frame line (that frame's words) are made when first asked
    // for: foreach bt's text never asks
    return lazyBtView(
      lines,
      () => (bts.length === 1 ? btData(k, bts[0]!, o) : bts.map((b) => btData(k, b, o))),
      () => {
        const actions: TextView['lineActions'] = lines.map(() => undefined);
        frameLines.forEach(({ from, task }, i) => {
          const to = frameLines[i + 1]?.from ?? lines.length;
          actions.splice(from, to - from, ...frameLineActions(lines.slice(from, to), task));
        });
        return actions;
      },
    );
  },
};

export default bt;
