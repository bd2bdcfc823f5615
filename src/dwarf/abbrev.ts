/**
 * Abbreviation tables (.debug_abbrev, DWARF 5 section 7.5.3): code → tag, children flag and attribute
 * specs. Each abbreviation is also compiled into a short op list for the index walker: runs of attributes
 * of fixed size (for the unit's address and offset sizes) become one skip, variable-size forms one op each,
 * and the attributes the index needs (name, sibling, declaration, specification) an op naming the role.
 */
import * as C from './constants.js';
import { Cursor } from './cursor.js';

/** Roles of an attribute in the index walker's op list. */
export const enum Role {
  Skip = 0,
  Name = 1,
  Sibling = 2,
  Declaration = 3,
  Specification = 4,
}

/** Op codes: an op >= 0 skips that many bytes; the negative ones handle one attribute. */
export const OP_ULEB = -1;
export const OP_STRING = -2;
export const OP_BLOCK1 = -3;
export const OP_BLOCK2 = -4;
export const OP_BLOCK4 = -5;
export const OP_BLOCK_ULEB = -6;
/** an attribute the walker decodes: followed by two more ops, role and form */
export const OP_ROLE = -7;
export const OP_INDIRECT = -8;

export interface Abbrev {
  code: number;
  tag: number;
  hasChildren: boolean;
  /** attribute names, forms and (for DW_FORM_implicit_const) values, in order */
  names: number[];
  forms: number[];
  implicit: number[];
  /** compiled ops for the index walker (see OP_*) */
  ops: number[];
  /** total size when every attribute has a fixed size, else -1 */
  fixedSize: number;
}

export interface AbbrevTable {
  /** abbreviations by code (dense codes are usual: 1..n) */
  byCode: (Abbrev | undefined)[];
}

/** Size in bytes of a form's value when fixed for this unit, -1 when variable, -2 when unknown. */
export function fixedFormSize(form: number, addrSize: number, offsetSize: number): number {
  switch (form) {
    case C.DW_FORM_flag_present:
    case C.DW_FORM_implicit_const:
      return 0;
    case C.DW_FORM_data1:
    case C.DW_FORM_ref1:
    case C.DW_FORM_flag:
    case C.DW_FORM_strx1:
    case C.DW_FORM_addrx1:
      return 1;
    case C.DW_FORM_data2:
    case C.DW_FORM_ref2:
    case C.DW_FORM_strx2:
    case C.DW_FORM_addrx2:
      return 2;
    case C.DW_FORM_strx3:
    case C.DW_FORM_addrx3:
      return 3;
    case C.DW_FORM_data4:
    case C.DW_FORM_ref4:
    case C.DW_FORM_ref_sup4:
    case C.DW_FORM_strx4:
    case C.DW_FORM_addrx4:
      return 4;
    case C.DW_FORM_data8:
    case C.DW_FORM_ref8:
    case C.DW_FORM_ref_sig8:
    case C.DW_FORM_ref_sup8:
      return 8;
    case C.DW_FORM_data16:
      return 16;
    case C.DW_FORM_addr:
      return addrSize;
    case C.DW_FORM_strp:
    case C.DW_FORM_line_strp:
    case C.DW_FORM_sec_offset:
    case C.DW_FORM_ref_addr:
    case C.DW_FORM_strp_sup:
    case C.DW_FORM_GNU_ref_alt:
    case C.DW_FORM_GNU_strp_alt:
      return offsetSize;
    case C.DW_FORM_string:
    case C.DW_FORM_block:
    case C.DW_FORM_block1:
    case C.DW_FORM_block2:
    case C.DW_FORM_block4:
    case C.DW_FORM_exprloc:
    case C.DW_FORM_sdata:
    case C.DW_FORM_udata:
    case C.DW_FORM_ref_udata:
    case C.DW_FORM_strx:
    case C.DW_FORM_addrx:
    case C.DW_FORM_loclistx:
    case C.DW_FORM_rnglistx:
    case C.DW_FORM_GNU_addr_index:
    case C.DW_FORM_GNU_str_index:
    case C.DW_FORM_indirect:
      return -1;
    default:
      return -2;
  }
}

function variableOp(form: number): number {
  switch (form) {
    case C.DW_FORM_string:
      return OP_STRING;
    case C.DW_FORM_block1:
      return OP_BLOCK1;
    case C.DW_FORM_block2:
      return OP_BLOCK2;
    case C.DW_FORM_block4:
      return OP_BLOCK4;
    case C.DW_FORM_block:
    case C.DW_FORM_exprloc:
      return OP_BLOCK_ULEB;
    case C.DW_FORM_indirect:
      return OP_INDIRECT;
    default:
      return OP_ULEB;
  }
}

function roleOf(at: number): Role {
  switch (at) {
    case C.DW_AT_name:
      return Role.Name;
    case C.DW_AT_sibling:
      return Role.Sibling;
    case C.DW_AT_declaration:
      return Role.Declaration;
    case C.DW_AT_specification:
      return Role.Specification;
    default:
      return Role.Skip;
  }
}

/**
 * Parse the abbreviation table starting at `offset` of `buf` (the whole .debug_abbrev) and compile each
 * entry for a unit with these address and offset sizes.
 */
export function parseAbbrevTable(buf: Buffer, offset: number, addrSize: number, offsetSize: number): AbbrevTable {
  const c = new Cursor(buf, '.debug_abbrev', 0, offset);
  const byCode: (Abbrev | undefined)[] = [];
  for (let n = 0; ; n++) {
    if (n > 1_000_000) c.fail('abbreviation table has no end');
    const code = c.uleb();
    if (code === 0) break;
    const tag = c.uleb();
    const hasChildren = c.u8() !== 0;
    const names: number[] = [];
    const forms: number[] = [];
    const implicit: number[] = [];
    const formsAt: number[] = [];
    for (let i = 0; ; i++) {
      if (i > 10_000) c.fail('abbreviation has no end');
      const at = c.uleb();
      const formAt = c.pos;
      const form = c.uleb();
      if (at === 0 && form === 0) break;
      names.push(at);
      forms.push(form);
      implicit.push(form === C.DW_FORM_implicit_const ? c.sleb() : 0);
      formsAt.push(formAt);
    }
    const ops: number[] = [];
    let fixed = 0;
    let allFixed = true;
    let run = 0;
    for (let i = 0; i < names.length; i++) {
      const form = forms[i]!;
      const role = roleOf(names[i]!);
      const size = fixedFormSize(form, addrSize, offsetSize);
      if (size === -2) c.fail(`unknown attribute form 0x${form.toString(16)}`, formsAt[i]);
      if (role === Role.Skip && size >= 0) {
        run += size;
        fixed += size;
        continue;
      }
      if (run) ops.push(run);
      run = 0;
      if (size < 0) allFixed = false;
      else fixed += size;
      if (role === Role.Skip) ops.push(variableOp(form));
      else ops.push(OP_ROLE, role, form);
    }
    if (run) ops.push(run);
    if (code > 100_000_000) c.fail(`abbreviation code ${code} too large`);
    byCode[code] = {
      code,
      tag,
      hasChildren,
      names,
      forms,
      implicit,
      ops,
      fixedSize: allFixed ? fixed : -1,
    };
  }
  return { byCode };
}
