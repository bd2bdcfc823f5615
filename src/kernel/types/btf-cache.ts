/**
 * BTF's indexes as warm-start cache parts, read at offsets (PagedParts): btf-index (btf.ts BtfIndexes: the record
 * starts, the name hash table and chains, the base-type aliases) and btf-enums (BtfEnumIndexes: the enumerator
 * hash table), saved when first built (a cold `sys` builds no enumerator index). Each: a header of lengths, then
 * the arrays, each padded to 8 bytes (btf-index: then the aliases as text). btf.ts checks each entry against
 * the BTF when it uses it; here only the lengths are checked. An entry whose page fails its check is
 * StoredIndexError.
 */
import { CacheCorrupt, type PagedPart, type VmlinuxCache } from '../../cache/vmlinux-cache.js';
import {
  StoredIndexError,
  type BtfEnumIndexes,
  type BtfIndexes,
  type BtfIndexStore,
  type Entries,
  type StoredBtfIndexes,
  type StoredEnumIndexes,
} from './btf.js';

/** the part's name (openKernel reads .BTF ahead when there is no such file yet) */
export const BTF_INDEX_PART = 'btf-index';
const PART = BTF_INDEX_PART;
// 2: read at offsets, with the record starts and the base-type aliases; 3: the enumerator index apart
const VERSION = 3;
const HEADER = 40;
const ARRAYS = 3;
/** the enumerator index's part */
const ENUM_PART = 'btf-enums';
const ENUM_VERSION = 1;
const ENUM_ARRAYS = 3;
/** count, words, the arrays' lengths; padded to 8 bytes */
const ENUM_HEADER = 24;
const pad8 = (n: number) => n + ((8 - (n % 8)) % 8);

export function serializeBtfIndexes(ix: BtfIndexes): Uint8Array[] {
  const head = Buffer.alloc(HEADER);
  const arrays = [ix.nameHeads, ix.nameNext, ix.offs];
  const alias = Buffer.from(ix.alias.map(([name, id]) => `${name}\t${id}\n`).join(''), 'latin1');
  head.writeUInt32LE(ix.count, 0);
  head.writeUInt32LE(ix.words, 4);
  arrays.forEach((a, i) => head.writeUInt32LE(a.length, 8 + 4 * i));
  head.writeUInt32LE(alias.length, 8 + 4 * ARRAYS);
  return [head, ...padded([...arrays, alias])];
}

/** The arrays as chunks, each padded to 8 bytes. */
function padded(arrays: (Uint8Array | Int32Array | Uint32Array)[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const a of arrays) {
    out.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    if (pad8(a.byteLength) > a.byteLength) out.push(new Uint8Array(pad8(a.byteLength) - a.byteLength));
  }
  return out;
}

export function serializeEnumIndexes(ix: BtfEnumIndexes): Uint8Array[] {
  const head = Buffer.alloc(ENUM_HEADER);
  const arrays = [ix.heads, ix.word, ix.type];
  head.writeUInt32LE(ix.count, 0);
  head.writeUInt32LE(ix.words, 4);
  arrays.forEach((a, i) => head.writeUInt32LE(a.length, 8 + 4 * i));
  return [head, ...padded(arrays)];
}

/** `n` arrays of u32 entries from `p` on, each padded to 8 bytes: their views and where they end. */
function entryViews(part: PagedPart, p: number, lens: number[]): { views: Entries[]; end: number } {
  const views: Entries[] = [];
  for (const length of lens) {
    const base = p;
    // Int32 and Uint32 entries alike: every valid entry is below 2^31
    views.push({ length, stored: true, get: (x) => stored(() => part.u32(base + 4 * x)) });
    p += pad8(4 * length);
  }
  return { views, end: p };
}

/** The enumerator index of an opened part, each entry read when asked; or why the part is not one. */
export function storedEnumIndexes(part: PagedPart): StoredEnumIndexes | string {
  if (part.length < ENUM_HEADER) return 'too short';
  const lens = Array.from({ length: ENUM_ARRAYS }, (_, i) => part.u32(8 + 4 * i));
  const { views, end } = entryViews(part, ENUM_HEADER, lens);
  if (end !== part.length) return end > part.length ? 'cut short' : 'bytes too many';
  const [heads, word, type] = views as [Entries, Entries, Entries];
  return { count: part.u32(0), words: part.u32(4), heads, word, type };
}

/** The indexes of an opened part, each entry read when asked; or why the part is not one. */
export function storedBtfIndexes(part: PagedPart): StoredBtfIndexes | string {
  if (part.length < HEADER) return 'too short';
  const lens = Array.from({ length: ARRAYS + 1 }, (_, i) => part.u32(8 + 4 * i));
  const { views, end: p } = entryViews(part, HEADER, lens.slice(0, ARRAYS));
  const aliasLen = lens[ARRAYS]!;
  if (p + pad8(aliasLen) !== part.length) return p + pad8(aliasLen) > part.length ? 'cut short' : 'bytes too many';
  const alias: [string, number][] = [];
  for (const line of part.bytes(p, aliasLen).toString('latin1').split('\n')) {
    if (!line) continue;
    const [name, id] = line.split('\t');
    if (!name || !/^\d+$/.test(id ?? '')) return 'a base-type alias line is not "name<TAB>id"';
    alias.push([name, Number(id)]);
  }
  const [nameHeads, nameNext, offs] = views as [Entries, Entries, Entries];
  return { count: part.u32(0), words: part.u32(4), nameHeads, nameNext, offs, alias };
}

/** A stored entry, or StoredIndexError when its page is not right (the part noted it). */
function stored(read: () => number): number {
  try {
    return read();
  } catch (e) {
    if (e instanceof CacheCorrupt) throw new StoredIndexError(e.message);
    throw e;
  }
}

/** A part opened and read by `parse`; undefined when there is none or it is not one (the part noted why). */
function openStored<T>(
  cache: VmlinuxCache,
  name: string,
  version: number,
  parse: (part: PagedPart) => T | string,
): T | undefined {
  const part = cache.openPaged(name, version);
  if (!part) return undefined;
  try {
    const ix = parse(part);
    if (typeof ix !== 'string') return ix;
    part.reject(ix);
  } catch (e) {
    if (!(e instanceof CacheCorrupt)) throw e;
  }
  return undefined;
}

/** A BtfIndexStore over the warm-start cache. */
export function btfIndexStore(cache: VmlinuxCache): BtfIndexStore {
  return {
    load: () => openStored(cache, PART, VERSION, storedBtfIndexes),
    save(ix) {
      cache.savePaged(PART, VERSION, serializeBtfIndexes(ix));
    },
    rejected(reason) {
      cache.corrupt(PART, reason);
    },
    loadEnums: () => openStored(cache, ENUM_PART, ENUM_VERSION, storedEnumIndexes),
    saveEnums(ix) {
      cache.savePaged(ENUM_PART, ENUM_VERSION, serializeEnumIndexes(ix));
    },
    rejectedEnums(reason) {
      cache.corrupt(ENUM_PART, reason);
    },
  };
}
