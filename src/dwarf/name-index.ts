/**
 * The name index: C name → the .debug_info offset of one DIE, for every global variable, function,
 * struct/union/enum/typedef/base type and enumerator. Built in one pass over .debug_info that only
 * decodes the unit-level (depth 1) DIEs — and the enumerators of unit-level enums — and jumps over every
 * other subtree through DW_AT_sibling; each abbreviation was compiled into skip ops (abbrev.ts).
 *
 * Which DIE a name keeps: the first definition (a struct with members, a variable or function that is not
 * just a declaration); a declaration only until a definition turns up. A definition without a name that
 * completes a declaration (DW_AT_specification, e.g. `init_task`) is filed under the declaration's name.
 *
 * Storage is compact (serializable as is to the on-disk cache): one string table of names, three typed
 * arrays per entry (name offset, DIE offset, kind|declaration) and an open-addressing hash table.
 */
import * as A from './abbrev.js';
import type { AbbrevTable } from './abbrev.js';
import * as C from './constants.js';
import { Cursor } from './cursor.js';
import { readDie } from './die.js';
import type { Dwarf } from './dwarf.js';
import { DwarfError } from './errors.js';
import type { Unit } from './unit.js';
import type { UnitHeader } from './units.js';

export const enum Kind {
  Struct = 0,
  Union = 1,
  Enum = 2,
  Typedef = 3,
  Base = 4,
  Variable = 5,
  Function = 6,
  /** the entry's DIE is the enumeration type that holds the enumerator */
  Enumerator = 7,
}
const KIND_COUNT = 8;
/** in the kind byte: the entry is a declaration only */
export const DECL = 0x80;

function kindOfTag(tag: number): number {
  switch (tag) {
    case C.DW_TAG_structure_type:
      return Kind.Struct;
    case C.DW_TAG_union_type:
      return Kind.Union;
    case C.DW_TAG_enumeration_type:
      return Kind.Enum;
    case C.DW_TAG_typedef:
      return Kind.Typedef;
    case C.DW_TAG_base_type:
      return Kind.Base;
    case C.DW_TAG_variable:
      return Kind.Variable;
    case C.DW_TAG_subprogram:
      return Kind.Function;
    default:
      return -1;
  }
}
const KIND_BY_TAG = new Int8Array(0x100).fill(-1);
for (let t = 0; t < 0x100; t++) KIND_BY_TAG[t] = kindOfTag(t);

/** A name key while building: a .debug_str offset (number), a .debug_line_str offset + 2^33, or the string. */
type Key = number | string;
const LINE_STR_KEY = 2 ** 33;

// What the op interpreter found in the DIE it just ran over (module state: the walk is synchronous).
let gName: Key | undefined;
let gSibling = -1;
let gDecl = false;
let gSpec = -1;

class UnitWalker {
  private readonly byCode: (A.Abbrev | undefined)[];
  private readonly offsetSize: number;
  private readonly base: number;

  constructor(
    private readonly buf: Buffer,
    private readonly unit: Unit,
    abbrevs: AbbrevTable,
  ) {
    this.byCode = abbrevs.byCode;
    this.offsetSize = unit.header.offsetSize;
    this.base = unit.header.offset;
  }

  fail(at: number, reason: string): never {
    throw new DwarfError('.debug_info', this.base + at, reason);
  }

  uleb(p: number): number {
    // returns the value; the new position is left in this.p
    const b = this.buf;
    let result = 0;
    let mul = 1;
    for (;;) {
      if (p >= b.length) this.fail(p, 'LEB128 number runs past the end of the unit');
      const byte = b[p++]!;
      result += (byte & 0x7f) * mul;
      if (byte < 0x80) break;
      mul *= 128;
      if (mul > 2 ** 56) this.fail(p, 'LEB128 number too long');
    }
    this.p = p;
    return result;
  }

  p = 0;

  /** Run an abbreviation's ops from position p; returns the position after the DIE's attributes. */
  run(ab: A.Abbrev, p: number): number {
    const ops = ab.ops;
    const b = this.buf;
    const n = ops.length;
    gName = undefined;
    gSibling = -1;
    gDecl = false;
    gSpec = -1;
    for (let i = 0; i < n; i++) {
      const op = ops[i]!;
      if (op >= 0) {
        p += op;
        continue;
      }
      switch (op) {
        case A.OP_ULEB:
          while (b[p++]! >= 0x80) if (p >= b.length) this.fail(p, 'LEB128 number runs past the end of the unit');
          break;
        case A.OP_STRING: {
          const nul = b.indexOf(0, p);
          if (nul < 0) this.fail(p, 'string runs past the end of the unit');
          p = nul + 1;
          break;
        }
        case A.OP_BLOCK1:
          p += 1 + b[p]!;
          break;
        case A.OP_BLOCK2:
          p += 2 + b.readUInt16LE(p);
          break;
        case A.OP_BLOCK4:
          p += 4 + b.readUInt32LE(p);
          break;
        case A.OP_BLOCK_ULEB: {
          const len = this.uleb(p);
          p = this.p + len;
          break;
        }
        case A.OP_INDIRECT: {
          const form = this.uleb(p);
          p = this.role(A.Role.Skip, form, this.p);
          break;
        }
        default: {
          // OP_ROLE, role, form
          const role = ops[++i]!;
          const form = ops[++i]!;
          p = this.role(role, form, p);
        }
      }
      if (p > b.length) this.fail(b.length, 'DIE runs past the end of its unit');
    }
    if (p > b.length) this.fail(b.length, 'DIE runs past the end of its unit');
    return p;
  }

  /** Decode one attribute with a role (or any form, skipped, for DW_FORM_indirect). */
  private role(role: number, form: number, p: number): number {
    const b = this.buf;
    let v = 0;
    switch (form) {
      case C.DW_FORM_strp:
      case C.DW_FORM_line_strp:
      case C.DW_FORM_sec_offset:
      case C.DW_FORM_ref_addr:
        v = this.offsetSize === 4 ? b.readUInt32LE(p) : Number(b.readBigUInt64LE(p));
        p += this.offsetSize;
        if (form === C.DW_FORM_line_strp) v += LINE_STR_KEY;
        if (form === C.DW_FORM_ref_addr) v -= this.base;
        break;
      case C.DW_FORM_string: {
        const nul = b.indexOf(0, p);
        if (nul < 0) this.fail(p, 'string runs past the end of the unit');
        if (role === A.Role.Name) gName = b.toString('utf8', p, nul);
        return nul + 1;
      }
      case C.DW_FORM_ref1:
      case C.DW_FORM_data1:
      case C.DW_FORM_flag:
      case C.DW_FORM_strx1:
        v = b[p]!;
        p += 1;
        break;
      case C.DW_FORM_ref2:
      case C.DW_FORM_data2:
      case C.DW_FORM_strx2:
        v = b.readUInt16LE(p);
        p += 2;
        break;
      case C.DW_FORM_strx3:
        v = b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16);
        p += 3;
        break;
      case C.DW_FORM_ref4:
      case C.DW_FORM_data4:
      case C.DW_FORM_strx4:
        v = b.readUInt32LE(p);
        p += 4;
        break;
      case C.DW_FORM_ref8:
      case C.DW_FORM_data8:
        v = Number(b.readBigUInt64LE(p));
        p += 8;
        break;
      case C.DW_FORM_ref_udata:
      case C.DW_FORM_udata:
      case C.DW_FORM_strx:
      case C.DW_FORM_GNU_str_index:
        v = this.uleb(p);
        p = this.p;
        break;
      case C.DW_FORM_flag_present:
        v = 1;
        break;
      default: {
        // any other form: skip it by size (only DW_FORM_indirect gets here with a role of Skip)
        const c = new Cursor(b, '.debug_info', this.base, p);
        skipForm(c, form, this.unit.header);
        return c.pos;
      }
    }
    switch (role) {
      case A.Role.Name:
        if (
          form === C.DW_FORM_strx ||
          form === C.DW_FORM_strx1 ||
          form === C.DW_FORM_strx2 ||
          form === C.DW_FORM_strx3 ||
          form === C.DW_FORM_strx4 ||
          form === C.DW_FORM_GNU_str_index
        )
          gName = this.unit.strxOffset(v);
        else if (form === C.DW_FORM_strp || form === C.DW_FORM_line_strp) gName = v;
        break;
      case A.Role.Sibling:
        gSibling = v;
        break;
      case A.Role.Declaration:
        gDecl = v !== 0;
        break;
      case A.Role.Specification:
        if (form !== C.DW_FORM_flag && form !== C.DW_FORM_flag_present) gSpec = v;
        break;
    }
    return p;
  }

  /** The name key of the DIE at unit position p (for DW_AT_specification targets). */
  nameAt(p: number): { key: Key | undefined; tag: number } {
    if (p <= 0 || p >= this.buf.length) return { key: undefined, tag: 0 };
    const code = this.uleb(p);
    const ab = this.byCode[code];
    if (!ab) return { key: undefined, tag: 0 };
    this.run(ab, this.p);
    return { key: gName, tag: ab.tag };
  }
}

/** Skip one value of `form` (the slow generic path, for DW_FORM_indirect). */
function skipForm(c: Cursor, form: number, h: UnitHeader): void {
  const size = A.fixedFormSize(form, h.addrSize, h.offsetSize);
  if (size >= 0) return c.skip(size);
  switch (form) {
    case C.DW_FORM_string:
      return c.skipCString();
    case C.DW_FORM_block1:
      return c.skip(c.u8());
    case C.DW_FORM_block2:
      return c.skip(c.u16());
    case C.DW_FORM_block4:
      return c.skip(c.u32());
    case C.DW_FORM_block:
    case C.DW_FORM_exprloc:
      return c.skip(c.uleb());
    case C.DW_FORM_indirect:
      return skipForm(c, c.uleb(), h);
    default:
      if (size === -1) return c.skipUleb();
      c.fail(`unknown attribute form 0x${form.toString(16)}`);
  }
}

/**
 * Accumulates entries while walking. Names are interned to slots — a .debug_str offset through a typed
 * array as long as the string section, anything else through a Map — and each slot keeps, per kind,
 * DIE offset * 2 + declaration + 1 (0 = none), so adding is a few array reads.
 */
export class IndexBuilder {
  private readonly slotOfStr: Int32Array;
  private readonly slotOfOther = new Map<Key, number>();
  private readonly keys: Key[] = [];
  private vals: Float64Array;
  dies = 0;

  constructor(strSize: number) {
    this.slotOfStr = new Int32Array(strSize);
    // room for about one name per 16 bytes of strings to start with (a kernel's: 65,536); it grows
    this.vals = new Float64Array(Math.min(65536, Math.max(1024, strSize >> 4)) * KIND_COUNT);
  }

  private slot(key: Key): number {
    if (typeof key === 'number' && key < this.slotOfStr.length) {
      const s = this.slotOfStr[key]!;
      if (s) return s - 1;
      this.slotOfStr[key] = this.keys.length + 1;
    } else {
      const s = this.slotOfOther.get(key);
      if (s !== undefined) return s;
      this.slotOfOther.set(key, this.keys.length);
    }
    this.keys.push(key);
    if (this.keys.length * KIND_COUNT > this.vals.length) {
      const grown = new Float64Array(this.vals.length * 2);
      grown.set(this.vals);
      this.vals = grown;
    }
    return this.keys.length - 1;
  }

  /** The entry found so far under any of `keys` (the spellings of one name) for `kind`. */
  find(kind: number, keys: Key[]): IndexEntry | undefined {
    let best: IndexEntry | undefined;
    for (const key of keys) {
      const s =
        typeof key === 'number' && key < this.slotOfStr.length
          ? this.slotOfStr[key]! - 1
          : (this.slotOfOther.get(key) ?? -1);
      if (s < 0) continue;
      const v = this.vals[s * KIND_COUNT + kind]! - 1;
      if (v < 0) continue;
      const e = { die: Math.floor(v / 2), declaration: v % 2 === 1 };
      if (!e.declaration) return e;
      best ??= e;
    }
    return best;
  }

  add(kind: number, key: Key, die: number, decl: boolean): void {
    const i = this.slot(key) * KIND_COUNT + kind;
    const old = this.vals[i]!;
    // keep the first definition; a declaration only until a definition comes
    if (old === 0 || ((old - 1) % 2 === 1 && !decl)) this.vals[i] = die * 2 + (decl ? 1 : 0) + 1;
  }

  /** Walk one unit's bytes (buf[0] = the unit's first byte). */
  walkUnit(unit: Unit, buf: Buffer, abbrevs: AbbrevTable): void {
    const h = unit.header;
    const w: UnitWalker = new UnitWalker(buf, unit, abbrevs);
    const byCode = abbrevs.byCode;
    // the root DIE, decoded in full (its str_offsets_base etc. matter for strx names)
    const rootCursor = new Cursor(buf, '.debug_info', h.offset, h.dieOffset - h.offset);
    const root = readDie(rootCursor, unit, abbrevs);
    if (!root || !root.hasChildren) return;
    unit.setRoot(root);
    let p = rootCursor.pos;
    const end = buf.length;
    let depth = 1;
    let enumDie = -1; // the unit-level enum whose enumerators are being read (depth 2)
    const specs: number[] = []; // pairs: unit position of a nameless definition, of the declaration it completes
    let count = 0;
    while (p < end) {
      const at = p;
      let code = buf[p++]!;
      if (code >= 0x80) {
        code = w.uleb(at);
        p = w.p;
      }
      if (code === 0) {
        depth--;
        if (depth === 1) enumDie = -1;
        if (depth === 0) break;
        continue;
      }
      count++;
      const ab = byCode[code];
      if (!ab) w.fail(at, `DIE uses abbreviation code ${code}, absent from its table`);
      if (depth === 1) {
        const kind = KIND_BY_TAG[ab.tag & 0xff]!;
        if (kind < 0 || ab.tag > 0xff) {
          p = ab.hasChildren || ab.fixedSize < 0 ? w.run(ab, p) : p + ab.fixedSize;
          if (ab.hasChildren) {
            if (gSibling > at && gSibling <= end) p = gSibling;
            else depth++;
          }
          continue;
        }
        p = w.run(ab, p);
        const name = gName;
        if (name !== undefined) {
          this.add(kind, name, h.offset + at, gDecl);
        } else if (gSpec > 0 && (kind === Kind.Variable || kind === Kind.Function)) {
          specs.push(at, gSpec);
        }
        if (ab.hasChildren) {
          if (kind === Kind.Enum) {
            enumDie = h.offset + at;
            depth++;
          } else if (gSibling > at && gSibling <= end) p = gSibling;
          else depth++;
        }
      } else {
        if (ab.hasChildren || ab.fixedSize < 0 || (enumDie >= 0 && depth === 2)) p = w.run(ab, p);
        else p += ab.fixedSize;
        if (enumDie >= 0 && depth === 2 && ab.tag === C.DW_TAG_enumerator && gName !== undefined)
          this.add(Kind.Enumerator, gName, enumDie, false);
        if (ab.hasChildren) {
          if (gSibling > at && gSibling <= end) p = gSibling;
          else depth++;
        }
      }
    }
    this.dies += count;
    for (let i = 0; i < specs.length; i += 2) {
      const { key, tag } = w.nameAt(specs[i + 1]!);
      const kind = KIND_BY_TAG[tag & 0xff]!;
      if (key !== undefined && (kind === Kind.Variable || kind === Kind.Function))
        this.add(kind, key, h.offset + specs[i]!, false);
    }
  }

  /** Resolve keys to names and lay the index out in typed arrays. */
  finish(dwarf: Dwarf, units: UnitHeader[]): NameIndex {
    const strBuf = dwarf.sections.get('.debug_str')?.all();
    const lineStrBuf = dwarf.sections.get('.debug_line_str')?.all();
    const nSlots = this.keys.length;
    let n = 0;
    for (let i = 0; i < nSlots * KIND_COUNT; i++) if (this.vals[i] !== 0) n++;
    const nameOff = new Uint32Array(n);
    const nameLen = new Uint32Array(n);
    const dieOff = new Float64Array(n);
    const kinds = new Uint8Array(n);
    const chunks: Buffer[] = [];
    let strLen = 0;
    let e = 0;
    for (let slot = 0; slot < nSlots; slot++) {
      const bytes = keyBytes(this.keys[slot]!, strBuf, lineStrBuf);
      chunks.push(bytes);
      for (let kind = 0; kind < KIND_COUNT; kind++) {
        const v = this.vals[slot * KIND_COUNT + kind]! - 1;
        if (v < 0) continue;
        nameOff[e] = strLen;
        nameLen[e] = bytes.length;
        dieOff[e] = Math.floor(v / 2);
        kinds[e] = kind | (v % 2 ? DECL : 0);
        e++;
      }
      strLen += bytes.length;
    }
    return NameIndex.fromParts(Buffer.concat(chunks, strLen), nameOff, nameLen, dieOff, kinds, units);
  }
}

function keyBytes(key: Key, str: Buffer | undefined, lineStr: Buffer | undefined): Buffer {
  if (typeof key === 'string') return Buffer.from(key, 'utf8');
  const [buf, off, sec] =
    key >= LINE_STR_KEY ? [lineStr, key - LINE_STR_KEY, '.debug_line_str'] : [str, key, '.debug_str'];
  if (!buf || off >= buf.length) throw new DwarfError(sec, off, 'name offset past the end of the string section');
  let end = buf.indexOf(0, off);
  if (end < 0) end = buf.length;
  return buf.subarray(off, end);
}

/** FNV-1a over bytes. */
export function hashBytes(b: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

export interface IndexEntry {
  die: number;
  declaration: boolean;
}

/**
 * An index kept in the warm-start cache and read at offsets (index-cache.ts): a lookup reads what it probes;
 * whole() reads it all (for a walk over every entry).
 */
export interface StoredNameIndex {
  readonly size: number;
  lookup(kind: Kind, key: Buffer): IndexEntry | undefined;
  whole(): NameIndex;
}

/** A stored index found corrupt while read (the cache noted it): answer as if there were none. */
export class StoredIndexCorrupt extends Error {
  override name = 'StoredIndexCorrupt';
}

/** The finished index (built now or loaded from the cache). */
export class NameIndex {
  private constructor(
    readonly names: Buffer,
    readonly nameOff: Uint32Array,
    readonly nameLen: Uint32Array,
    readonly dieOff: Float64Array,
    readonly kinds: Uint8Array,
    /** slot → entry + 1 (0 = empty) */
    readonly table: Uint32Array,
    readonly units: UnitHeader[],
    /** when set, the arrays above are empty: the stored index answers */
    private readonly stored?: StoredNameIndex,
  ) {}

  /** An index read at offsets from the cache (its unit headers read already). */
  static stored(units: UnitHeader[], stored: StoredNameIndex): NameIndex {
    const none = new Uint32Array(0);
    return new NameIndex(Buffer.alloc(0), none, none, new Float64Array(0), new Uint8Array(0), none, units, stored);
  }

  static fromParts(
    names: Buffer,
    nameOff: Uint32Array,
    nameLen: Uint32Array,
    dieOff: Float64Array,
    kinds: Uint8Array,
    units: UnitHeader[],
    table?: Uint32Array,
  ): NameIndex {
    if (!table) {
      let size = 1;
      while (size < nameOff.length * 2) size *= 2;
      table = new Uint32Array(Math.max(size, 2));
      const mask = table.length - 1;
      for (let i = 0; i < nameOff.length; i++) {
        let slot = (hashBytes(names, nameOff[i]!, nameOff[i]! + nameLen[i]!) ^ (kinds[i]! & 0x7f)) & mask;
        while (table[slot] !== 0) slot = (slot + 1) & mask;
        table[slot] = i + 1;
      }
    }
    return new NameIndex(names, nameOff, nameLen, dieOff, kinds, table, units);
  }

  get size(): number {
    return this.stored ? this.stored.size : this.nameOff.length;
  }

  /** This index with every entry in memory (a stored one read whole: StoredIndexCorrupt if it is not right). */
  inMemory(): NameIndex {
    return this.stored ? this.stored.whole() : this;
  }

  /** The DIE filed under `name` for `kind`. */
  lookup(kind: Kind, name: string): IndexEntry | undefined {
    const key = Buffer.from(name, 'utf8');
    if (this.stored) return this.stored.lookup(kind, key);
    const mask = this.table.length - 1;
    let slot = (hashBytes(key, 0, key.length) ^ kind) & mask;
    for (let probes = 0; probes <= mask; probes++) {
      const e = this.table[slot]!;
      if (e === 0) return undefined;
      const i = e - 1;
      if ((this.kinds[i]! & 0x7f) === kind && this.nameLen[i] === key.length) {
        const off = this.nameOff[i]!;
        if (this.names.compare(key, 0, key.length, off, off + key.length) === 0)
          return { die: this.dieOff[i]!, declaration: (this.kinds[i]! & DECL) !== 0 };
      }
      slot = (slot + 1) & mask;
    }
    return undefined;
  }

  /** Every entry of one kind (name, entry), in index order. */
  *entries(kind: Kind): Generator<[string, IndexEntry]> {
    if (this.stored) return yield* this.stored.whole().entries(kind);
    for (let i = 0; i < this.nameOff.length; i++) {
      if ((this.kinds[i]! & 0x7f) !== kind) continue;
      const off = this.nameOff[i]!;
      yield [
        this.names.toString('utf8', off, off + this.nameLen[i]!),
        { die: this.dieOff[i]!, declaration: (this.kinds[i]! & DECL) !== 0 },
      ];
    }
  }

  count(kind: Kind): number {
    if (this.stored) return this.stored.whole().count(kind);
    let n = 0;
    for (let i = 0; i < this.kinds.length; i++) if ((this.kinds[i]! & 0x7f) === kind) n++;
    return n;
  }
}

/**
 * .debug_info is read in chunks (units are walked from the chunk; a larger unit alone): the first is small,
 * as a lookup before the index exists usually stops within a few units, and each next one twice as large
 * up to the last size.
 */
const FIRST_CHUNK = 512 * 1024;
const CHUNK = 8 * 1024 * 1024;

/** Walks the units of .debug_info in order into an IndexBuilder, a chunk of the section at a time. */
export class IndexWalk {
  readonly builder: IndexBuilder;
  private next = 0;
  private chunk: Buffer | undefined;
  private chunkStart = 0;
  private chunkSize = FIRST_CHUNK;

  constructor(private readonly dwarf: Dwarf) {
    this.builder = new IndexBuilder(dwarf.sections.get('.debug_str')?.size ?? 0);
  }

  /** units walked so far */
  get walked(): number {
    return this.next;
  }

  /** Walk the next unit; false when every unit has been walked. */
  step(): boolean {
    const u = this.dwarf.unitAt(this.next);
    if (!u) return false;
    this.next++;
    const h = u.header;
    const info = this.dwarf.sections.need('.debug_info');
    if (!this.chunk || h.offset < this.chunkStart || h.end > this.chunkStart + this.chunk.length) {
      this.chunkStart = h.offset;
      this.chunk = info.read(h.offset, Math.min(info.size - h.offset, Math.max(this.chunkSize, h.end - h.offset)));
      this.chunkSize = Math.min(CHUNK, this.chunkSize * 2);
    }
    const buf = this.chunk.subarray(h.offset - this.chunkStart, h.end - this.chunkStart);
    this.builder.walkUnit(u, buf, this.dwarf.abbrevTable(h, false));
    return true;
  }

  finish(): NameIndex {
    while (this.step());
    this.chunk = undefined;
    return this.builder.finish(
      this.dwarf,
      this.dwarf.units.map((u) => u.header),
    );
  }
}

/** Build the whole index by walking every unit of .debug_info. */
export function buildNameIndex(dwarf: Dwarf): { index: NameIndex; dies: number } {
  const walk = new IndexWalk(dwarf);
  const index = walk.finish();
  return { index, dies: walk.builder.dies };
}
