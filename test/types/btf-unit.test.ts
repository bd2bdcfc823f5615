/** The BTF reader on small hand-made blobs: kinds the corpus kernels lack, and corrupt input. */
import { describe, expect, it } from 'vitest';
import { BtfError, canonicalBaseName, parseBtf } from '../../src/kernel/types/btf.js';
import { findMember, resolve, type Type } from '../../src/kernel/types/type.js';
import { BtfBuilder, K } from './btf-builder.js';

function sample(): { blob: Buffer; ids: Record<string, number> } {
  const b = new BtfBuilder();
  const ids: Record<string, number> = {};
  ids.int = b.int('int', 4, true);
  ids.ulong = b.int('long unsigned int', 8, false);
  ids.uint = b.int('unsigned int', 4, false);
  ids.fwd = b.add(K.FWD, 'foo'); // a declaration before the definition
  ids.pfwd = b.add(K.PTR, '', { sizeOrType: ids.fwd });
  ids.foo = b.struct('foo', 16, [
    ['a', ids.int, 0],
    ['next', ids.pfwd, 64],
  ]);
  ids.anon = b.struct(
    '',
    8,
    [
      ['x', ids.uint, 0, 1],
      ['y', ids.uint, 1, 3],
      ['z', ids.ulong, 0],
    ],
    true,
  );
  ids.bar = b.struct('bar', 24, [
    ['foo', ids.foo, 0],
    ['', ids.anon, 128],
  ]);
  ids.enumS = b.add(K.ENUM, 'sgn', {
    vlen: 2,
    kflag: true,
    sizeOrType: 4,
    extra: [b.str('NEG'), 0xffffffff, b.str('ZERO'), 0],
  });
  ids.enumU = b.add(K.ENUM, 'usg', { vlen: 1, sizeOrType: 4, extra: [b.str('BIG'), 0xffffffff] });
  ids.enum64 = b.add(K.ENUM64, 'e64', { vlen: 1, sizeOrType: 8, extra: [b.str('HUGE'), 0x1, 0x80000000] });
  ids.td1 = b.add(K.TYPEDEF, '__kernel_pid_t', { sizeOrType: ids.int });
  ids.td2 = b.add(K.TYPEDEF, 'pid_t', { sizeOrType: ids.td1 });
  ids.tag = b.add(K.TYPE_TAG, 'user', { sizeOrType: ids.foo });
  ids.ptag = b.add(K.PTR, '', { sizeOrType: ids.tag });
  ids.arr = b.add(K.ARRAY, '', { extra: [ids.int, ids.int, 16] });
  ids.proto = b.add(K.FUNC_PROTO, '', { vlen: 2, sizeOrType: ids.int, extra: [b.str('fmt'), ids.pfwd, 0, 0] });
  ids.func = b.add(K.FUNC, 'printk', { sizeOrType: ids.proto });
  ids.var = b.add(K.VAR, 'counter', { sizeOrType: ids.arr, extra: [1] });
  ids.sec = b.add(K.DATASEC, '.data..percpu', { vlen: 1, sizeOrType: 64, extra: [ids.var, 0, 64] });
  ids.decl = b.add(K.DECL_TAG, 'nonnull', { sizeOrType: ids.func, extra: [0xffffffff] });
  ids.fl = b.add(K.FLOAT, 'double', { sizeOrType: 8 });
  ids.cv = b.add(K.CONST, '', { sizeOrType: ids.td2 });
  return { blob: b.build(), ids };
}

describe('BTF reader on hand-made blobs', () => {
  const { blob, ids } = sample();
  const btf = parseBtf(blob);

  it('counts and indexes every record', () => {
    expect(btf.count).toBe(Object.keys(ids).length);
    expect(btf.typeById(0).kind).toBe('void');
  });

  it('prefers a definition over a forward declaration, also behind pointers', () => {
    const foo = btf.find('struct foo')!;
    expect(foo.members?.map((m) => m.name)).toEqual(['a', 'next']);
    expect(btf.find('foo')).toBe(foo);
    expect(foo.members![1].type.target).toBe(foo);
    expect(btf.find('union foo')).toBeUndefined();
  });

  it('reads bitfields and anonymous members', () => {
    const bar = btf.find('struct bar')!;
    expect(bar.size).toBe(24);
    expect(findMember(bar, 'y')).toMatchObject({ bitOffset: 129, member: { bitSize: 3 } });
    expect(findMember(bar, 'z')?.bitOffset).toBe(128);
    expect(findMember(bar, 'a')).toBeUndefined();
  });

  it('decodes enums by signedness and ENUM64', () => {
    expect(btf.enumValue('NEG')).toBe(-1n);
    expect(btf.enumValue('BIG')).toBe(0xffffffffn);
    expect(btf.enumValue('HUGE')).toBe(0x8000000000000001n);
    expect(btf.find('enum sgn')?.signed).toBe(true);
    expect(btf.find('enum e64')?.enumerators).toEqual([{ name: 'HUGE', value: 0x8000000000000001n }]);
    expect(btf.enumValue('NOPE')).toBeUndefined();
  });

  it('follows typedef chains, qualifiers and type tags', () => {
    const pid = btf.find('pid_t')!;
    expect(pid.kind).toBe('typedef');
    expect(pid.target?.name).toBe('__kernel_pid_t');
    expect(pid.target?.target?.name).toBe('int');
    expect(pid.size).toBe(4);
    expect(resolve(btf.typeById(ids.cv)).name).toBe('int');
    expect(btf.typeById(ids.ptag).target).toBe(btf.find('struct foo'));
    expect(btf.typeById(ids.tag)).toBe(btf.find('struct foo'));
  });

  it('arrays, prototypes, variables and functions', () => {
    const v = btf.variableType('counter')!;
    expect(v).toMatchObject({ kind: 'array', length: 16, size: 64 });
    const fn = btf.functionType('printk')!;
    expect(fn.kind).toBe('function');
    expect(fn.target?.name).toBe('int');
    expect(fn.params?.map((p) => p.name)).toEqual(['fmt', '...']);
    expect(btf.variableNames()).toEqual(['counter']);
    expect(btf.find('printk')).toBeUndefined();
    expect(btf.find('counter')).toBeUndefined();
  });

  it('normalises base-type spellings and pointer suffixes', () => {
    const ul = btf.find('long unsigned int')!;
    expect(btf.find('unsigned long')).toBe(ul);
    expect(btf.find('unsigned long int')).toBe(ul);
    expect(btf.find('unsigned')).toBe(btf.find('unsigned int'));
    expect(btf.find('double')?.kind).toBe('float');
    const p = btf.find('struct foo *')!;
    expect(p.kind).toBe('pointer');
    expect(p.target).toBe(btf.find('foo'));
    expect(btf.find('struct foo*')).toBe(p);
    expect(btf.find('void')?.kind).toBe('void');
    const cp = btf.find('const unsigned long *')!;
    expect(cp).toMatchObject({ kind: 'pointer', target: { kind: 'const', size: 8, target: ul } });
    expect(btf.find('const unsigned long *')).toBe(cp);
    expect(btf.find('const nosuch')).toBeUndefined();
    expect(canonicalBaseName('long long unsigned int')).toBe('unsigned long long int');
    expect(canonicalBaseName('unsigned long long')).toBe('unsigned long long int');
    expect(canonicalBaseName('__int128 unsigned')).toBe('unsigned __int128');
    expect(canonicalBaseName('task_struct')).toBeUndefined();
  });

  it('returns the same object for the same id', () => {
    expect(btf.find('struct bar')).toBe(btf.find('bar'));
    expect(btf.typeById(ids.td2)).toBe(btf.find('pid_t'));
  });
});

describe('BTF reader on corrupt blobs', () => {
  const { blob } = sample();
  const patched = (at: number, value: number): Buffer => {
    const b = Buffer.from(blob);
    b.writeUInt32LE(value >>> 0, at);
    return b;
  };

  it('rejects a truncated header, bad magic or version', () => {
    expect(() => parseBtf(blob.subarray(0, 10))).toThrow(/too short for a BTF header/);
    expect(() => parseBtf(Buffer.alloc(64))).toThrow(/bad magic/);
    const v = Buffer.from(blob);
    v[2] = 7;
    expect(() => parseBtf(v)).toThrow(/unsupported BTF version 7/);
    expect(() => parseBtf(patched(4, 1 << 30))).toThrow(BtfError);
  });

  it('rejects sections past the end of the buffer', () => {
    expect(() => parseBtf(patched(12, 0x7ffffff0))).toThrow(/type section .* runs past/);
    expect(() => parseBtf(blob.subarray(0, blob.length - 8))).toThrow(/runs past/);
    expect(() => parseBtf(patched(20, 0xffffffff))).toThrow(/string section/);
  });

  it('rejects a vlen that runs past the type section, quickly', () => {
    // the 'foo' struct record is the 6th; find it by walking our own builder layout
    const b = new BtfBuilder();
    b.int('int', 4, true);
    b.add(K.STRUCT, 's', { vlen: 0xffff, sizeOrType: 8, extra: [0, 1, 0] });
    const t0 = performance.now();
    expect(() => parseBtf(b.build())).toThrow(/type 2 runs \d+ bytes past the end of the type section/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('rejects unknown kinds and dangling references with one line', () => {
    const b = new BtfBuilder();
    b.add(31, 'x');
    expect(() => parseBtf(b.build())).toThrow(/type 1 at byte 0 has unknown kind 31/);
    const c = new BtfBuilder();
    c.add(K.PTR, '', { sizeOrType: 99 });
    const btf = parseBtf(c.build());
    expect(() => btf.typeById(1).target).toThrow(/type 1 refers to type 99, beyond the last type 1/);
    const d = new BtfBuilder();
    d.add(K.TYPEDEF, 'a', { sizeOrType: 2 });
    d.add(K.TYPEDEF, 'b', { sizeOrType: 1 });
    expect(() => parseBtf(d.build()).find('a')).toThrow(/cycle/);
  });

  it('survives random corruption: BtfError or a usable result, nothing else', () => {
    let seed = 12345;
    const rand = (n: number) => (seed = (seed * 1103515245 + 12345) >>> 0) % n;
    let errors = 0;
    for (let round = 0; round < 400; round++) {
      const b = Buffer.from(blob);
      for (let i = 0, n = 1 + rand(4); i < n; i++) b[rand(b.length)] = rand(256);
      try {
        const btf = parseBtf(b);
        for (let id = 0; id <= btf.count; id++) touch(btf.typeById(id));
        btf.find('struct bar');
        btf.find('unsigned long');
        btf.enumValue('NEG');
        btf.variableType('counter');
      } catch (e) {
        if (!(e instanceof BtfError)) throw e;
        expect(e.message).not.toContain('\n');
        errors++;
      }
    }
    expect(errors).toBeGreaterThan(0);
  });
});

function touch(t: Type): void {
  void t.size;
  void t.target;
  for (const m of t.members ?? []) void m.type.size;
  void t.enumerators;
  for (const p of t.params ?? []) void p.type;
}
