/**
 * The name index on disk, so a second start does not walk .debug_info again. One file per vmlinux,
 * named by its GNU build-id (or, without one, by its size and .debug_info layout), in
 * $XDG_CACHE_HOME/crash-ts/ (default ~/.cache/crash-ts/). The file is the index's typed arrays one after
 * the other behind a small header; a file that does not check out is ignored (and rebuilt).
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { NameIndex } from './name-index.js';
import type { UnitHeader } from './units.js';

const MAGIC = 'CTSDWIX2';
const HEADER = 64;
const UNIT_FIELDS = 8;

/** The cache directory: $CRASH_TS_CACHE_DIR, else $XDG_CACHE_HOME/crash-ts, else ~/.cache/crash-ts. */
export function defaultCacheDir(): string {
  if (process.env.CRASH_TS_CACHE_DIR) return process.env.CRASH_TS_CACHE_DIR;
  const xdg = process.env.XDG_CACHE_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(homedir(), '.cache'), 'crash-ts');
}

export function cachePath(dir: string, key: string): string {
  return join(dir, `dwarf-index-${key.replace(/[^0-9a-zA-Z_.-]/g, '_')}.bin`);
}

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
  const take = (bytes: number): Uint8Array | undefined => {
    if (p + bytes > buf.length) return undefined;
    // copy into a fresh, aligned ArrayBuffer
    const out = new Uint8Array(bytes);
    out.set(buf.subarray(p, p + bytes));
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
  const dieOff = new Float64Array(dieB.buffer);
  const u = new Float64Array(unitB.buffer);
  const nameOff = new Uint32Array(offB.buffer);
  const nameLen = new Uint32Array(lenB.buffer);
  const table = new Uint32Array(tabB.buffer);
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
  return NameIndex.fromParts(Buffer.from(nameB.buffer), nameOff, nameLen, dieOff, kindB, units, table);
}

/** Load a cached index, or undefined (absent, unreadable, stale). */
export function loadCachedIndex(path: string, infoSize: number): NameIndex | undefined {
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    return undefined;
  }
  return deserializeIndex(buf, infoSize);
}

/** Write the index (atomically: a temporary file renamed over); a failure is returned as a message. */
export function saveIndex(path: string, dir: string, ix: NameIndex, infoSize: number): string | undefined {
  try {
    mkdirSync(dir, { recursive: true });
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, serializeIndex(ix, infoSize));
    renameSync(tmp, path);
    return undefined;
  } catch (e) {
    return `cannot write the DWARF index cache ${path}: ${(e as Error).message}`;
  }
}
