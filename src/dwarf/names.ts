/**
 * Name lookups for the DWARF reader, answered from the on-disk index when there is one and, before the
 * index exists, by walking .debug_info only as far as needed: the walk fills the same index builder unit
 * by unit and stops at the first unit that answers the question (`p jiffies` needs a few units, not 2,172).
 * A later question resumes the walk; once it has seen every unit the finished index is written to the
 * disk cache and used from then on.
 */
import type { Dwarf } from './dwarf.js';
import { IndexWalk, type IndexEntry, type Kind, type NameIndex } from './name-index.js';

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
}

export class Names implements NameLookup {
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
    if (this.index) return this.index.lookup(kind, name);
    const walk = (this.walk ??= new IndexWalk(this.dwarf));
    const keys = this.keysOf(name);
    for (;;) {
      const e = walk.builder.find(kind, keys);
      if (e && (!e.declaration || (accept?.(e) ?? false))) return e;
      if (!walk.step()) return this.full().lookup(kind, name);
    }
  }

  /** Only what is known now: never walks further. */
  peek(kind: Kind, name: string): IndexEntry | undefined {
    if (this.index) return this.index.lookup(kind, name);
    return this.walk?.builder.find(kind, this.keysOf(name));
  }

  /** The complete index (walking the rest of .debug_info if needed). */
  full(): NameIndex {
    if (this.index) return this.index;
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
