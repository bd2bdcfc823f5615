/**
 * The name index as a warm-start cache part (src/cache/vmlinux-cache.ts: one folder per build-id, checked
 * against the vmlinux): the index's typed arrays one after the other behind a small header. Arrays are
 * viewed in place when the payload is 8-byte aligned; every offset and index is checked before use.
 */
import { CacheCorrupt, type PagedPart, type VmlinuxCache } from '../cache/vmlinux-cache.js';
import {
  DECL,
  hashBytes,
  NameIndex,
  StoredIndexCorrupt,
  type IndexEntry,
  type Kind,
  type StoredNameIndex,
} from './name-index.js';
import type { UnitHeader } from './units.js';

export { defaultCacheDir } from '../cache/vmlinux-cache.js';

const MAGIC = 'CTSDWIX2';
const HEADER = 64;
const UNIT_FIELDS = 8;
export const DWARF_INDEX_PART = 'dwarf-index';
// 3: read at offsets (a CRC per page): a lookup reads the slots and entries it probes
const PART_VERSION = 3;

const pad8 = (n: number) => (n + 7) & ~7;

/** Serialize an index (with the .debug_info size it was built from, checked on load). */
export function serializeIndex(ix: NameIndex, infoSize: number): Buffer {
  const n = ix.size;
  const parts: Uint8Array[] = [];
  const units = new Float64Array(ix.units.length * UNIT_FIELDS);
  ix.units.forEach((u, i) => {
    units.set(
      [u.offset, u.end, u.version, u.unitType, u.addrSize, u.offsetSize, u.abbrevOffset, u.dieOffset],
      i * UNIT_FIELDS,
    );
  });
  const header = Buffer.alloc(HEADER);
  header.write(MAGIC, 0, 'latin1');
  header.writeUInt32LE(n, 8);
  header.writeUInt32LE(ix.table.length, 12);
  header.writeUInt32LE(ix.names.length, 16);
  header.writeUInt32LE(ix.units.length, 20);
  header.writeDoubleLE(infoSize, 24);
  parts.push(header);
  for (const arr of [ix.dieOff, units, ix.nameOff, ix.nameLen, ix.table, ix.kinds, ix.names]) {
    const bytes = new Uint8Array(arr.buffer, arr.byteOffset, arr.byteLength);
    parts.push(bytes);
    const padded = pad8(bytes.length);
    if (padded > bytes.length) parts.push(new Uint8Array(padded - bytes.length));
  }
  return Buffer.concat(parts);
}

/** Parse a serialized index; undefined when it is not one, or was built from another .debug_info. */
export function deserializeIndex(buf: Buffer, infoSize: number): NameIndex | undefined {
  if (buf.length < HEADER || buf.toString('latin1', 0, 8) !== MAGIC) return undefined;
  const n = buf.readUInt32LE(8);
  const tableLen = buf.readUInt32LE(12);
  const namesLen = buf.readUInt32LE(16);
  const nUnits = buf.readUInt32LE(20);
  if (buf.readDoubleLE(24) !== infoSize) return undefined;
  if (tableLen === 0 || (tableLen & (tableLen - 1)) !== 0 || tableLen < n) return undefined;
  let p = HEADER;
  const aligned = buf.byteOffset % 8 === 0;
  const take = (bytes: number): Uint8Array | undefined => {
    if (p + bytes > buf.length) return undefined;
    let out: Uint8Array;
    if (aligned) out = new Uint8Array(buf.buffer, buf.byteOffset + p, bytes);
    else {
      out = new Uint8Array(bytes); // a fresh, aligned copy
      out.set(buf.subarray(p, p + bytes));
    }
    p += pad8(bytes);
    return out;
  };
  const dieB = take(n * 8);
  const unitB = take(nUnits * UNIT_FIELDS * 8);
  const offB = take(n * 4);
  const lenB = take(n * 4);
  const tabB = take(tableLen * 4);
  const kindB = take(n);
  const nameB = take(namesLen);
  if (!dieB || !unitB || !offB || !lenB || !tabB || !kindB || !nameB) return undefined;
  const view = <T>(b: Uint8Array, make: new (ab: ArrayBufferLike, at: number, n: number) => T, size: number): T =>
    new make(b.buffer, b.byteOffset, b.byteLength / size);
  const dieOff = view(dieB, Float64Array, 8);
  const u = view(unitB, Float64Array, 8);
  const nameOff = view(offB, Uint32Array, 4);
  const nameLen = view(lenB, Uint32Array, 4);
  const table = view(tabB, Uint32Array, 4);
  for (let i = 0; i < n; i++) if (nameOff[i]! + nameLen[i]! > namesLen || dieOff[i]! >= infoSize) return undefined;
  for (let i = 0; i < tableLen; i++) if (table[i]! > n) return undefined;
  const units: UnitHeader[] = [];
  for (let i = 0; i < nUnits; i++) {
    const f = u.subarray(i * UNIT_FIELDS, (i + 1) * UNIT_FIELDS);
    units.push({
      offset: f[0]!,
      end: f[1]!,
      version: f[2]!,
      unitType: f[3]!,
      addrSize: f[4]!,
      offsetSize: f[5]!,
      abbrevOffset: f[6]!,
      dieOffset: f[7]!,
    });
  }
  const names = Buffer.from(nameB.buffer, nameB.byteOffset, nameB.byteLength);
  return NameIndex.fromParts(names, nameOff, nameLen, dieOff, kindB, units, table);
}

/**
 * The cached index, read at offsets, or undefined (absent, stale, corrupt: the cache has said so in a note).
 * Only its header and unit headers are read now; a lookup reads the slots and entries it probes, each checked
 * (entry in range, name inside the names, DIE inside .debug_info). A page or entry found wrong later is one
 * note and StoredIndexCorrupt: the reader (names.ts) then answers as without a cached index.
 */
export function loadCachedIndex(cache: VmlinuxCache, infoSize: number): NameIndex | undefined {
  const part = cache.openPaged(DWARF_INDEX_PART, PART_VERSION);
  if (!part) return undefined;
  try {
    return storedIndex(part, infoSize);
  } catch (e) {
    if (e instanceof CacheCorrupt) return undefined;
    throw e;
  }
}

/** Where each array of a serialized index starts. */
function storedIndex(part: PagedPart, infoSize: number): NameIndex {
  if (part.length < HEADER || part.bytes(0, 8).toString('latin1') !== MAGIC) part.fail('not a name index');
  const n = part.u32(8);
  const tableLen = part.u32(12);
  const namesLen = part.u32(16);
  const nUnits = part.u32(20);
  if (part.u64(24) !== new BigUint64Array(new Float64Array([infoSize]).buffer)[0])
    part.fail('built from another .debug_info');
  if (tableLen < 2 || (tableLen & (tableLen - 1)) !== 0 || tableLen < n) part.fail(`bad table size ${tableLen}`);
  const p8 = (x: number) => x + ((8 - (x % 8)) % 8);
  const dieAt = HEADER;
  const unitAt = dieAt + p8(8 * n);
  const offAt = unitAt + p8(nUnits * UNIT_FIELDS * 8);
  const lenAt = offAt + p8(4 * n);
  const tableAt = lenAt + p8(4 * n);
  const kindAt = tableAt + p8(4 * tableLen);
  const namesAt = kindAt + p8(n);
  if (namesAt + p8(namesLen) !== part.length) part.fail('its lengths do not add up');
  const u = part.bytes(unitAt, nUnits * UNIT_FIELDS * 8);
  const units: UnitHeader[] = [];
  for (let i = 0; i < nUnits; i++) {
    const f = (k: number) => u.readDoubleLE((i * UNIT_FIELDS + k) * 8);
    units.push({
      offset: f(0),
      end: f(1),
      version: f(2),
      unitType: f(3),
      addrSize: f(4),
      offsetSize: f(5),
      abbrevOffset: f(6),
      dieOffset: f(7),
    });
  }
  let built: NameIndex | undefined;
  // the part noted why: the reader (names.ts) answers by walking .debug_info from then on
  const fallback = (e: CacheCorrupt): never => {
    throw new StoredIndexCorrupt(e.message);
  };
  const stored: StoredNameIndex = {
    size: n,
    lookup(kind: Kind, key: Buffer): IndexEntry | undefined {
      try {
        const mask = tableLen - 1;
        let slot = (hashBytes(key, 0, key.length) ^ kind) & mask;
        for (let probes = 0; probes <= mask; probes++) {
          const e = part.u32(tableAt + 4 * slot);
          if (e === 0) return undefined;
          if (e > n) part.fail(`slot ${slot} out of range`);
          const i = e - 1;
          const k = part.u8(kindAt + i);
          if ((k & 0x7f) === kind && part.u32(lenAt + 4 * i) === key.length) {
            const off = part.u32(offAt + 4 * i);
            if (off + key.length > namesLen) part.fail(`name of entry ${i} out of range`);
            if (part.bytes(namesAt + off, key.length).equals(key)) {
              const die = part.bytes(dieAt + 8 * i, 8).readDoubleLE(0);
              if (!(die >= 0 && die < infoSize)) part.fail(`DIE of entry ${i} out of range`);
              return { die, declaration: (k & DECL) !== 0 };
            }
          }
          slot = (slot + 1) & mask;
        }
        return undefined;
      } catch (e) {
        if (!(e instanceof CacheCorrupt)) throw e;
        return fallback(e);
      }
    },
    whole(): NameIndex {
      if (built) return built;
      try {
        const ix = deserializeIndex(part.whole(), infoSize);
        if (!ix) part.fail('its entries do not fit this .debug_info');
        part.close();
        return (built = ix);
      } catch (e) {
        if (!(e instanceof CacheCorrupt)) throw e;
        return fallback(e);
      }
    },
  };
  return NameIndex.stored(units, stored);
}

/** Write the index to the cache (a failure is a note, never an error). */
export function saveIndex(cache: VmlinuxCache, ix: NameIndex, infoSize: number): void {
  cache.savePaged(DWARF_INDEX_PART, PART_VERSION, [serializeIndex(ix, infoSize)]);
}
