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
  return new BtfTypes(buf, label, store);
}

/** Where the name and enumerator indexes are kept between runs (the warm-start cache; btf-cache.ts). */
export interface BtfIndexStore {
  load(): BtfIndexes | undefined;
  save(ix: BtfIndexes): void;
  /** what load() gave does not fit this BTF (it is rebuilt and saved again) */
  rejected(): void;
}

/** The indexes a walk over every record builds (see buildNameIndex and buildEnumIndex). */
export interface BtfIndexes {
  /** type count and type-section words of the BTF they were built from */
  count: number;
  words: number;
  /** hash slots (nameHash of the name) -> lowest id with that name, 0 empty; FUNC, DECL_TAG, TYPE_TAG left out */
  nameHeads: Int32Array;
  /** id -> next higher id with the same name, 0 at the end */
  nameNext: Int32Array;
  /** hash slots -> enumerator entry + 1 (the first enumerator of each name), 0 empty */
  enumHeads: Int32Array;
  /** per enumerator entry: word index of its name word, and the id of its enum */
  enumWord: Uint32Array;
  enumType: Uint32Array;
}

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
  readonly count: number;
  /** Milliseconds the first walk (header checks + record index) took. */
  readonly indexMs: number;

  private readonly words: Uint32Array;
  /** offs[id] = word index of record `id` in `words` */
  private readonly offs: Uint32Array;
  private readonly strStart: number;
  private readonly strLen: number;
  private readonly cache: (Type | undefined)[];
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
    private readonly buf: Buffer,
    private readonly label: string,
    private readonly store?: BtfIndexStore,
  ) {
    const t0 = performance.now();
    if (endianness() !== 'LE') throw this.err('this reader runs on little-endian hosts only');
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
    if (strLen === 0 || buf[this.strStart] !== 0) throw this.err('string section does not start with an empty string');

    // A u32 view of the type section (copied only if the Buffer sits at an unaligned address).
    const at = buf.byteOffset + hdrLen + typeOff;
    const nWords = typeLen / 4;
    if (at % 4 === 0) this.words = new Uint32Array(buf.buffer, at, nWords);
    else {
      const copy = new Uint8Array(typeLen);
      copy.set(buf.subarray(hdrLen + typeOff, hdrLen + typeOff + typeLen));
      this.words = new Uint32Array(copy.buffer);
    }

    // The one pass: each record is at least 3 words, so the id count is bounded by nWords / 3.
    const w = this.words;
    const offs = new Uint32Array(Math.floor(nWords / 3) + 1);
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
    this.offs = offs.slice(0, id);
    this.count = id - 1;
    this.cache = new Array<Type | undefined>(id);
    this.indexMs = performance.now() - t0;
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
    return id ? this.typeById(this.words[this.offs[id] + 2]) : undefined;
  }

  enumValue(name: string): bigint | undefined {
    const ix = this.enumIndex ?? this.loadIndexes().enums;
    const e = this.probe(ix.heads, name, (e) => ix.word[e - 1]!);
    if (e === 0) return undefined;
    const q = ix.word[e - 1]!;
    const id = ix.type[e - 1]!;
    const info = this.words[this.offs[id] + 1];
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
    return id ? this.typeById(this.words[this.offs[id] + 2]) : undefined;
  }

  /** Names of every BTF VAR record, in id order. */
  variableNames(): string[] {
    const out: string[] = [];
    for (let id = 1; id <= this.count; id++) {
      const p = this.offs[id];
      if (((this.words[p + 1] >>> 24) & 0x1f) === VAR) out.push(this.str(this.words[p]));
    }
    return out;
  }

  /** The Type for a BTF id (0 = void). TYPE_TAG, DECL_TAG, VAR and FUNC records are transparent. */
  typeById(id: number): Type {
    if (id === 0) return VOID;
    const hit = this.cache[id];
    if (hit) return hit;
    this.checkId(id, id);
    let cur = id;
    // Skip records that only decorate another type.
    for (let depth = 0; ; depth++) {
      if (depth > MAX_CHAIN) throw this.err(`type ${id}: tag chain too long (a cycle?)`);
      const k = this.kindOf(cur);
      if (k !== TYPE_TAG && k !== DECL_TAG && k !== VAR && k !== FUNC) break;
      const next = this.words[this.offs[cur] + 2];
      if (next === 0) return (this.cache[id] = VOID);
      this.checkId(next, cur);
      cur = next;
    }
    const t = cur === id ? this.build(id) : this.typeById(cur);
    this.cache[id] = t;
    return t;
  }

  // ---- lazy parts of BtfType (called through `parts` by its getters) ----

  /** @internal */
  targetOf(id: number): Type | undefined {
    const p = this.offs[id];
    const k = this.kindOf(id);
    if (k === ARRAY) return this.typeRef(this.words[p + 3], id);
    if (k === PTR || k === TYPEDEF || k === CONST || k === VOLATILE || k === RESTRICT || k === FUNC_PROTO)
      return this.typeRef(this.words[p + 2], id);
    return undefined;
  }

  /** @internal */
  membersOf(id: number): Member[] {
    const w = this.words;
    const p = this.offs[id];
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
    const p = this.offs[id];
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
    return (this.words[this.offs[id] + 1] >>> 24) & 0x1f;
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
    const limit = this.strStart + this.strLen;
    const end = this.buf.indexOf(0, this.strStart + off);
    return this.buf.toString('latin1', this.strStart + off, end < 0 || end > limit ? limit : end);
  }

  /** Byte size of a type id, following typedefs, qualifiers and arrays (bounded against cycles). */
  private sizeOf(id: number, depth = 0): number {
    if (id === 0) return 0;
    if (depth > MAX_CHAIN) throw this.err(`type ${id}: type chain too long (a cycle?)`);
    this.checkId(id, id);
    const w = this.words;
    const p = this.offs[id];
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
    const p = this.offs[id];
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

  /** The entry of a hash table whose name (the string at nameWord(entry)'s offset) is `name`; 0 if none. */
  private probe(heads: Int32Array, name: string, nameWord: (entry: number) => number): number {
    const mask = heads.length - 1;
    for (let slot = fnv(name, 0, name.length) & mask, n = 0; n <= mask; slot = (slot + 1) & mask, n++) {
      const e = heads[slot]!;
      if (e === 0) return 0;
      if (this.strIs(this.words[nameWord(e)], name)) return e;
    }
    return 0;
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
  private buildNameIndex(functions: boolean): NameIndex {
    const named = new Int32Array(this.count);
    const m = this.namedIds(functions, named);
    const heads = new Int32Array(tableSize(m));
    const next = new Int32Array(this.count + 1);
    this.fileNames(named, m, heads, next);
    return { heads, next, alias: this.baseAliases() };
  }

  /**
   * The ids with a name of the index's kinds, ascending, into `named`; how many. (Each loop of the index
   * builds is a method of its own: V8 compiles a one-shot loop while it runs and would drop that code at
   * the first statement after it.)
   */
  private namedIds(functions: boolean, named: Int32Array): number {
    const w = this.words;
    const offs = this.offs;
    let m = 0;
    for (let id = 1; id <= this.count; id++) {
      const p = offs[id];
      const kind = (w[p + 1] >>> 24) & 0x1f;
      // tags name tag strings
      const filed = w[p] !== 0 && (kind === FUNC) === functions && kind !== DECL_TAG && kind !== TYPE_TAG;
      named[m] = id;
      m += filed ? 1 : 0;
    }
    return m;
  }

  /** File the named ids by name: ascending ids, so each name's chain lists them in ascending order. */
  private fileNames(named: Int32Array, m: number, heads: Int32Array, next: Int32Array): void {
    const w = this.words;
    const offs = this.offs;
    const tail = new Int32Array(this.count + 1);
    for (let j = 0; j < m; j++) {
      const id = named[j]!;
      const head = this.insert(heads, id, w[offs[id]], offs, 0);
      const link = head !== id;
      const from = link ? tail[head] || head : 0;
      if (link) {
        next[from] = id;
        tail[head] = id;
      }
    }
  }

  /** canonical base-type spelling (canonicalBaseName) -> INT/FLOAT id (the lowest of each) */
  private baseAliases(): Map<string, number> {
    const alias = new Map<string, number>();
    for (let id = this.count; id >= 1; id--) {
      const kind = this.kindOf(id);
      if (kind !== INT && kind !== FLOAT) continue;
      const canon = canonicalBaseName(this.str(this.words[this.offs[id]]));
      if (canon) alias.set(canon, id);
    }
    return alias;
  }

  private firstNamed(name: string, accept: (kind: number) => boolean, index = this.names()): number {
    const head = this.probe(index.heads, name, (e) => this.offs[e]);
    for (let id = head, n = 0; id !== 0 && n <= this.count; id = index.next[id], n++)
      if (accept(this.kindOf(id))) return id;
    return 0;
  }

  private names(): NameIndex {
    return this.nameIndex ?? this.loadIndexes().names;
  }

  /** The name and enumerator indexes: from the store when it has them, else built (and stored). */
  private loadIndexes(): { names: NameIndex; enums: EnumIndex } {
    const got = this.store?.load();
    if (got && got.count === this.count && got.words === this.words.length && this.validIndexes(got)) {
      this.nameIndex = { heads: got.nameHeads, next: got.nameNext, alias: this.baseAliases() };
      this.enumIndex = { heads: got.enumHeads, word: got.enumWord, type: got.enumType };
    } else {
      if (got) this.store?.rejected();
      this.nameIndex = this.buildNameIndex(false);
      this.enumIndex = this.buildEnumIndex();
      this.store?.save({
        count: this.count,
        words: this.words.length,
        nameHeads: this.nameIndex.heads,
        nameNext: this.nameIndex.next,
        enumHeads: this.enumIndex.heads,
        enumWord: this.enumIndex.word,
        enumType: this.enumIndex.type,
      });
    }
    return { names: this.nameIndex, enums: this.enumIndex };
  }

  /** Stored indexes must point inside this BTF (a lookup then still compares the names). */
  private validIndexes(ix: BtfIndexes): boolean {
    const n = this.count;
    const heads = (h: Int32Array, max: number) =>
      h.length >= 2 && (h.length & (h.length - 1)) === 0 && h.every((e) => e >= 0 && e <= max);
    if (!heads(ix.nameHeads, n) || ix.nameNext.length !== n + 1) return false;
    for (let id = 0; id <= n; id++)
      if (ix.nameNext[id]! < 0 || ix.nameNext[id]! > n || (ix.nameNext[id]! !== 0 && ix.nameNext[id]! <= id))
        return false;
    const m = ix.enumWord.length;
    if (ix.enumType.length !== m || !heads(ix.enumHeads, m)) return false;
    for (let e = 0; e < m; e++) {
      const id = ix.enumType[e]!;
      if (id < 1 || id > n) return false;
      const k = this.kindOf(id);
      const p = this.offs[id];
      const q = ix.enumWord[e]!;
      const stride = k === ENUM64 ? 3 : 2;
      if ((k !== ENUM && k !== ENUM64) || q < p + 3 || (q - p - 3) % stride !== 0) return false;
      if ((q - p - 3) / stride >= (this.words[p + 1] & 0xffff)) return false;
    }
    return true;
  }

  /**
   * The best record for a struct/union/enum name: a definition with members beats an empty one,
   * which beats a forward declaration (BTF keeps FWDs and, across dedup failures, duplicates).
   */
  private bestTagged(name: string, want: TagWant): number {
    const index = this.names();
    let best = 0;
    let bestRank = 0;
    const head = this.probe(index.heads, name, (e) => this.offs[e]);
    for (let id = head, n = 0; id !== 0 && n <= this.count; id = index.next[id], n++) {
      const p = this.offs[id];
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
    return this.names().alias.get(canon) ?? 0;
  }

  private eachEnumerator(id: number, fn: (name: string, value: bigint) => void): void {
    const w = this.words;
    const p = this.offs[id];
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
  private buildEnumIndex(): EnumIndex {
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
    let total = 0;
    for (let id = 1; id <= this.count; id++) {
      const info = w[this.offs[id] + 1];
      const k = (info >>> 24) & 0x1f;
      total += k === ENUM || k === ENUM64 ? info & 0xffff : 0;
    }
    return total;
  }

  private fileEnumerators(word: Uint32Array, type: Uint32Array, heads: Int32Array): number {
    const w = this.words;
    let kept = 0;
    for (let id = 1; id <= this.count; id++) {
      const p = this.offs[id];
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
  heads: Int32Array;
  /** per entry: the word index of the enumerator's name word */
  word: Uint32Array;
  /** per entry: its enum's id */
  type: Uint32Array;
}

interface NameIndex {
  /** hash slots -> lowest id with that name */
  heads: Int32Array;
  /** id -> next higher id with the same name, 0 at the end */
  next: Int32Array;
  /** canonical base-type spelling (canonicalBaseName) -> INT/FLOAT id */
  alias: Map<string, number>;
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
