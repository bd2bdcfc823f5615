/**
 * Name lookups for the DWARF reader, answered from the on-disk index when there is one and, before the
 * index exists, by walking .debug_info only as far as needed: the walk fills the same index builder unit
 * by unit and stops at the first unit that answers the question (`p jiffies` needs a few units, not 2,172).
 * A later question resumes the walk; once it has seen every unit the finished index is written to the
 * disk cache and used from then on.
 */
import type { Dwarf } from './dwarf.js';
import {
  IndexBuilder,
  IndexWalk,
  StoredIndexCorrupt,
  type IndexEntry,
  type Kind,
  type NameIndex,
} from './name-index.js';

/**
 * How far ahead of the walk a lookup looks for units that name what it asks (below): a unit naming it
 * there is walked first. Past this window the walk goes on unit by unit, as before.
 */
const AHEAD_WINDOW = 1024 * 1024;
const LINE_STR_KEY = 2 ** 33;

/** What the walk has done, for benchmarks and tests. */
export interface WalkProgress {
  unitsWalked: number;
  units: number;
}

/** The lookups the type source needs (Names provides them; the type source is made before Names). */
export interface NameLookup {
  lookup(kind: Kind, name: string, accept?: (e: IndexEntry) => boolean): IndexEntry | undefined;
  peek(kind: Kind, name: string): IndexEntry | undefined;
  full(): NameIndex;
  /** Whether a unit before the one holding DIE `die` names `name` (undefined: cannot tell cheaply). */
  namedInEarlierUnit?(kind: Kind, name: string, die: number): boolean | undefined;
}

const NO_INDEX = Symbol('no index');

export class Names implements NameLookup {
  /** The index's answer; NO_INDEX without one (none cached, or the cached one found corrupt: noted). */
  private fromIndex(kind: Kind, name: string): IndexEntry | undefined | typeof NO_INDEX {
    if (!this.index) return NO_INDEX;
    try {
      return this.index.lookup(kind, name);
    } catch (e) {
      if (!(e instanceof StoredIndexCorrupt)) throw e;
      this.index = undefined;
      return NO_INDEX;
    }
  }

  private index: NameIndex | undefined;
  private walk: IndexWalk | undefined;
  private readonly keyCache = new Map<string, (number | string)[]>();

  constructor(
    private readonly dwarf: Dwarf,
    /** the index from the disk cache, if any (called once) */
    loadCached: () => NameIndex | undefined,
    /** called once with the finished index when the walk completes */
    private readonly onComplete: (index: NameIndex, dies: number) => void,
  ) {
    this.index = loadCached();
  }

  /** Whether the full index is there (cached or finished). */
  get complete(): boolean {
    return !!this.index;
  }

  get progress(): WalkProgress {
    const units = this.dwarf.units.length;
    return { unitsWalked: this.index ? units : (this.walk?.walked ?? 0), units };
  }

  /**
   * The DIE of `name` for `kind`: a definition if one is known; otherwise the walk goes on until one is
   * found, or until `accept` takes a declaration, or to the end.
   */
  lookup(kind: Kind, name: string, accept?: (e: IndexEntry) => boolean): IndexEntry | undefined {
    const known = this.fromIndex(kind, name);
    if (known !== NO_INDEX) return known;
    const walk = (this.walk ??= new IndexWalk(this.dwarf));
    const keys = this.keysOf(name);
    const ok = (e: IndexEntry | undefined): e is IndexEntry => !!e && (!e.declaration || (accept?.(e) ?? false));
    const found = walk.builder.find(kind, keys);
    if (ok(found)) return found;
    const ahead = this.lookAhead(kind, name, keys, walk.walked, ok);
    if (ahead) return ahead;
    for (;;) {
      const e = walk.builder.find(kind, keys);
      if (e && (!e.declaration || (accept?.(e) ?? false))) return e;
      if (!walk.step()) return this.full().lookup(kind, name);
    }
  }

  /**
   * The answer the walk would reach, found without walking the units before it: a name of four characters
   * or more is a .debug_str (or .debug_line_str) offset in the DIE that has it (DW_FORM_strp / line_strp:
   * shorter names are inline), so only a unit whose bytes hold one of `keys` as a 4-byte offset can answer.
   * Such units of the next AHEAD_WINDOW bytes are walked, in order, each on its own (the walk itself stays
   * in section order: its index is the one written to the cache), and the first whose entries answer is
   * the walk's answer too (it stops at the first unit that answers). A 4-byte match that is not a name only
   * costs that unit's walk. `jiffies`: one unit of 3 KB instead of ten (470 KB, ~0.1 s of CPU cold).
   */
  private lookAhead(
    kind: Kind,
    name: string,
    keys: (number | string)[],
    firstUnit: number,
    ok: (e: IndexEntry | undefined) => e is IndexEntry,
  ): IndexEntry | undefined {
    // DWARF 5 string indexes (DW_FORM_strx) name strings without their offsets
    if (name.length < 4 || this.dwarf.sections.get('.debug_str_offsets')) return undefined;
    const needles: Buffer[] = [];
    for (const k of keys) {
      if (typeof k !== 'number') continue;
      const off = k >= LINE_STR_KEY ? k - LINE_STR_KEY : k;
      if (off >= 2 ** 32) continue;
      const b = Buffer.alloc(4);
      b.writeUInt32LE(off);
      needles.push(b);
    }
    const first = this.dwarf.unitAt(firstUnit);
    if (!first || needles.length === 0) return undefined;
    const info = this.dwarf.sections.need('.debug_info');
    const from = first.header.offset;
    const window = info.read(from, Math.min(AHEAD_WINDOW, info.size - from));
    let i = firstUnit;
    for (let at = 0; ; ) {
      let hit = -1;
      for (const n of needles) {
        const h = window.indexOf(n, at);
        if (h >= 0 && (hit < 0 || h < hit)) hit = h;
      }
      if (hit < 0) return undefined;
      // the unit holding the hit (headers are scanned only this far)
      let u = this.dwarf.unitAt(i);
      while (u && u.header.end <= from + hit) u = this.dwarf.unitAt(++i);
      if (!u || u.header.end > from + window.length) return undefined;
      const h = u.header;
      const one = new IndexBuilder(0);
      one.walkUnit(u, window.subarray(h.offset - from, h.end - from), this.dwarf.abbrevTable(h, false));
      const e = one.find(kind, keys);
      if (ok(e)) return e;
      at = h.end - from;
      i++;
    }
  }

  /**
   * Whether a unit before the one holding `die` has an entry for `name` (gdb takes a global's type from the
   * first unit naming it). Found as lookAhead finds units: only a unit whose bytes hold the name's string
   * offset is walked. Undefined where names are not string offsets (short names, DWARF 5 strx).
   */
  namedInEarlierUnit(kind: Kind, name: string, die: number): boolean | undefined {
    if (name.length < 4 || this.dwarf.sections.get('.debug_str_offsets')) return undefined;
    const keys = this.keysOf(name);
    const needles = keys.flatMap((k) => {
      if (typeof k !== 'number') return [];
      const off = k >= LINE_STR_KEY ? k - LINE_STR_KEY : k;
      if (off >= 2 ** 32) return [];
      const b = Buffer.alloc(4);
      b.writeUInt32LE(off);
      return [b];
    });
    if (needles.length === 0) return undefined;
    const info = this.dwarf.sections.need('.debug_info');
    for (let i = 0; ; i++) {
      const u = this.dwarf.unitAt(i);
      if (!u || u.header.end > die) return false;
      const h = u.header;
      const bytes = info.read(h.offset, h.end - h.offset);
      if (!needles.some((n) => bytes.includes(n))) continue;
      const one = new IndexBuilder(0);
      one.walkUnit(u, bytes, this.dwarf.abbrevTable(h, false));
      if (one.find(kind, keys)) return true;
    }
  }

  /** Only what is known now: never walks further. */
  peek(kind: Kind, name: string): IndexEntry | undefined {
    const known = this.fromIndex(kind, name);
    if (known !== NO_INDEX) return known;
    return this.walk?.builder.find(kind, this.keysOf(name));
  }

  /** The complete index (walking the rest of .debug_info if needed). */
  full(): NameIndex {
    if (this.index) {
      try {
        return (this.index = this.index.inMemory());
      } catch (e) {
        if (!(e instanceof StoredIndexCorrupt)) throw e;
        this.index = undefined; // the cached index was corrupt (noted): walked as without one
      }
    }
    const walk = (this.walk ??= new IndexWalk(this.dwarf));
    const index = walk.finish();
    this.index = index;
    this.walk = undefined;
    this.keyCache.clear();
    this.onComplete(index, walk.builder.dies);
    return index;
  }

  /**
   * Every key a name can have in the builder: each .debug_str / .debug_line_str offset where the name
   * followed by NUL starts (the linker merges strings and their tails, so a name may start mid-string),
   * and the name itself (DW_FORM_string).
   */
  private keysOf(name: string): (number | string)[] {
    let keys = this.keyCache.get(name);
    if (keys) return keys;
    keys = [name];
    const needle = Buffer.from(name + '\0', 'utf8');
    const str = this.dwarf.sections.get('.debug_str')?.all();
    if (str) for (let p = str.indexOf(needle); p >= 0; p = str.indexOf(needle, p + 1)) keys.push(p);
    const lineStr = this.dwarf.sections.get('.debug_line_str')?.all();
    if (lineStr)
      for (let p = lineStr.indexOf(needle); p >= 0; p = lineStr.indexOf(needle, p + 1)) keys.push(p + 2 ** 33);
    if (this.keyCache.size > 4096) this.keyCache.clear();
    this.keyCache.set(name, keys);
    return keys;
  }
}
