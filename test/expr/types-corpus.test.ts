/**
 * struct, union, whatis and p on every corpus case, from BTF alone (the vmlinux without DWARF): crash 9's
 * stored output byte for byte where BTF answers, real values of the dumps (init_task's comm, pid 0, per-CPU
 * cpu_number), gdb's layout of a whole task_struct, and the one-line answers where only DWARF would know.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { caseInfo, caseNames, describeCorpus, dumpPaths, skipWhenNoCases, vmlinuxPlain } from '../helpers/corpus.js';
import { normalized, openSession, storedOutput, type Opened } from './session.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'expr');

/** Commands crash 9 answered in the corpus that BTF alone must answer the same way. */
const FROM_BTF = [
  'whatis schedule',
  'whatis struct list_head',
  'struct list_head',
  'struct -o list_head',
  'struct task_struct.comm,pid init_task',
  'struct task_struct.comm,pid,__state init_task',
  'p sizeof(struct task_struct)',
  'p cpu_number:a',
];

skipWhenNoCases('struct, whatis, p from BTF');
for (const name of caseNames()) {
  describeCorpus(`struct, whatis, p from BTF: ${name}`, () => {
    let o: Opened;
    let dumpFile: string;
    beforeAll(async () => {
      const dumps = await dumpPaths(name);
      const d = dumps.find((x) => x.file === 'vmcore.kdump-zlib') ?? dumps[0]!;
      dumpFile = d.file;
      o = await openSession(await vmlinuxPlain(name), d.path);
    }, 120_000);

    it('answers as crash 9 did, byte for byte', async () => {
      let compared = 0;
      for (const cmd of FROM_BTF) {
        const want = storedOutput(name, dumpFile, cmd);
        if (want === undefined) continue;
        expect(normalized(await o.run(cmd)), cmd).toBe(normalized(want));
        compared++;
      }
      expect(compared).toBeGreaterThan(3);
    });

    it('struct TYPE.pid,tgid ADDRESS and the list of tasks agree with crash at init_task', async () => {
      const init = o.k.sym('init_task').toString(16);
      const want = storedOutput(name, dumpFile, `struct task_struct.pid,tgid ${init}`);
      const got = await o.run(`struct task_struct.pid,tgid ${init}`);
      expect(got).toBe('  pid = 0,\n  tgid = 0,\n');
      if (want !== undefined) expect(normalized(got)).toBe(normalized(want));
    });

    it('reads init_task through a cast: comm "swapper/0", pid 0, sizeof as BTF says', async () => {
      o = await openSession(await vmlinuxPlain(name), (await dumpPaths(name)).find((x) => x.file === dumpFile)!.path);
      const p = await o.run('p ((struct task_struct *)&init_task)->comm');
      expect(p).toBe('$1 = "swapper/0\\000\\000\\000\\000\\000\\000"\n');
      expect(await o.run('p/x ((struct task_struct *)&init_task)->pid')).toBe('$2 = 0x0\n');
      const size = o.k.sizeOf('struct task_struct');
      expect(await o.run('p sizeof(struct task_struct)')).toBe(`$3 = ${size}\n`);
      expect(await o.run('pd $3 / 2')).toBe(`$4 = ${size / 2}\n`);
      expect(await o.run(`p (struct task_struct *)${o.k.sym('init_task').toString(16)}`)).toMatch(
        /^\$5 = \(struct task_struct \*\) 0xffffffff[0-9a-f]{8} <init_task>\n$/,
      );
    });

    it('per-CPU variables from BTF: each CPU number is its own', async () => {
      const n = o.k.nrCpuIds;
      if (!o.k.hasSymbol('cpu_number')) {
        // 6.2+ keeps it in pcpu_hot: crash 9 fails here ("gdb request failed"), we say what is missing
        expect(await o.run('p cpu_number:a')).toBe('p: No symbol "cpu_number" in current context.\n');
        return;
      }
      const lines = normalized(await o.run('p cpu_number:a')).split('\n');
      expect(lines).toEqual([...Array(n).keys()].map((c) => `per_cpu(cpu_number, ${c}) = $N = ${c}`));
      const summary = await o.run('p cpu_number');
      expect(summary.split('\n').slice(0, 3)).toEqual([
        'PER-CPU DATA TYPE:',
        '  int cpu_number;',
        'PER-CPU ADDRESSES:',
      ]);
      expect(summary).toContain(`  [0]: ${(o.k.sym('cpu_number') + o.k.perCpuOffset(0)).toString(16)}`);
    });

    it('without DWARF: an ordinary global is one line naming what is missing, then its raw value', async () => {
      if (o.k.debugInfo) return; // this vmlinux has DWARF: the DWARF test covers it
      const out = (await o.run('p jiffies')).split('\n');
      expect(out[0]).toMatch(/^p: jiffies: its type is in DWARF, which this vmlinux lacks/);
      const jiffies = o.k.readU64(o.k.sym('jiffies'));
      expect(out[1]).toMatch(new RegExp(`^${o.k.sym('jiffies').toString(16)}:\\s+${jiffies}\\s*$`));
      expect(await o.run('whatis jiffies')).toMatch(/^whatis: jiffies: its type is in DWARF/);
      expect(await o.run('p nosuchsymbol')).toBe('p: No symbol "nosuchsymbol" in current context.\n');
    });
  });
}

describeCorpus('gdb layout of a whole structure (k61-sysrq-c)', () => {
  let o: Opened;
  beforeAll(async () => {
    const name = 'k61-sysrq-c';
    if (!caseNames().includes(name)) return;
    const d = (await dumpPaths(name)).find((x) => x.file === 'vmcore.kdump-zlib')!;
    o = await openSession(await vmlinuxPlain(name), d.path);
    expect(caseInfo(name).kernel_release).toBe('6.1.0-56-cloud-amd64');
  }, 120_000);

  it("p *(struct task_struct *)&init_task is crash 9's p *init_task.parent, line for line", async () => {
    const want = readFileSync(join(fixtures, 'k61-sysrq-c.p_init_task.crash9.txt'), 'utf8');
    expect(await o.run('p *(struct task_struct *)&init_task')).toBe(want);
  });

  it("struct -o: crash's offset column, anonymous unions in place", async () => {
    for (const t of ['page', 'sched_entity']) {
      const want = readFileSync(join(fixtures, `k61-sysrq-c.struct_-o_${t}.crash9.txt`), 'utf8');
      expect(await o.run(`struct -o ${t}`)).toBe(want);
    }
  });

  it('struct members, counts and per-member offsets as crash prints them', async () => {
    const tasks = o.k.sym('init_task') + BigInt(o.k.offsetOf('struct task_struct', 'tasks'));
    const next = o.k.readU64(tasks);
    const prev = o.k.readU64(tasks + 8n);
    expect(await o.run(`struct list_head.prev ${tasks.toString(16)}`)).toBe(`  prev = 0x${prev.toString(16)}\n`);
    expect(await o.run(`struct list_head ${tasks.toString(16)}`)).toBe(
      `struct list_head {\n  next = 0x${next.toString(16)},\n  prev = 0x${prev.toString(16)}\n}\n`,
    );
    expect(await o.run(`struct -o list_head ${tasks.toString(16)}`)).toBe(
      `struct list_head {\n  [${tasks.toString(16)}] struct list_head *next;\n  [${(tasks + 8n).toString(16)}] struct list_head *prev;\n}\nSIZE: 16\n`,
    );
    expect(await o.run('struct -o task_struct.tasks')).toBe(
      'struct task_struct {\n  [2192] struct list_head tasks;\n}\n',
    );
    expect(await o.run('struct -x task_struct.pid,comm init_task')).toBe(
      '  pid = 0x0,\n  comm = "swapper/0\\000\\000\\000\\000\\000\\000",\n',
    );
    expect(await o.run('struct task_struct.se.load init_task')).toBe(
      '  se.load = {\n    weight = 1048576,\n    inv_weight = 4194304\n  },\n',
    );
  });

  it('whatis: typedefs resolved, enums with values, functions with varargs', async () => {
    expect(await o.run('whatis pid_t')).toBe('typedef int pid_t;\nSIZE: 4\n');
    expect(await o.run('whatis _printk')).toBe('int _printk(const char *, ...);\n');
    expect(await o.run('whatis schedule_timeout')).toBe('long schedule_timeout(long);\n');
    expect(await o.run('whatis enum pid_type')).toBe(
      'enum pid_type {\n  PIDTYPE_PID = 0\n  PIDTYPE_TGID = 1\n  PIDTYPE_PGID = 2\n  PIDTYPE_SID = 3\n  PIDTYPE_MAX = 4\n};\n',
    );
    expect(await o.run('whatis cpu_number')).toBe('int cpu_number;\n');
  });

  it('pointer-to-array casts: gdb names the type char (*)[N], and * gives the array', async () => {
    o = await openSession(o.k.vmlinuxPath, o.k.dumpPath);
    const init = o.k.sym('init_task').toString(16);
    expect(await o.run(`p (char (*)[8])0x${init}`)).toBe(`$1 = (char (*)[8]) 0x${init} <init_task>\n`);
    expect(await o.run('p *(char (*)[16])&((struct task_struct *)&init_task)->comm')).toBe(
      '$2 = "swapper/0\\000\\000\\000\\000\\000\\000"\n',
    );
    expect(await o.run('p sizeof(char (*)[16])')).toBe('$3 = 8\n');
    expect(await o.run('p sizeof(*(char (*)[16])0)')).toBe('$4 = 16\n');
    const tasks = o.k.sym('init_task') + BigInt(o.k.offsetOf('struct task_struct', 'tasks'));
    expect(await o.run(`p *(unsigned long (*)[2])0x${tasks.toString(16)}`)).toBe(
      `$5 = {${o.k.readU64(tasks)}, ${o.k.readU64(tasks + 8n)}}\n`,
    );
  });

  it('union NAME and whatis union NAME from BTF', async () => {
    const decl = await o.run('union bpf_attr');
    expect(decl.split('\n')[0]).toBe('union bpf_attr {');
    expect(decl).toContain(`SIZE: ${o.k.sizeOf('union bpf_attr')}\n`);
    expect(await o.run('whatis union bpf_attr')).toBe(decl);
    expect(await o.run('union nosuchunion')).toBe('union: invalid data structure reference: nosuchunion\n');
  });

  it('p formats and C arithmetic as gdb does', async () => {
    o = await openSession(o.k.vmlinuxPath, o.k.dumpPath);
    expect(await o.run('p 1-2')).toBe('$1 = -1\n');
    expect(await o.run('p/x -1')).toBe('$2 = 0xffffffff\n');
    expect(await o.run('p (char)65')).toBe("$3 = 65 'A'\n");
    expect(await o.run('p/a 0x10 + schedule')).toMatch(/^\$4 = 0xffffffff[0-9a-f]{8} <schedule\+16>\n$/);
    expect(await o.run('p $3 + 1')).toBe('$5 = 66\n');
    expect(await o.run('p 1 / 0')).toBe('p: division by zero\n');
    expect(await o.run('p *((struct task_struct *)&init_task)->comm@3')).toBe('$6 = "swa"\n');
    expect(await o.run('p/u (char)-1')).toBe('$7 = 255\n');
    expect(await o.run('p/t 10')).toBe('$8 = 1010\n');
    expect(await o.run('p/o 8')).toBe('$9 = 010\n');
  });
});
