/**
 * Stack depth of a function at an instruction, from its prologue, for the few kernel functions
 * objtool leaves without ORC data (STACK_FRAME_NON_STANDARD: e.g. 6.1's __crash_kexec, whose
 * crash_setup_regs inline asm objtool cannot follow). Walks the instructions from the function's
 * start, counting push/pop and sub/add of %rsp, until the target or the end of the prologue: the first
 * jump, call (other than the ftrace hook) or return, or an instruction it cannot size once the frame
 * is set up. Kernel code is built without frame pointers and without pushes around calls, so the
 * body keeps the prologue's depth; a function that realigns %rsp is refused.
 *
 * Decodes a deliberately small subset of x86-64: legacy/REX prefixes, one-byte opcodes with ModRM
 * (ALU, mov, lea, test, xchg), immediates, and 0F xx for nops/endbr/cmov/movzx/setcc.
 */

export interface PrologueResult {
  /** bytes pushed/allocated below the return address at `ip` */
  depth: number;
  /** depth at which %rbp was pushed (its slot is CFA - 8 - pushDepth), if it was */
  rbpSaved?: number;
}

/** ModRM length (the ModRM byte itself, SIB, displacement), or -1. */
function modrmLen(code: Buffer, i: number): number {
  if (i >= code.length) return -1;
  const m = code[i]!;
  const mod = m >> 6;
  const rm = m & 7;
  let len = 1;
  if (mod !== 3 && rm === 4) {
    if (i + 1 >= code.length) return -1;
    const sib = code[i + 1]!;
    len += 1;
    if (mod === 0 && (sib & 7) === 5) len += 4;
  }
  if (mod === 0 && rm === 5)
    len += 4; // rip-relative
  else if (mod === 1) len += 1;
  else if (mod === 2) len += 4;
  return len;
}

/**
 * Stack depth at `target` (offset from the function start) given the function's bytes.
 * undefined when the prologue cannot be followed up to `target`.
 */
export function prologueDepth(code: Buffer, target: number): PrologueResult | undefined {
  let i = 0;
  let depth = 0;
  let rbpSaved: number | undefined;
  for (let n = 0; n < 64 && i < code.length; n++) {
    if (i >= target) return { depth, rbpSaved };
    let rexW = false;
    let rexB = false;
    let rexR = false;
    let opsize16 = false;
    // prefixes
    for (;;) {
      const b = code[i]!;
      if (b === 0x66) opsize16 = true;
      else if (b === 0x65 || b === 0x64 || b === 0xf0 || b === 0xf2 || b === 0xf3 || b === 0x2e || b === 0x3e) {
        /* segment / lock / rep */
      } else break;
      i++;
    }
    if ((code[i]! & 0xf0) === 0x40) {
      rexW = (code[i]! & 8) !== 0;
      rexB = (code[i]! & 1) !== 0;
      rexR = (code[i]! & 4) !== 0;
      i++;
    }
    const op = code[i++];
    if (op === undefined) return undefined;
    const imm = opsize16 ? 2 : 4;
    let ml: number;
    if (op >= 0x50 && op <= 0x57) {
      depth += 8;
      if (op === 0x55 && !rexB) rbpSaved = depth;
      continue;
    }
    if (op >= 0x58 && op <= 0x5f) {
      depth -= 8;
      continue;
    }
    if (op === 0xe8) {
      // call rel32: the ftrace hook (first instruction, or right after endbr64) is stack-neutral;
      // any other call ends the prologue
      if (n > 1 || depth !== 0) return { depth, rbpSaved };
      i += 4;
      continue;
    }
    if (op === 0x90) continue;
    if (op === 0x83 || op === 0x81) {
      // group 1 with immediate: sub/add $imm, %rsp changes the depth
      const m = code[i];
      if (m === undefined) return undefined;
      ml = modrmLen(code, i);
      if (ml < 0) return undefined;
      const immLen = op === 0x83 ? 1 : imm;
      const at = i + ml;
      if (at + immLen > code.length) return undefined;
      const v = op === 0x83 ? code.readInt8(at) : immLen === 4 ? code.readInt32LE(at) : code.readInt16LE(at);
      if ((m & 0xc7) === 0xc4 && rexW && !rexB) {
        const reg = (m >> 3) & 7;
        if (reg === 5)
          depth += v; // sub
        else if (reg === 0)
          depth -= v; // add
        else if (reg !== 7) return undefined; // and/or/... on %rsp: realignment we cannot follow
      }
      i = at + immLen;
      continue;
    }
    // ALU r/m,r and r,r/m (add/or/adc/sbb/and/sub/xor/cmp), test, xchg, mov, lea
    if (
      (op < 0x40 && (op & 7) <= 3) ||
      op === 0x84 ||
      op === 0x85 ||
      op === 0x86 ||
      op === 0x87 ||
      (op >= 0x88 && op <= 0x8b) ||
      op === 0x8d
    ) {
      ml = modrmLen(code, i);
      if (ml < 0) return undefined;
      const m = code[i]!;
      // a write to %rsp itself (mov/lea into rsp) is not a prologue we follow
      const writesRspRm = op === 0x89 && (m & 0xc7) === 0xc4 && !rexB;
      const writesRspReg = (op === 0x8b || op === 0x8d) && ((m >> 3) & 7) === 4 && !rexR;
      if (writesRspRm || writesRspReg) return undefined;
      i += ml;
      continue;
    }
    if (op < 0x40 && ((op & 7) === 4 || (op & 7) === 5)) {
      i += (op & 7) === 4 ? 1 : imm; // ALU al/eax, imm
      continue;
    }
    if (op >= 0xb8 && op <= 0xbf) {
      i += rexW ? 8 : imm;
      continue;
    }
    if (op >= 0xb0 && op <= 0xb7) {
      i += 1;
      continue;
    }
    if (op === 0xc7 || op === 0xc6) {
      ml = modrmLen(code, i);
      if (ml < 0) return undefined;
      i += ml + (op === 0xc6 ? 1 : imm);
      continue;
    }
    if (op === 0x0f) {
      const op2 = code[i++];
      if (op2 === undefined) return undefined;
      if (
        op2 === 0x1e ||
        op2 === 0x1f ||
        (op2 >= 0x40 && op2 <= 0x4f) ||
        (op2 >= 0x90 && op2 <= 0x9f) ||
        op2 === 0xb6 ||
        op2 === 0xb7 ||
        op2 === 0xbe ||
        op2 === 0xbf ||
        op2 === 0xaf
      ) {
        // endbr64 (f3 0f 1e fa), nopl, cmovcc, setcc, movzx/movsx, imul
        ml = modrmLen(code, i);
        if (ml < 0) return undefined;
        i += ml;
        continue;
      }
      if (op2 >= 0x80 && op2 <= 0x8f) return { depth, rbpSaved }; // jcc rel32
      return depth > 0 ? { depth, rbpSaved } : undefined;
    }
    // a jump, call or return ends the prologue: the body keeps this depth (no frame pointer, no
    // pushes around calls in kernel code); an instruction we cannot size ends it only once the
    // frame is set up
    if ((op >= 0x70 && op <= 0x7f) || op === 0xe9 || op === 0xeb || op === 0xc3 || op === 0xff)
      return { depth, rbpSaved };
    return depth > 0 ? { depth, rbpSaved } : undefined;
  }
  return { depth, rbpSaved };
}
