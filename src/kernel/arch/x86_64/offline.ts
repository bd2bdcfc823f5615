/**
 * Where an offline CPU's idle task stopped, when no registers say so.
 *
 * A CPU taken offline parks its idle task for good: do_idle → arch_cpu_idle_dead → play_dead
 * (native_play_dead) → hlt_play_dead or mwait_play_dead, which halt in a loop and never return
 * (arch/x86/kernel/smpboot.c). A kdump saves no registers for that CPU (only online CPUs answer the
 * crash NMI: its note is empty), and the idle task never switched out there, so task->thread.sp is a
 * stale frame. The stack itself says where it stopped: the return address of the call into the halting
 * function, pushed where the halted function's stack pointer is. Everything below that slot is older
 * calls' leftovers (crash's stack search shows some of them as frames).
 */
import type { Kernel } from '../../kernel.js';
import type { StackRange } from './stacks.js';
import { unwind, type OrcLookup, type PtRegsLayout, type UnwindOptions, type UnwindResult } from './unwind.js';

/** The functions an offline x86 CPU halts in forever. */
const PARKING_FUNCTIONS = ['hlt_play_dead', 'mwait_play_dead'];
const CALL_REL32 = 0xe8;

/**
 * The unwind of a parked offline CPU's idle task, from the deepest return address on its stack that
 * follows a direct call to a parking function and unwinds to the stack's end; undefined when there is none.
 */
export function parkedOfflineCpu(
  k: Kernel,
  orc: OrcLookup,
  layout: PtRegsLayout,
  stack: StackRange,
  opts: UnwindOptions,
): UnwindResult | undefined {
  const targets = new Set(PARKING_FUNCTIONS.flatMap((n) => k.symbols.lookup(n)?.address ?? []));
  if (targets.size === 0) return undefined;
  const text = { lo: k.symbols.lookup('_stext')?.address ?? 0n, hi: k.symbols.lookup('_etext')?.address ?? 0n };
  const mem = { readU64: (a: bigint) => k.readU64(a) };
  for (let page = stack.base; page < stack.top; page += 4096n) {
    let buf: Buffer;
    try {
      buf = k.read(page, 4096);
    } catch {
      continue;
    }
    for (let off = 0; off < 4096; off += 8) {
      const ret = buf.readBigUInt64LE(off);
      if (ret <= text.lo || ret >= text.hi || !callsParkingFunction(k, ret, targets)) continue;
      const slot = page + BigInt(off);
      const res = unwind(mem, orc, layout, { ip: ret, sp: slot + 8n, bp: 0n, returnAddress: true, slot }, opts);
      if (res.stop === 'end') return res;
    }
  }
  return undefined;
}

/** Is `ret` the address right after a `call rel32` whose target is one of `targets`? */
function callsParkingFunction(k: Kernel, ret: bigint, targets: Set<bigint>): boolean {
  let insn: Buffer;
  try {
    insn = k.read(ret - 5n, 5);
  } catch {
    return false;
  }
  if (insn[0] !== CALL_REL32) return false;
  return targets.has(BigInt.asUintN(64, ret + BigInt(insn.readInt32LE(1))));
}
