/**
 * One ELF file's DWARF: the sections, the unit list, abbreviation tables and unit bytes (both cached,
 * the unit bytes in a small LRU so memory stays bounded), string sections, and DIE lookup by offset.
 */
import type { ElfFile } from '../elf/index.js';
import { parseAbbrevTable, type AbbrevTable } from './abbrev.js';
import { stringAt } from './cursor.js';
import type { Die } from './die.js';
import { DwarfError } from './errors.js';
import { DwarfSections } from './sections.js';
import { dieRanges } from './ranges.js';
import { Unit } from './unit.js';
import { unitHeaderAt, type UnitHeader } from './units.js';

/** unit bytes kept in memory at once (the largest kernel units are a few MB) */
const UNIT_CACHE_BYTES = 48 * 1024 * 1024;
/** abbreviation tables kept parsed (one per unit in kernel DWARF) */
const ABBREV_CACHE = 256;
/** how many abbreviation tables are read from a window before the whole section is (windowedAbbrevTable) */
const ABBREV_WINDOWS = 32;
const ABBREV_WINDOW = 64 * 1024;

export class Dwarf {
  readonly sections: DwarfSections;
  private unitList: Unit[] = [];
  /** section offset the header scan has reached */
  private scannedTo = 0;
  private scanComplete = false;
  private readonly abbrevCache = new Map<string, AbbrevTable>();
  private readonly byteCache = new Map<number, Buffer>();
  private cachedBytes = 0;
  private windowedTables = 0;

  constructor(readonly elf: ElfFile) {
    this.sections = new DwarfSections(elf);
  }

  /** Every unit, in section order (all headers scanned on first use). */
  get units(): Unit[] {
    while (this.scanNext());
    return this.unitList;
  }

  /**
   * Unit `i`, scanning headers only as far as that (a lookup before the name index exists walks a few
   * units: scanning all 2,000 headers of a kernel first cost more than the walk); undefined past the last.
   */
  unitAt(i: number): Unit | undefined {
    while (this.unitList.length <= i && this.scanNext());
    return this.unitList[i];
  }

  /** Scan one more unit header; false once every unit is known. */
  private scanNext(): boolean {
    if (this.scanComplete) return false;
    const info = this.sections.need('.debug_info');
    if (this.scannedTo >= info.size) {
      this.scanComplete = true;
      return false;
    }
    const h = unitHeaderAt(info, this.scannedTo);
    this.unitList.push(new Unit(this, h, this.unitList.length));
    this.scannedTo = h.end;
    return true;
  }

  /** Use unit headers known from elsewhere (the on-disk index) instead of scanning. */
  setUnits(headers: UnitHeader[]): void {
    this.unitList = headers.map((h, i) => new Unit(this, h, i));
    this.scanComplete = true;
  }

  /** The unit holding section offset `offset`. */
  unitOf(offset: number): Unit {
    while (offset >= this.scannedTo && !this.scanComplete && this.scanNext());
    const units = this.unitList;
    let lo = 0,
      hi = units.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (units[mid]!.header.offset <= offset) lo = mid;
      else hi = mid - 1;
    }
    const u = units[lo];
    if (!u || offset < u.header.offset || offset >= u.header.end)
      throw new DwarfError('.debug_info', offset, 'offset is in no unit');
    return u;
  }

  /** The DIE at a section offset. */
  die(offset: number): Die {
    return this.unitOf(offset).dieAt(offset);
  }

  /** The abbreviation table of a unit; `keep` = false parses it without caching (the one-pass index walk). */
  abbrevTable(h: UnitHeader, keep = true): AbbrevTable {
    const key = `${h.abbrevOffset}/${h.addrSize}/${h.offsetSize}`;
    let t = this.abbrevCache.get(key);
    if (!t) {
      t = this.windowedAbbrevTable(h);
      if (!t) {
        const buf = this.sections.need('.debug_abbrev').all();
        if (h.abbrevOffset >= buf.length)
          throw new DwarfError(
            '.debug_info',
            h.offset,
            `abbreviation offset 0x${h.abbrevOffset.toString(16)} is past .debug_abbrev`,
          );
        t = parseAbbrevTable(buf, h.abbrevOffset, h.addrSize, h.offsetSize);
      }
      if (keep) {
        this.abbrevCache.set(key, t);
        if (this.abbrevCache.size > ABBREV_CACHE) this.abbrevCache.delete(this.abbrevCache.keys().next().value!);
      }
    }
    return t;
  }

  /**
   * The first few tables are parsed from a window of .debug_abbrev at the table (a kernel's section is
   * ~5 MB, a unit's table a few KB): a lookup before the name index exists needs a handful. Undefined when
   * the table runs past the window, or after those few (then the whole section is read once).
   */
  private windowedAbbrevTable(h: UnitHeader): AbbrevTable | undefined {
    const sec = this.sections.need('.debug_abbrev');
    if (sec.loaded || this.windowedTables >= ABBREV_WINDOWS || h.abbrevOffset >= sec.size) return undefined;
    this.windowedTables++;
    const len = Math.min(ABBREV_WINDOW, sec.size - h.abbrevOffset);
    try {
      return parseAbbrevTable(sec.read(h.abbrevOffset, len), 0, h.addrSize, h.offsetSize);
    } catch (e) {
      if (e instanceof DwarfError && len < sec.size - h.abbrevOffset) return undefined;
      throw e;
    }
  }

  unitBytes(u: Unit): Buffer {
    const h = u.header;
    const hit = this.byteCache.get(h.offset);
    if (hit) {
      this.byteCache.delete(h.offset);
      this.byteCache.set(h.offset, hit);
      return hit;
    }
    const b = this.sections.need('.debug_info').read(h.offset, h.end - h.offset);
    this.byteCache.set(h.offset, b);
    this.cachedBytes += b.length;
    for (const [k, v] of this.byteCache) {
      if (this.cachedBytes <= UNIT_CACHE_BYTES || k === h.offset) break;
      this.byteCache.delete(k);
      this.cachedBytes -= v.length;
    }
    return b;
  }

  /** Whether the DW_AT_ranges of a DIE hold pc. */
  rangesHold(die: Die, pc: bigint): boolean {
    for (const [s, e] of dieRanges(die)) if (pc >= s && pc < e) return true;
    return false;
  }

  str(offset: number): string {
    return stringAt(this.sections.need('.debug_str').all(), offset, '.debug_str');
  }

  lineStr(offset: number): string {
    return stringAt(this.sections.need('.debug_line_str').all(), offset, '.debug_line_str');
  }
}
