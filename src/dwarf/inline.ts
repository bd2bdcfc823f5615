/**
 * Inlined calls around a code address: the unit-level function whose ranges hold the address, then the
 * DW_TAG_inlined_subroutine DIEs nested in it (through lexical blocks) that hold it too, innermost first,
 * each with the function inlined and the call site (DW_AT_call_file / DW_AT_call_line).
 */
import type { InlineFrame } from '../kernel/debuginfo/types.js';
import * as C from './constants.js';
import type { Die } from './die.js';
import type { DwarfTypes } from './types.js';
import type { Unit } from './unit.js';

const MAX_DEPTH = 64;

/** Whether a DIE's ranges (low_pc/high_pc or DW_AT_ranges) hold pc. */
export function dieHolds(die: Die, pc: bigint): boolean {
  const low = die.addr(C.DW_AT_low_pc);
  if (low !== undefined && die.has(C.DW_AT_high_pc)) {
    const high = die.addr(C.DW_AT_high_pc)!;
    const end = die.form(C.DW_AT_high_pc) === C.DW_FORM_addr ? high : low + high;
    return pc >= low && pc < end;
  }
  if (die.has(C.DW_AT_ranges)) return die.unit.dwarf.rangesHold(die, pc);
  return false;
}

function nameOf(die: Die, unit: Unit): string {
  let d: Die | undefined = die;
  for (let i = 0; d && i < 8; i++) {
    const n = d.name;
    if (n) return n;
    const ref: number | undefined = d.ref(C.DW_AT_abstract_origin) ?? d.ref(C.DW_AT_specification);
    d = ref === undefined ? undefined : unit.dwarf.die(ref);
  }
  return '??';
}

export function inlineChain(unit: Unit, pc: bigint, files: string[], _types: DwarfTypes): InlineFrame[] {
  const root = unit.root;
  let fn: Die | undefined;
  for (const d of unit.children(root)) {
    if (d.tag === C.DW_TAG_subprogram && dieHolds(d, pc)) {
      fn = d;
      break;
    }
  }
  if (!fn) return [];
  const chain: InlineFrame[] = [];
  let scope: Die = fn;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    let next: Die | undefined;
    for (const d of unit.children(scope)) {
      if ((d.tag === C.DW_TAG_inlined_subroutine || d.tag === C.DW_TAG_lexical_block) && dieHolds(d, pc)) {
        next = d;
        break;
      }
    }
    if (!next) break;
    if (next.tag === C.DW_TAG_inlined_subroutine) {
      const file = next.num(C.DW_AT_call_file);
      chain.push({
        function: nameOf(next, unit),
        callSite: {
          file: (file !== undefined ? files[file] : undefined) ?? '??',
          line: next.num(C.DW_AT_call_line) ?? 0,
        },
      });
    }
    scope = next;
  }
  return chain.reverse();
}
