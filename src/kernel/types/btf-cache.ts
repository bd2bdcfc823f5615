/**
 * BTF's name and enumerator indexes (btf.ts BtfIndexes) as one warm-start cache part: a header of
 * lengths, then the five arrays, each padded to 8 bytes. btf.ts checks every entry against the BTF
 * before using them; here only the lengths are checked.
 */
import type { VmlinuxCache } from '../../cache/vmlinux-cache.js';
import type { BtfIndexes, BtfIndexStore } from './btf.js';

const PART = 'btf-index';
const VERSION = 1;
const HEADER = 32;
const pad8 = (n: number) => (n + 7) & ~7;

export function serializeBtfIndexes(ix: BtfIndexes): Uint8Array[] {
  const head = Buffer.alloc(HEADER);
  const arrays = [ix.nameHeads, ix.nameNext, ix.enumHeads, ix.enumWord, ix.enumType];
  head.writeUInt32LE(ix.count, 0);
  head.writeUInt32LE(ix.words, 4);
  arrays.forEach((a, i) => head.writeUInt32LE(a.length, 8 + 4 * i));
  const out: Uint8Array[] = [head];
  for (const a of arrays) {
    out.push(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    if (pad8(a.byteLength) > a.byteLength) out.push(new Uint8Array(pad8(a.byteLength) - a.byteLength));
  }
  return out;
}

/** The indexes over a cached payload (8-byte aligned), or a reason it is not one. */
export function deserializeBtfIndexes(buf: Buffer): BtfIndexes | string {
  if (buf.length < HEADER || buf.byteOffset % 8 !== 0) return 'too short';
  const lens = [0, 1, 2, 3, 4].map((i) => buf.readUInt32LE(8 + 4 * i));
  let p = HEADER;
  const views: (Int32Array | Uint32Array)[] = [];
  for (let i = 0; i < 5; i++) {
    const bytes = lens[i]! * 4;
    if (p + bytes > buf.length) return 'cut short';
    views.push(
      i < 3
        ? new Int32Array(buf.buffer, buf.byteOffset + p, lens[i])
        : new Uint32Array(buf.buffer, buf.byteOffset + p, lens[i]),
    );
    p += pad8(bytes);
  }
  if (p !== buf.length) return `${buf.length - p} bytes too many`;
  return {
    count: buf.readUInt32LE(0),
    words: buf.readUInt32LE(4),
    nameHeads: views[0] as Int32Array,
    nameNext: views[1] as Int32Array,
    enumHeads: views[2] as Int32Array,
    enumWord: views[3] as Uint32Array,
    enumType: views[4] as Uint32Array,
  };
}

/** A BtfIndexStore over the warm-start cache. */
export function btfIndexStore(cache: VmlinuxCache): BtfIndexStore {
  return {
    load() {
      const buf = cache.load(PART, VERSION);
      if (!buf) return undefined;
      const ix = deserializeBtfIndexes(buf);
      if (typeof ix !== 'string') return ix;
      cache.corrupt(PART, ix);
      return undefined;
    },
    save(ix) {
      cache.save(PART, VERSION, serializeBtfIndexes(ix));
    },
    rejected() {
      cache.corrupt(PART, 'its entries do not fit this BTF');
    },
  };
}
