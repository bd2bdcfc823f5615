/**
 * The DWARF parsers on small hand-made inputs: LEB128, abbreviation tables and their compiled skip ops,
 * attribute forms, unit headers, a DWARF 5 line program, and a whole synthetic ELF (types, names,
 * lines, inlined calls, the on-disk cache, compressed sections) — plus corrupt input, which must be one
 * clear line, never a crash.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { OP_ROLE, parseAbbrevTable, Role } from '../../src/dwarf/abbrev.js';
import { Cursor } from '../../src/dwarf/cursor.js';
import { DwarfDebugInfo, GuardedDebugInfo } from '../../src/dwarf/debug-info.js';
import { DwarfError } from '../../src/dwarf/errors.js';
import { Kind } from '../../src/dwarf/name-index.js';
import { readUnitHeader } from '../../src/dwarf/units.js';
import { ElfFile } from '../../src/elf/index.js';
import { declare } from '../../src/kernel/types/format.js';
import { abbrevSection, dwarfSections, sleb, TEXT, uleb, writeDwarfElf, type Compression } from './synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'crash-ts-dwarf-unit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('LEB128', () => {
  // the examples of the DWARF 5 standard, section 7.6
  const unsigned: [number, number[]][] = [
    [2, [2]],
    [127, [127]],
    [128, [0x80, 1]],
    [129, [0x81, 1]],
    [130, [0x82, 1]],
    [12857, [0xb9, 0x64]],
  ];
  const signed: [number, number[]][] = [
    [2, [2]],
    [-2, [0x7e]],
    [127, [0xff, 0]],
    [-127, [0x81, 0x7f]],
    [128, [0x80, 1]],
    [-128, [0x80, 0x7f]],
    [129, [0x81, 1]],
    [-129, [0xff, 0x7e]],
  ];
  it('decodes the standard examples', () => {
    for (const [v, bytes] of unsigned) {
      expect(new Cursor(Buffer.from(bytes), 't').uleb()).toBe(v);
      expect(new Cursor(Buffer.from(bytes), 't').ulebBig()).toBe(BigInt(v));
      expect(uleb(v)).toEqual(bytes);
    }
    for (const [v, bytes] of signed) {
      expect(new Cursor(Buffer.from(bytes), 't').sleb()).toBe(v);
      expect(new Cursor(Buffer.from(bytes), 't').slebBig()).toBe(BigInt(v));
      expect(sleb(v)).toEqual(bytes);
    }
  });
  it('reads 64-bit values as bigints and refuses what runs past the end, naming the offset', () => {
    const max = Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(new Cursor(max, 't').ulebBig()).toBe(0xffffffffffffffffn);
    expect(() => new Cursor(Buffer.from([0x80, 0x80]), '.debug_x', 0x100).uleb()).toThrow(
      /^\.debug_x at offset 0x100: LEB128 number runs past the end$/,
    );
  });
});

describe('abbreviation tables', () => {
  it('parses codes, tags, children and attributes, and compiles skip ops', () => {
    const t = parseAbbrevTable(abbrevSection(), 0, 8, 4);
    const cu = t.byCode[1]!;
    expect(cu.tag).toBe(0x11);
    expect(cu.hasChildren).toBe(true);
    // name (strp: a role), then comp_dir (string), stmt_list (4) + low_pc (8) + high_pc (8) as one skip of 20
    expect(cu.ops).toEqual([OP_ROLE, Role.Name, 0x0e, -2, 20]);
    expect(cu.fixedSize).toBe(-1);
    const member = t.byCode[5]!;
    expect(member.names).toEqual([0x03, 0x49, 0x38]);
    const volatile = t.byCode[13]!;
    expect(volatile.fixedSize).toBe(4);
    expect(volatile.ops).toEqual([4]);
  });
  it('names an unknown form and where it is', () => {
    const bad = Buffer.from([1, 0x24, 0, 0x03, 0x7f, 0, 0, 0]);
    expect(() => parseAbbrevTable(bad, 0, 8, 4)).toThrow(/\.debug_abbrev at offset 0x4: unknown attribute form 0x7f/);
  });
});

describe('unit headers', () => {
  it('reads DWARF 5 and DWARF 4 compile unit headers', () => {
    const v5 = readUnitHeader(new Cursor(Buffer.from([20, 0, 0, 0, 5, 0, 1, 8, 7, 0, 0, 0]), '.debug_info'));
    expect(v5).toMatchObject({
      version: 5,
      unitType: 1,
      addrSize: 8,
      offsetSize: 4,
      abbrevOffset: 7,
      dieOffset: 12,
      end: 24,
    });
    const v4 = readUnitHeader(new Cursor(Buffer.from([20, 0, 0, 0, 4, 0, 9, 0, 0, 0, 8]), '.debug_info'));
    expect(v4).toMatchObject({ version: 4, addrSize: 8, abbrevOffset: 9, dieOffset: 11 });
  });
  it('refuses an unknown version', () => {
    expect(() => readUnitHeader(new Cursor(Buffer.from([20, 0, 0, 0, 9, 0, 1, 8, 0, 0, 0, 0]), '.debug_info'))).toThrow(
      /offset 0x4: unsupported DWARF version 9/,
    );
  });
});

function open(name: string, compress: Compression = 'none', sections = dwarfSections()): DwarfDebugInfo {
  const path = join(dir, name);
  writeDwarfElf(path, sections, compress);
  return new DwarfDebugInfo(ElfFile.open(path), { cacheDir: join(dir, `cache-${name}`) });
}

const haveZstd = (() => {
  try {
    execFileSync('zstd', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.each(['none', 'zlib', ...(haveZstd ? ['zstd'] : [])] as Compression[])(
  'a synthetic vmlinux (.debug_info compression: %s)',
  (compress) => {
    const di = open(`k-${compress}`, compress);

    it('types a variable known only by declarations, and one defined through DW_AT_specification', () => {
      expect(declare(di.variableType('jiffies')!, 'jiffies', 0)).toBe('volatile unsigned long jiffies');
      expect(di.names.lookup(Kind.Variable, 'jiffies')?.declaration).toBe(true);
      const e = di.names.lookup(Kind.Variable, 'the_pair')!;
      expect(e.declaration).toBe(false); // the nameless definition, filed under its declaration's name
      expect(declare(di.variableType('the_pair')!, 'the_pair', 0)).toBe('struct pair the_pair');
    });

    it('lays a struct out with member offsets and bitfields', () => {
      const t = di.types.find('struct pair')!;
      expect(t.size).toBe(24);
      expect(t.members!.map((m) => [m.name, m.bitOffset, m.bitSize])).toEqual([
        ['a', 0, 0],
        ['next', 64, 0],
        ['flag', 130, 3],
      ]);
      expect(declare(t.members![1]!.type, 'next', 0)).toBe('struct pair *next');
      expect(t.members![1]!.type.target).toBe(t);
      expect(di.types.find('unsigned long')!.name).toBe('long unsigned int');
      expect(di.types.find('struct pair *')!.target).toBe(t);
    });

    it('finds enumerators of an anonymous enum, signed values included', () => {
      expect(di.types.enumValue!('MODE_A')).toBe(0n);
      expect(di.types.enumValue!('MODE_B')).toBe(-5n);
    });

    it('gives a function prototype with parameter names', () => {
      expect(declare(di.functionType('do_thing')!, 'do_thing', 0)).toBe('void do_thing(struct pair *)');
      expect(di.functionType('do_thing')!.params![0]!.name).toBe('p');
    });

    it('runs the line program (special opcodes, file switches, the end of a sequence)', () => {
      const at = (off: bigint) => {
        const l = di.lineAt(TEXT + off);
        return l && `${l.file}:${l.line}`;
      };
      expect(at(0x10n)).toBe('/build/kernel/test.c:10');
      expect(at(0x11n)).toBe('/build/kernel/test.c:10');
      expect(at(0x12n)).toBe('/build/kernel/test.c:11');
      // two rows at 0x20: line 100 (a statement) and 101 (not): gdb's and crash's choice is 100
      expect(at(0x20n)).toBe('/build/include/helper.h:100');
      expect(di.lineRowsAt(TEXT + 0x20n).map((r) => [r.line, r.stmt])).toEqual([
        [100, true],
        [101, false],
      ]);
      expect(at(0x28n)).toBe('/build/kernel/test.c:12');
      expect(at(0x4fn)).toBe('/build/kernel/test.c:12');
      expect(at(0x50n)).toBeUndefined();
      expect(at(0x200n)).toBeUndefined();
    });

    it('lists the inlined calls at an address', () => {
      expect(di.inlineFramesAt(TEXT + 0x22n)).toEqual([
        { function: 'helper', callSite: { file: '/build/kernel/test.c', line: 42 } },
      ]);
      expect(di.inlineFramesAt(TEXT + 0x30n)).toEqual([]);
    });

    it('caches the finished index on disk and reads it back', () => {
      di.index();
      expect(di.indexStats?.source).toBe('built');
      const again = new DwarfDebugInfo(di.elf, { cacheDir: join(dir, `cache-k-${compress}`) });
      expect(declare(again.variableType('jiffies')!, 'jiffies', 0)).toBe('volatile unsigned long jiffies');
      expect(again.indexStats?.source).toBe('cache');
      expect(again.types.enumValue('MODE_B')).toBe(-5n);
    });
  },
);

describe('corrupt DWARF', () => {
  const cases: [string, (s: ReturnType<typeof dwarfSections>) => void, RegExp][] = [
    [
      'a unit longer than .debug_info',
      (s) => s.info.writeUInt32LE(0x10000, 0),
      /^DWARF of bad-len unreadable at \.debug_info offset 0x0: unit of 0x10004 bytes runs past the section end; types from BTF$/,
    ],
    [
      'an abbreviation code absent from the table',
      (s) => (s.info[12] = 0x60),
      /^DWARF of bad-code unreadable at \.debug_info offset 0xc: DIE uses abbreviation code 96, absent from its table; types from BTF$/,
    ],
    [
      'a cut .debug_str',
      (s) => (s.str = s.str.subarray(0, 3)),
      /^DWARF of bad-str unreadable at \.debug_str offset 0x[0-9a-f]+: .*; types from BTF$/,
    ],
  ];
  it.each(cases)('%s: one line naming the file, section and offset; then unknown answers', (_, mutate, want) => {
    const s = dwarfSections();
    mutate(s);
    const name = _ === 'a cut .debug_str' ? 'bad-str' : _.startsWith('a unit') ? 'bad-len' : 'bad-code';
    const g = new GuardedDebugInfo(open(name, 'none', s));
    expect(g.variableType('jiffies')).toBeUndefined();
    expect(g.problem).toMatch(want);
    expect(g.types.find('struct pair')).toBeUndefined();
    expect(g.lineAt(TEXT + 0x10n)).toBeUndefined();
    expect(g.inlineFramesAt(TEXT + 0x22n)).toEqual([]);
  });

  it('a cut line program is a DwarfError, not a crash', () => {
    const s = dwarfSections();
    s.line = s.line.subarray(0, 40);
    const di = open('bad-line', 'none', s);
    expect(() => di.lineAt(TEXT + 0x10n)).toThrow(DwarfError);
    const g = new GuardedDebugInfo(di);
    expect(g.lineAt(TEXT + 0x10n)).toBeUndefined();
    expect(g.problem).toMatch(/^DWARF of bad-line unreadable at \.debug_line offset 0x0: /);
  });

  it('a stale or foreign cache file is ignored and rebuilt', () => {
    const di = open('stale');
    di.index();
    const file = di.indexStats!.cacheFile!;
    expect(existsSync(file)).toBe(true);
    const b = readFileSync(file);
    b.writeDoubleLE(12345, 24); // another .debug_info size
    writeFileSync(file, b);
    const again = new DwarfDebugInfo(di.elf, { cacheDir: join(dir, 'cache-stale') });
    again.index();
    expect(again.indexStats?.source).toBe('built');
  });
});
