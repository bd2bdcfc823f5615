/**
 * What a dump that lost a task's pages still tells, made deterministic on the bundled sample (a 6.1 sysrq-c
 * dump) by excluding chosen pages, as makedumpfile 1.7.2 drops them on 6.12/7.x (the made k612-oops, k612-nmi
 * dumps): a task_struct and the pid xarray node that named it, the task_struct of a CPU running in user mode, a
 * process's mm_struct.
 */
import { describe, expect, it } from 'vitest';
import btCommand from '../../commands/bt.js';
import psCommand from '../../commands/ps.js';
import vmCommand from '../../commands/vm.js';
import vtopCommand from '../../commands/vtop.js';
import type { Command } from '../../src/command.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { allTasks, type Task } from '../../src/kernel/objects/tasks.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { sampleKernels } from '../badinput/excluded-page.js';

const sample = sampleKernels();

async function run(k: Kernel, cmd: Command, argv: string[]): Promise<string> {
  return renderText((await cmd.run(new Session(k), parseArgs(argv, cmd.options))) as View);
}

/** every page a task_struct lies on */
function taskPages(k: Kernel, t: Task): bigint[] {
  const out: bigint[] = [];
  const end = t.address + BigInt(k.sizeOf('struct task_struct'));
  for (let a = t.address & ~0xfffn; a < end; a += 4096n) out.push(a);
  return out;
}

/** The xa_node of init_pid_ns's pid table whose slots hold `pid`'s entry (the deepest node on its path). */
function pidLeafNode(k: Kernel, pid: number): bigint {
  const idr = k.variable('init_pid_ns', 'struct pid_namespace').field('idr');
  const index = BigInt(pid) - idr.field('idr_base').value();
  let entry = idr.field('idr_rt').field('xa_head').value();
  let node = 0n;
  // an internal entry (low bits 10, above 4096) is a node
  while ((entry & 3n) === 2n && entry > 4096n) {
    node = entry - 2n;
    const n = k.object('struct xa_node', node);
    const slot = (index >> n.field('shift').value()) & 63n;
    entry = k.readU64(node + BigInt(k.offsetOf('struct xa_node', 'slots')) + slot * 8n);
  }
  expect(node).not.toBe(0n);
  return node;
}

describe('a lost task whose pid entry is lost too: named from its struct pid or its threads', () => {
  it('every task the excluded pages hide is named by its own pid, and its children keep their PPID', async () => {
    const k0 = sample.base();
    const whole = allTasks(k0);
    const byPid = (pid: number): Task => whole.tasks.find((t) => t.pid === pid)!;
    // ct-child-2 (105, the parent of ct-grandchild 109) and ct-threaded (100, the leader of 107, 108, 110), with
    // the xarray node holding their pid entries
    const hidden = [105, 100].flatMap((pid) => taskPages(k0, byPid(pid)));
    const k = sample.without(...hidden, pidLeafNode(k0, 105), pidLeafNode(k0, 100));
    const table = allTasks(k);
    expect(table.missingRoutes.join('\n')).toMatch(/^the pid table \(init_pid_ns\.idr\): \d+ xarray nodes? on pages/m);
    const lost = whole.tasks.filter((t) => !table.byAddress.has(t.address));
    expect(lost.map((t) => t.pid)).toEqual(expect.arrayContaining([100, 105]));
    // each lost task by its own pid (the sample's struct pids and threads are all in place)
    expect(table.unreadable.map((u) => [u.address, u.pid]).sort((a, b) => Number(a[1]) - Number(b[1]))).toEqual(
      lost.map((t) => [t.address, t.pid]),
    );
    // and every readable task with the PPID it has in the whole dump
    for (const t of table.tasks) expect({ pid: t.pid, ppid: t.ppid }).toEqual({ pid: t.pid, ppid: byPid(t.pid).ppid });
    const ps = await run(k, psCommand, []);
    expect(ps).toMatch(/^ +109 +105 +\d+ +[0-9a-f]{16} /m);
    expect(ps).toContain(`pid 105 (task ${byPid(105).address.toString(16)})`);
    expect(ps).toContain(`pid 100 (task ${byPid(100).address.toString(16)})`);
    // ps -p: the lost parent on the chain, by pid, and its own parent from that parent's children list
    const hex = (pid: number): string => byPid(pid).address.toString(16).padStart(16, '0');
    expect((await run(k, psCommand, ['-p', '109'])).split('\n').slice(2)).toEqual([
      `  PID: 99       TASK: ${hex(99)}  CPU: ${byPid(99).cpu}    COMMAND: "ct-parent"`,
      `   PID: 105      TASK: ${hex(105)}  CPU: ?    COMMAND: "?"`,
      `    PID: 109      TASK: ${hex(109)}  CPU: ${byPid(109).cpu}    COMMAND: "ct-grandchild"`,
      '',
      `ps: CPU ? and COMMAND "?": the task_struct of pid 105 (task ${hex(105)}) is not in the dump`,
      '',
    ]);
    // named as lost, not as no such pid
    await expect(run(k, psCommand, ['105'])).rejects.toThrow(
      new RegExp(`^PID 105: task ${byPid(105).address.toString(16)} cannot be read: `),
    );
  });
});

describe('bt of a CPU in user mode whose current task_struct is lost', () => {
  it("unwinds the crash NMI's frames on the task stack the CPU names, as for the readable task", async () => {
    const k0 = sample.base();
    // ct-spinner, in user mode on CPU 1 when the panic CPU's NMI stopped it
    const spinner = allTasks(k0).tasks.find((t) => t.comm === 'ct-spinner')!;
    expect(allTasks(k0).active.get(spinner.cpu)).toBe(spinner.address);
    const whole = (await run(k0, btCommand, [String(spinner.pid)])).split('\n');
    expect(whole[1]).toMatch(/ crash_nmi_callback at /);
    expect(whole.some((l) => / CS: 0033 /.test(l))).toBe(true);
    const k = sample.without(...taskPages(k0, spinner));
    const lines = (await run(k, btCommand, ['-c', String(spinner.cpu)])).split('\n');
    expect(lines[0]).toBe(
      `PID: ${String(spinner.pid).padEnd(8)} TASK: ${spinner.address.toString(16)}  CPU: ${spinner.cpu}    COMMAND: "?"`,
    );
    expect(lines[1]).toMatch(/^ {4}\(the task_struct cannot be read: .*page excluded.*; PID from the pid table; /);
    // frames and the user-mode registers: the same lines as with the task_struct in place
    expect(lines.slice(2)).toEqual(whole.slice(1));
  });
});

describe('a process whose mm_struct is lost: vtop, vm, ps -a name it in one line', () => {
  it('vtop -u -c, vm, vm -m, vm -R, ps -a', async () => {
    const k0 = sample.base();
    const sleeper = allTasks(k0).tasks.find((t) => t.comm === 'ct-sleeper')!;
    const k = sample.without(sleeper.mm + BigInt(k0.offsetOf('struct mm_struct', 'pgd')));
    const what = `the mm_struct ${sleeper.mm.toString(16)} of PID ${sleeper.pid} cannot be read: page excluded: kernel virtual address `;
    const header = `PID: ${String(sleeper.pid).padEnd(8)} TASK: ${sleeper.address.toString(16)}  CPU: ${sleeper.cpu}    COMMAND: "ct-sleeper"`;
    const err = await run(k, vtopCommand, ['-u', '-c', String(sleeper.pid), '401000']).catch((e: Error) => e.message);
    expect(err.split('\n')).toHaveLength(1);
    expect(err.startsWith(what)).toBe(true);
    for (const argv of [[], ['-m'], ['-R', '401000']]) {
      const out = (await run(k, vmCommand, [...argv, String(sleeper.pid)])).trimEnd().split('\n');
      expect(out[0], `vm ${argv.join(' ')}`).toBe(header);
      expect(out.slice(1), `vm ${argv.join(' ')}`).toEqual([expect.stringMatching(`^vm: ${what}`)]);
    }
    const psa = (await run(k, psCommand, ['-a', String(sleeper.pid)])).trimEnd().split('\n');
    expect(psa).toEqual([header, expect.stringMatching(`^ps: ${what}`)]);
    // with the page in place: the walk, the mm line, the arguments
    expect(await run(k0, vtopCommand, ['-u', '-c', String(sleeper.pid), '401000'])).toMatch(/^VIRTUAL +PHYSICAL/);
    // (the sample's user pages are filtered out: ps -a names the user stack address it cannot read)
    expect(await run(k0, psCommand, ['-a', String(sleeper.pid)])).toMatch(
      /^ps: cannot access user stack address: 7f[0-9a-f]+$/m,
    );
  });
});
