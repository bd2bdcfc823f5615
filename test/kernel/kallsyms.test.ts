/**
 * The kallsyms decoder on small tables laid out as scripts/kallsyms.c lays them out, in each of the three
 * address encodings (the corpus has dumps of the first and third only: 6.1/6.12 and 7.x), plus a name with
 * the two-byte length of 6.1+ and a damaged table. The real-dump comparison is vmcore-alone.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { readKallsyms, type KallsymsLocation } from '../../src/kernel/kallsyms.js';

const BASE = 0xffffffff81000000n;

/** Lay out the tables in one buffer at BASE + 0x100000 and return a reader and their location. */
function tables(
  syms: { name: string; offset: number }[],
  relativeBase: bigint | undefined,
): { read: (a: bigint, n: number) => Buffer; loc: KallsymsLocation } {
  // tokens: byte b stands for the character b (a plain table, as for names with no common substrings)
  const tokenTable = Buffer.alloc(512);
  const tokenIndex = Buffer.alloc(512);
  for (let b = 0; b < 256; b++) {
    tokenTable[b * 2] = b;
    tokenIndex.writeUInt16LE(b * 2, b * 2);
  }
  const names: number[] = [];
  for (const s of syms) {
    const len = s.name.length;
    if (len >= 128) names.push((len & 0x7f) | 0x80, len >> 7);
    else names.push(len);
    for (const c of s.name) names.push(c.charCodeAt(0));
  }
  const offsets = Buffer.alloc(syms.length * 4);
  syms.forEach((s, i) => offsets.writeInt32LE(s.offset, i * 4));
  const area = BASE + 0x100000n;
  const parts: [keyof KallsymsLocation, Buffer][] = [
    ['numSyms', Buffer.from(Uint32Array.of(syms.length).buffer)],
    ['names', Buffer.from(names)],
    ['tokenTable', tokenTable],
    ['tokenIndex', tokenIndex],
    ['offsets', offsets],
  ];
  const loc = {} as KallsymsLocation;
  const chunks: Buffer[] = [];
  let at = 0;
  for (const [key, b] of parts) {
    loc[key] = area + BigInt(at);
    chunks.push(b, Buffer.alloc(16 - (b.length % 16)));
    at += b.length + 16 - (b.length % 16);
  }
  if (relativeBase !== undefined) {
    loc.relativeBase = area + BigInt(at);
    const rb = Buffer.alloc(8);
    rb.writeBigUInt64LE(relativeBase);
    chunks.push(rb);
  }
  const mem = Buffer.concat([...chunks, Buffer.alloc(1 << 17)]);
  const read = (a: bigint, n: number): Buffer => {
    const off = Number(a - area);
    if (off < 0 || off + n > mem.length) throw new Error(`unreadable: ${a.toString(16)}`);
    return mem.subarray(off, off + n);
  };
  return { read, loc };
}

describe('kallsyms decoding', () => {
  it('absolute per-CPU (x86_64 up to 6.14): values >= 0 are absolute, negative ones base - 1 - value', () => {
    const { read, loc } = tables(
      [
        { name: 'Arunqueues', offset: 0x31980 },
        { name: 'T_stext', offset: -1 },
        { name: 'tdo_one', offset: -1 - 0x1234 },
      ],
      BASE,
    );
    const ks = readKallsyms(read, loc, BASE);
    expect(ks.encoding).toBe('absolute-percpu');
    expect(ks.names).toEqual(['runqueues', '_stext', 'do_one']);
    expect(String.fromCharCode(...ks.types)).toBe('ATt');
    expect([...ks.addresses]).toEqual([0x31980n, BASE, BASE + 0x1234n]);
  });

  it('relative base (6.15 to 6.19): base + the value as unsigned', () => {
    const base = 0xffffffff00000000n;
    const { read, loc } = tables(
      [
        { name: 'T_stext', offset: 0x81000000 | 0 }, // negative as s32: only the unsigned reading puts _stext here
        { name: 'Drunqueues', offset: 0x82000000 | 0 },
        { name: 'tlow', offset: 0x100 },
      ],
      base,
    );
    const ks = readKallsyms(read, loc, BASE);
    expect(ks.encoding).toBe('relative-base');
    expect([...ks.addresses]).toEqual([BASE, base + 0x82000000n, base + 0x100n]);
  });

  it('place-relative (7.0+): the entry address + the value; a 2-byte length for a long name', () => {
    const long = 'T' + 'x'.repeat(300);
    const { read, loc } = tables(
      [
        { name: 'T_stext', offset: 0 },
        { name: long, offset: 0 },
      ],
      undefined,
    );
    // each entry points 0x1000 below itself
    const off = read(loc.offsets, 8);
    off.writeInt32LE(-0x1000, 0);
    off.writeInt32LE(-0x1000 + 4, 4);
    const ks = readKallsyms(read, loc, undefined);
    expect(ks.encoding).toBe('place-relative');
    expect(ks.names[1]).toBe(long.slice(1));
    expect([...ks.addresses]).toEqual([loc.offsets - 0x1000n, loc.offsets - 0x1000n + 8n]);
  });

  it('a damaged table is refused in one line', () => {
    const { read, loc } = tables([{ name: 'T_stext', offset: -1 }], BASE);
    read(loc.numSyms, 4).writeUInt32LE(0);
    expect(() => readKallsyms(read, loc, BASE)).toThrow(/kallsyms_num_syms is 0/);
    read(loc.numSyms, 4).writeUInt32LE(5); // more symbols than names: a zero length is met
    expect(() => readKallsyms(read, loc, BASE)).toThrow(/symbol 1 has length 0: the table is damaged/);
  });
});
