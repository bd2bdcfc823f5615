/**
 * Reading one DIE with all its attribute values decoded (the index walker in name-index.ts has its own
 * faster path). Values: numbers for constants and offsets that fit, bigints for addresses and 8-byte
 * data, strings for string forms, Buffers for blocks and expressions, absolute section offsets for
 * references (ref_addr and the unit-relative refN forms alike).
 */
import type { Abbrev, AbbrevTable } from './abbrev.js';
import * as C from './constants.js';
import type { Cursor } from './cursor.js';
import type { Unit } from './unit.js';

export type AttrValue = number | bigint | string | Buffer | boolean;

export class Die {
  constructor(
    readonly unit: Unit,
    /** section offset of the DIE */
    readonly offset: number,
    readonly abbrev: Abbrev,
    readonly values: AttrValue[],
    /** the real form of each value (DW_FORM_indirect resolved) */
    readonly forms: number[],
    /** section offset just past the DIE's attributes (its first child, or its next sibling) */
    readonly end: number,
  ) {}

  get tag(): number {
    return this.abbrev.tag;
  }

  get hasChildren(): boolean {
    return this.abbrev.hasChildren;
  }

  private index(at: number): number {
    const names = this.abbrev.names;
    for (let i = 0; i < names.length; i++) if (names[i] === at) return i;
    return -1;
  }

  has(at: number): boolean {
    return this.index(at) >= 0;
  }

  get(at: number): AttrValue | undefined {
    const i = this.index(at);
    return i < 0 ? undefined : this.values[i];
  }

  form(at: number): number | undefined {
    const i = this.index(at);
    return i < 0 ? undefined : this.forms[i];
  }

  string(at: number): string | undefined {
    const v = this.get(at);
    return typeof v === 'string' ? v : undefined;
  }

  get name(): string | undefined {
    return this.string(C.DW_AT_name);
  }

  /** An integer constant attribute as a number (undefined when absent or not a constant). */
  num(at: number): number | undefined {
    const v = this.get(at);
    if (typeof v === 'number') return v;
    if (typeof v === 'bigint') return Number(BigInt.asIntN(64, v));
    if (typeof v === 'boolean') return v ? 1 : 0;
    return undefined;
  }

  /** A reference attribute: the absolute .debug_info offset it points to. */
  ref(at: number): number | undefined {
    const i = this.index(at);
    if (i < 0) return undefined;
    return isRefForm(this.forms[i]!) ? (this.values[i] as number) : undefined;
  }

  flag(at: number): boolean {
    const v = this.get(at);
    return v === true || (typeof v === 'number' && v !== 0);
  }

  /** An address attribute (low_pc ...) as a bigint. */
  addr(at: number): bigint | undefined {
    const v = this.get(at);
    if (typeof v === 'bigint') return v;
    if (typeof v === 'number') return BigInt(v);
    return undefined;
  }
}

export function isRefForm(form: number): boolean {
  return (
    form === C.DW_FORM_ref1 ||
    form === C.DW_FORM_ref2 ||
    form === C.DW_FORM_ref4 ||
    form === C.DW_FORM_ref8 ||
    form === C.DW_FORM_ref_udata ||
    form === C.DW_FORM_ref_addr
  );
}

/** Whether a form belongs to the "constant" class (DW_AT_high_pc as a length, sizes, bounds). */
export function isConstantForm(form: number): boolean {
  return (
    form === C.DW_FORM_data1 ||
    form === C.DW_FORM_data2 ||
    form === C.DW_FORM_data4 ||
    form === C.DW_FORM_data8 ||
    form === C.DW_FORM_sdata ||
    form === C.DW_FORM_udata ||
    form === C.DW_FORM_implicit_const
  );
}

/** Decode one attribute value of `form` at the cursor (advancing it). */
export function readValue(c: Cursor, form: number, unit: Unit, implicit: number): AttrValue {
  const h = unit.header;
  switch (form) {
    case C.DW_FORM_addr:
      return c.addr(h.addrSize);
    case C.DW_FORM_data1:
      return c.u8();
    case C.DW_FORM_data2:
      return c.u16();
    case C.DW_FORM_data4:
      return c.u32();
    case C.DW_FORM_data8:
      return c.u64();
    case C.DW_FORM_data16:
      return c.bytes(16);
    case C.DW_FORM_sdata: {
      const start = c.pos;
      try {
        return c.sleb();
      } catch {
        c.pos = start;
        return c.slebBig();
      }
    }
    case C.DW_FORM_udata: {
      const start = c.pos;
      try {
        return c.uleb();
      } catch {
        c.pos = start;
        return c.ulebBig();
      }
    }
    case C.DW_FORM_flag:
      return c.u8() !== 0;
    case C.DW_FORM_flag_present:
      return true;
    case C.DW_FORM_implicit_const:
      return implicit;
    case C.DW_FORM_string:
      return c.cstring();
    case C.DW_FORM_strp:
      return unit.dwarf.str(c.uN(h.offsetSize));
    case C.DW_FORM_line_strp:
      return unit.dwarf.lineStr(c.uN(h.offsetSize));
    case C.DW_FORM_strx:
    case C.DW_FORM_GNU_str_index:
      return unit.strx(c.uleb());
    case C.DW_FORM_strx1:
      return unit.strx(c.u8());
    case C.DW_FORM_strx2:
      return unit.strx(c.u16());
    case C.DW_FORM_strx3:
      return unit.strx(c.u24());
    case C.DW_FORM_strx4:
      return unit.strx(c.u32());
    case C.DW_FORM_addrx:
    case C.DW_FORM_GNU_addr_index:
      return unit.addrx(c.uleb());
    case C.DW_FORM_addrx1:
      return unit.addrx(c.u8());
    case C.DW_FORM_addrx2:
      return unit.addrx(c.u16());
    case C.DW_FORM_addrx3:
      return unit.addrx(c.u24());
    case C.DW_FORM_addrx4:
      return unit.addrx(c.u32());
    case C.DW_FORM_ref1:
      return h.offset + c.u8();
    case C.DW_FORM_ref2:
      return h.offset + c.u16();
    case C.DW_FORM_ref4:
      return h.offset + c.u32();
    case C.DW_FORM_ref8:
      return h.offset + c.u64n();
    case C.DW_FORM_ref_udata:
      return h.offset + c.uleb();
    case C.DW_FORM_ref_addr:
      return c.uN(h.version <= 2 ? h.addrSize : h.offsetSize);
    case C.DW_FORM_sec_offset:
    case C.DW_FORM_strp_sup:
    case C.DW_FORM_GNU_ref_alt:
    case C.DW_FORM_GNU_strp_alt:
      return c.uN(h.offsetSize);
    case C.DW_FORM_ref_sig8:
    case C.DW_FORM_ref_sup8:
      return c.u64();
    case C.DW_FORM_ref_sup4:
      return c.u32();
    case C.DW_FORM_loclistx:
    case C.DW_FORM_rnglistx:
      return c.uleb();
    case C.DW_FORM_block1:
      return c.bytes(c.u8());
    case C.DW_FORM_block2:
      return c.bytes(c.u16());
    case C.DW_FORM_block4:
      return c.bytes(c.u32());
    case C.DW_FORM_block:
    case C.DW_FORM_exprloc:
      return c.bytes(c.uleb());
    default:
      return c.fail(`unknown attribute form 0x${form.toString(16)}`);
  }
}

/** Read the DIE whose abbreviation code is at the cursor; undefined for a null entry (end of children). */
export function readDie(c: Cursor, unit: Unit, table: AbbrevTable = unit.abbrevs): Die | undefined {
  const offset = c.offset;
  const code = c.uleb();
  if (code === 0) return undefined;
  const ab = table.byCode[code];
  if (!ab) c.fail(`DIE uses abbreviation code ${code}, absent from its table`, c.pos - 1);
  const n = ab.names.length;
  const values: AttrValue[] = new Array<AttrValue>(n);
  const forms: number[] = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let form = ab.forms[i]!;
    for (let k = 0; form === C.DW_FORM_indirect; k++) {
      if (k > 8) c.fail('DW_FORM_indirect chain');
      form = c.uleb();
    }
    forms[i] = form;
    values[i] = readValue(c, form, unit, ab.implicit[i]!);
  }
  return new Die(unit, offset, ab, values, forms, c.offset);
}
