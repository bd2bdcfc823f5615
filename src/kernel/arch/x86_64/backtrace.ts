/**
 * Backtrace of one task on x86_64: where to start (a sleeping task's switched-out frame, or the
 * registers a CPU saved at the crash), then the ORC unwinder, then frames with symbols and the
 * stacks they lie on. `formatBacktrace` (bt-format.ts) lays it out as crash does.
 *
 * Starting points:
 * - A sleeping task: task->thread.sp points at struct inactive_task_frame, pushed by
 *   __switch_to_asm; its ret_addr is the return into __schedule (or ret_from_fork).
 * - A task running on a CPU: that CPU's NT_PRSTATUS registers. The panic CPU saved them in
 *   __crash_kexec (crash_setup_regs) before it went on into machine_kexec; every other CPU saved the
 *   registers its crash NMI interrupted, then halted in crash_nmi_callback. The frames of those
 *   last calls are still on the stack below the saved registers: bt looks there for a return address
 *   into machine_kexec / crash_nmi_callback and keeps it only when unwinding from it with ORC leads
 *   exactly back to the saved registers (same stack pointer, same function) — a verified chain, so
 *   the frames are as reliable as any other. Without such a chain, the walk starts at the saved
 *   registers themselves.
 */
import type { Kernel } from '../../kernel.js';
import { ORC_REG, OrcTable, type OrcEntry } from './orc.js';
import { parkedOfflineCpu } from './offline.js';
import { prologueDepth } from './prologue.js';
import { cpuStackRanges, cpuTaskStack, inferTaskStack, stackOf, taskStackAt, type StackRange } from './stacks.js';
import {
  isUserMode,
  PT_REG_NAMES,
  unwind,
  type OrcLookup,
  type PtRegsLayout,
  type PtRegsValues,
  type RegsBlock,
  type StackMemory,
  type StartState,
  type StopReason,
  type UnwindFrame,
  type UnwindResult,
} from './unwind.js';
import type { X86Regs } from '../../../dump/types.js';
import { builtTaskTable, findPanicCpu } from '../../objects/tasks.js';
import { u64le } from '../../u64.js';
import { moduleAt, type KernelModule } from '../../objects/modules.js';
import { unreadableActiveTask, type UnreadableActiveTask } from '../../objects/context.js';

export interface TaskInfo {
  task: bigint;
  pid: number;
  comm: string;
  cpu: number;
  /** the task is the one running on its CPU (rq->curr) */
  active: boolean;
  /** set when the task_struct itself cannot be read (pid -1 and comm '?' when nothing else names them) */
  unreadable?: UnreadableActiveTask;
}

export interface BtFrame {
  level: number;
  /** the frame's pc: a return address, or an exact ip when it came from registers */
  ip: bigint;
  /** the stack address crash shows in brackets: where ip was found (or the stack pointer) */
  slot: bigint;
  sp: bigint;
  /** function name (return addresses are looked up at ip - 1, so a call at a function's end names it) */
  symbol?: string;
  /** ip - start of the function */
  offset?: bigint;
  /** the loaded module the function is in */
  module?: string;
  exact: boolean;
  /** which stack the frame is on ('task', 'irq', 'NMI', ...) */
  stack?: StackRange;
  /** kernel-mode registers the walk resumed from before this frame (the exception frame) */
  regs?: RegsBlock;
}

export interface Backtrace {
  task: TaskInfo;
  frames: BtFrame[];
  /** the user-mode registers at the kernel entry (syscall/interrupt boundary) */
  userRegs?: RegsBlock;
  stop: StopReason | 'no-stack';
  /** why the walk stopped early, one line, or undefined for a normal end */
  message?: string;
  /** how the first frame was found */
  start: 'sleeping' | 'cpu-registers' | 'recovered' | 'offline';
  /** a sleeping task's thread.sp: where switch_to's frame (struct inactive_task_frame) begins */
  savedSp?: bigint;
  stacks: StackRange[];
}

/** ORC table of the kernel image (cached per kernel), looked up by runtime address. */
export function orcLookup(k: Kernel): OrcLookup {
  let t = k.cache.get('bt.orc') as OrcTable | undefined;
  if (!t) {
    const sections = k.image.orc();
    if (!sections)
      throw new Error(`${k.image.label}: no ORC unwind tables (.orc_unwind_ip/.orc_unwind): cannot unwind`);
    t = new OrcTable({ ...sections, osrelease: k.vmcoreinfo.osrelease });
    k.cache.set('bt.orc', t);
  }
  const table = t;
  const bias = k.kaslrOffset;
  const imageEnd = k.hasSymbol('_end') ? k.sym('_end') : MODULES_VADDR;
  return {
    find: (ip) => {
      // a loaded module's code: its own ORC table, in runtime addresses
      if (ip >= imageEnd && ip < MODULES_END) {
        const m = moduleAt(k, ip);
        return m ? moduleOrc(k, m, table)?.find(ip) : undefined;
      }
      const link = ip - bias;
      const i = table.indexOf(link);
      const e = table.find(link);
      if (e && e.type !== 'undefined' && !(e.type === 'call' && e.spReg === ORC_REG.SP)) return e;
      // a function with no ORC entry inside it may be one objtool skipped (see prologue.ts)
      const n = k.symbols.nearest(ip);
      if (!n || !'Tt'.includes(n.symbol.kind) || n.symbol.size === 0n) return e;
      const fnLink = n.symbol.address - bias;
      const inner =
        (e !== undefined && e.ip > fnLink) || (i + 1 < table.length && table.ipAt(i + 1) < fnLink + n.symbol.size);
      if (inner) return e;
      return prologueEntry(k, fnLink, n.offset, e) ?? e;
    },
  };
}

/**
 * x86_64 module space (arch/x86/include/asm/pgtable_64_types.h): from MODULES_VADDR, __START_KERNEL_map +
 * KERNEL_IMAGE_SIZE (0xffffffffc0000000 with KASLR configured, 0xffffffffa0000000 without), to MODULES_END
 * below the fixmap. Anything above the kernel image's _end is taken as a module candidate; moduleAt() decides.
 */
const MODULES_VADDR = 0xffffffffc0000000n;
const MODULES_END = 0xffffffffff000000n;

/**
 * A module's ORC table from its struct mod_arch_specific (num_orcs, orc_unwind_ip, orc_unwind): the same
 * entry layout as the vmlinux's, ip entries relative to their own (runtime) address. Cached per module.
 */
function moduleOrc(k: Kernel, m: KernelModule, vmlinuxTable: OrcTable): OrcTable | undefined {
  const key = `bt.orc.module.${m.address}`;
  if (k.cache.has(key)) return k.cache.get(key) as OrcTable | undefined;
  let table: OrcTable | undefined;
  try {
    const arch = k.object('struct module', m.address).field('arch');
    const n = arch.field('num_orcs').num();
    const ipAddr = arch.field('orc_unwind_ip').value();
    const unwindAddr = arch.field('orc_unwind').value();
    if (n > 0 && n <= 1 << 22 && ipAddr !== 0n && unwindAddr !== 0n) {
      table = new OrcTable({
        ipSectionAddr: ipAddr,
        ip: k.read(ipAddr, n * 4),
        unwind: k.read(unwindAddr, n * 6),
        version: vmlinuxTable.version,
      });
    }
  } catch {
    table = undefined; // unreadable: the walk stops at the module's code and says so
  }
  k.cache.set(key, table);
  return table;
}

/**
 * A CALL-type entry computed from the function's prologue, for a function without ORC entries of
 * its own (objtool skipped it: STACK_FRAME_NON_STANDARD). undefined when the prologue cannot be
 * followed, or says the same as the covering entry.
 */
function prologueEntry(
  k: Kernel,
  fnLink: bigint,
  offset: bigint,
  covering: OrcEntry | undefined,
): OrcEntry | undefined {
  if (offset > 4096n) return undefined;
  const code = k.image.readLink(fnLink, Number(offset) + 1);
  if (!code) return undefined;
  const r = prologueDepth(code, Number(offset));
  if (!r || r.depth < 0) return undefined;
  // a plain leaf function: its single ORC entry already says the same
  if (r.depth === 0 && covering?.type === 'call') return undefined;
  return {
    index: -1,
    ip: fnLink,
    spOffset: r.depth + 8,
    bpOffset: r.rbpSaved !== undefined ? -(8 + r.rbpSaved) : 0,
    spReg: ORC_REG.SP,
    bpReg: r.rbpSaved !== undefined ? ORC_REG.PREV_SP : ORC_REG.UNDEFINED,
    type: 'call',
    signal: false,
  };
}

/** struct pt_regs member offsets from the type info. */
export function ptRegsLayout(k: Kernel): PtRegsLayout {
  const cached = k.cache.get('bt.ptregs') as PtRegsLayout | undefined;
  if (cached) return cached;
  const offsets = {} as Record<(typeof PT_REG_NAMES)[number], number>;
  for (const n of PT_REG_NAMES) offsets[n] = k.offsetOf('struct pt_regs', n);
  const layout = { size: k.sizeOf('struct pt_regs'), offsets };
  k.cache.set('bt.ptregs', layout);
  return layout;
}

/** The CPU that panicked: panic_cpu, else crashing_cpu (both -1 when unset). */
export function panicCpu(k: Kernel): number | undefined {
  return findPanicCpu(k);
}

/** rq->curr of a CPU (per-CPU `runqueues`). */
export function cpuCurrentTask(k: Kernel, cpu: number): bigint {
  // asked once per task by foreach bt (10,000 tasks on 2 CPUs): each CPU's answer, or its error, is kept
  let memo = k.cache.get('bt/rq-curr') as Map<number, bigint | Error> | undefined;
  if (!memo) k.cache.set('bt/rq-curr', (memo = new Map()));
  let curr = memo.get(cpu);
  if (curr === undefined) {
    try {
      curr = k.object('struct rq', k.perCpu('runqueues', cpu)).field('curr').value();
    } catch (e) {
      curr = e instanceof Error ? e : new Error(String(e));
    }
    memo.set(cpu, curr);
  }
  if (curr instanceof Error) throw curr;
  return curr;
}

export function taskInfo(k: Kernel, task: bigint): TaskInfo {
  // a task the table already read (foreach bt over 10,000 tasks): its pid, comm and cpu as read then, not its
  // pages inflated again; an idle task's cpu is its runqueue's there, so those are read here as before
  const known = builtTaskTable(k)?.byAddress.get(task);
  if (known && !known.idle) {
    let active = false;
    try {
      active = known.cpu >= 0 && known.cpu < k.nrCpuIds && cpuCurrentTask(k, known.cpu) === task;
    } catch {
      active = false;
    }
    return { task, pid: known.pid, comm: known.comm, cpu: known.cpu, active };
  }
  const t = k.object('struct task_struct', task);
  const cpu = t.fieldAny('cpu', 'thread_info.cpu').num();
  let active = false;
  try {
    active = cpu >= 0 && cpu < k.nrCpuIds && cpuCurrentTask(k, cpu) === task;
  } catch {
    active = false;
  }
  return { task, pid: t.field('pid').num(), comm: t.field('comm').cstring(), cpu, active };
}

/** The task bt shows by default: the one running on the panic CPU. */
export function panicTask(k: Kernel): bigint | undefined {
  const cpu = panicCpu(k);
  if (cpu === undefined) return undefined;
  try {
    return cpuCurrentTask(k, cpu);
  } catch {
    return undefined;
  }
}

/**
 * NT_PRSTATUS registers of a CPU id. A kdump's notes are one per online CPU, in CPU order (an offline CPU
 * saved none); QEMU's dump-guest-memory writes one per vCPU, offline ones included: when there are as many
 * notes as present CPUs, note N is CPU N.
 */
export function cpuRegisters(k: Kernel, cpu: number): X86Regs | undefined {
  const present = k.presentCpus;
  const perVcpu = k.dump.cpus.length === present.length && present.length > k.onlineCpus.length;
  const idx = perVcpu ? present.indexOf(cpu) : k.onlineCpus.indexOf(cpu);
  return idx >= 0 ? k.dump.cpus[idx]?.regs : undefined;
}

function regsFromNote(r: X86Regs): RegsBlock {
  const values: PtRegsValues = {
    r15: r.r15,
    r14: r.r14,
    r13: r.r13,
    r12: r.r12,
    bp: r.rbp,
    bx: r.rbx,
    r11: r.r11,
    r10: r.r10,
    r9: r.r9,
    r8: r.r8,
    ax: r.rax,
    cx: r.rcx,
    dx: r.rdx,
    si: r.rsi,
    di: r.rdi,
    orig_ax: r.orig_rax,
    ip: r.rip,
    cs: r.cs & 0xffffn,
    flags: r.eflags,
    sp: r.rsp,
    ss: r.ss & 0xffffn,
  };
  return { values, partial: false, user: isUserMode(r.cs) };
}

/**
 * Who the task is and where its stack lies. A CPU's current task whose task_struct the dump lacks
 * (makedumpfile older than the kernel can exclude it) is still unwound from that CPU's saved
 * registers: its pid and command come from the pid table and the console log, and its stack from
 * the registers (inferTaskStack).
 */
function taskAndStack(k: Kernel, task: bigint): { info: TaskInfo; stackBase: bigint | undefined } {
  try {
    const info = taskInfo(k, task);
    // task->stack as the task table read it (its page is long gone from the page cache when foreach bt gets
    // there); a task the table does not hold, or whose stack it could not read (0), is read here
    const known = builtTaskTable(k)?.byAddress.get(task);
    const stackBase =
      known && known.stack !== 0n ? known.stack : k.object('struct task_struct', task).field('stack').value();
    return { info, stackBase };
  } catch (e) {
    const u = unreadableActiveTask(k, task);
    if (!u) throw e;
    // the CPU's own record of its current task's stack (a user-mode CPU's saved registers point at no kernel
    // stack); without it the stack is inferred from the saved registers
    return {
      info: { task, pid: u.pid ?? -1, comm: u.comm ?? '?', cpu: u.cpu, active: true, unreadable: u },
      stackBase: cpuTaskStack(k, u.cpu)?.base,
    };
  }
}

/**
 * The unwinder's memory for one backtrace: the stack page last read is kept (a page lent by the dump: held for
 * one backtrace, a few page reads), so the words of a frame are read at number offsets without translating and
 * looking up the page again for each. Reads fail as k.readU64 fails.
 */
function stackMemory(k: Kernel): StackMemory {
  let lastPage = -1n;
  let page: Buffer | undefined;
  return {
    readU64(a: bigint): bigint {
      const vpage = a & ~0xfffn;
      const off = Number(a & 0xfffn);
      if (vpage === lastPage && page && off <= 4088) return u64le(page, off);
      const at = off <= 4088 ? k.mem.scalarAt(a, 8) : undefined;
      if (!at || at.page.length !== 4096 || at.offset !== off) return k.readU64(a);
      lastPage = vpage;
      page = at.page;
      return u64le(page, off);
    },
  };
}

/** Backtrace of a task (task_struct address). Read errors end the walk with a message, never throw. */
export function backtrace(k: Kernel, task: bigint): Backtrace {
  const { info, stackBase } = taskAndStack(k, task);
  const stacks: StackRange[] = [];
  if (stackBase === 0n) return { task: info, frames: [], stop: 'no-stack', start: 'sleeping', stacks };
  if (stackBase !== undefined) stacks.push(taskStackAt(k, stackBase));
  const orc = orcLookup(k);
  const layout = ptRegsLayout(k);
  const mem = stackMemory(k);

  let result: UnwindResult;
  let start: Backtrace['start'];
  let savedSp: bigint | undefined;
  const regs = info.active ? cpuRegisters(k, info.cpu) : undefined;
  if (!regs && stackBase === undefined) {
    return {
      task: info,
      frames: [],
      stop: 'unreadable',
      message: `no saved registers for CPU ${info.cpu}`,
      start: 'cpu-registers',
      stacks,
    };
  }
  if (regs) {
    stacks.push(...cpuStackRanges(k, info.cpu));
    if (stackBase === undefined) {
      const inferred = inferTaskStack(k, regs.rsp, stacks);
      if (inferred) stacks.push(inferred);
    }
    const opts = { stackOf: (a: bigint) => stackOf(stacks, a)?.kind };
    const anchorRegs = regsFromNote(regs);
    const anchor: StartState = { ip: regs.rip, sp: regs.rsp, bp: regs.rbp, regs: anchorRegs };
    const endFn = info.cpu === panicCpu(k) ? 'machine_kexec' : 'crash_nmi_callback';
    const rec = recoverLastCall(k, orc, layout, anchor, endFn, stacks, opts);
    if (rec) {
      result = rec;
      start = 'recovered';
    } else {
      result = unwind(mem, orc, layout, anchor, opts);
      start = 'cpu-registers';
      // Registers not saved by crash_setup_regs (the panic CPU, which recovery did not verify) are the
      // state the CPU was stopped in: a crash NMI's interrupted registers, or a live dump's (QEMU
      // dump-guest-memory). Shown as crash does: an exception block, then the frames from the caller.
      const f0 = result.frames[0];
      if (info.cpu !== panicCpu(k) && !anchorRegs.user && f0)
        result.frames[0] = { ...f0, regs: { ...anchorRegs, cpuNote: true } };
    }
  } else if (info.active && !k.onlineCpus.includes(info.cpu)) {
    // an offline CPU's idle task (a kdump has no registers of it): parked in the halting loop
    const opts = { stackOf: (a: bigint) => stackOf(stacks, a)?.kind };
    const parked = stacks[0] ? parkedOfflineCpu(k, orc, layout, stacks[0], opts) : undefined;
    if (!parked) {
      return {
        task: info,
        frames: [],
        stop: 'unreadable',
        message: `CPU ${info.cpu} is offline and saved no registers; no halted call found on the task's stack`,
        start: 'offline',
        stacks,
      };
    }
    result = parked;
    start = 'offline';
  } else {
    // struct inactive_task_frame at thread.sp (arch/x86/include/asm/switch_to.h)
    const sp = builtTaskTable(k)?.savedSp?.get(task) ?? k.object('struct task_struct', task).field('thread.sp').value();
    const frame = k.object('struct inactive_task_frame', sp);
    const slot = frame.field('ret_addr').address;
    let ip: bigint, bp: bigint;
    try {
      ip = frame.field('ret_addr').value();
      bp = frame.field('bp').value();
    } catch (e) {
      return {
        task: info,
        frames: [],
        stop: 'unreadable',
        message: `cannot read the saved frame of the task at ${sp.toString(16)}: ${(e as Error).message}`,
        start: 'sleeping',
        stacks,
      };
    }
    const opts = { stackOf: (a: bigint) => stackOf(stacks, a)?.kind };
    result = unwind(mem, orc, layout, { ip, sp: slot + 8n, bp, returnAddress: true, slot }, opts);
    start = 'sleeping';
    savedSp = sp;
  }
  return {
    task: info,
    frames: entryFramesAtRegs(
      foldExceptionFrames(
        result.frames.map((f, i) => toBtFrame(k, f, i, stacks)),
        stacks,
      ),
      stacks,
    ),
    userRegs: result.userRegs,
    stop: result.stop,
    message: result.message,
    start,
    ...(savedSp === undefined ? {} : { savedSp }),
    stacks,
  };
}

/**
 * An exception frame whose interrupted code ran on the same stack (an interrupt over idle on the task
 * stack, an IRQ over softirq on the IRQ stack) is shown as its register block only, followed by the
 * interrupted function's caller: the interrupted function is named in `[exception RIP: ...]`, as the
 * kernel's own oops trace and crash show it. After a stack switch (the NMI/exception stack's pt_regs
 * point back to the task stack) the interrupted function stays a numbered frame, at the stack pointer
 * it was interrupted at, as crash prints it. Registers that lie on no stack (a CPU's note) count as
 * the same stack. Levels are renumbered.
 */
export function foldExceptionFrames(frames: BtFrame[], stacks: StackRange[]): BtFrame[] {
  const out: BtFrame[] = [];
  for (let i = 0; i < frames.length; i++) {
    const f = frames[i]!;
    const next = frames[i + 1];
    const r = f.regs;
    if (r && !r.user && f.exact && next && !next.regs) {
      const regsStack = r.address === undefined ? undefined : stackOf(stacks, r.address);
      if (regsStack === undefined || regsStack === stackOf(stacks, r.values.sp)) {
        frames[i + 1] = { ...next, regs: r };
        continue;
      }
    }
    out.push(f);
  }
  return out.map((f, level) => (f.level === level ? f : { ...f, level }));
}

/**
 * The entry code's frame right after a walk leaves the IRQ stack (asm_sysvec_apic_timer_interrupt,
 * whose struct pt_regs follows on the same stack) is shown at the pt_regs address, not at the slot of
 * its return address just below: crash prints the frame there, as the exception frame it introduces.
 */
export function entryFramesAtRegs(frames: BtFrame[], stacks: StackRange[]): BtFrame[] {
  return frames.map((f, i) => {
    const prev = frames[i - 1];
    const r = frames[i + 1]?.regs;
    if (f.exact || !prev || prev.stack === f.stack || !r || r.user || r.address === undefined) return f;
    if (!f.stack || stackOf(stacks, r.address) !== f.stack || r.address < f.slot) return f;
    return { ...f, slot: r.address };
  });
}

function toBtFrame(k: Kernel, f: UnwindFrame, level: number, stacks: StackRange[]): BtFrame {
  const slot = f.slot ?? f.sp;
  const n = k.symbols.nearest(f.exact ? f.ip : f.ip - 1n);
  const isText = n && 'TtWw'.includes(n.symbol.kind);
  return {
    level,
    ip: f.ip,
    slot,
    sp: f.sp,
    symbol: isText ? n.symbol.name : undefined,
    offset: isText ? f.ip - n.symbol.address : undefined,
    module: isText ? n.symbol.module : undefined,
    exact: f.exact,
    stack: stackOf(stacks, slot),
    regs: f.regs,
  };
}

/**
 * Find the frames of the call a CPU made after saving its registers (see the file comment):
 * a return address into `fnName` somewhere on the CPU's stacks from which ORC unwinds back to
 * `anchor`. Returns the whole walk from there, or undefined.
 */
function recoverLastCall(
  k: Kernel,
  orc: OrcLookup,
  layout: PtRegsLayout,
  anchor: StartState,
  fnName: string,
  stacks: StackRange[],
  opts: { stackOf: (a: bigint) => string | undefined },
): UnwindResult | undefined {
  const fn = k.symbols.lookup(fnName);
  if (!fn || fn.size === 0n) return undefined;
  const lo = fn.address;
  const hi = fn.address + fn.size;
  const anchorFn = k.symbols.nearest(anchor.ip)?.symbol.address;
  const mem = stackMemory(k);
  const found: { slot: bigint; res: UnwindResult; at: number }[] = [];
  for (const r of stacks) {
    for (let page = r.base; page < r.top; page += 4096n) {
      let buf: Buffer;
      try {
        buf = k.read(page, 4096);
      } catch {
        continue;
      }
      for (let off = 0; off < 4096; off += 8) {
        const v = u64le(buf, off);
        if (v <= lo || v >= hi) continue;
        const slot = page + BigInt(off);
        const res = unwind(
          mem,
          orc,
          layout,
          { ip: v, sp: slot + 8n, bp: anchor.bp, returnAddress: true, slot },
          { ...opts, maxFrames: 32 },
        );
        const at = matchAnchor(k, res, anchor, anchorFn);
        if (at !== undefined) found.push({ slot, res, at });
      }
    }
  }
  if (found.length === 0) return undefined;
  // several stale return addresses can verify; the deepest (lowest) slot is the most recent call
  found.sort((a, b) => (a.slot < b.slot ? -1 : a.slot > b.slot ? 1 : 0));
  const best = found[0]!;
  if (best.at < 0) return best.res; // met the anchor at the user-mode boundary: nothing more to walk
  // continue from the meeting point with the anchor's own registers (its bp and full register set)
  const meet = best.res.frames[best.at]!;
  const rest = unwind(
    mem,
    orc,
    layout,
    {
      ip: meet.ip,
      sp: meet.sp,
      bp: anchor.bp,
      returnAddress: !meet.exact,
      slot: meet.slot,
      regs: meet.regs ?? anchor.regs,
    },
    opts,
  );
  return {
    ...rest,
    frames: [...best.res.frames.slice(0, best.at), { ...meet, bp: anchor.bp }, ...rest.frames.slice(1)],
  };
}

/** Index of the frame where a walk meets the anchor registers; -1 when it met them as user registers. */
function matchAnchor(
  k: Kernel,
  res: UnwindResult,
  anchor: StartState,
  anchorFn: bigint | undefined,
): number | undefined {
  if (anchor.regs?.user) {
    const u = res.userRegs;
    return u && u.values.ip === anchor.ip && u.values.sp === anchor.sp ? -1 : undefined;
  }
  for (let i = 1; i < res.frames.length; i++) {
    const f = res.frames[i]!;
    if (f.sp !== anchor.sp) continue;
    if (f.exact && f.ip === anchor.ip) return i;
    const fnStart = k.symbols.nearest(f.exact ? f.ip : f.ip - 1n)?.symbol.address;
    if (fnStart !== undefined && fnStart === anchorFn) return i;
  }
  return undefined;
}

export interface TextWord {
  /** stack address of the word */
  slot: bigint;
  value: bigint;
  symbol: string;
  offset: bigint;
  /** the module the symbol is in */
  module?: string;
}

/** The instruction before `at` is a 5-byte direct call (E8 rel32): `at` can be the return address of a call. */
function afterCall(k: Kernel, at: bigint): boolean {
  try {
    return k.read(at - 5n, 1)[0] === 0xe8;
  } catch {
    return false;
  }
}

/**
 * The stack words in [from, to) that hold kernel text addresses (bt -t / -T): a raw scan, so stale return
 * addresses of finished calls and function pointers are listed too. A word is named like the kernel's %pB
 * (as a return address: the symbol of value - 1, so a call at a function's very end, to a noreturn function,
 * names its caller), except a word that is exactly a function's first byte with no call instruction before
 * it: that is a function pointer (a timer's callback, a watchdog function), named by itself.
 */
export function textWordsIn(k: Kernel, from: bigint, to: bigint): TextWord[] {
  const out: TextWord[] = [];
  for (let a = from, n = 0; a < to && n < 1 << 16; a += 8n, n++) {
    let v: bigint;
    try {
      v = k.readU64(a);
    } catch {
      a = (a | 4095n) - 7n; // skip the rest of an unreadable page
      continue;
    }
    if (v < 0xffffffff80000000n) continue;
    let s = k.symbols.nearest(v - 1n);
    const exact = k.symbols.nearest(v);
    if (exact && exact.offset === 0n && 'TtWw'.includes(exact.symbol.kind) && !afterCall(k, v)) s = exact;
    if (!s || !'TtWw'.includes(s.symbol.kind)) continue;
    out.push({ slot: a, value: v, symbol: s.symbol.name, offset: v - s.symbol.address, module: s.symbol.module });
  }
  return out;
}
