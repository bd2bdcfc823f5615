/** formatTypeDecl on hand-made types: anonymous members, bitfields, arrays, function pointers, -o offsets. */
import { describe, expect, it } from 'vitest';
import { parseBtf } from '../../src/kernel/types/btf.js';
import { cSpelling, formatTypeDecl } from '../../src/kernel/types/format.js';
import { BtfBuilder, K } from './btf-builder.js';

describe('formatTypeDecl', () => {
  const b = new BtfBuilder();
  const int = b.int('int', 4, true);
  const uint = b.int('unsigned int', 4, false);
  const ulong = b.int('long unsigned int', 8, false);
  const char = b.int('char', 1, true);
  const comm = b.add(K.ARRAY, '', { extra: [char, int, 16] });
  const fwd = b.add(K.FWD, 'thing');
  const pthing = b.add(K.PTR, '', { sizeOrType: fwd });
  const proto = b.add(K.FUNC_PROTO, '', { vlen: 2, sizeOrType: 0, extra: [0, pthing, 0, int] });
  const pfn = b.add(K.PTR, '', { sizeOrType: proto });
  const cchar = b.add(K.CONST, '', { sizeOrType: char });
  const pcchar = b.add(K.PTR, '', { sizeOrType: cchar });
  const inner = b.struct('', 8, [
    ['lo', uint, 0],
    ['hi', uint, 32],
  ]);
  const anon = b.struct(
    '',
    8,
    [
      ['whole', ulong, 0],
      ['', inner, 0],
    ],
    true,
  );
  const named = b.struct('', 4, [
    ['flag', uint, 0, 1],
    ['mode', uint, 1, 3],
  ]);
  b.struct('thing', 48, [
    ['comm', comm, 0],
    ['fn', pfn, 128],
    ['', anon, 192],
    ['bits', named, 256],
    ['name', pcchar, 320],
  ]);
  const btf = parseBtf(b.build());

  it('prints nested anonymous members, bitfields and declarators', () => {
    expect(formatTypeDecl(btf.find('struct thing')!)).toEqual([
      'struct thing {',
      '    char comm[16];',
      '    void (*fn)(struct thing *, int);',
      '    union {',
      '        unsigned long whole;',
      '        struct {',
      '            unsigned int lo;',
      '            unsigned int hi;',
      '        };',
      '    };',
      '    struct {',
      '        unsigned int flag : 1;',
      '        unsigned int mode : 3;',
      '    } bits;',
      '    const char *name;',
      '}',
      'SIZE: 48',
    ]);
  });

  it('prints offsets in a column with -o, laid out as crash 9 lays out struct -o page', () => {
    const lines = formatTypeDecl(btf.find('struct thing')!, { offsets: true });
    expect(lines.slice(1, 13)).toEqual([
      '   [0] char comm[16];',
      '  [16] void (*fn)(struct thing *, int);',
      '       union {',
      '  [24]     unsigned long whole;',
      '           struct {',
      '  [24]         unsigned int lo;',
      '  [28]         unsigned int hi;',
      '           };',
      '       };',
      '       struct {',
      '  [32]     unsigned int flag : 1;',
      '  [32]     unsigned int mode : 3;',
    ]);
    expect(lines[13]).toBe('  [32] } bits;');
  });

  it('uses C spellings of base types', () => {
    expect(cSpelling('long unsigned int')).toBe('unsigned long');
    expect(cSpelling('long long int')).toBe('long long');
    expect(cSpelling('short unsigned int')).toBe('unsigned short');
    expect(cSpelling('unsigned int')).toBe('unsigned int');
    expect(cSpelling('int')).toBe('int');
    expect(cSpelling('u64')).toBe('u64');
    expect(formatTypeDecl(btf.find('unsigned long')!)).toEqual(['unsigned long', 'SIZE: 8']);
  });
});
