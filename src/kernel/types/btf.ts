/**
 * BTF reader: the raw `.BTF` section of a vmlinux -> the shared Type model (type.ts).
 *
 * Layout (include/uapi/linux/btf.h): a `struct btf_header` (magic 0xeB9F, version, flags, hdr_len,
 * type_off, type_len, str_off, str_len; offsets relative to the end of the header), then a type
 * section of `struct btf_type` records (name_off, info, size|type) each followed by kind-specific
 * words, then a string section. Type ids are record positions starting at 1; id 0 is void.
 *
 * Cost model: parseBtf() only walks the records once to store each record's start (one Uint32Array).
 * The name index is built on the first lookup, the enumerator index on the first enumValue(), and a
 * Type object is built per id on first use and cached; its target/members/params/enumerators are
 * filled in only when read, so looking up task_struct does not build the whole type graph.
 *
 * A warm start (openBtf with the indexes of an earlier run, btf-cache.ts) walks nothing: the record starts
 * come with the indexes, and the section is read a page at a time as records and names are asked for (a
 * `sys` reads ~60 of its ~1,000 pages). Each stored entry is checked when used (in range, its record's
 * length as its header says); one that is not right drops them all (one note), and the section is then read
 * whole, walked and indexed as on a cold start.
 */
import { endianness } from 'node:os';
import { DerivedTypes, LazyType, VOID, type LazyParts } from './lazy-type.js';
import type { Enumerator, Member, Type, TypeKind, TypeSource } from './type.js';

/** Any structural problem in a BTF blob: one line naming what is wrong and where. */
export class BtfError extends Error {
  override name = 'BtfError';
}

// BTF_KIND_* values (btf.h).
const INT = 1,
  PTR = 2,
  ARRAY = 3,
  STRUCT = 4,
  UNION = 5,
  ENUM = 6,
  FWD = 7,
  TYPEDEF = 8,
  VOLATILE = 9,
  CONST = 10,
  RESTRICT = 11,
  FUNC = 12,
  FUNC_PROTO = 13,
  VAR = 14,
  DATASEC = 15,
  FLOAT = 16,
  DECL_TAG = 17,
  TYPE_TAG = 18,
  ENUM64 = 19;
const MAX_KIND = ENUM64;

/** Words (u32) after the 3-word btf_type header: a fixed part plus a part per vlen entry. */
const FIXED_WORDS = new Int8Array(MAX_KIND + 1).fill(-1);
const VLEN_WORDS = new Int8Array(MAX_KIND + 1);
for (const k of [PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG]) FIXED_WORDS[k] = 0;
FIXED_WORDS[INT] = 1; // encoding word
FIXED_WORDS[ARRAY] = 3; // struct btf_array { type, index_type, nelems }
FIXED_WORDS[VAR] = 1; // struct btf_var { linkage }
FIXED_WORDS[DECL_TAG] = 1; // struct btf_decl_tag { component_idx }
for (const k of [STRUCT, UNION, ENUM, ENUM64, FUNC_PROTO, DATASEC]) FIXED_WORDS[k] = 0;
VLEN_WORDS[STRUCT] = 3; // btf_member { name_off, type, offset }
VLEN_WORDS[UNION] = 3;
VLEN_WORDS[ENUM] = 2; // btf_enum { name_off, val }
VLEN_WORDS[ENUM64] = 3; // btf_enum64 { name_off, val_lo32, val_hi32 }
VLEN_WORDS[FUNC_PROTO] = 2; // btf_param { name_off, type }
VLEN_WORDS[DATASEC] = 3; // btf_var_secinfo { type, offset, size }

const HEADER_MIN = 24;
const MAX_CHAIN = 64; // typedef/qualifier/array nesting bound: deeper means a cycle
/** Pointer size: BTF does not record it; every kernel crash-ts reads is 64-bit. */
const POINTER_SIZE = 8;

/** A type built from one BTF record; target/members/params/enumerators are decoded on first read. */
class BtfType extends LazyType {
  constructor(
    kind: TypeKind,
    name: string,
    size: number,
    parts: LazyParts<LazyType>,
    /** the BTF type id this object was built from */
    readonly btfId: number,
  ) {
    super(kind, name, size, parts);
  }
}

/** Parse the raw .BTF section. Throws BtfError on any inconsistency found by the first walk. */
export function parseBtf(buf: Buffer, label = '.BTF', store?: BtfIndexStore): BtfTypes {
  return new BtfTypes(buf, label, store, store?.load());
}

/** A BTF section read when asked: `read` puts `len` bytes from section offset `off` into `into` at `at`. */
export interface BtfSection {
  readonly size: number;
  read(off: number, len: number, into: Buffer, at: number): void;
}

/**
 * The BTF of a section read at offsets: with stored indexes that fit it, only its header now and each page
 * when a record or name on it is asked for; else read whole and walked (parseBtf).
 */
export function openBtf(section: BtfSection, label = '.BTF', store?: BtfIndexStore): BtfTypes {
  const stored = store?.load();
  if (stored) return new BtfTypes(section, label, store, stored);
  const buf = Buffer.allocUnsafe(section.size);
  section.read(0, section.size, buf, 0);
  return new BtfTypes(buf, label, store);
}

/** 32-bit entries read when asked: a typed array's, or a stored index's (read from the cache at offsets). */
export interface Entries {
  readonly length: number;
  /** entry i (0 <= i < length); a stored entry that cannot be read throws StoredIndexError */
  get(i: number): number;
  /** a stored index's (checked when used) */
  readonly stored?: boolean;
}

/** A stored index entry could not be read (its cache page failed its check): the indexes are rebuilt. */
export class StoredIndexError extends Error {
  override name = 'StoredIndexError';
}

/**
 * Where the name and enumerator indexes are kept between runs (the warm-start cache; btf-cache.ts). The
 * enumerator index is apart: built (and saved) only when a session first looks an enumerator up by name alone,
 * which a cold `sys` does not (its lookups name their enum: enumValue's inEnum).
 */
export interface BtfIndexStore {
  load(): StoredBtfIndexes | undefined;
  save(ix: BtfIndexes): void;
  /** what load() gave does not fit this BTF (it is rebuilt and saved again) */
  rejected(reason: string): void;
  loadEnums?(): StoredEnumIndexes | undefined;
  saveEnums?(ix: BtfEnumIndexes): void;
  /** what loadEnums() gave does not fit this BTF */
  rejectedEnums?(reason: string): void;
}

/** The indexes as stored: BtfIndexes' arrays read when asked. */
export interface StoredBtfIndexes {
  count: number;
  words: number;
  nameHeads: Entries;
  nameNext: Entries;
  offs: Entries;
  alias: [string, number][];
}

/** The enumerator index as stored: BtfEnumIndexes' arrays read when asked. */
export interface StoredEnumIndexes {
  count: number;
  words: number;
  heads: Entries;
  word: Entries;
  type: Entries;
}

/** The enumerator index a walk over every enum builds (buildEnumIndex), for the BTF of `count` types in `words`. */
export interface BtfEnumIndexes {
  count: number;
  words: number;
  /** hash slots -> enumerator entry + 1 (the first enumerator of each name), 0 empty */
  heads: Int32Array;
  /** per enumerator entry: word index of its name word, and the id of its enum */
  word: Uint32Array;
  type: Uint32Array;
}

/** The indexes a walk over every record builds (see buildNameIndex). */
export interface BtfIndexes {
  /** type count and type-section words of the BTF they were built from */
  count: number;
  words: number;
  /** hash slots (nameHash of the name) -> lowest id with that name, 0 empty; FUNC, DECL_TAG, TYPE_TAG left out */
  nameHeads: Int32Array;
  /** id -> next higher id with the same name, 0 at the end */
  nameNext: Int32Array;
  /** id -> word index of its record, for ids 0..count + 1 (count + 1: the end of the type section) */
  offs: Uint32Array;
  /** canonical base-type spelling -> INT/FLOAT id */
  alias: [string, number][];
}

/** A typed array's entries. */
function entriesOf(a: Int32Array | Uint32Array): Entries {
  return { length: a.length, get: (i) => a[i]! };
}

/** A page of the section as read when asked. */
const PAGE = 4096;
/** thrown to run a lookup again when the stored indexes it was reading were dropped */
const RETRY = Symbol('retry');

/** FNV-1a over char codes: the hash of the name hash tables. */
function fnv(s: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function tableSize(n: number): number {
  let size = 2;
  while (size < n * 2) size *= 2;
  return size;
}

export class BtfTypes implements TypeSource {
  /** Number of types, not counting void (valid ids are 1..count). */
  count: number;

  private readonly buf: Buffer;
  private readonly words: Uint32Array;
  /** where `words` starts in `buf` */
  private readonly typeBase: number;
  /** offs[id] = word index of record `id` in `words`; undefined while the stored starts are used */
  private offs: Uint32Array | undefined;
  /** walk()'s record starts and the type section's end after them (ids 0..count + 1) */
  private ends: Uint32Array | undefined;
  /** the indexes of an earlier run, while they are trusted */
  private stored: StoredBtfIndexes | undefined;
  /** stored record starts checked so far (1) and their values */
  private checked: Uint8Array | undefined;
  private known: Uint32Array | undefined;
  /** the section read when asked: which pages of `buf` are read (undefined: all) */
  private loaded: Uint8Array | undefined;
  private readonly section: BtfSection | undefined;
  private readonly strStart: number;
  private readonly strLen: number;
  /** the Type of each id built so far (a Map: an array of every id costs ~1 MB of heap at start-up) */
  private readonly cache = new Map<number, Type>();
  /** `T *`, `const T`, `volatile T` and void around the names BTF has */
  private readonly derived = new DerivedTypes(POINTER_SIZE);
  private nameIndex?: NameIndex;
  private functionIndex?: NameIndex;
  private enumIndex?: EnumIndex;
  /** what BtfType's getters call: the record of the type's id, decoded */
  private readonly parts: LazyParts<LazyType> = {
    targetOf: (t) => this.targetOf((t as BtfType).btfId),
    membersOf: (t) => this.membersOf((t as BtfType).btfId),
    paramsOf: (t) => this.paramsOf((t as BtfType).btfId),
    enumeratorsOf: (t) => this.enumeratorsOf((t as BtfType).btfId),
  };

  constructor(
    src: Buffer | BtfSection,
    private readonly label: string,
    private readonly store?: BtfIndexStore,
    stored?: StoredBtfIndexes,
  ) {
    if (endianness() !== 'LE') throw this.err('this reader runs on little-endian hosts only');
    let buf: Buffer;
    if (Buffer.isBuffer(src)) buf = src;
    else {
      // not read yet: a page is read when first used (memory untouched until then)
      buf = Buffer.allocUnsafeSlow(src.size);
      this.section = src;
      this.loaded = new Uint8Array(Math.ceil(src.size / PAGE));
    }
    this.buf = buf;
    this.ensure(0, Math.min(buf.length, HEADER_MIN));
    if (buf.length < HEADER_MIN) throw this.err(`${buf.length} bytes is too short for a BTF header`);
    const magic = buf.readUInt16LE(0);
    if (magic === 0x9feb) throw this.err('big-endian BTF is not supported');
    if (magic !== 0xeb9f) throw this.err(`bad magic 0x${magic.toString(16)} (want 0xeb9f)`);
    const version = buf[2];
    if (version !== 1) throw this.err(`unsupported BTF version ${version}`);
    const hdrLen = buf.readUInt32LE(4);
    const typeOff = buf.readUInt32LE(8);
    const typeLen = buf.readUInt32LE(12);
    const strOff = buf.readUInt32LE(16);
    const strLen = buf.readUInt32LE(20);
    if (hdrLen < HEADER_MIN || hdrLen > buf.length) throw this.err(`header length ${hdrLen} outside 24..${buf.length}`);
    const dataLen = buf.length - hdrLen;
    if (typeOff + typeLen > dataLen)
      throw this.err(`type section ${typeOff}+${typeLen} runs past the ${dataLen} data bytes`);
    if (strOff + strLen > dataLen)
      throw this.err(`string section ${strOff}+${strLen} runs past the ${dataLen} data bytes`);
    if (typeOff % 4 !== 0 || typeLen % 4 !== 0)
      throw this.err(`type section ${typeOff}+${typeLen} is not 4-byte aligned`);
    this.strStart = hdrLen + strOff;
    this.strLen = strLen;
    this.ensure(this.strStart, this.strStart + 1);
    if (strLen === 0 || buf[this.strStart] !== 0) throw this.err('string section does not start with an empty string');

    // A u32 view of the type section (copied only if the Buffer sits at an unaligned address).
    const at = buf.byteOffset + hdrLen + typeOff;
    const nWords = typeLen / 4;
    this.typeBase = hdrLen + typeOff;
    if (at % 4 === 0) this.words = new Uint32Array(buf.buffer, at, nWords);
    else {
      this.loadAll();
      const copy = new Uint8Array(typeLen);
      copy.set(buf.subarray(hdrLen + typeOff, hdrLen + typeOff + typeLen));
      this.words = new Uint32Array(copy.buffer);
      this.typeBase = -1;
    }

    // '' : unfit, and the cache said why already
    const why = stored ? this.unfit(stored) : '';
    if (stored && why === undefined && this.typeBase >= 0) {
      // a warm start: the record starts stored, each checked when first used
      this.stored = stored;
      this.count = stored.count;
      this.checked = new Uint8Array(this.count + 1);
      this.known = new Uint32Array(this.count + 1);
    } else {
      if (why) this.store?.rejected(why);
      this.loadAll();
      this.offs = this.walk();
      this.count = this.offs.length - 1;
    }
  }

  /** Why stored indexes cannot be those of this BTF (their sizes; entries are checked when used); '': unreadable. */
  private unfit(ix: StoredBtfIndexes): string | undefined {
    const n = ix.count;
    const pow2 = (e: Entries) => e.length >= 2 && (e.length & (e.length - 1)) === 0;
    if (ix.words !== this.words.length) return `${ix.words} type words where this BTF has ${this.words.length}`;
    if (!(n >= 1 && n <= ix.words / 3)) return `${n} types in ${ix.words} words`;
    if (ix.offs.length !== n + 2 || ix.nameNext.length !== n + 1) return 'its index lengths do not fit';
    if (!pow2(ix.nameHeads)) return 'its index lengths do not fit';
    try {
      if (ix.offs.get(1) !== 0 || ix.offs.get(n + 1) !== ix.words) return 'its record starts do not fit';
    } catch (e) {
      if (e instanceof StoredIndexError) return ''; // the part said why already
      throw e;
    }
    return undefined;
  }

  /**
   * The one pass: each record's start (each record is at least 3 words, so at most nWords / 3 ids), and after the
   * last one the end of the type section (what the stored index keeps: `ends`). Views of one array, not copies:
   * its tail is never touched, so never paged in (a page fault costs ~14 µs on the VMs this runs on).
   */
  private walk(): Uint32Array {
    const w = this.words;
    const nWords = w.length;
    const offs = new Uint32Array(Math.floor(nWords / 3) + 2);
    let id = 1;
    let p = 0;
    while (p < nWords) {
      if (p + 3 > nWords) throw this.err(`type ${id} at byte ${p * 4} is cut off by the end of the type section`);
      const info = w[p + 1];
      const kind = (info >>> 24) & 0x1f;
      const fixed = kind <= MAX_KIND ? FIXED_WORDS[kind] : -1;
      if (fixed < 0) throw this.err(`type ${id} at byte ${p * 4} has unknown kind ${kind}`);
      offs[id++] = p;
      p += 3 + fixed + VLEN_WORDS[kind] * (info & 0xffff);
    }
    if (p !== nWords) throw this.err(`type ${id - 1} runs ${(p - nWords) * 4} bytes past the end of the type section`);
    offs[id] = nWords;
    this.ends = offs.subarray(0, id + 1);
    return offs.subarray(0, id);
  }

  /** Bytes [from, to) of the section, read if not yet. */
  private ensure(from: number, to: number): void {
    const loaded = this.loaded;
    if (!loaded) return;
    for (let pg = Math.floor(from / PAGE); pg * PAGE < to; pg++) {
      if (loaded[pg]) continue;
      // this page and the unread ones after it up to `to`, in one read
      let last = pg;
      while ((last + 1) * PAGE < to && !loaded[last + 1]) last++;
      const start = pg * PAGE;
      const end = Math.min(this.buf.length, (last + 1) * PAGE);
      this.section!.read(start, end - start, this.buf, start);
      loaded.fill(1, pg, last + 1);
      pg = last;
    }
  }

  /** The whole section, read. */
  private loadAll(): void {
    if (!this.loaded) return;
    this.ensure(0, this.buf.length);
    this.loaded = undefined;
  }

  /** Every record's start, from a walk over the whole section (a warm start's stored starts are then left). */
  private allOffs(): Uint32Array {
    if (!this.offs) {
      this.loadAll();
      this.offs = this.walk();
      if (this.offs.length - 1 !== this.count) {
        const stored = this.count;
        this.count = this.offs.length - 1;
        this.dropStored(`${stored} types where this BTF has ${this.count}`);
      }
    }
    return this.offs;
  }

  /** The word index of record `id` (1..count), its words read; a stored start is checked when first used. */
  private at(id: number): number {
    const offs = this.offs;
    if (offs) return offs[id]!;
    if (this.checked![id]) return this.known![id]!;
    const stored = this.stored!;
    let p: number;
    let q: number;
    try {
      p = stored.offs.get(id);
      q = stored.offs.get(id + 1);
    } catch (e) {
      if (!(e instanceof StoredIndexError)) throw e;
      this.dropStored(undefined);
      return this.allOffs()[id]!;
    }
    const w = this.words;
    let fits = id >= 1 && id <= this.count && p + 3 <= q && q <= w.length;
    if (fits) {
      this.ensure(this.typeBase + 4 * p, this.typeBase + 4 * q);
      const info = w[p + 1];
      const kind = (info >>> 24) & 0x1f;
      const fixed = kind <= MAX_KIND ? FIXED_WORDS[kind] : -1;
      fits = fixed >= 0 && q - p === 3 + fixed + VLEN_WORDS[kind] * (info & 0xffff);
    }
    if (!fits) {
      this.dropStored(`the record of type ${id} is not where it says`);
      return this.allOffs()[id]!;
    }
    this.checked![id] = 1;
    this.known![id] = p;
    return p;
  }

  /**
   * Stop using the stored indexes: say why (undefined: the cache said it already), walk the whole section and
   * build the indexes as a cold start does (and store them again).
   */
  private dropStored(reason: string | undefined): void {
    if (!this.stored) return;
    this.stored = undefined;
    if (reason) this.store?.rejected(reason);
    this.allOffs();
    this.nameIndex = undefined;
    this.enumIndex = undefined;
    this.loadIndexes();
  }

  /** Entry i of an index, in lo..hi; a stored one that is not (or cannot be read) drops the stored indexes. */
  private entry(e: Entries, i: number, lo: number, hi: number): number {
    if (e.stored && !this.stored) throw RETRY;
    let v: number;
    try {
      v = e.get(i);
    } catch (err) {
      if (!(err instanceof StoredIndexError)) throw err;
      this.dropStored(undefined);
      throw RETRY;
    }
    if (v >= lo && v <= hi) return v;
    return this.badEntry(`index entry ${i} out of range`);
  }

  /** A stored index entry that is not right: the indexes are rebuilt and the lookup runs again. */
  private badEntry(reason: string): never {
    if (!this.stored) throw this.err(`${reason} in an index built here`);
    this.dropStored(reason);
    throw RETRY;
  }

  /** Run a lookup; again if it met a stored index entry that was not right (the indexes are rebuilt then). */
  private retrying<T>(f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e !== RETRY) throw e;
      return f();
    }
  }

  // ---- TypeSource ----

  find(name: string): Type | undefined {
    return this.derived.find(name, (q) => this.findNamed(q));
  }

  /** A plain name: struct/union/enum X, a typedef, a base type. */
  private findNamed(q: string): Type | undefined {
    const tag = /^(struct|union|enum) (.+)$/.exec(q);
    if (tag) {
      const want = tag[1] === 'struct' ? TagWant.Struct : tag[1] === 'union' ? TagWant.Union : TagWant.Enum;
      const id = this.bestTagged(tag[2], want);
      return id ? this.typeById(id) : undefined;
    }
    const id =
      this.bestTagged(q, TagWant.Struct) ||
      this.bestTagged(q, TagWant.Union) ||
      this.firstNamed(q, (k) => k === TYPEDEF) ||
      this.bestTagged(q, TagWant.Enum) ||
      this.firstNamed(q, (k) => k === INT || k === FLOAT) ||
      this.baseAliasOf(q);
    return id ? this.typeById(id) : undefined;
  }

  /** The type of a global variable that has a BTF VAR record (in vmlinux: the per-CPU variables). */
  variableType(name: string): Type | undefined {
    const id = this.firstNamed(name, (k) => k === VAR);
    return id ? this.typeById(this.words[this.at(id) + 2]) : undefined;
  }

  /**
   * The value of the enumerator `name`: the first of that name among all enums; with `inEnum`, looked up in
   * `enum inEnum` first, which needs no enumerator index (a cold start builds none for it).
   */
  enumValue(name: string, inEnum?: string): bigint | undefined {
    if (inEnum !== undefined && !this.enumIndex) {
      const v = this.retrying(() => this.enumeratorIn(inEnum, name));
      if (v !== undefined) return v;
    }
    return this.retrying(() => this.enumValueOnce(name));
  }

  /** Enumerator `name` of `enum inEnum` (its best definition), or undefined. */
  private enumeratorIn(inEnum: string, name: string): bigint | undefined {
    const id = this.bestTaggedOnce(inEnum, TagWant.Enum);
    let found: bigint | undefined;
    if (id) this.eachEnumerator(id, (n, v) => (found ??= n === name ? v : undefined));
    return found;
  }

  private enumValueOnce(name: string): bigint | undefined {
    const ix = this.enums();
    const e = this.probe(ix.heads, name, (e) => this.enumeratorWord(ix, e), ix.word.length);
    if (e === 0) return undefined;
    const q = this.enumeratorWord(ix, e);
    const id = this.entry(ix.type, e - 1, 1, this.count);
    const info = this.words[this.at(id) + 1];
    const signed = info >>> 31 === 1;
    const w = this.words;
    if (((info >>> 24) & 0x1f) === ENUM64) {
      const v = (BigInt(w[q + 2]) << 32n) | BigInt(w[q + 1]);
      return signed ? BigInt.asIntN(64, v) : v;
    }
    return BigInt(signed ? w[q + 1] | 0 : w[q + 1]);
  }

  // ---- extras for commands ----

  /** The prototype (kind 'function') of a kernel function with a BTF FUNC record. */
  functionType(name: string): Type | undefined {
    const id = this.firstNamed(name, (k) => k === FUNC, (this.functionIndex ??= this.buildNameIndex(true)));
    return id ? this.typeById(this.words[this.at(id) + 2]) : undefined;
  }

  /** Names of every BTF VAR record, in id order. */
  variableNames(): string[] {
    const out: string[] = [];
    const offs = this.allOffs();
    for (let id = 1; id <= this.count; id++) {
      const p = offs[id];
      if (((this.words[p + 1] >>> 24) & 0x1f) === VAR) out.push(this.str(this.words[p]));
    }
    return out;
  }

  /** The Type for a BTF id (0 = void). TYPE_TAG, DECL_TAG, VAR and FUNC records are transparent. */
  typeById(id: number): Type {
    if (id === 0) return VOID;
    const hit = this.cache.get(id);
    if (hit) return hit;
    this.checkId(id, id);
    let cur = id;
    // Skip records that only decorate another type.
    for (let depth = 0; ; depth++) {
      if (depth > MAX_CHAIN) throw this.err(`type ${id}: tag chain too long (a cycle?)`);
      const k = this.kindOf(cur);
      if (k !== TYPE_TAG && k !== DECL_TAG && k !== VAR && k !== FUNC) break;
      const next = this.words[this.at(cur) + 2];
      if (next === 0) {
        this.cache.set(id, VOID);
        return VOID;
      }
      this.checkId(next, cur);
      cur = next;
    }
    const t = cur === id ? this.build(id) : this.typeById(cur);
    this.cache.set(id, t);
    return t;
  }

  // ---- lazy parts of BtfType (called through `parts` by its getters) ----

  /** @internal */
  targetOf(id: number): Type | undefined {
    const p = this.at(id);
    const k = this.kindOf(id);
    if (k === ARRAY) return this.typeRef(this.words[p + 3], id);
    if (k === PTR || k === TYPEDEF || k === CONST || k === VOLATILE || k === RESTRICT || k === FUNC_PROTO)
      return this.typeRef(this.words[p + 2], id);
    return undefined;
  }

  /** @internal */
  membersOf(id: number): Member[] {
    const w = this.words;
    const p = this.at(id);
    const info = w[p + 1];
    const kflag = info >>> 31 === 1;
    const n = info & 0xffff;
    const out: Member[] = new Array(n);
    for (let i = 0, q = p + 3; i < n; i++, q += 3) {
      const off = w[q + 2];
      // kind_flag set: top 8 bits are the bitfield width, low 24 the bit offset (btf.h BTF_MEMBER_*).
      out[i] = {
        name: this.str(w[q]),
        type: this.typeRef(w[q + 1], id),
        bitOffset: kflag ? off & 0xffffff : off,
        bitSize: kflag ? off >>> 24 : 0,
      };
    }
    return out;
  }

  /** @internal */
  paramsOf(id: number): { name: string; type: Type }[] {
    const w = this.words;
    const p = this.at(id);
    const n = w[p + 1] & 0xffff;
    const out: { name: string; type: Type }[] = [];
    for (let i = 0, q = p + 3; i < n; i++, q += 2) {
      // A last parameter with name 0 and type 0 marks a variadic function.
      if (w[q + 1] === 0 && i === n - 1) out.push({ name: '...', type: VOID });
      else out.push({ name: this.str(w[q]), type: this.typeRef(w[q + 1], id) });
    }
    return out;
  }

  /** @internal */
  enumeratorsOf(id: number): Enumerator[] {
    const out: Enumerator[] = [];
    this.eachEnumerator(id, (name, value) => out.push({ name, value }));
    return out;
  }

  // ---- internals ----

  private err(msg: string): BtfError {
    return new BtfError(`${this.label}: ${msg}`);
  }

  private kindOf(id: number): number {
    return (this.words[this.at(id) + 1] >>> 24) & 0x1f;
  }

  private checkId(id: number, from: number): void {
    if (!(id >= 1 && id <= this.count))
      throw this.err(`type ${from} refers to type ${id}, beyond the last type ${this.count}`);
  }

  private typeRef(id: number, from: number): Type {
    if (id !== 0) this.checkId(id, from);
    return this.typeById(id);
  }

  private str(off: number): string {
    if (off === 0) return '';
    if (off >= this.strLen) throw this.err(`string offset ${off} beyond the ${this.strLen}-byte string section`);
    // identifiers are ASCII (latin1: one char per byte); one string from the bytes, the section is never decoded
    return this.buf.toString('latin1', this.strStart + off, this.strEnd(this.strStart + off));
  }

  /** Where the string at buffer index `at` ends (its NUL, or the section's end), its bytes read. */
  private strEnd(at: number): number {
    const limit = this.strStart + this.strLen;
    if (!this.loaded) {
      const end = this.buf.indexOf(0, at);
      return end < 0 || end > limit ? limit : end;
    }
    // a page at a time: the bytes past the read ones are not the section's yet
    for (let p = at; p < limit; ) {
      const pageEnd = Math.min(limit, (Math.floor(p / PAGE) + 1) * PAGE);
      this.ensure(p, pageEnd);
      const i = this.buf.subarray(p, pageEnd).indexOf(0);
      if (i >= 0) return p + i;
      p = pageEnd;
    }
    return limit;
  }

  /** Byte size of a type id, following typedefs, qualifiers and arrays (bounded against cycles). */
  private sizeOf(id: number, depth = 0): number {
    if (id === 0) return 0;
    if (depth > MAX_CHAIN) throw this.err(`type ${id}: type chain too long (a cycle?)`);
    this.checkId(id, id);
    const w = this.words;
    const p = this.at(id);
    switch (this.kindOf(id)) {
      case INT:
      case STRUCT:
      case UNION:
      case ENUM:
      case ENUM64:
      case FLOAT:
      case DATASEC:
        return w[p + 2];
      case PTR:
        return POINTER_SIZE;
      case ARRAY:
        return w[p + 5] * this.sizeOf(w[p + 3], depth + 1);
      case TYPEDEF:
      case CONST:
      case VOLATILE:
      case RESTRICT:
      case TYPE_TAG:
      case DECL_TAG:
      case VAR:
        return this.sizeOf(w[p + 2], depth + 1);
      default: // FWD, FUNC, FUNC_PROTO
        return 0;
    }
  }

  private build(id: number): Type {
    const w = this.words;
    const p = this.at(id);
    const info = w[p + 1];
    const kflag = info >>> 31 === 1;
    const name = this.str(w[p]);
    switch (this.kindOf(id)) {
      case INT: {
        const t = new BtfType('int', name, w[p + 2], this.parts, id);
        const enc = (w[p + 3] >>> 24) & 0x0f; // BTF_INT_SIGNED 1, BTF_INT_CHAR 2, BTF_INT_BOOL 4
        t.signed = (enc & 1) !== 0;
        t.isChar = (enc & 2) !== 0 || /\bchar\b/.test(name);
        t.isBool = (enc & 4) !== 0 || name === '_Bool';
        return t;
      }
      case PTR:
        return new BtfType('pointer', '', POINTER_SIZE, this.parts, id);
      case ARRAY: {
        const t = new BtfType('array', '', this.sizeOf(id), this.parts, id);
        t.length = w[p + 5];
        // BTF has no `x[]`: nelems 0 is `x[0]` or `x[]`; since the kernel's flexible-array conversion (5.x-6.x)
        // nearly every such member is written `x[]`, as gdb prints it from DWARF
        if (t.length === 0) t.unbounded = true;
        return t;
      }
      case STRUCT:
        return new BtfType('struct', name, w[p + 2], this.parts, id);
      case UNION:
        return new BtfType('union', name, w[p + 2], this.parts, id);
      case ENUM:
      case ENUM64: {
        const t = new BtfType('enum', name, w[p + 2], this.parts, id);
        t.signed = kflag;
        return t;
      }
      case FWD: {
        // A declaration only: use the complete definition of the same name if there is one.
        const full = name ? this.bestTagged(name, kflag ? TagWant.Union : TagWant.Struct) : 0;
        if (full && this.kindOf(full) !== FWD) return this.typeById(full);
        return new BtfType(kflag ? 'union' : 'struct', name, 0, this.parts, id);
      }
      case TYPEDEF:
        return new BtfType('typedef', name, this.sizeOf(id), this.parts, id);
      case CONST:
        return new BtfType('const', '', this.sizeOf(id), this.parts, id);
      case VOLATILE:
        return new BtfType('volatile', '', this.sizeOf(id), this.parts, id);
      case RESTRICT:
        return new BtfType('restrict', '', this.sizeOf(id), this.parts, id);
      case FUNC_PROTO:
        return new BtfType('function', '', 0, this.parts, id);
      case FLOAT:
        return new BtfType('float', name, w[p + 2], this.parts, id);
      default: // DATASEC (TYPE_TAG, DECL_TAG, VAR, FUNC never get here)
        return new BtfType('unknown', name, w[p + 2], this.parts, id);
    }
  }

  /** Does the string at `off` equal `name`? (No string is made.) */
  private strIs(off: number, name: string): boolean {
    if (off === 0 || off >= this.strLen) return name === '' && off === 0;
    // compared with the bytes: no string is decoded
    const b = this.buf;
    const at = this.strStart + off;
    const len = name.length;
    if (off + len > this.strLen) return false;
    this.ensure(at, Math.min(at + len + 1, this.strStart + this.strLen));
    for (let i = 0; i < len; i++) if (b[at + i] !== name.charCodeAt(i)) return false;
    return off + len === this.strLen || b[at + len] === 0;
  }

  /** The hash of the string at `off` (as fnv() of the name), from its bytes: no string is made. */
  private strHash(off: number): number {
    if (off >= this.strLen) throw this.err(`string offset ${off} beyond the ${this.strLen}-byte string section`);
    const b = this.buf;
    let h = 0x811c9dc5;
    for (let x = this.strStart + off, end = this.strStart + this.strLen; x < end; x++) {
      const c = b[x]!;
      if (c === 0) break;
      h = Math.imul(h ^ c, 16777619);
    }
    return h >>> 0;
  }

  /** Are the strings at offsets `x` and `y` the same? (Compared as bytes; BTF keeps most names once.) */
  private sameStr(x: number, y: number): boolean {
    if (x === y) return true;
    if (x >= this.strLen || y >= this.strLen) return false;
    const b = this.buf;
    const end = this.strStart + this.strLen;
    for (let i = this.strStart + x, j = this.strStart + y; ; i++, j++) {
      const c = i < end ? b[i]! : 0;
      if (c !== (j < end ? b[j]! : 0)) return false;
      if (c === 0) return true;
    }
  }

  /**
   * The entry (1..max) of a hash table whose name (the string at nameWord(entry)'s offset) is `name`; 0 if
   * none.
   */
  private probe(heads: Entries, name: string, nameWord: (entry: number) => number, max: number): number {
    const mask = heads.length - 1;
    for (let slot = fnv(name, 0, name.length) & mask, n = 0; n <= mask; slot = (slot + 1) & mask, n++) {
      const e = this.entry(heads, slot, 0, max);
      if (e === 0) return 0;
      if (this.strIs(this.words[nameWord(e)], name)) return e;
    }
    return 0;
  }

  /** The word of enumerator entry e's name (checked to be one of its enum's enumerators). */
  private enumeratorWord(ix: EnumIndex, e: number): number {
    const id = this.entry(ix.type, e - 1, 1, this.count);
    const q = this.entry(ix.word, e - 1, 0, this.words.length);
    const p = this.at(id);
    const k = this.kindOf(id);
    const stride = k === ENUM64 ? 3 : 2;
    if ((k !== ENUM && k !== ENUM64) || q < p + 3 || (q - p - 3) % stride !== 0) this.badEntry(`enumerator ${e}`);
    if ((q - p - 3) / stride >= (this.words[p + 1] & 0xffff)) this.badEntry(`enumerator ${e}`);
    return q;
  }

  /** Insert `entry` (name at string offset `off`) unless its name is there; returns the entry it is filed under. */
  private insert(heads: Int32Array, entry: number, off: number, at: Uint32Array, shift: number): number {
    // the name of a filed entry e is the string at words[at[e - shift]] (no closure: one call target)
    const mask = heads.length - 1;
    for (let slot = this.strHash(off) & mask; ; slot = (slot + 1) & mask) {
      const e = heads[slot]!;
      if (e === 0) {
        heads[slot] = entry;
        return entry;
      }
      if (this.sameStr(this.words[at[e - shift]!]!, off)) return e;
    }
  }

  /**
   * Name -> ids, as a hash table to the first id plus a "next id with the same name" chain. Functions
   * (FUNC, about half of all named records) go into their own index, built only if asked for.
   */
  private buildNameIndex(functions: boolean): BuiltNameIndex {
    const heads = new Int32Array(tableSize(this.namedCount(functions)));
    const next = new Int32Array(this.count + 1);
    this.fileNames(functions, heads, next);
    return {
      heads: entriesOf(heads),
      next: entriesOf(next),
      alias: this.baseAliases(),
      headsArray: heads,
      nextArray: next,
    };
  }

  /**
   * How many ids have a name of the index's kinds. (Each loop of the index builds is a method of its own: V8
   * compiles a one-shot loop while it runs and would drop that code at the first statement after it.)
   */
  private namedCount(functions: boolean): number {
    const w = this.words;
    const offs = this.allOffs();
    let m = 0;
    for (let id = 1; id <= this.count; id++) {
      const p = offs[id];
      const kind = (w[p + 1] >>> 24) & 0x1f;
      // tags name tag strings
      m += w[p] !== 0 && (kind === FUNC) === functions && kind !== DECL_TAG && kind !== TYPE_TAG ? 1 : 0;
    }
    return m;
  }

  /**
   * File the named ids by name, the highest first: each id goes in front of its name's chain and takes its hash
   * slot, so the slot ends at the name's lowest id and the chain lists them ascending (no list of the named ids
   * or of each chain's tail: two arrays of every id less to page in).
   */
  private fileNames(functions: boolean, heads: Int32Array, next: Int32Array): void {
    const w = this.words;
    const offs = this.allOffs();
    const mask = heads.length - 1;
    for (let id = this.count; id >= 1; id--) {
      const p = offs[id];
      const kind = (w[p + 1] >>> 24) & 0x1f;
      if (w[p] === 0 || (kind === FUNC) !== functions || kind === DECL_TAG || kind === TYPE_TAG) continue;
      const off = w[p];
      for (let slot = this.strHash(off) & mask; ; slot = (slot + 1) & mask) {
        const e = heads[slot]!;
        if (e !== 0 && !this.sameStr(w[offs[e]!]!, off)) continue;
        next[id] = e;
        heads[slot] = id;
        break;
      }
    }
  }

  /** canonical base-type spelling (canonicalBaseName) -> INT/FLOAT id (the lowest of each) */
  private baseAliases(): Map<string, number> {
    const alias = new Map<string, number>();
    const offs = this.allOffs();
    for (let id = this.count; id >= 1; id--) {
      const kind = (this.words[offs[id]! + 1] >>> 24) & 0x1f;
      if (kind !== INT && kind !== FLOAT) continue;
      const canon = canonicalBaseName(this.str(this.words[offs[id]!]));
      if (canon) alias.set(canon, id);
    }
    return alias;
  }

  private firstNamed(name: string, accept: (kind: number) => boolean, given?: NameIndex): number {
    return this.retrying(() => {
      const index = given ?? this.names();
      const head = this.probe(index.heads, name, (e) => this.at(e), this.count);
      for (let id = head, n = 0; id !== 0 && n <= this.count; id = this.nextOf(index, id), n++)
        if (accept(this.kindOf(id))) return id;
      return 0;
    });
  }

  /** The next higher id of the same name (0: none). */
  private nextOf(index: NameIndex, id: number): number {
    const next = this.entry(index.next, id, 0, this.count);
    return next === 0 || next > id ? next : this.badEntry(`name chain at type ${id}`);
  }

  private names(): NameIndex {
    return this.nameIndex ?? this.loadIndexes();
  }

  /**
   * The name index: the stored one when it was found to fit (its entries are checked when used), else built
   * (and stored).
   */
  private loadIndexes(): NameIndex {
    const got = this.stored;
    if (got) {
      this.nameIndex = { heads: got.nameHeads, next: got.nameNext, alias: new Map(got.alias) };
    } else {
      const names = this.buildNameIndex(false);
      this.nameIndex = names;
      this.allOffs();
      const ends = this.ends!;
      this.store?.save({
        count: this.count,
        words: this.words.length,
        nameHeads: names.headsArray,
        nameNext: names.nextArray,
        offs: ends,
        alias: [...names.alias],
      });
    }
    return this.nameIndex;
  }

  /**
   * The enumerator index: a stored one while the stored name index is trusted (its entries are checked when
   * used, as theirs), else built (and stored).
   */
  private enums(): EnumIndex {
    if (this.enumIndex) return this.enumIndex;
    const got = this.stored ? this.store?.loadEnums?.() : undefined;
    if (got) {
      const pow2 = got.heads.length >= 2 && (got.heads.length & (got.heads.length - 1)) === 0;
      if (got.count === this.count && got.words === this.words.length && pow2 && got.type.length === got.word.length)
        return (this.enumIndex = { heads: got.heads, word: got.word, type: got.type });
      this.store?.rejectedEnums?.('its lengths do not fit');
    }
    const built = this.buildEnumIndex();
    this.enumIndex = { heads: entriesOf(built.heads), word: entriesOf(built.word), type: entriesOf(built.type) };
    this.store?.saveEnums?.({ count: this.count, words: this.words.length, ...built });
    return this.enumIndex;
  }

  /**
   * The best record for a struct/union/enum name: a definition with members beats an empty one,
   * which beats a forward declaration (BTF keeps FWDs and, across dedup failures, duplicates).
   */
  private bestTagged(name: string, want: TagWant): number {
    return this.retrying(() => this.bestTaggedOnce(name, want));
  }

  private bestTaggedOnce(name: string, want: TagWant): number {
    const index = this.names();
    let best = 0;
    let bestRank = 0;
    const head = this.probe(index.heads, name, (e) => this.at(e), this.count);
    for (let id = head, n = 0; id !== 0 && n <= this.count; id = this.nextOf(index, id), n++) {
      const p = this.at(id);
      const info = this.words[p + 1];
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      let rank = 0;
      if (want === TagWant.Enum) {
        if (kind === ENUM || kind === ENUM64) rank = vlen > 0 ? 3 : 2;
      } else if (kind === (want === TagWant.Struct ? STRUCT : UNION)) {
        rank = vlen > 0 ? 3 : 2;
      } else if (kind === FWD && info >>> 31 === (want === TagWant.Union ? 1 : 0)) rank = 1;
      if (rank > bestRank) {
        best = id;
        bestRank = rank;
        if (rank === 3) break;
      }
    }
    return best;
  }

  private baseAliasOf(name: string): number {
    const canon = canonicalBaseName(name);
    if (!canon) return 0;
    return this.retrying(() => {
      const id = this.names().alias.get(canon) ?? 0;
      if (id === 0 || !this.stored) return id;
      const kind = id >= 1 && id <= this.count ? this.kindOf(id) : -1;
      return kind === INT || kind === FLOAT ? id : this.badEntry(`base type ${canon}`);
    });
  }

  private eachEnumerator(id: number, fn: (name: string, value: bigint) => void): void {
    const w = this.words;
    const p = this.at(id);
    const info = w[p + 1];
    const signed = info >>> 31 === 1;
    const n = info & 0xffff;
    if (this.kindOf(id) === ENUM64) {
      for (let i = 0, q = p + 3; i < n; i++, q += 3) {
        const v = (BigInt(w[q + 2]) << 32n) | BigInt(w[q + 1]);
        fn(this.str(w[q]), signed ? BigInt.asIntN(64, v) : v);
      }
    } else {
      for (let i = 0, q = p + 3; i < n; i++, q += 2) fn(this.str(w[q]), BigInt(signed ? w[q + 1] | 0 : w[q + 1]));
    }
  }

  /** Every enumerator of every enum, the first of each name. */
  private buildEnumIndex(): { heads: Int32Array; word: Uint32Array; type: Uint32Array } {
    const total = this.enumeratorCount();
    // each enumerator's name word and enum, the first of each name kept
    const word = new Uint32Array(total);
    const type = new Uint32Array(total);
    const heads = new Int32Array(tableSize(total));
    const kept = this.fileEnumerators(word, type, heads);
    return { heads, word: word.slice(0, kept), type: type.slice(0, kept) };
  }

  private enumeratorCount(): number {
    const w = this.words;
    const offs = this.allOffs();
    let total = 0;
    for (let id = 1; id <= this.count; id++) {
      const info = w[offs[id] + 1];
      const k = (info >>> 24) & 0x1f;
      total += k === ENUM || k === ENUM64 ? info & 0xffff : 0;
    }
    return total;
  }

  private fileEnumerators(word: Uint32Array, type: Uint32Array, heads: Int32Array): number {
    const w = this.words;
    const offs = this.allOffs();
    let kept = 0;
    for (let id = 1; id <= this.count; id++) {
      const p = offs[id];
      const info = w[p + 1];
      const k = (info >>> 24) & 0x1f;
      if (k !== ENUM && k !== ENUM64) continue;
      const stride = k === ENUM64 ? 3 : 2;
      for (let i = 0, n = info & 0xffff, q = p + 3; i < n; i++, q += stride) {
        word[kept] = q;
        if (this.insert(heads, kept + 1, w[q], word, 1) !== kept + 1) continue;
        type[kept++] = id;
      }
    }
    return kept;
  }
}

interface EnumIndex {
  heads: Entries;
  /** per entry: the word index of the enumerator's name word */
  word: Entries;
  /** per entry: its enum's id */
  type: Entries;
}

interface NameIndex {
  /** hash slots -> lowest id with that name */
  heads: Entries;
  /** id -> next higher id with the same name, 0 at the end */
  next: Entries;
  /** canonical base-type spelling (canonicalBaseName) -> INT/FLOAT id */
  alias: Map<string, number>;
}

/** A name index built here, with its arrays (to store). */
interface BuiltNameIndex extends NameIndex {
  headsArray: Int32Array;
  nextArray: Int32Array;
}

const enum TagWant {
  Struct,
  Union,
  Enum,
}

/**
 * One spelling per C base type, so 'unsigned long', 'long unsigned int' (gcc's BTF/DWARF name) and
 * 'unsigned long int' meet: '[unsigned |signed ][short |long |long long ]<int|char|...>'.
 * Returns undefined for anything that is not a base-type spelling.
 */
export function canonicalBaseName(name: string): string | undefined {
  let unsigned = false,
    signed = false,
    shorts = 0,
    longs = 0,
    core = '';
  for (const word of name.trim().split(/\s+/)) {
    if (word === 'unsigned') unsigned = true;
    else if (word === 'signed') signed = true;
    else if (word === 'short') shorts++;
    else if (word === 'long') longs++;
    else if (['int', 'char', '__int128', '_Bool', 'double', 'float'].includes(word) && !core) core = word;
    else return undefined;
  }
  if ((unsigned && signed) || shorts > 1 || longs > 2 || (shorts && longs)) return undefined;
  if (!core) {
    if (!unsigned && !signed && !shorts && !longs) return undefined;
    core = 'int';
  }
  const sign = unsigned ? 'unsigned ' : '';
  switch (core) {
    case 'int':
      return `${sign}${shorts ? 'short ' : ''}${'long '.repeat(longs)}int`;
    case 'char':
      if (shorts || longs) return undefined;
      return unsigned ? 'unsigned char' : signed ? 'signed char' : 'char';
    case '__int128':
      return shorts || longs ? undefined : `${sign}__int128`;
    case 'double':
      return unsigned || signed || shorts || longs > 1 ? undefined : longs ? 'long double' : 'double';
    default: // _Bool, float
      return unsigned || signed || shorts || longs ? undefined : core;
  }
}
