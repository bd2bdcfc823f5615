/**
 * Linux 7.x (Debian sid's cloud kernel, e.g. 7.2.13+deb14-cloud-amd64): a sysrq-c kdump made by
 *   scripts/qemu/make-scenario.sh k7-sysrq-c ~/.cache/crash-ts-corpus/scenarios/k7-sysrq-c
 * (packages through a private apt configuration for sid; the release's vmlinux without DWARF is cached as
 * ~/.cache/crash-ts-corpus/REL/vmlinux-REL.nodwarf). The truth is what the guest recorded (case.json: its /proc
 * a few seconds before the crash, the console's panic line and Call Trace).
 *
 * What 7.x renamed or moved, each of which broke a command: per-CPU symbols are image addresses and
 * per_cpu_ptr() wraps modulo 2^64 (no runqueues: no panic task, "bt: no panic task found"); tk_core became
 * timekeeper_data[0] (UPTIME unreadable); tick_nsec and the global pid_max are gone; ORC renumbered its base
 * registers (bt: "unknown ORC layout"); page->compound_head became compound_info, with a mask form. And the
 * makedumpfile of Debian 12 (1.7.2), which does not know compound_info, leaves out the first tail page of each
 * slab: task_structs that start on such a page lose their first fields (state, flags, stack) while pid, comm and
 * their list links stay readable. Those tasks are named with pid and comm, and their links lead to the rest.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import btCommand from '../../commands/bt.js';
import irqCommand from '../../commands/irq.js';
import kmemCommand from '../../commands/kmem.js';
import logCommand from '../../commands/log.js';
import pCommand from '../../commands/p.js';
import psCommand from '../../commands/ps.js';
import rdCommand from '../../commands/rd.js';
import structCommand from '../../commands/struct.js';
import sysCommand from '../../commands/sys.js';
import vtopCommand from '../../commands/vtop.js';
import { orcLookup } from '../../src/kernel/arch/x86_64/backtrace.js';
import { consolePanicCpu, crashPathCpu, panicCpuReading } from '../../src/kernel/objects/panic-cpu.js';
import { allTasks } from '../../src/kernel/objects/tasks.js';
import { consoleTrace } from '../bt/console-trace.js';
import { describeWithDumps, scenariosDir, vmlinuxOfRelease } from '../helpers/made-dumps.js';
import { openForSuite, PROC_TO_CRASH } from '../helpers/suite-dump.js';

const NAME = 'k7-sysrq-c';
const DIR = join(scenariosDir, NAME);
const haveDump = existsSync(join(DIR, 'vmcore.kdump-zlib')) && existsSync(join(DIR, 'case.json'));

interface Case {
  kernel_release: string;
  linux_banner: string;
  ncpus: number;
  markers: string[];
  panic: { message: string; cpu: number; pid: number; comm: string; call_trace: string[] };
  workload: { pid: number; ppid: number; comm: string; state_in_proc_before_crash: string }[];
  workload_threads: { tgid: number; pid: number; comm: string }[];
  pre_crash_snapshot: { ps: { pid: number; ppid: number; comm: string }[] };
}

const c = haveDump ? (JSON.parse(readFileSync(join(DIR, 'case.json'), 'utf8')) as Case) : undefined;
const release = c?.kernel_release ?? '7.x';
const vmlinux = c ? await vmlinuxOfRelease(c.kernel_release) : undefined;
const missing = !haveDump
  ? `no ${DIR}; scripts/qemu/make-scenario.sh ${NAME} ${DIR}`
  : vmlinux
    ? undefined
    : `no vmlinux of ${release} (make-scenario.sh puts it at ~/.cache/crash-ts-corpus/${release}/vmlinux-${release}.nodwarf)`;

/** task->comm against /proc's name: at most 15 characters; a workqueue worker shows "-WORKQUEUE" after it. */
const sameComm = (comm: string, proc: string): boolean =>
  comm !== '' && (comm === proc.slice(0, 15) || proc.startsWith(`${comm}-`));

/** The /proc snapshot's processes that only ran the snapshot itself (gone by the crash). */
const TRANSIENT = new Set(['awk', 'cat', 'sed', 'grep', 'ls']);

describeWithDumps(`scenario ${NAME}: Linux ${release} (Debian sid) panic by sysrq-c`, missing, () => {
  const dump = openForSuite(() => [vmlinux!, join(DIR, 'vmcore.kdump-zlib')]);
  const run = dump.run;

  it('is a 7.x kernel with the renamed symbols this test is about', () => {
    expect(c!.kernel_release).toMatch(/^7\./);
    expect(dump.k.hasSymbol('tk_core')).toBe(false);
    expect(dump.k.hasSymbol('timekeeper_data')).toBe(true);
    expect(orcLookup(dump.k)).toBeDefined();
  });

  it('sys: UPTIME from the timekeeper (within 3 s of the last log stamp), PANIC, TASKS = the readable tasks', async () => {
    const sys = await run(sysCommand, []);
    expect(sys).toMatch(new RegExp(`^\\s+RELEASE: ${c!.kernel_release.replace(/\+/g, '\\+')}$`, 'm'));
    expect(sys).toMatch(new RegExp(`^\\s+CPUS: ${c!.ncpus}$`, 'm'));
    expect(sys).toContain(`PANIC: "${c!.panic.message}"`);
    const up = /^\s+UPTIME: (\d\d):(\d\d):(\d\d)$/m.exec(sys);
    expect(up, sys).not.toBeNull();
    const secs = Number(up![1]) * 3600 + Number(up![2]) * 60 + Number(up![3]);
    const stamps = [...readFileSync(join(DIR, 'dmesg.txt'), 'utf8').matchAll(/^\[\s*(\d+\.\d+)\]/gm)].map((m) =>
      Number(m[1]),
    );
    expect(Math.abs(secs - stamps.at(-1)!)).toBeLessThanOrEqual(3);
    expect(sys).not.toMatch(/NOTE: UPTIME/); // the timekeeper route worked
    const ps = await run(psCommand, []);
    const rows = ps.split('\n').filter((l) => /^[> ]\s*\d+\s+-?\d+\s+\S+\s+[0-9a-f]{16}\s+[A-Z]{2}\s/.test(l));
    // ps also shows a row for a CPU's current task whose struct is on a missing page; TASKS counts what was read
    const table = allTasks(dump.k);
    const activeLost = table.unreadable.filter((u) => [...table.active.values()].includes(u.address)).length;
    expect(sys).toMatch(new RegExp(`^\\s+TASKS: ${rows.length - activeLost}$`, 'm'));
  });

  it('the panic CPU is the same by each route: panic_cpu, the CPU registers on the crash path, the console', () => {
    expect(panicCpuReading(dump.k)).toMatchObject({ cpu: c!.panic.cpu, route: 'panic_cpu' });
    expect(crashPathCpu(dump.k).cpu).toBe(c!.panic.cpu);
    expect(consolePanicCpu(dump.k)).toMatchObject({ cpu: c!.panic.cpu, pid: c!.panic.pid });
  });

  it('ps: every task the guest recorded is a row, or is named (pid and comm) among the tasks on missing pages', async () => {
    const ps = await run(psCommand, []);
    const table = allTasks(dump.k);
    const named = new Map(table.unreadable.map((u) => [u.pid, u]));
    const truth = [
      ...c!.pre_crash_snapshot.ps.filter((p) => !TRANSIENT.has(p.comm)),
      ...c!.workload_threads,
      { pid: c!.panic.pid, comm: c!.panic.comm },
    ];
    for (const t of truth) {
      const row = table.tasks.find((x) => x.pid === t.pid && !x.idle);
      if (row) {
        expect(sameComm(row.comm, t.comm), `pid ${t.pid}: ${row.comm} for ${t.comm}`).toBe(true);
        continue;
      }
      const lost = named.get(t.pid);
      expect(lost, `pid ${t.pid} ${t.comm}: neither listed nor named`).toBeDefined();
      expect(sameComm(lost!.comm ?? '', t.comm), `pid ${t.pid}: ${lost!.comm} for ${t.comm}`).toBe(true);
      expect(ps).toContain(`pid ${t.pid} "${lost!.comm}" (task ${lost!.address.toString(16)})`);
    }
    // a named task is really on a missing page: its struct cannot be read whole
    for (const u of table.unreadable) {
      expect(() => dump.k.read(u.address, dump.k.sizeOf('struct task_struct')), u.address.toString(16)).toThrow(
        /excluded/,
      );
      expect(u.reason).toMatch(/excluded/);
    }
    // the readable workload rows carry the state /proc showed
    for (const w of c!.workload) {
      if (named.has(w.pid)) continue;
      const re = new RegExp(
        `^[> ]\\s*${w.pid}\\s+${w.ppid}\\s+\\d+\\s+[0-9a-f]{16}\\s+${PROC_TO_CRASH[w.state_in_proc_before_crash]}\\s.*\\s${w.comm}$`,
        'm',
      );
      expect(ps, `${w.comm} ${w.pid}`).toMatch(re);
    }
    expect(ps).toMatch(
      new RegExp(
        `^>\\s*${c!.panic.pid}\\s+\\d+\\s+${c!.panic.cpu}\\s+[0-9a-f]{16}\\s+RU\\s.*\\s${c!.panic.comm}$`,
        'm',
      ),
    );
  });

  it('bt: the panic task, from machine_kexec through the console Call Trace to the system call entry', async () => {
    const text = await run(btCommand, []);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`^PID: ${c!.panic.pid}\\s+TASK: [0-9a-f]{16}  CPU: ${c!.panic.cpu}\\s+COMMAND: "${c!.panic.comm}"$`),
    );
    const frames = lines.flatMap((l) => /^\s*#\d+ \[[0-9a-f]{16}\] (\S+) at [0-9a-f]{16}$/.exec(l)?.[1] ?? []);
    expect(frames.slice(0, 2)).toEqual(['machine_kexec', '__crash_kexec']);
    const truth = consoleTrace(readFileSync(join(DIR, 'serial-first-kernel.log'), 'utf8'));
    // 7.x's panic() is a wrapper of vpanic(), which the console shows above it
    const from = truth.slice(truth.indexOf(truth.includes('vpanic') ? 'vpanic' : 'panic'));
    expect(from.at(-1)).toBe('entry_SYSCALL_64_after_hwframe');
    expect(frames.slice(2)).toEqual(from);
    expect(text).toMatch(/ORIG_RAX: 0000000000000001 {2}CS: 0033 {2}SS: 002b$/m); // write(2) from user space
  });

  it('irq: without the nr_irqs symbol (7.x), the descriptor tree bounds the IRQ numbers', async () => {
    expect(dump.k.hasSymbol('nr_irqs')).toBe(false);
    const irq = await run(irqCommand, ['-s']);
    // Debian 12's makedumpfile drops some slab pages of 7.x (which ones varies by boot): the timer and the
    // console's IRQ are listed with the MSI-X queues past the 16 legacy IRQs, or the descriptors the dump
    // lacks are counted
    const missing = /^irq: \d+ descriptor-tree nodes? or descriptors? not in the dump/m.test(irq);
    if (!missing) {
      expect(irq).toMatch(/^\s+0:\s+\d+\s+\d+\s+\S+\s+timer$/m);
      expect(irq).toMatch(/^\s+4:\s+\d+\s+\d+\s+\S+\s+ttyS0$/m);
    }
    const numbers = [...irq.matchAll(/^\s*(\d+):/gm)].map((m) => Number(m[1]));
    if (!missing) expect(Math.max(...numbers)).toBeGreaterThan(15);
    else expect(numbers.length).toBeGreaterThan(0); // seen: 2 to 5 IRQs left of 8 or so
  });

  it('log: the marker and the panic line; rd: linux_banner as the guest read it', async () => {
    const log = await run(logCommand, []);
    for (const m of c!.markers) expect(log).toContain(m);
    expect(log).toContain(c!.panic.message);
    const rd = await run(rdCommand, ['-a', 'linux_banner']);
    const joined = rd
      .split('\n')
      .map((l) => l.replace(/^[0-9a-f]{16}: {2}/, ''))
      .join('');
    expect(joined.startsWith(c!.linux_banner)).toBe(true);
  });

  it('kmem -s, kmem ADDRESS on 7.x (no CPU slabs; freed objects wait in per-CPU sheaves): task_struct counts every task', async () => {
    const table = allTasks(dump.k);
    const row = /^([0-9a-f]{16}) +(\d+) +(\d+) +(\d+) +(\d+) +\d+k  task_struct$/m.exec(
      await run(kmemCommand, ['-s', 'task_struct']),
    );
    expect(row).not.toBeNull();
    const [allocated, total, slabs] = [Number(row![3]), Number(row![4]), Number(row![5])];
    // every task but init_task (a static variable) is a task_struct object, whether or not its page survived
    const tasks = table.tasks.filter((t) => t.address !== dump.k.sym('init_task')).length + table.unreadable.length;
    expect(allocated).toBeGreaterThanOrEqual(tasks);
    expect(allocated).toBeLessThanOrEqual(total);
    expect(slabs).toBeGreaterThan(0);
    const t = table.tasks.find(
      (x) => x.pid === c!.workload.find((w) => table.tasks.some((y) => y.pid === w.pid))!.pid,
    )!;
    const out = await run(kmemCommand, [t.address.toString(16)]);
    expect(out).toContain(`\n  [${t.address.toString(16)}]\n`);
    expect(out).toMatch(new RegExp(`^\\s+PID: ${t.pid}$`, 'm'));
  });

  it("per-CPU variables are image addresses in 7.x: p VAR:a and struct NAME VAR:a read each CPU's copy", async () => {
    const cpus = [...Array(c!.ncpus).keys()];
    expect(await run(pCommand, ['cpu_number:a'])).toBe(
      cpus.map((n) => `per_cpu(cpu_number, ${n}) = $${n + 1} = ${n}\n`).join(''),
    );
    const rq = await run(structCommand, ['rq.cpu', 'runqueues:a']);
    expect([...rq.matchAll(/^ {2}cpu = (\d+),?$/gm)].map((m) => Number(m[1]))).toEqual(cpus);
    expect(await run(pCommand, ['cpu_number'])).toMatch(
      /^PER-CPU DATA TYPE:\n {2}int cpu_number;\nPER-CPU ADDRESSES:\n/,
    );
  });

  it('vtop -u -c, kmem -p: struct page (its index is __folio_index since 6.16) of the workload text at 401000', async () => {
    const table = allTasks(dump.k);
    const readable = c!.workload.find((w) => table.tasks.some((t) => t.pid === w.pid && !t.kernelThread))!;
    // /bin/ct-workload is static: its text segment is mapped at 401000 from file page 1
    // the task's mm_struct or page tables may be on a page this run's dump lost (k7 dumps lose pages: the
    // README): then the command's one-line error names the excluded page, as the session prints it
    const out = await run(vtopCommand, ['-u', '-c', String(readable.pid), '401000']).catch((e: Error) => e.message);
    const row = /^ +PAGE +PHYSICAL +MAPPING +INDEX CNT FLAGS\n[0-9a-f]{16} +[0-9a-f]+ +[0-9a-f]+ +(\d+) /m.exec(out);
    if (row) expect(row[1]).toBe('1');
    else expect(out, out).toMatch(/unreadable|excluded|not mapped/);
    expect(await run(kmemCommand, ['-p', '1000'])).toMatch(
      /^ +PAGE +PHYSICAL +MAPPING +INDEX CNT FLAGS\n[0-9a-f]{16} +1000 /,
    );
    // a workload task whose task_struct the dump lost is named as lost, not as an invalid pid
    const lost = table.unreadable.find((u) => u.pid !== undefined && c!.workload.some((w) => w.pid === u.pid));
    if (lost)
      await expect(run(vtopCommand, ['-u', '-c', String(lost.pid), '401000'])).rejects.toThrow(
        new RegExp(`^PID ${lost.pid}: task ${lost.address.toString(16)} cannot be read: `),
      );
  });
});
