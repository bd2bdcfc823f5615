/**
 * The BTF reader on both corpus kernels (6.1 and 6.12), checked against pahole reading the same BTF.
 * pahole's numbers are parsed from its output at test time, so nothing here is a remembered layout.
 */
import { beforeAll, expect, it } from 'vitest';
import { ElfFile } from '../../src/elf/index.js';
import { BtfError, parseBtf, type BtfTypes } from '../../src/kernel/types/btf.js';
import { formatTypeDecl } from '../../src/kernel/types/format.js';
import { findMember, findMemberPath, resolve, type Type } from '../../src/kernel/types/type.js';
import { describeCorpus, vmlinuxPlain } from '../helpers/corpus.js';
import { havePahole, parsePaholeEnums, parsePaholeStructs, runPahole, type PaholeStruct } from './pahole.js';

const KERNELS = [
  { label: '6.1', case: 'k61-sysrq-c' },
  { label: '6.12', case: 'k612-sysrq-c' },
];
const STRUCTS = [
  'task_struct',
  'mm_struct',
  'list_head',
  'printk_ringbuffer',
  'page',
  'callback_head',
  'prb_desc_ring',
];

for (const k of KERNELS) {
  describeCorpus(`BTF of the ${k.label} vmlinux`, () => {
    let vmlinux = '';
    let raw: Buffer;
    let btf: BtfTypes;
    let pahole: Map<string, PaholeStruct>;
    let paholeEnums: Map<string, Map<string, bigint>>;

    beforeAll(async () => {
      vmlinux = await vmlinuxPlain(k.case);
      const elf = ElfFile.open(vmlinux);
      raw = elf.readSection(elf.section('.BTF')!);
      elf.close();
      const t0 = performance.now();
      btf = parseBtf(raw, `${k.label} .BTF`);
      const t1 = performance.now();
      btf.find('struct task_struct');
      const t2 = performance.now();
      btf.enumValue('PIDTYPE_PID');
      const t3 = performance.now();
      console.log(
        `BTF ${k.label}: ${raw.length} bytes, ${btf.count} types; parse+record index ${(t1 - t0).toFixed(1)} ms, ` +
          `name index + first find ${(t2 - t1).toFixed(1)} ms, enumerator index ${(t3 - t2).toFixed(1)} ms`,
      );
      if (havePahole) {
        const text = runPahole(vmlinux, [...STRUCTS, 'pid_type']);
        pahole = parsePaholeStructs(text);
        paholeEnums = parsePaholeEnums(text);
      }
    });

    it('indexes every record', () => {
      expect(btf.count).toBeGreaterThan(90_000);
      expect(btf.typeById(btf.count)).toBeDefined();
      expect(() => btf.typeById(btf.count + 1)).toThrow(BtfError);
    });

    it.skipIf(!havePahole).each(STRUCTS)('struct %s: size and every member offset match pahole', (name) => {
      const ref = pahole.get(name)!;
      expect(ref, `pahole printed ${name}`).toBeDefined();
      const t = btf.find(`struct ${name}`)!;
      expect(t.kind).toBe('struct');
      expect(t.size).toBe(ref.size);
      expect(ref.members.length).toBeGreaterThan(1);
      for (const m of ref.members) {
        const found = m.path.includes('.') ? findMemberPath(t, m.path) : findMember(t, m.path);
        expect(found, `${name}.${m.path}`).toBeDefined();
        expect(found!.bitOffset, `${name}.${m.path} offset`).toBe(m.byteOffset * 8 + (m.bit ?? 0));
        expect(found!.member.bitSize, `${name}.${m.path} bitfield width`).toBe(m.bitSize ?? 0);
        if (m.bitSize === undefined) expect(found!.member.type.size, `${name}.${m.path} size`).toBe(m.size);
      }
    });

    it.skipIf(!havePahole)('task_struct bitfields match pahole', () => {
      const ref = pahole.get('task_struct')!.members.filter((m) => m.bitSize !== undefined);
      expect(ref.map((m) => m.path)).toContain('sched_reset_on_fork');
      const ts = btf.find('task_struct')!;
      for (const m of ref) {
        const f = findMember(ts, m.path)!;
        expect(f.member.bitSize).toBe(m.bitSize);
        expect(f.bitOffset).toBe(m.byteOffset * 8 + m.bit!);
      }
      expect(formatTypeDecl(ts)).toContain('    unsigned int sched_reset_on_fork : 1;');
    });

    it.skipIf(!havePahole)('finds members inside anonymous unions and structs (struct page, mm_struct)', () => {
      const page = btf.find('struct page')!;
      const top = new Set(page.members!.map((m) => m.name));
      const ref = pahole.get('page')!.members;
      for (const name of ['mapping', 'index', '_mapcount', 'compound_head']) {
        const r = ref.find((m) => m.path === name);
        expect(r, `pahole lists page.${name}`).toBeDefined();
        expect(top.has(name), `${name} sits in an anonymous member`).toBe(false);
        expect(findMember(page, name)!.bitOffset).toBe(r!.byteOffset * 8);
      }
      const mm = btf.find('struct mm_struct')!;
      const mmRef = pahole.get('mm_struct')!.members;
      for (const name of ['pgd', 'mm_users', 'mmap_base']) {
        expect(findMember(mm, name)!.bitOffset).toBe(mmRef.find((m) => m.path === name)!.byteOffset * 8);
      }
    });

    it.skipIf(!havePahole)('enum pid_type values match pahole', () => {
      const ref = paholeEnums.get('pid_type')!;
      expect(ref.get('PIDTYPE_PID')).toBe(0n);
      for (const [name, value] of ref) expect(btf.enumValue(name), name).toBe(value);
      const e = btf.find('enum pid_type')!;
      expect(e.enumerators!.map((x) => x.name)).toEqual([...ref.keys()]);
      expect(btf.find('pid_type')).toBe(e);
    });

    it('pid_t -> __kernel_pid_t -> int', () => {
      const pid = btf.find('pid_t')!;
      expect(pid.kind).toBe('typedef');
      expect(pid.target).toMatchObject({ kind: 'typedef', name: '__kernel_pid_t' });
      expect(pid.target!.target).toMatchObject({ kind: 'int', name: 'int', size: 4, signed: true });
      expect(findMember(btf.find('task_struct')!, 'pid')!.member.type).toBe(pid);
    });

    it('callback_head.func is a pointer to void (struct callback_head *)', () => {
      const ch = btf.find('struct callback_head')!;
      const fn = findMember(ch, 'func')!.member.type;
      const proto = resolve(fn).target!;
      expect(proto.kind).toBe('function');
      expect(proto.target!.kind).toBe('void');
      expect(proto.params!.map((p) => p.type.target)).toEqual([ch]);
      expect(formatTypeDecl(ch)).toEqual([
        'struct callback_head {',
        '    struct callback_head *next;',
        '    void (*func)(struct callback_head *);',
        '}',
        'SIZE: 16',
      ]);
    });

    it('prints list_head and task_struct.comm like crash', () => {
      expect(formatTypeDecl(btf.find('list_head')!)).toEqual([
        'struct list_head {',
        '    struct list_head *next;',
        '    struct list_head *prev;',
        '}',
        'SIZE: 16',
      ]);
      const lines = formatTypeDecl(btf.find('task_struct')!);
      expect(lines).toContain('    char comm[16];');
      expect(lines).toContain('    const struct cred *cred;');
      expect(lines[lines.length - 1]).toBe(`SIZE: ${btf.find('task_struct')!.size}`);
    });

    it('base types by C and gcc spellings', () => {
      const ul = btf.find('unsigned long')!;
      expect(ul).toMatchObject({ kind: 'int', name: 'long unsigned int', size: 8, signed: false });
      expect(btf.find('long unsigned int')).toBe(ul);
      expect(btf.find('unsigned long long')).toMatchObject({ name: 'long long unsigned int', size: 8 });
      expect(btf.find('char')).toMatchObject({ size: 1, isChar: true });
      expect(btf.find('_Bool')).toMatchObject({ size: 1, isBool: true });
      expect(btf.find('struct task_struct')).toBe(btf.find('task_struct'));
      expect(btf.find('struct task_struct *')!.target).toBe(btf.find('task_struct'));
    });

    it('VAR records exist only for per-CPU variables', () => {
      const names = btf.variableNames();
      expect(names.length).toBeGreaterThan(100);
      expect(names).toContain('runqueues');
      expect(btf.variableType('runqueues')).toBe(btf.find('struct rq'));
      for (const n of names) expect(btf.variableType(n), n).toBeDefined();
      expect(btf.variableType('init_task')).toBeUndefined(); // a plain global: no BTF VAR
      expect(btf.functionType('schedule')?.kind).toBe('function');
    });

    it('a damaged copy of the real blob gives a BtfError fast', () => {
      const cut = Buffer.from(raw.subarray(0, Math.floor(raw.length / 2)));
      expect(() => parseBtf(cut)).toThrow(/runs past/);
      const huge = Buffer.from(raw);
      huge.writeUInt32LE(0xfffffff0, 12); // type_len
      expect(() => parseBtf(huge)).toThrow(/type section .* runs past/);
      // Turn type 1 into a STRUCT with vlen 0xffff: its "members" run over the following records,
      // so the walk goes on at wrong boundaries: a BtfError, or (rarely) types that still check out.
      const bad = Buffer.from(raw);
      const first = bad.readUInt32LE(4) + bad.readUInt32LE(8);
      bad.writeUInt32LE(((4 << 24) | 0xffff) >>> 0, first + 4);
      const t0 = performance.now();
      try {
        const b = parseBtf(bad);
        for (let id = 1; id <= 100; id++) touch(b.typeById(id));
      } catch (e) {
        expect(e).toBeInstanceOf(BtfError);
      }
      expect(performance.now() - t0).toBeLessThan(5000);
    });
  });
}

function touch(t: Type): void {
  void t.target;
  for (const m of t.members ?? []) void m.type.size;
}
