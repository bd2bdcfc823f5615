/**
 * The ORC unwinder, modelled on the kernel's own (arch/x86/kernel/unwind_orc.c: unwind_next_frame):
 * each step looks up the ORC entry of the current ip, computes the caller's stack pointer (the CFA)
 * from a base register plus an offset, and reads the return address below it (CALL), or a whole
 * struct pt_regs at it (REGS: interrupt/exception/syscall entry), or an IRET frame (REGS_PARTIAL).
 *
 * It knows nothing of dumps or kernels: memory is `StackMemory`, the ORC table is an `OrcLookup`
 * taking runtime addresses, and struct pt_regs comes as a field-name -> offset layout (from BTF).
 */
import { ORC_REG, type OrcEntry } from './orc.js';

/** Memory the unwinder reads; readU64 throws (with the address in its message) when unreadable. */
export interface StackMemory {
  readU64(addr: bigint): bigint;
}

/** ORC lookup by RUNTIME address (the caller applies the KASLR offset). */
export interface OrcLookup {
  find(runtimeIp: bigint): OrcEntry | undefined;
}

/** struct pt_regs members (arch/x86/include/asm/ptrace.h), in their kernel names. */
export const PT_REG_NAMES = [
  'r15',
  'r14',
  'r13',
  'r12',
  'bp',
  'bx',
  'r11',
  'r10',
  'r9',
  'r8',
  'ax',
  'cx',
  'dx',
  'si',
  'di',
  'orig_ax',
  'ip',
  'cs',
  'flags',
  'sp',
  'ss',
] as const;
export type PtRegName = (typeof PT_REG_NAMES)[number];
export type PtRegsValues = Record<PtRegName, bigint>;

/** Byte offsets of the pt_regs members, and sizeof(struct pt_regs). */
export interface PtRegsLayout {
  size: number;
  offsets: Record<PtRegName, number>;
}

/** A register set the unwinder went through: saved on the stack at `address`, or from a CPU note. */
export interface RegsBlock {
  /** where struct pt_regs starts on the stack; undefined for registers that came from elsewhere */
  address?: bigint;
  values: PtRegsValues;
  /** REGS_PARTIAL: only ip, cs, flags, sp, ss (the hardware IRET frame) are valid */
  partial: boolean;
  /** the registers are of user mode (CS & 3) */
  user: boolean;
  /** a CPU's own saved registers (NT_PRSTATUS), not a struct pt_regs: crash prints them without ORIG_RAX */
  cpuNote?: boolean;
}

export interface UnwindFrame {
  /** the frame's program counter: an exact instruction (exact) or a return address */
  ip: bigint;
  /** the stack pointer in this frame (just above the return address that led here) */
  sp: bigint;
  bp: bigint;
  /** the stack slot the ip was read from; undefined when ip came from registers */
  slot?: bigint;
  /** ip is the interrupted/current instruction (look it up as is), not a return address (ip - 1) */
  exact: boolean;
  /** the saved registers this frame was resumed from (an exception, interrupt or NMI frame) */
  regs?: RegsBlock;
}

export type StopReason =
  | 'end' // ORC END_OF_STACK: the bottom of a kernel stack (syscall entry from user mode, idle, kthread)
  | 'user' // a pt_regs frame of user mode: the syscall/interrupt boundary
  | 'undefined' // ORC type UNDEFINED at this ip (not unwindable, e.g. some entry code)
  | 'no-orc' // no ORC entry covers the ip (not kernel text)
  | 'unreadable' // a stack read failed
  | 'bad-sp' // the stack pointer did not move up the stack: corrupt data or a loop
  | 'limit'; // too many frames

export interface UnwindResult {
  frames: UnwindFrame[];
  stop: StopReason;
  /** one line for the stops that are not normal ends */
  message?: string;
  /** the user-mode registers at the kernel entry, when the walk reached them */
  userRegs?: RegsBlock;
}

export interface UnwindOptions {
  /** a name for the stack an address is on (e.g. 'task', 'irq', 'NMI'); used to validate progress */
  stackOf?: (addr: bigint) => string | undefined;
  /** frame limit (default 256) */
  maxFrames?: number;
}

/** Where to start: registers, plus the slot the ip came from when it is a return address. */
export interface StartState {
  ip: bigint;
  sp: bigint;
  bp: bigint;
  /** true when ip is a return address read from the stack (a sleeping task's saved frame) */
  returnAddress?: boolean;
  slot?: bigint;
  /** full registers when known (CPU notes): lets ORC use R10/R13/DI/DX-based entries at the start */
  regs?: RegsBlock;
}

interface State {
  ip: bigint;
  sp: bigint;
  bp: bigint;
  /** look up ip exactly (not ip - 1) */
  signal: boolean;
  regs?: RegsBlock;
  prevRegs?: RegsBlock;
}

const U64 = (1n << 64n) - 1n;

export function isUserMode(cs: bigint): boolean {
  return (cs & 3n) !== 0n;
}

/** Read a struct pt_regs at `addr`. */
export function readPtRegs(mem: StackMemory, layout: PtRegsLayout, addr: bigint): PtRegsValues {
  const o = layout.offsets;
  const r = (n: PtRegName): bigint => mem.readU64(addr + BigInt(o[n]));
  // one object literal, read in PT_REG_NAMES order (the first unreadable register names the error): 21 keyed
  // stores into an empty object made V8 reshape it per store, ~20 µs a task in foreach bt
  const v: PtRegsValues = {
    r15: r('r15'),
    r14: r('r14'),
    r13: r('r13'),
    r12: r('r12'),
    bp: r('bp'),
    bx: r('bx'),
    r11: r('r11'),
    r10: r('r10'),
    r9: r('r9'),
    r8: r('r8'),
    ax: r('ax'),
    cx: r('cx'),
    dx: r('dx'),
    si: r('si'),
    di: r('di'),
    orig_ax: r('orig_ax'),
    ip: r('ip'),
    // cs and ss are 16-bit selectors (6.9+ share their slot with FRED bits)
    cs: r('cs') & 0xffffn,
    flags: r('flags'),
    sp: r('sp'),
    ss: r('ss') & 0xffffn,
  };
  return v;
}

/**
 * Unwind from `start`. Never throws for bad stack data: the walk stops and says why
 * (`stop`, `message`); the frames found so far are returned.
 */
export function unwind(
  mem: StackMemory,
  orc: OrcLookup,
  layout: PtRegsLayout,
  start: StartState,
  opts: UnwindOptions = {},
): UnwindResult {
  const max = opts.maxFrames ?? 256;
  const frames: UnwindFrame[] = [
    { ip: start.ip, sp: start.sp, bp: start.bp, slot: start.slot, exact: !start.returnAddress },
  ];
  let st: State = { ip: start.ip, sp: start.sp, bp: start.bp, signal: !start.returnAddress, regs: start.regs };
  if (start.regs?.user) return { frames: [], stop: 'user', userRegs: start.regs };
  for (;;) {
    if (frames.length >= max) return { frames, stop: 'limit', message: `stopped after ${max} frames` };
    const r = step(mem, orc, layout, st, opts);
    if ('stop' in r) return { frames, ...r };
    const { next, frame } = r;
    if (frame.regs?.user) return { frames, stop: 'user', userRegs: frame.regs };
    frames.push(frame);
    st = next;
  }
}

type StepResult = { next: State; frame: UnwindFrame } | { stop: StopReason; message?: string };

function hex(v: bigint): string {
  return v.toString(16);
}

function step(mem: StackMemory, orc: OrcLookup, layout: PtRegsLayout, st: State, opts: UnwindOptions): StepResult {
  const lookupIp = st.signal ? st.ip : st.ip - 1n;
  const e = orc.find(lookupIp);
  if (!e) return { stop: 'no-orc', message: `no ORC unwind data for ${hex(st.ip)}` };
  if (e.type === 'end') return { stop: 'end' };
  if (e.type === 'undefined') return { stop: 'undefined', message: `ORC data marks ${hex(st.ip)} as not unwindable` };
  const read = (addr: bigint, what: string): bigint => {
    try {
      return mem.readU64(addr);
    } catch (err) {
      throw new StopError('unreadable', `cannot read ${what} at ${hex(addr)}: ${(err as Error).message}`);
    }
  };
  try {
    // the caller's stack pointer (CFA)
    let cfa: bigint;
    const off = BigInt(e.spOffset);
    switch (e.spReg) {
      case ORC_REG.SP:
        cfa = st.sp + off;
        break;
      case ORC_REG.BP:
        cfa = st.bp + off;
        break;
      case ORC_REG.SP_INDIRECT:
        // since 5.12: the stack slot at sp holds the previous sp (call_on_stack), then add the offset
        cfa = read(st.sp, 'the saved stack pointer') + off;
        break;
      case ORC_REG.BP_INDIRECT:
        cfa = read(st.bp + off, 'the saved stack pointer');
        break;
      case ORC_REG.R10:
      case ORC_REG.R13:
      case ORC_REG.DI:
      case ORC_REG.DX: {
        const name = ({ [ORC_REG.R10]: 'r10', [ORC_REG.R13]: 'r13', [ORC_REG.DI]: 'di', [ORC_REG.DX]: 'dx' } as const)[
          e.spReg
        ];
        if (!st.regs || st.regs.partial) {
          return {
            stop: 'unreadable',
            message: `ORC at ${hex(st.ip)} needs register ${name}, which is not saved here`,
          };
        }
        cfa = st.regs.values[name] + off;
        break;
      }
      default:
        return { stop: 'undefined', message: `ORC at ${hex(st.ip)} uses unknown base register ${e.spReg}` };
    }
    cfa &= U64;

    let next: State;
    let frame: UnwindFrame;
    if (e.type === 'call') {
      const slot = cfa - 8n;
      const ip = read(slot, 'the return address');
      next = { ip, sp: cfa, bp: st.bp, signal: e.signal };
      frame = { ip, sp: cfa, bp: st.bp, slot, exact: e.signal };
    } else if (e.type === 'regs') {
      let values: PtRegsValues;
      try {
        values = readPtRegs(mem, layout, cfa);
      } catch (err) {
        throw new StopError(
          'unreadable',
          `cannot read the saved registers (pt_regs) at ${hex(cfa)}: ${(err as Error).message}`,
        );
      }
      const regs: RegsBlock = { address: cfa, values, partial: false, user: isUserMode(values.cs) };
      next = { ip: values.ip, sp: values.sp, bp: st.bp, signal: true, regs };
      frame = { ip: values.ip, sp: values.sp, bp: st.bp, exact: true, regs };
    } else {
      // REGS_PARTIAL: cfa points at the IRET frame (pt_regs.ip onwards)
      const base = cfa - BigInt(layout.offsets.ip);
      const values = {} as PtRegsValues;
      for (const n of ['ip', 'cs', 'flags', 'sp', 'ss'] as const) {
        let x = read(base + BigInt(layout.offsets[n]), `the interrupt frame (${n})`);
        if (n === 'cs' || n === 'ss') x &= 0xffffn;
        values[n] = x;
      }
      for (const n of PT_REG_NAMES) if (values[n] === undefined) values[n] = 0n;
      const regs: RegsBlock = { address: base, values, partial: true, user: isUserMode(values.cs) };
      next = {
        ip: values.ip,
        sp: values.sp,
        bp: st.bp,
        signal: true,
        regs,
        prevRegs: st.regs && !st.regs.partial ? st.regs : undefined,
      };
      frame = { ip: values.ip, sp: values.sp, bp: st.bp, exact: true, regs };
    }

    // the caller's frame pointer
    switch (e.bpReg) {
      case ORC_REG.UNDEFINED: {
        const src = next.regs && !next.regs.partial ? next.regs : next.regs?.partial ? next.prevRegs : undefined;
        if (src) next.bp = src.values.bp;
        break;
      }
      case ORC_REG.PREV_SP:
        next.bp = read(cfa + BigInt(e.bpOffset), 'the saved frame pointer');
        break;
      case ORC_REG.BP:
        next.bp = read(st.bp + BigInt(e.bpOffset), 'the saved frame pointer');
        break;
      default:
        break;
    }
    frame.bp = next.bp;

    // progress: on the same stack the stack pointer must move up (kernel: "stack going in the wrong direction")
    if (!next.regs?.user) {
      const a = opts.stackOf?.(st.sp);
      const b = opts.stackOf?.(next.sp);
      const same = opts.stackOf ? a !== undefined && a === b : true;
      if (same && next.sp <= st.sp && e.type === 'call') {
        return {
          stop: 'bad-sp',
          message: `stack pointer moved down (${hex(st.sp)} -> ${hex(next.sp)}) at ${hex(st.ip)}`,
        };
      }
    }
    return { next, frame };
  } catch (err) {
    if (err instanceof StopError) return { stop: err.reason, message: err.message };
    throw err;
  }
}

class StopError extends Error {
  constructor(
    readonly reason: StopReason,
    message: string,
  ) {
    super(message);
  }
}
