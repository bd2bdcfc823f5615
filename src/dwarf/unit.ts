/**
 * One unit of .debug_info: its header, abbreviation table, bytes (read on demand through the Dwarf's
 * small unit cache), its root DIE and the bases its str/addr/rnglists index forms are relative to.
 */
import type { AbbrevTable } from './abbrev.js';
import * as C from './constants.js';
import { Cursor, stringAt } from './cursor.js';
import { readDie, type Die } from './die.js';
import type { Dwarf } from './dwarf.js';
import { DwarfError } from './errors.js';
import type { UnitHeader } from './units.js';

export class Unit {
  private rootDie: Die | undefined;

  constructor(
    readonly dwarf: Dwarf,
    readonly header: UnitHeader,
    /** position in the unit list */
    readonly index: number,
  ) {}

  get abbrevs(): AbbrevTable {
    return this.dwarf.abbrevTable(this.header);
  }

  /** The unit's bytes (buf[0] is the unit's first byte, section offset header.offset). */
  bytes(): Buffer {
    return this.dwarf.unitBytes(this);
  }

  /** A cursor at section offset `offset` inside this unit. */
  cursorAt(offset: number): Cursor {
    const h = this.header;
    if (offset < h.dieOffset || offset >= h.end)
      throw new DwarfError('.debug_info', offset, `offset is outside its unit (0x${h.offset.toString(16)})`);
    return new Cursor(this.bytes(), '.debug_info', h.offset, offset - h.offset);
  }

  dieAt(offset: number): Die {
    const d = readDie(this.cursorAt(offset), this);
    if (!d) throw new DwarfError('.debug_info', offset, 'reference to a null entry');
    return d;
  }

  /** The unit's root DIE (DW_TAG_compile_unit / partial_unit). */
  get root(): Die {
    if (!this.rootDie) {
      // the bases are not known yet: index forms in the root DIE itself are read after the base attribute
      this.rootDie = this.dieAt(this.header.dieOffset);
    }
    return this.rootDie;
  }

  /** Children of the DIE at `parent` (a Die with children), in order. */
  *children(parent: Die): Generator<Die> {
    if (!parent.hasChildren) return;
    const c = this.cursorAt(parent.end);
    for (let n = 0; !c.atEnd; n++) {
      const d = readDie(c, this);
      if (!d) return;
      yield d;
      if (d.hasChildren) {
        const sib = d.ref(C.DW_AT_sibling);
        if (sib !== undefined && sib > d.offset && sib < this.header.end) c.pos = sib - this.header.offset;
        else skipChildren(c, this);
      }
    }
  }

  /** Set the root DIE when it was read elsewhere (the index walker). */
  setRoot(d: Die): void {
    this.rootDie ??= d;
  }

  private baseOf(at: number): number | undefined {
    return this.root.num(at);
  }

  strx(index: number): string {
    return this.dwarf.str(this.strxOffset(index));
  }

  /** The .debug_str offset of string index `index` (DW_FORM_strx*), through .debug_str_offsets. */
  strxOffset(index: number): number {
    const sec = this.dwarf.sections.need('.debug_str_offsets');
    const size = this.header.offsetSize;
    const base = this.baseOf(C.DW_AT_str_offsets_base) ?? (this.header.version >= 5 ? 8 : 0);
    const b = sec.read(base + index * size, size);
    return size === 8 ? Number(b.readBigUInt64LE(0)) : b.readUInt32LE(0);
  }

  addrx(index: number): bigint {
    const sec = this.dwarf.sections.need('.debug_addr');
    const size = this.header.addrSize;
    const base = this.baseOf(C.DW_AT_addr_base) ?? 8;
    const b = sec.read(base + index * size, size);
    return size === 8 ? b.readBigUInt64LE(0) : BigInt(b.readUInt32LE(0));
  }

  /** The unit's name (its primary source file). */
  get name(): string {
    return this.root.name ?? '';
  }
}

/** Skip the children of the DIE just read (the cursor is at its first child), through their null entry. */
export function skipChildren(c: Cursor, unit: Unit): void {
  let depth = 1;
  for (let n = 0; depth > 0; n++) {
    if (c.atEnd) c.fail('children run past the end of the unit');
    const d = readDie(c, unit);
    if (!d) depth--;
    else if (d.hasChildren) {
      const sib = d.ref(C.DW_AT_sibling);
      if (sib !== undefined && sib > d.offset && sib < unit.header.end) c.pos = sib - unit.header.offset;
      else depth++;
    }
  }
}

export { stringAt };
