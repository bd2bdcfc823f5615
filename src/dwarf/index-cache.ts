/**
 * The name index as a warm-start cache part (src/cache/vmlinux-cache.ts: one folder per build-id, checked
 * against the vmlinux): the index's typed arrays one after the other behind a small header. Arrays are
 * viewed in place when the payload is 8-byte aligned; every offset and index is checked before use.
 */
import type { VmlinuxCache } from '../cache/vmlinux-cache.js';
import { NameIndex } from './name-index.js';
import type { UnitHeader } from './units.js';

export { defaultCacheDir } from '../cache/vmlinux-cache.js';

const MAGIC = 'CTSDWIX2';
const HEADER = 64;
const UNIT_FIELDS = 8;
export const DWARF_INDEX_PART = 'dwarf-index';
const PART_VERSION = 2;

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

/** The cached index, or undefined (absent, stale, corrupt: the cache has said so in a note). */
export function loadCachedIndex(cache: VmlinuxCache, infoSize: number): NameIndex | undefined {
  const buf = cache.load(DWARF_INDEX_PART, PART_VERSION);
  if (!buf) return undefined;
  const ix = deserializeIndex(buf, infoSize);
  if (!ix) cache.corrupt(DWARF_INDEX_PART, 'its entries do not fit this .debug_info');
  return ix;
}

/** Write the index to the cache (a failure is a note, never an error). */
export function saveIndex(cache: VmlinuxCache, ix: NameIndex, infoSize: number): void {
  cache.save(DWARF_INDEX_PART, PART_VERSION, [serializeIndex(ix, infoSize)]);
}
