/**
 * Unit headers of .debug_info (DWARF 5 section 7.5.1; DWARF 2–4 compile units too): where each unit
 * starts and ends, its version, address and offset sizes, and its abbreviation table. Scanning the
 * headers reads a few bytes per unit (the length field lets us jump from unit to unit).
 */
import * as C from './constants.js';
import { Cursor } from './cursor.js';
import { DwarfError } from './errors.js';
import type { DwarfSection } from './sections.js';

export interface UnitHeader {
  /** section offset of the unit's first byte (its length field) */
  offset: number;
  /** section offset just past the unit */
  end: number;
  version: number;
  unitType: number;
  addrSize: number;
  /** 4 for 32-bit DWARF, 8 for 64-bit DWARF */
  offsetSize: number;
  abbrevOffset: number;
  /** section offset of the unit's first DIE */
  dieOffset: number;
}

/** Decode a unit header from `c` positioned at the unit's length field. */
export function readUnitHeader(c: Cursor): UnitHeader {
  const offset = c.offset;
  let length = c.u32();
  let offsetSize = 4;
  if (length === 0xffffffff) {
    length = c.u64n();
    offsetSize = 8;
  } else if (length >= 0xfffffff0) c.fail(`reserved unit length 0x${length.toString(16)}`, c.pos - 4);
  const end = c.offset + length;
  const version = c.u16();
  if (version < 2 || version > 5) c.fail(`unsupported DWARF version ${version}`, c.pos - 2);
  let unitType = C.DW_UT_compile;
  let addrSize: number;
  let abbrevOffset: number;
  if (version >= 5) {
    unitType = c.u8();
    addrSize = c.u8();
    abbrevOffset = c.uN(offsetSize);
    if (unitType === C.DW_UT_skeleton || unitType === C.DW_UT_split_compile) c.skip(8);
    else if (unitType === C.DW_UT_type || unitType === C.DW_UT_split_type) c.skip(8 + offsetSize);
  } else {
    abbrevOffset = c.uN(offsetSize);
    addrSize = c.u8();
  }
  if (addrSize !== 4 && addrSize !== 8) c.fail(`unsupported address size ${addrSize}`);
  const dieOffset = c.offset;
  if (dieOffset > end) c.fail(`unit header is longer than the unit (length 0x${length.toString(16)})`);
  return { offset, end, version, unitType, addrSize, offsetSize, abbrevOffset, dieOffset };
}

/** The header of the unit starting at section offset `off`. A unit running past the section end is an error. */
export function unitHeaderAt(info: DwarfSection, off: number): UnitHeader {
  const head = info.readSmall(off, Math.min(64, info.size - off));
  const u = readUnitHeader(new Cursor(head, '.debug_info', off));
  if (u.end > info.size)
    throw new DwarfError('.debug_info', off, `unit of 0x${(u.end - off).toString(16)} bytes runs past the section end`);
  return u;
}
