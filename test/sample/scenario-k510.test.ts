/**
 * Linux 5.10 (Debian 11's 5.10.0-32-cloud-amd64): a sysrq-c kdump made by
 *   scripts/qemu/make-scenario.sh k510-sysrq-c ~/.cache/crash-ts-corpus/scenarios/k510-sysrq-c
 * (which also puts the release's debug vmlinux in ~/.cache/crash-ts-corpus/5.10.0-32-cloud-amd64/). The truth is
 * what the guest recorded (case.json: its /proc before the crash, the console's panic line and Call Trace).
 *
 * What it guards: KASLR put this kernel's vmalloc area (and so its vmap'd task stacks) 11 TiB above
 * page_offset_base; a translator that took 64 TiB after page_offset_base for the direct map read the
 * panic task's stack at "physical b4bc01dfdf0" and bt stopped after one frame, __crash_kexec: the frames
 * below the registers crash_setup_regs saved (machine_kexec) were unreadable too, so even #0 differed from
 * crash's. The direct map ends where RAM ends (max_pfn), and never reaches vmalloc_base.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import btCommand from '../../commands/bt.js';
import filesCommand from '../../commands/files.js';
import kmemCommand from '../../commands/kmem.js';
import logCommand from '../../commands/log.js';
import pCommand from '../../commands/p.js';
import psCommand from '../../commands/ps.js';
import rdCommand from '../../commands/rd.js';
import structCommand from '../../commands/struct.js';
import symCommand from '../../commands/sym.js';
import sysCommand from '../../commands/sys.js';
import whatisCommand from '../../commands/whatis.js';
import { allTasks } from '../../src/kernel/objects/tasks.js';
import { describeWithDumps, scenariosDir, vmlinuxOfRelease } from '../helpers/made-dumps.js';
import { consoleTrace } from '../bt/console-trace.js';
import { openForSuite, PROC_TO_CRASH } from '../helpers/suite-dump.js';

const NAME = 'k510-sysrq-c';
const RELEASE = '5.10.0-32-cloud-amd64';
const DIR = join(scenariosDir, NAME);
const DEBUG_VMLINUX = `~/.cache/crash-ts-corpus/${RELEASE}/vmlinux-${RELEASE}`;
const haveDump = existsSync(join(DIR, 'vmcore.kdump-zlib')) && existsSync(join(DIR, 'case.json'));

interface Case {
  kernel_release: string;
  linux_banner: string;
  ncpus: number;
  markers: string[];
  panic: { message: string; cpu: number; pid: number; comm: string; call_trace: string[] };
  workload: { pid: number; ppid: number; comm: string; state_in_proc_before_crash: string }[];
  workload_threads: { tgid: number; pid: number; comm: string }[];
}

let vmlinux: string | undefined;
if (haveDump) vmlinux = await vmlinuxOfRelease(RELEASE);
const missing = !haveDump
  ? `no ${DIR}; scripts/qemu/make-scenario.sh ${NAME} ${DIR}`
  : vmlinux
    ? undefined
    : `no vmlinux of ${RELEASE} (make-scenario.sh puts it at ${DEBUG_VMLINUX})`;

describeWithDumps(`scenario ${NAME}: Linux 5.10 (Debian 11) panic by sysrq-c`, missing, () => {
  let c: Case;
  const dump = openForSuite(() => [vmlinux!, join(DIR, 'vmcore.kdump-zlib')]);
  const run = dump.run;
  beforeAll(() => {
    c = JSON.parse(readFileSync(join(DIR, 'case.json'), 'utf8')) as Case;
  });

  it('the direct map ends at the end of RAM, before vmalloc; the panic stack is walked, not subtracted', () => {
    const t = dump.k.mem.translator;
    const pob = t.cfg.pageOffsetBase;
    const maxPfn = dump.k.readU64(dump.k.sym('max_pfn'));
    const vmalloc = dump.k.readU64(dump.k.sym('vmalloc_base'));
    expect(t.cfg.directMapEnd).toBe(pob + maxPfn * 4096n);
    expect(t.cfg.directMapEnd! <= vmalloc).toBe(true);
    const stack = allTasks(dump.k).panicTask!.stack;
    expect(stack >= vmalloc).toBe(true); // CONFIG_VMAP_STACK
    expect(t.directMapPhys(stack)).toBeUndefined();
    // the stack's pages are RAM of this machine (384 MB), wherever vmalloc lies
    expect(dump.k.mem.translator.kvtop(stack) < maxPfn * 4096n).toBe(true);
  });

  it('sys: release, CPUs, panic line as the guest printed them', async () => {
    const sys = await run(sysCommand, []);
    expect(sys).toMatch(new RegExp(`^\\s+RELEASE: ${RELEASE}$`, 'm'));
    expect(sys).toMatch(new RegExp(`^\\s+CPUS: ${c.ncpus}$`, 'm'));
    expect(sys).toContain(`PANIC: "${c.panic.message}"`);
    expect(c.panic.message).toBe('Kernel panic - not syncing: sysrq triggered crash');
  });

  it('ps: every workload process and thread with its pid, ppid, state and comm', async () => {
    const ps = await run(psCommand, []);
    for (const w of c.workload) {
      const row = new RegExp(
        `^[> ]\\s*${w.pid}\\s+${w.ppid}\\s+\\d+\\s+[0-9a-f]{16}\\s+${PROC_TO_CRASH[w.state_in_proc_before_crash]}\\s.*\\s${w.comm}$`,
        'm',
      );
      expect(ps, `${w.comm} ${w.pid}`).toMatch(row);
    }
    for (const t of c.workload_threads) expect(ps).toMatch(new RegExp(`^\\s*${t.pid}\\s+.*\\s${t.comm}$`, 'm'));
    expect(ps).toMatch(
      new RegExp(`^>\\s*${c.panic.pid}\\s+\\d+\\s+${c.panic.cpu}\\s+[0-9a-f]{16}\\s+RU\\s.*\\s${c.panic.comm}$`, 'm'),
    );
  });

  it('bt: from machine_kexec through the console Call Trace to the system call entry, as crash 9 shows it', async () => {
    const text = await run(btCommand, []);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`^PID: ${c.panic.pid}\\s+TASK: [0-9a-f]{16}  CPU: ${c.panic.cpu}\\s+COMMAND: "${c.panic.comm}"$`),
    );
    const frames = lines.flatMap((l) => /^\s*#\d+ \[[0-9a-f]{16}\] (\S+) at [0-9a-f]{16}$/.exec(l)?.[1] ?? []);
    expect(frames.slice(0, 3)).toEqual(['machine_kexec', '__crash_kexec', 'panic']);
    const truth = consoleTrace(readFileSync(join(DIR, 'serial-first-kernel.log'), 'utf8'));
    const fromPanic = truth.slice(truth.indexOf('panic'));
    expect(fromPanic.at(-1)).toBe('entry_SYSCALL_64_after_hwframe');
    expect(frames.slice(2)).toEqual(fromPanic);
    expect(text).toMatch(/ORIG_RAX: 0000000000000001 {2}CS: 0033 {2}SS: 002b$/m); // write(2) from user space
  });

  it('log: the marker and the panic line; rd: linux_banner as the guest read it', async () => {
    const log = await run(logCommand, []);
    for (const m of c.markers) expect(log).toContain(m);
    expect(log).toContain(c.panic.message);
    const rd = await run(rdCommand, ['-a', 'linux_banner']);
    const joined = rd
      .split('\n')
      .map((l) => l.replace(/^[0-9a-f]{16}: {2}/, ''))
      .join('');
    expect(joined.startsWith(c.linux_banner)).toBe(true);
  });

  it('p linux_banner: the `extern const char linux_banner[]` crash 9 shows, though 5.10 sizes its definition', async () => {
    // 5.10's DWARF gives the definition (DW_AT_specification) its own type, const char[192]; crash 9's p and
    // whatis show the declaration's unsized array, so p gives the address, the symbol and the string
    const p = await run(pCommand, ['linux_banner']);
    const addr = dump.k.sym('linux_banner').toString(16);
    expect(p).toBe(`linux_banner = $1 = 0x${addr} <linux_banner> ${JSON.stringify(c.linux_banner + '\n')}\n`);
    expect((await run(whatisCommand, ['linux_banner'])).trim()).toBe('const char linux_banner[];');
  });

  it('p linux_proc_banner: sized, the plain string, as crash 9 (its defining unit is the first to name it)', async () => {
    // gdb takes a global's type from the first unit naming it: init/main.c declares linux_banner (unsized)
    // before init/version.c defines both, and nothing before init/version.c names linux_proc_banner, so crash 9
    // prints `const char linux_proc_banner[135]` and p the string alone
    const p = await run(pCommand, ['linux_proc_banner']);
    const m = /^linux_proc_banner = \$1 = "(%s version %s \(.*\) %s\\n)"\n$/.exec(p);
    expect(m, p).not.toBeNull();
    const text = m![1]!.replace(/\\n/g, '\n');
    expect((await run(whatisCommand, ['linux_proc_banner'])).trim()).toBe(
      `const char linux_proc_banner[${text.length + 1}];`,
    );
    expect(dump.k.read(dump.k.sym('linux_proc_banner'), text.length).toString('latin1')).toBe(text);
  });

  it('log -s: both safe buffers, a block per CPU at its copy of the variable; plain log ends with their text', async () => {
    const k = dump.k;
    const out = await run(logCommand, ['-s']);
    const blocks = out.split(/^PRINTK_SAFE_SEQ_BUF: /m).slice(1);
    expect(blocks.map((b) => b.split('\n')[0])).toEqual(['nmi_print_seq', 'safe_print_seq']);
    const held: string[] = [];
    for (const b of blocks) {
      const name = b.split('\n')[0]!;
      const cpus = [...b.matchAll(/^CPU: (\d+) {2}ADDR: ([0-9a-f]+) LEN: (\d+) {2}MESSAGE_LOST: \d+\n(.*)$/gm)];
      expect(cpus.map((m) => Number(m[1]))).toEqual([...Array(c.ncpus).keys()]);
      for (const m of cpus) {
        // the CPU's copy: the per-CPU symbol plus that CPU's __per_cpu_offset
        const offset = k.readU64(k.sym('__per_cpu_offset') + 8n * BigInt(m[1]!));
        expect(BigInt('0x' + m[2]!)).toBe(k.sym(name) + offset);
        if (m[3] === '0') expect(m[4]).toBe('  (empty)');
        else held.push(name);
      }
    }
    // whatever the buffers still hold (usually nothing after a sysrq-c) follows the ring's records in plain log
    const tail = (await run(logCommand, [])).split('\n').filter((l) => /^\[(nmi|safe)_print_seq\] /.test(l));
    expect([...new Set(tail.map((l) => l.slice(1, l.indexOf(']'))))]).toEqual([...new Set(held)]);
    expect(await run(logCommand, ['-a'])).toBe('log: kernel audit log is empty\n');
    // no Rust in 5.10: -R prints the log as it is (crash 9 too)
    expect(await run(logCommand, ['-R'])).toBe(await run(logCommand, []));
  });

  it('kmem ADDRESS, -s, -S on 5.10 (the slab fields still in struct page): an open file is an allocated filp object', async () => {
    const pid = c.workload[0]!.pid;
    const task = allTasks(dump.k).tasks.find((t) => t.pid === pid)!;
    const file = /^ +0 ([0-9a-f]{16}) /m.exec(await run(filesCommand, [String(pid)]))![1]!;
    for (const [addr, cache] of [
      [file, 'filp'],
      [task.address.toString(16), 'task_struct'],
    ] as const) {
      const out = await run(kmemCommand, [addr]);
      expect(out).toMatch(new RegExp(`^[0-9a-f]{16} +\\d+ +\\d+ +\\d+ +\\d+ +\\d+k  ${cache}$`, 'm'));
      // the object starts at the address (a file and a task_struct are whole objects) and is in use
      expect(out).toContain(`\n  [${addr}]\n`);
      expect(await run(kmemCommand, ['-s', addr])).toContain(`\n  [${addr}]`);
      expect(await run(kmemCommand, ['-S', addr])).toMatch(new RegExp(`^  \\[${addr}\\]$`, 'm'));
    }
  });

  it('a word past the image (-1, the fixmap) is no symbol: the last one (__init_scratch_end) does not reach it', async () => {
    expect(dump.k.symbols.nearest(0xffffffffffffffffn)).toBeUndefined();
    expect(await run(symCommand, ['ffffffffffffffff'])).toBe('sym: invalid address: ffffffffffffffff\n');
  });

  it('struct: a member 5.10 lacks (__state, 5.14+) ends the list; the members before it are printed, as crash does', async () => {
    const out = await run(structCommand, ['task_struct.comm,pid,__state', 'init_task']);
    expect(out.trimEnd().split('\n')).toEqual([
      '  comm = "swapper/0\\000\\000\\000\\000\\000\\000",',
      '  pid = 0,',
      'struct: invalid data structure reference: task_struct.__state',
    ]);
    expect((await run(structCommand, ['task_struct.pid,state', 'init_task'])).trimEnd()).toBe(
      '  pid = 0,\n  state = 0,',
    );
    await expect(run(structCommand, ['task_struct.__state,pid', 'init_task'])).rejects.toThrow(
      'invalid data structure reference: task_struct.__state',
    );
  });
});
