/**
 * Address ranges of a DIE with DW_AT_ranges: DWARF 5 range lists (.debug_rnglists, DW_RLE_* entries,
 * DW_FORM_rnglistx through the unit's DW_AT_rnglists_base) and DWARF 2–4 .debug_ranges (address pairs,
 * with base-address selection entries). The base address starts as the unit's DW_AT_low_pc.
 */
import * as C from './constants.js';
import { Cursor } from './cursor.js';
import type { Die } from './die.js';

const MAX_ENTRIES = 100_000;

export function dieRanges(die: Die): [bigint, bigint][] {
  const unit = die.unit;
  const h = unit.header;
  const dwarf = unit.dwarf;
  const form = die.form(C.DW_AT_ranges);
  const value = die.get(C.DW_AT_ranges);
  if (typeof value !== 'number') return [];
  const root = unit.root;
  let base = root.addr(C.DW_AT_low_pc) ?? 0n;
  const out: [bigint, bigint][] = [];
  if (h.version >= 5) {
    const sec = dwarf.sections.need('.debug_rnglists');
    const all = sec.all();
    let offset = value;
    if (form === C.DW_FORM_rnglistx) {
      const listsBase = root.num(C.DW_AT_rnglists_base) ?? 12;
      const c = new Cursor(all, '.debug_rnglists', 0, listsBase + value * h.offsetSize);
      offset = listsBase + c.uN(h.offsetSize);
    }
    const c = new Cursor(all, '.debug_rnglists', 0, offset);
    for (let n = 0; n < MAX_ENTRIES; n++) {
      const kind = c.u8();
      switch (kind) {
        case C.DW_RLE_end_of_list:
          return out;
        case C.DW_RLE_base_addressx:
          base = unit.addrx(c.uleb());
          break;
        case C.DW_RLE_startx_endx: {
          const s = unit.addrx(c.uleb());
          out.push([s, unit.addrx(c.uleb())]);
          break;
        }
        case C.DW_RLE_startx_length: {
          const s = unit.addrx(c.uleb());
          out.push([s, s + c.ulebBig()]);
          break;
        }
        case C.DW_RLE_offset_pair: {
          const s = c.ulebBig();
          const e = c.ulebBig();
          out.push([base + s, base + e]);
          break;
        }
        case C.DW_RLE_base_address:
          base = c.addr(h.addrSize);
          break;
        case C.DW_RLE_start_end: {
          const s = c.addr(h.addrSize);
          out.push([s, c.addr(h.addrSize)]);
          break;
        }
        case C.DW_RLE_start_length: {
          const s = c.addr(h.addrSize);
          out.push([s, s + c.ulebBig()]);
          break;
        }
        default:
          c.fail(`unknown range list entry kind ${kind}`, c.pos - 1);
      }
    }
    return out;
  }
  const sec = dwarf.sections.need('.debug_ranges');
  const c = new Cursor(sec.all(), '.debug_ranges', 0, value);
  const max = h.addrSize === 8 ? 0xffffffffffffffffn : 0xffffffffn;
  for (let n = 0; n < MAX_ENTRIES; n++) {
    const s = c.addr(h.addrSize);
    const e = c.addr(h.addrSize);
    if (s === 0n && e === 0n) break;
    if (s === max) base = e;
    else out.push([base + s, base + e]);
  }
  return out;
}
