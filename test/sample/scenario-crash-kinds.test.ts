/**
 * Crash kinds the other scenarios never make (made by hand: make-scenario.sh kNN-timer-oops, -warn, -softlockup,
 * -bigmem; scripts/qemu/README.md), each checked against what its guest knew (case.json, the console):
 *   timer-oops  a NULL write in a timer callback: the Oops in the timer softirq, on the IRQ stack, over
 *               whatever task that CPU was running;
 *   warn        a WARN() with panic_on_warn: the panic on the task's stack over the #UD exception frame of the
 *               WARN's ud2;
 *   softlockup  a spin with preemption off and softlockup_panic: the watchdog's hrtimer panics in hard-IRQ
 *               context over the spinning task;
 *   bigmem      sysrq-c on a 5 GiB guest: RAM from 4 GiB up, the PCI hole below it, 9-digit physical addresses.
 * Everything asserted holds for any remake (which CPU, which task the timer interrupted, where pages landed all
 * vary): shapes, and values the guest reported. Each suite skips visibly when its dump is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import {
  CRASH_KIND_SCENARIOS,
  describeWithOptionalDump,
  scenarioVmcore,
  scenariosDir,
  vmlinuxOfRelease,
} from '../helpers/made-dumps.js';
import { replOn } from '../helpers/repl.js';

interface KindCase {
  kernel_release: string;
  memtotal: string;
  panic: {
    message: string;
    cpu: number;
    pid: number;
    comm: string;
    call_trace: string[];
    warning_line?: string;
    lockup_line?: string;
  };
  runtime_symbols: Record<string, string>;
  iomem_ram?: { start: string; end: string }[];
  zones?: { node: number; name: string; start_pfn: number; spanned: number; present: number; managed: number }[];
}

/** A bt's lines split into frames: name, slot, and the exception block (RIP, RSP) printed before the frame. */
interface Frame {
  name: string;
  slot: bigint;
  exception?: { rip: bigint; rsp: bigint; name: string };
}
function frames(bt: string): Frame[] {
  const out: Frame[] = [];
  let pending: Frame['exception'];
  let exName = '';
  for (const l of bt.split('\n')) {
    const x = /^ {4}\[exception RIP: (\S+?)(\+\d+)?\]$/.exec(l);
    if (x) exName = x[1]!;
    const r = /^ {4}RIP: ([0-9a-f]{16}) {2}RSP: ([0-9a-f]{16})/.exec(l);
    if (r && exName) pending = { rip: BigInt('0x' + r[1]), rsp: BigInt('0x' + r[2]), name: exName };
    const f = /^ *#\d+ \[([0-9a-f]{16})\] (\S+) at /.exec(l);
    if (f) {
      out.push({ name: f[2]!, slot: BigInt('0x' + f[1]), exception: pending });
      pending = undefined;
      exName = '';
    }
  }
  return out;
}

/** The console trace's reliable frames of one part (<IRQ> ... </IRQ>, or <TASK> ... </TASK>). */
function consolePart(trace: string[], part: 'IRQ' | 'TASK'): string[] {
  const a = trace.indexOf(`<${part}>`);
  const b = trace.indexOf(`</${part}>`);
  if (a < 0 || b < a) return [];
  // panic() printed the trace from dump_stack(), which had returned by the time of the crash
  return trace.slice(a + 1, b).filter((f) => !f.startsWith('?') && !/^dump_stack(_lvl)?$/.test(f));
}

/** `want` appears in `have` in order (other frames may lie between: the console leaves out some). */
function expectInOrder(have: string[], want: string[]): void {
  let at = 0;
  for (const f of want) {
    const i = have.indexOf(f, at);
    expect(i, `${f} after #${at} in ${have.join(' ')}`).toBeGreaterThanOrEqual(0);
    at = i + 1;
  }
}

const kindOf = (name: string): string => name.replace(/^k\d+-/, '');

for (const name of CRASH_KIND_SCENARIOS) {
  const dir = join(scenariosDir, name);
  const dump = scenarioVmcore(dir);
  const facts = existsSync(join(dir, 'case.json'))
    ? (JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as KindCase)
    : undefined;
  const missing =
    dump && facts ? undefined : `no ${dir} (scripts/qemu/make-scenario.sh ${name} ${dir}, as root, ~1 min)`;
  const kind = kindOf(name);
  describeWithOptionalDump(`${name}: a crash of kind ${kind} against its guest's facts`, missing, () => {
    let k: Kernel | undefined;
    let run: (line: string) => Promise<string>;
    beforeAll(async () => {
      const v = await vmlinuxOfRelease(facts!.kernel_release);
      if (!v) throw new Error(`no vmlinux of ${facts!.kernel_release} in the cache (make-scenario.sh fetches it)`);
      k = openKernelSync(v, dump!);
      run = await replOn(k);
    }, 300_000);
    afterAll(() => k?.dump.close());

    it('sys names the panic as the console printed it; the panic task is the one the console named', async () => {
      const sys = await run('sys');
      const m = facts!.panic.message;
      // an oops (panic_on_oops: crash_kexec from oops_end) is named by its Oops line, as crash does
      expect(sys).toContain(m.startsWith('Oops: ') ? `PANIC: "${m}" (check log for details)` : `PANIC: "${m}"`);
      const bt = await run('bt');
      expect(bt).toMatch(
        new RegExp(
          `^PID: ${facts!.panic.pid} +TASK: [0-9a-f]{16}  CPU: ${facts!.panic.cpu} +COMMAND: "${facts!.panic.comm}"$`,
          'm',
        ),
      );
    });

    if (kind === 'timer-oops' || kind === 'softlockup')
      it('bt crosses the IRQ stack: the console\'s <IRQ> frames, "--- <IRQ stack> ---", then the interrupted task\'s', async () => {
        const bt = await run('bt');
        const [irq, task] = bt.split('\n--- <IRQ stack> ---\n');
        expect(task, bt).toBeDefined();
        const names = (s: string): string[] => frames(s).map((f) => f.name);
        expectInOrder(names(irq!), consolePart(facts!.panic.call_trace, 'IRQ'));
        expectInOrder(names(task!), consolePart(facts!.panic.call_trace, 'TASK'));
        // the IRQ stack's frames lie within one 16 KiB stack, the task's in another
        const a = frames(irq!);
        const b = frames(task!);
        expect(a[a.length - 1]!.slot - a[0]!.slot).toBeLessThan(0x4000n);
        expect(b[0]!.slot >> 14n).not.toBe(a[0]!.slot >> 14n);
        // the interrupt entry's frame carries the interrupted registers (a kernel-mode exception frame)
        expect(b[0]!.name).toMatch(/^asm_sysvec_apic_timer_interrupt$/);
        expect(b[1]!.exception, task).toBeDefined();
        if (kind === 'softlockup') expect(b[1]!.exception!.name).toBe('ct_oops_spin');
        else expect(a.some((f) => f.exception?.name === 'ct_oops_write_null')).toBe(true);
      });

    if (kind === 'timer-oops')
      it('the Oops came from the timer: ct_oops_timer_fn under call_timer_fn in the softirq', async () => {
        const names = frames(await run('bt')).map((f) => f.name);
        expectInOrder(names, ['ct_oops_timer_fn', 'call_timer_fn', '__run_timers', 'run_timer_softirq']);
        expect(await run('log')).toMatch(/BUG: kernel NULL pointer dereference, address: 0000000000000000/);
      });

    if (kind === 'timer-oops' || kind === 'softlockup')
      it("bt -t: the IRQ stack's text words, the switch with the entry frame and its registers, then the task's; a function pointer on the stack named by itself", async () => {
        const out = await run('bt -t');
        const lines = out.split('\n');
        const at = lines.indexOf('--- <IRQ stack> ---');
        expect(at, out).toBeGreaterThan(1);
        expect(lines[at + 1]).toMatch(/^ {2}\[[0-9a-f]{16}\] asm_sysvec_apic_timer_interrupt at [0-9a-f]{16}$/);
        expect(lines[at + 2]).toMatch(/^ {4}\[exception RIP: /);
        // module code is named with its module, as bt's frames
        expect(out).toMatch(/^ {2}\[[0-9a-f]{16}\] ct_oops_\w+ at [0-9a-f]{16} \[ct_oops\]$/m);
        // the callback the timer or the watchdog's hrtimer was called through: a pointer to the function's
        // first byte (no call before it), so its own name, not "previous function+size"
        const fn = kind === 'timer-oops' ? 'ct_oops_timer_fn' : 'watchdog_timer_fn';
        const addr = /^([0-9a-f]{16}) /m.exec(await run(`sym ${fn}`))![1]!;
        expect(out).toContain(`] ${fn} at ${addr}`);
        const words = lines.filter((l) => /^ {2}\[/.test(l));
        expect(words.some((l) => l.includes(` at ${addr}`) && !l.includes(`] ${fn} at`))).toBe(false);
      });

    if (kind === 'warn')
      it('log holds the WARNING line; bt unwinds the panic over the #UD frame into the WARN()ing function', async () => {
        expect(await run('log')).toContain(facts!.panic.warning_line!);
        const bt = await run('bt');
        const fs = frames(bt);
        expectInOrder(
          fs.map((f) => f.name),
          consolePart(facts!.panic.call_trace, 'TASK'),
        );
        const i = fs.findIndex((f) => f.exception !== undefined);
        expect(fs[i - 1]?.name).toBe('asm_exc_invalid_op');
        expect(fs[i]!.exception!.name).toBe('ct_oops_warn');
        const warnAt = BigInt('0x' + facts!.runtime_symbols.ct_oops_warn);
        expect(fs[i]!.exception!.rip - warnAt).toBeGreaterThan(0n);
        expect(fs[i]!.exception!.rip - warnAt).toBeLessThan(0x40n);
        // crash 9 prints one frame more here, "ct_oops_warn" at the word below the exception's RSP: the return
        // address __warn_printk left in the 16-byte alignment hole of the #UD frame, a stale word. Every frame
        // after an exception lies at or above the interrupted RSP.
        for (const [j, f] of fs.entries())
          if (f.exception)
            for (const g of fs.slice(j)) expect(g.slot, `${g.name}`).toBeGreaterThanOrEqual(f.exception.rsp);
        expect(fs[i]!.name).toBe('ct_oops_warn_write');
      });

    if (kind === 'softlockup')
      it('log holds the soft-lockup report; bt -a shows the other CPU stopped by the crash NMI', async () => {
        expect(await run('log')).toContain(facts!.panic.lockup_line!.replace(/^watchdog: /, ''));
        const all = await run('bt -a');
        const other = all.split('\n\n').find((b) => !b.startsWith(`PID: ${facts!.panic.pid} `));
        expect(other, all).toBeDefined();
        expect(other).toMatch(/crash_nmi_callback/);
      });

    if (kind !== 'bigmem')
      it("bt -f: the words of a frame that holds an exception frame come under its registers (pt_regs' RIP and RSP among them)", async () => {
        const lines = (await run('bt -f')).split('\n');
        let checked = 0;
        for (let i = 0; i < lines.length; i++) {
          const f = /^ *#\d+ \[([0-9a-f]{16})\] /.exec(lines[i]!);
          if (!f || !/^ {4}\[exception RIP/.test(lines[i + 1] ?? '')) continue;
          const slot = BigInt('0x' + f[1]);
          const regs = /RIP: ([0-9a-f]{16}) {2}RSP: ([0-9a-f]{16})/.exec(lines[i + 2]!)!;
          let j = i + 2;
          while (/^ {4}(R|ORIG_RAX|CS)/.test(lines[j]!) && !/^ {4}[0-9a-f]{16}:/.test(lines[j]!)) j++;
          const words: string[] = [];
          const first = /^ {4}([0-9a-f]{16}):/.exec(lines[j]!);
          expect(first, lines.slice(i, j + 2).join('\n')).not.toBeNull();
          expect(BigInt('0x' + first![1])).toBe(slot + 8n);
          while (/^ {4}[0-9a-f]{16}: /.test(lines[j]!)) words.push(...lines[j++]!.trim().split(/ +/).slice(1));
          expect(words).toContain(regs[1]);
          expect(words).toContain(regs[2]);
          checked++;
        }
        expect(checked).toBeGreaterThan(0);
      });

    if (kind === 'bigmem') {
      const GiB4 = 0x100000000n;
      it('kmem -i TOTAL MEM is the managed pages of the zones /proc/zoneinfo listed (MemTotal)', async () => {
        const managed = facts!.zones!.reduce((a, z) => a + z.managed, 0);
        expect(managed * 4).toBe(parseInt(facts!.memtotal, 10));
        expect(await run('kmem -i')).toMatch(new RegExp(`^ +TOTAL MEM +${managed} `, 'm'));
      });

      it("kmem -z: each zone's start, size and present pages as /proc/zoneinfo gave them", async () => {
        const out = await run('kmem -z');
        for (const z of facts!.zones!) {
          const block = out.split('\n\n').find((b) => b.includes(`NAME: "${z.name}"`));
          expect(block, z.name).toBeDefined();
          expect(block).toMatch(new RegExp(`SIZE: ${z.spanned}  (PRESENT: ${z.present}  )?MIN`));
          if (z.present !== z.spanned) expect(block).toContain(`PRESENT: ${z.present} `);
        }
        expect(facts!.zones!.find((z) => z.name === 'Normal')!.start_pfn * 4096).toBeGreaterThanOrEqual(Number(GiB4));
      });

      it('kmem -n: a memory block for every 128 MiB of RAM /proc/iomem listed, none in the PCI hole below 4 GiB', async () => {
        const ram = facts!.iomem_ram!.map((r) => [BigInt(r.start), BigInt(r.end)] as const);
        const out = await run('kmem -n');
        const blocks = [...out.matchAll(/^ [0-9a-f]{16} +memory(\d+) +([0-9a-f]+) - +([0-9a-f]+) /gm)].map((m) => ({
          n: Number(m[1]),
          start: BigInt('0x' + m[2]),
          end: BigInt('0x' + m[3]),
        }));
        const size = blocks[0]!.end + 1n - blocks[0]!.start;
        const want = new Set<number>();
        for (const [s, e] of ram) for (let b = s / size; b <= e / size; b++) want.add(Number(b));
        expect(blocks.map((b) => b.n).sort((a, b) => a - b)).toEqual([...want].sort((a, b) => a - b));
        expect(blocks.some((b) => b.start >= GiB4)).toBe(true);
        for (const b of blocks) expect(b.start).toBe(BigInt(b.n) * size);
        // crash's width for physical addresses: the digits of the memory size, 9 above 4 GiB
        expect(out).toMatch(/^ {3}MEM_BLOCK {8}NAME {9}PHYSICAL RANGE {6}NODE/m);
        for (const n of [0, 47]) {
          const row = new RegExp(`^ [0-9a-f]{16} +memory${n} .*$`, 'm').exec(out)![0];
          expect(/ - ( *[0-9a-f]+) {2}\d/.exec(row)![1], row).toHaveLength(9);
        }
      });

      it("dev -i: the System RAM ranges of iomem_resource are /proc/iomem's, the one above 4 GiB included", async () => {
        const out = await run('dev -i');
        const ram = [...out.matchAll(/^ *[0-9a-f]+ {2}([0-9a-f]+)-([0-9a-f]+) {2}System RAM$/gm)].map((m) => ({
          start: '0x' + m[1],
          end: '0x' + m[2],
        }));
        expect(ram.map((r) => [BigInt(r.start), BigInt(r.end)])).toEqual(
          facts!.iomem_ram!.map((r) => [BigInt(r.start), BigInt(r.end)]),
        );
        expect(out).toMatch(/^ *[0-9a-f]+ {2}[0-9a-f]+-[0-9a-f]+ {2}Crash kernel$/m);
      });

      it('vm -p: physical addresses right-aligned in 9 columns (the width of memory above 4 GiB)', async () => {
        // the page rows: a virtual and a physical address (VMA rows have four or five columns)
        const rows = (await run('vm -p 1'))
          .split('\n')
          .filter((l) => /^[0-9a-f]+ +[0-9a-f]+$/.test(l) && l.trim().split(/ +/).length === 2);
        expect(rows.length).toBeGreaterThan(0);
        for (const r of rows) {
          expect(r.slice(-11, -9), r).toBe('  ');
          expect(r.slice(-9), r).toMatch(/^ *[0-9a-f]+$/);
        }
      });

      it('a task_struct above 4 GiB: vtop finds its page, rd -p reads the same bytes, kmem -p shows the page', async () => {
        const ps = await run('ps');
        const tasks = [...ps.matchAll(/^[> ] +\d+ +\d+ +\d+ +([0-9a-f]{16}) /gm)].map((m) => m[1]!);
        let high: { task: string; phys: bigint } | undefined;
        for (const t of tasks) {
          const m = /^[0-9a-f]{16} +([0-9a-f]+)/m.exec((await run(`vtop ${t}`)).split('\n')[1]!);
          const phys = m ? BigInt('0x' + m[1]) : 0n;
          if (phys >= GiB4) {
            high = { task: t, phys };
            break;
          }
        }
        expect(
          high,
          'no task_struct above 4 GiB (the Normal zone is 4-6 GiB: slab pages come from it first)',
        ).toBeDefined();
        const virt = (await run(`rd ${high!.task} 2`)).split(':')[1]!.trim();
        const phys = (await run(`rd -p ${high!.phys.toString(16)} 2`)).split(':')[1]!.trim();
        expect(phys).toBe(virt);
        const page = (await run(`kmem -p ${high!.phys.toString(16)}`)).split('\n');
        expect(page[0]).toBe('      PAGE        PHYSICAL      MAPPING       INDEX CNT FLAGS');
        expect(page[1]).toMatch(new RegExp(`^[0-9a-f]{16} ${(high!.phys & ~0xfffn).toString(16)} `));
      });
    }
  });
}
