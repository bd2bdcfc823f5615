/**
 * BTF's indexes (btf.ts BtfIndexes: the record starts, the name and enumerator hash tables, the base-type
 * aliases) as one warm-start cache part, read at offsets (a PagedPart): a header of lengths, then the six
 * arrays, each padded to 8 bytes, then the aliases as text. btf.ts checks each entry against the BTF when it
 * uses it; here only the lengths are checked. An entry whose page fails its check is StoredIndexError.
 */
import { CacheCorrupt, type PagedPart, type VmlinuxCache } from '../../cache/vmlinux-cache.js';
import { StoredIndexError, type BtfIndexes, type BtfIndexStore, type Entries, type StoredBtfIndexes } from './btf.js';

/** the part's name (openKernel reads .BTF ahead when there is no such file yet) */
export const BTF_INDEX_PART = 'btf-index';
const PART = BTF_INDEX_PART;
// 2: read at offsets, with the record starts and the base-type aliases
const VERSION = 2;
const HEADER = 40;
const ARRAYS = 6;
const pad8 = (n: number) => n + ((8 - (n % 8)) % 8);

export function serializeBtfIndexes(ix: BtfIndexes): Uint8Array[] {
  const head = Buffer.alloc(HEADER);
  const arrays = [ix.nameHeads, ix.nameNext, ix.enumHeads, ix.enumWord, ix.enumType, ix.offs];
  const alias = Buffer.from(ix.alias.map(([name, id]) => `${name}\t${id}\n`).join(''), 'latin1');
  head.writeUInt32LE(ix.count, 0);
  head.writeUInt32LE(ix.words, 4);
  arrays.forEach((a, i) => head.writeUInt32LE(a.length, 8 + 4 * i));
  head.writeUInt32LE(alias.length, 8 + 4 * ARRAYS);
  const out: Uint8Array[] = [head];
  for (const a of [...arrays, alias]) {
    out.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    if (pad8(a.byteLength) > a.byteLength) out.push(new Uint8Array(pad8(a.byteLength) - a.byteLength));
  }
  return out;
}

/** The indexes of an opened part, each entry read when asked; or why the part is not one. */
export function storedBtfIndexes(part: PagedPart): StoredBtfIndexes | string {
  if (part.length < HEADER) return 'too short';
  const lens = Array.from({ length: ARRAYS + 1 }, (_, i) => part.u32(8 + 4 * i));
  let p = HEADER;
  const views: Entries[] = [];
  for (let i = 0; i < ARRAYS; i++) {
    const base = p;
    const length = lens[i]!;
    // Int32 and Uint32 entries alike: every valid entry is below 2^31
    views.push({ length, stored: true, get: (x) => stored(() => part.u32(base + 4 * x)) });
    p += pad8(4 * length);
  }
  const aliasLen = lens[ARRAYS]!;
  if (p + pad8(aliasLen) !== part.length) return p + pad8(aliasLen) > part.length ? 'cut short' : 'bytes too many';
  const alias: [string, number][] = [];
  for (const line of part.bytes(p, aliasLen).toString('latin1').split('\n')) {
    if (!line) continue;
    const [name, id] = line.split('\t');
    if (!name || !/^\d+$/.test(id ?? '')) return 'a base-type alias line is not "name<TAB>id"';
    alias.push([name, Number(id)]);
  }
  const [nameHeads, nameNext, enumHeads, enumWord, enumType, offs] = views as [
    Entries,
    Entries,
    Entries,
    Entries,
    Entries,
    Entries,
  ];
  return {
    count: part.u32(0),
    words: part.u32(4),
    nameHeads,
    nameNext,
    enumHeads,
    enumWord,
    enumType,
    offs,
    alias,
  };
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

/** A BtfIndexStore over the warm-start cache. */
export function btfIndexStore(cache: VmlinuxCache): BtfIndexStore {
  return {
    load() {
      const part = cache.openPaged(PART, VERSION);
      if (!part) return undefined;
      try {
        const ix = storedBtfIndexes(part);
        if (typeof ix !== 'string') return ix;
        part.reject(ix);
      } catch (e) {
        if (!(e instanceof CacheCorrupt)) throw e;
      }
      return undefined;
    },
    save(ix) {
      cache.savePaged(PART, VERSION, serializeBtfIndexes(ix));
    },
    rejected(reason) {
      cache.corrupt(PART, reason);
    },
  };
}
