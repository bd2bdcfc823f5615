/**
 * A small DWARF 5 producer for tests: abbreviations, a compile unit with a base type, a struct, an enum,
 * a volatile variable known only by declarations, a variable defined through DW_AT_specification, a
 * function with an inlined call, and a line program — written into a synthetic ELF64 file.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';
import { buildElf, type SecSpec } from '../../src/elf/build.js';

export function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}

export function sleb(v: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(b & 0x40)) || (v === -1 && b & 0x40)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

const u16 = (v: number) => [v & 0xff, v >> 8];
const u32 = (v: number) => [v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, (v >>> 24) & 0xff];
const u64 = (v: bigint) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return [...b];
};
const cstr = (s: string) => [...Buffer.from(s + '\0')];

/** code → [tag, children, [attr, form, implicit?]...] */
const ABBREVS: [number, number, boolean, [number, number][]][] = [
  [
    1,
    0x11,
    true,
    [
      [0x03, 0x0e],
      [0x1b, 0x08],
      [0x10, 0x17],
      [0x11, 0x01],
      [0x12, 0x07],
    ],
  ], // compile_unit
  [
    2,
    0x24,
    false,
    [
      [0x03, 0x08],
      [0x0b, 0x0b],
      [0x3e, 0x0b],
    ],
  ], // base_type
  [
    3,
    0x34,
    false,
    [
      [0x03, 0x0e],
      [0x49, 0x13],
      [0x3f, 0x19],
      [0x3c, 0x19],
    ],
  ], // variable declaration
  [
    4,
    0x13,
    true,
    [
      [0x03, 0x0e],
      [0x0b, 0x0b],
      [0x01, 0x13],
    ],
  ], // structure_type with sibling
  [
    5,
    0x0d,
    false,
    [
      [0x03, 0x08],
      [0x49, 0x13],
      [0x38, 0x0b],
    ],
  ], // member
  [
    6,
    0x0f,
    false,
    [
      [0x0b, 0x0b],
      [0x49, 0x13],
    ],
  ], // pointer_type
  [
    7,
    0x04,
    true,
    [
      [0x0b, 0x0b],
      [0x49, 0x13],
    ],
  ], // enumeration_type (anonymous)
  [
    8,
    0x28,
    false,
    [
      [0x03, 0x0e],
      [0x1c, 0x0d],
    ],
  ], // enumerator
  [
    9,
    0x2e,
    true,
    [
      [0x03, 0x0e],
      [0x11, 0x01],
      [0x12, 0x06],
      [0x3f, 0x19],
    ],
  ], // subprogram
  [
    10,
    0x05,
    false,
    [
      [0x03, 0x08],
      [0x49, 0x13],
    ],
  ], // formal_parameter
  [
    11,
    0x1d,
    false,
    [
      [0x31, 0x13],
      [0x11, 0x01],
      [0x12, 0x06],
      [0x58, 0x0b],
      [0x59, 0x0b],
    ],
  ], // inlined_subroutine
  [
    12,
    0x34,
    false,
    [
      [0x47, 0x13],
      [0x02, 0x18],
    ],
  ], // variable definition by specification
  [13, 0x35, false, [[0x49, 0x13]]], // volatile_type
  [
    14,
    0x2e,
    false,
    [
      [0x03, 0x0e],
      [0x20, 0x0b],
    ],
  ], // abstract inline subprogram
  [
    15,
    0x0d,
    false,
    [
      [0x03, 0x08],
      [0x49, 0x13],
      [0x0d, 0x0b],
      [0x6b, 0x0b],
    ],
  ], // bitfield member
];

export function abbrevSection(): Buffer {
  const out: number[] = [];
  for (const [code, tag, children, attrs] of ABBREVS) {
    out.push(...uleb(code), ...uleb(tag), children ? 1 : 0);
    for (const [a, f] of attrs) out.push(...uleb(a), ...uleb(f));
    out.push(0, 0);
  }
  out.push(0);
  return Buffer.from(out);
}

export const TEXT = 0xffffffff81000000n;

/** The sections of the synthetic kernel's DWARF. */
export function dwarfSections(): { info: Buffer; abbrev: Buffer; str: Buffer; line: Buffer; aranges: Buffer } {
  const strs: string[] = [];
  const strp = (s: string): number[] => {
    let off = 0;
    for (const x of strs) {
      if (x === s) return u32(off);
      off += Buffer.byteLength(x) + 1;
    }
    strs.push(s);
    return u32(off);
  };
  // DIE bytes after the 12-byte unit header; offsets below are unit-relative (= section offsets: one unit)
  const d: number[] = [];
  const at = () => 12 + d.length;
  const refs: [number, string][] = []; // patch positions (index into d) for forward refs
  const pos = new Map<string, number>();
  // a DW_FORM_ref4 to a DIE marked later: 4 placeholder bytes, patched at the end
  const ref = (name: string): Ref => ({ ref: name });
  type Ref = { ref: string };
  const emit = (...items: (number | Ref)[]) => {
    for (const it of items) {
      if (typeof it === 'number') d.push(it);
      else {
        refs.push([d.length, it.ref]);
        d.push(0, 0, 0, 0);
      }
    }
  };
  const mark = (name: string) => pos.set(name, at());

  emit(...uleb(1), ...strp('kernel/test.c'), ...cstr('/build'), ...u32(0), ...u64(TEXT), ...u64(0x100n));
  mark('ulong');
  emit(...uleb(2), ...cstr('long unsigned int'), 8, 7);
  mark('int');
  emit(...uleb(2), ...cstr('int'), 4, 5);
  mark('vol');
  emit(...uleb(13), ref('ulong'));
  emit(...uleb(3), ...strp('jiffies'), ref('vol')); // declaration only
  mark('pair');
  emit(...uleb(4), ...strp('pair'), 24, ref('after_pair'));
  emit(...uleb(5), ...cstr('a'), ref('int'), 0);
  emit(...uleb(5), ...cstr('next'), ref('pairp'), 8);
  emit(...uleb(15), ...cstr('flag'), ref('int'), 3, 130); // 3 bits at bit 130 (byte 16, bit 2)
  emit(0);
  mark('after_pair');
  mark('pairp');
  emit(...uleb(6), 8, ref('pair'));
  emit(...uleb(7), 4, ref('int'));
  emit(...uleb(8), ...strp('MODE_A'), ...sleb(0));
  emit(...uleb(8), ...strp('MODE_B'), ...sleb(-5));
  emit(0);
  mark('decl_thing');
  emit(...uleb(3), ...strp('the_pair'), ref('pair'));
  emit(...uleb(12), ref('decl_thing'), ...uleb(9), 0x03, ...u64(0xffffffff82000000n)); // DW_OP_addr
  mark('helper');
  emit(...uleb(14), ...strp('helper'), 3);
  emit(...uleb(9), ...strp('do_thing'), ...u64(TEXT + 0x10n), ...u32(0x40)); // external: flag_present, no bytes
  emit(...uleb(10), ...cstr('p'), ref('pairp'));
  emit(...uleb(11), ref('helper'), ...u64(TEXT + 0x20n), ...u32(0x8), 0, 42);
  emit(0);
  emit(0); // end of the unit's children

  for (const [i, name] of refs) {
    const v = pos.get(name)!;
    d.splice(i, 4, ...u32(v));
  }
  const unitLen = 2 + 1 + 1 + 4 + d.length;
  const info = Buffer.from([...u32(unitLen), ...u16(5), 1, 8, ...u32(0), ...d]);
  const str = Buffer.from(strs.map((s) => s + '\0').join(''));
  return { info, abbrev: abbrevSection(), str, line: lineProgram(), aranges: aranges(0, TEXT, 0x100n) };
}

/** A DWARF 5 line program: dir 0 /build, files test.c and include/helper.h. */
export function lineProgram(): Buffer {
  const hdr: number[] = [];
  hdr.push(1, 1, 1, (-5 & 0xff) >>> 0, 14, 13, 0, 1, 1, 1, 1, 0, 0, 0, 1, 0, 0, 1); // min_inst..std lengths
  // directory table: format (path, string)
  hdr.push(1, ...uleb(1), ...uleb(0x08), ...uleb(2), ...cstr('/build'), ...cstr('include'));
  // file table: (path string, dir udata)
  hdr.push(2, ...uleb(1), ...uleb(0x08), ...uleb(2), ...uleb(0x0f), ...uleb(2));
  hdr.push(...cstr('kernel/test.c'), ...uleb(0), ...cstr('helper.h'), ...uleb(1));
  const prog: number[] = [];
  prog.push(0, 9, 2, ...u64(TEXT + 0x10n)); // set_address
  prog.push(4, 0); // file 0
  prog.push(3, ...sleb(9)); // advance_line to 10
  prog.push(1); // copy: 0x10 line 10
  prog.push(13 + 2 * 14 + (1 - -5)); // special: addr += 2, line += 1 → 0x12 line 11
  prog.push(4, 1, 2, ...uleb(0x0e), 3, ...sleb(89)); // file 1, addr += 14 → 0x20, line 100
  prog.push(1);
  prog.push(6, 3, ...sleb(1), 1); // a non-statement row at the same address, line 101 (the tie rule)
  prog.push(6); // back to is_stmt
  prog.push(4, 0, 2, ...uleb(8), 3, ...sleb(-89)); // file 0, 0x28 line 12
  prog.push(1);
  prog.push(2, ...uleb(0x28)); // to 0x50
  prog.push(0, 1, 1); // end_sequence
  const headerLength = hdr.length;
  const body = [...u16(5), 8, 0, ...u32(headerLength), ...hdr, ...prog];
  return Buffer.from([...u32(body.length), ...body]);
}

function aranges(unit: number, start: bigint, len: bigint): Buffer {
  const body = [...u16(2), ...u32(unit), 8, 0, 0, 0, 0, 0, ...u64(start), ...u64(len), ...u64(0n), ...u64(0n)];
  return Buffer.from([...u32(body.length), ...body]);
}

export type Compression = 'none' | 'zlib' | 'zstd';

/** Write an ELF64 file with these DWARF sections; .debug_info compressed as asked. */
export function writeDwarfElf(path: string, s = dwarfSections(), compress: Compression = 'none'): void {
  let info = s.info;
  let flags = 0n;
  if (compress !== 'none') {
    const chdr = Buffer.alloc(24);
    chdr.writeUInt32LE(compress === 'zlib' ? 1 : 2, 0);
    chdr.writeBigUInt64LE(BigInt(info.length), 8);
    chdr.writeBigUInt64LE(1n, 16);
    const data =
      compress === 'zlib' ? deflateSync(info) : execFileSync('zstd', ['-q', '-c', '--no-check'], { input: info });
    info = Buffer.concat([chdr, data]);
    flags = 0x800n;
  }
  const sections: SecSpec[] = [
    { name: '.text', type: 1, flags: 6n, addr: TEXT, data: Buffer.alloc(0x100, 0x90), addralign: 16n },
    { name: '.debug_info', type: 1, flags, data: info, addralign: 1n },
    { name: '.debug_abbrev', type: 1, data: s.abbrev, addralign: 1n },
    { name: '.debug_str', type: 1, flags: 0x30n, data: s.str, addralign: 1n },
    { name: '.debug_line', type: 1, data: s.line, addralign: 1n },
    { name: '.debug_aranges', type: 1, data: s.aranges, addralign: 1n },
  ];
  writeFileSync(path, buildElf({ is64: true, le: true, type: 2, machine: 62, sections }));
}
