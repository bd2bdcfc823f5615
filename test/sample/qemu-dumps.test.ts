/**
 * QEMU's own dump formats (QMP dump-guest-memory), made by scripts/qemu/make-qemu-dumps.sh from the
 * same 6.1 kernel as the bundled sample.
 *
 * 1. Always: test/fixtures/qemu/*.head — the first bytes (headers and notes, no memory) of real QEMU
 *    dumps, with the facts the guest reported (qemu-facts*.json). They pin down what QEMU 7.2 writes.
 * 2. When the full dumps exist (134 MB ELF + 18 MB kdump each, too big to commit) in
 *    $CRASH_TS_QEMU_DUMPS or ~/.cache/crash-ts-corpus/qemu — make them with
 *    `scripts/qemu/make-qemu-dumps.sh ~/.cache/crash-ts-corpus/qemu` (about 1-2 minutes) — crash-ts
 *    opens all four and finds the kernel in them, with and without VMCOREINFO.
 * 3. When qemu-kdump-zlib-la57.vmcore is there too (same script, a third boot with `-cpu qemu64,+la57`):
 *    a guest running with 5-level paging, whose kernel pointers (ff1..., ff3...) lie below the 4-level
 *    kernel half; crash-ts must walk five levels and still find every task.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import btCommand from '../../commands/bt.js';
import irqCommand from '../../commands/irq.js';
import psCommand from '../../commands/ps.js';
import rdCommand from '../../commands/rd.js';
import runqCommand from '../../commands/runq.js';
import sysCommand from '../../commands/sys.js';
import timerCommand from '../../commands/timer.js';
import { allTasks } from '../../src/kernel/objects/tasks.js';
import { openDump } from '../../src/dump/open.js';
import type { DumpFile, Note } from '../../src/dump/types.js';
import { parseNotes } from '../../src/elf/notes.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { describeWithDumps, qemuDumpsDir } from '../helpers/made-dumps.js';
import { openForSuite, PROC_TO_CRASH } from '../helpers/suite-dump.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'qemu');
const VMLINUX = join(import.meta.dirname, '..', '..', 'sample-dumps', 'vmlinux-6.1.0-56-cloud-amd64.gz');
const RELEASE = '6.1.0-56-cloud-amd64';

interface Facts {
  kernel_release: string;
  linux_banner: string;
  ncpus: number;
  kaslr_offset_runtime: string;
  phys_base: string;
  vmcoreinfo_device: boolean;
  workload: { pid: number; ppid: number; comm: string; state_in_proc_before_crash: string }[];
  dumps: { file: string; format: string; size: number }[];
}
const VARIANTS = [
  { sfx: '', vmcoreinfo: true },
  { sfx: '-novmcoreinfo', vmcoreinfo: false },
];
const signed = (s: string): bigint => (s.startsWith('-') ? -BigInt(s.slice(1)) : BigInt(s));

/** The ELF header's PT_NOTE segment of a (possibly cut) ELF64 little-endian core. */
function elfNotes(buf: Buffer): Note[] {
  const phoff = Number(buf.readBigUInt64LE(32));
  const phnum = buf.readUInt16LE(56);
  for (let i = 0; i < phnum; i++) {
    const ph = phoff + 56 * i;
    if (buf.readUInt32LE(ph) !== 4) continue; // PT_NOTE
    const off = Number(buf.readBigUInt64LE(ph + 8));
    const size = Number(buf.readBigUInt64LE(ph + 32));
    return parseNotes(buf.subarray(off, off + size)).notes;
  }
  return [];
}

/** Records of makedumpfile's flattened format: 4 KiB header, then (offset, size) big-endian + data. */
function flatRecords(buf: Buffer): { offset: number; data: Buffer }[] {
  const out = [];
  for (let p = 4096; p + 16 <= buf.length; ) {
    const offset = Number(buf.readBigInt64BE(p));
    const size = Number(buf.readBigInt64BE(p + 8));
    out.push({ offset, data: buf.subarray(p + 16, p + 16 + size) });
    p += 16 + size;
  }
  return out;
}

for (const { sfx, vmcoreinfo } of VARIANTS) {
  const facts = JSON.parse(readFileSync(join(FIX, `qemu-facts${sfx}.json`), 'utf8')) as Facts;

  describe(`QEMU ELF dump header${sfx} (fixture)`, () => {
    const buf = readFileSync(join(FIX, `qemu-elf${sfx}.head`));
    it('is an x86_64 ELF64 core whose notes are CORE/NT_PRSTATUS and QEMU per CPU, then VMCOREINFO if the device was there', () => {
      expect(buf.subarray(0, 5)).toEqual(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2]));
      expect(buf.readUInt16LE(16)).toBe(4); // ET_CORE
      expect(buf.readUInt16LE(18)).toBe(62); // EM_X86_64
      const notes = elfNotes(buf);
      const names = notes.map((n) => `${n.name}/${n.type}`);
      expect(names).toEqual([
        ...Array(facts.ncpus).fill('CORE/1'),
        ...Array(facts.ncpus).fill('QEMU/0'),
        ...(vmcoreinfo ? ['VMCOREINFO/0'] : []),
      ]);
      // QEMUCPUState: version 1, its own size (440 bytes in QEMU 7.2)
      for (const n of notes.filter((x) => x.name === 'QEMU')) {
        expect([n.desc.readUInt32LE(0), n.desc.readUInt32LE(4)]).toEqual([1, n.desc.length]);
      }
      // QEMU's NT_PRSTATUS pr_pid (offset 32) is the CPU number + 1, not a task's pid
      expect(notes.filter((x) => x.name === 'CORE').map((n) => n.desc.readUInt32LE(32))).toEqual([1, 2]);
      const vi = notes.find((n) => n.name === 'VMCOREINFO')?.desc.toString('latin1');
      if (vmcoreinfo) {
        expect(vi).toContain(`OSRELEASE=${RELEASE}\n`);
        expect(BigInt('0x' + /KERNELOFFSET=([0-9a-f]+)/.exec(vi!)![1])).toBe(BigInt(facts.kaslr_offset_runtime));
        // the kernel prints NUMBER(phys_base) in signed decimal; here it is negative
        expect(BigInt(/NUMBER\(phys_base\)=(-?\d+)/.exec(vi!)![1]!)).toBe(signed(facts.phys_base));
      } else {
        expect(vi).toBeUndefined();
      }
    });
  });

  describe(`QEMU kdump-zlib header${sfx} (fixture)`, () => {
    const buf = readFileSync(join(FIX, `qemu-kdump-zlib${sfx}.head`));
    it('is a flattened stream whose kdump header has no release and whose sub-header phys_base is not the real one', () => {
      expect(buf.toString('latin1', 0, 12)).toBe('makedumpfile');
      const recs = flatRecords(buf);
      const [hdr, sub, notes] = recs;
      expect(hdr!.offset).toBe(0);
      expect(hdr!.data.toString('latin1', 0, 8)).toBe('KDUMP   ');
      expect(hdr!.data.readInt32LE(8)).toBe(6); // header_version
      // struct new_utsname at 12: six 65-byte fields; QEMU fills only machine (the 5th)
      const uts = [0, 1, 2, 3, 4, 5].map((i) =>
        hdr!.data.toString('latin1', 12 + 65 * i, 12 + 65 * (i + 1)).replace(/\0.*$/s, ''),
      );
      expect(uts).toEqual(['', '', '', '', 'x86_64', '']);
      expect(hdr!.data.readInt32LE(424)).toBe(1); // status: DUMP_DH_COMPRESSED_ZLIB
      expect(hdr!.data.readInt32LE(428)).toBe(4096); // block_size
      expect(hdr!.data.readInt32LE(460)).toBe(facts.ncpus); // nr_cpus
      // kdump_sub_header at block 1: phys_base, dump_level, split, start/end pfn, vmcoreinfo and note areas
      expect(sub!.offset).toBe(4096);
      const physBase = sub!.data.readBigUInt64LE(0);
      const viOff = Number(sub!.data.readBigUInt64LE(32));
      const viSize = Number(sub!.data.readBigUInt64LE(40));
      const noteOff = Number(sub!.data.readBigUInt64LE(48));
      const noteSize = Number(sub!.data.readBigUInt64LE(56));
      expect(sub!.data.readInt32LE(8)).toBe(1); // dump_level
      expect(notes!.offset).toBe(noteOff);
      expect(notes!.data.length).toBe(noteSize);
      const real = BigInt.asUintN(64, signed(facts.phys_base));
      if (vmcoreinfo) {
        // QEMU 7.2 reads the decimal NUMBER(phys_base) as hexadecimal: -452984832 becomes -0x452984832
        const dec = /NUMBER\(phys_base\)=-(\d+)/.exec(notes!.data.toString('latin1'))![1]!;
        expect(physBase).toBe(BigInt.asUintN(64, -BigInt('0x' + dec)));
        expect(physBase).not.toBe(real);
        // the VMCOREINFO area is the VMCOREINFO note's descriptor, inside the note area
        const vi = notes!.data.toString('latin1', viOff - noteOff, viOff - noteOff + viSize);
        expect(vi.startsWith(`OSRELEASE=${RELEASE}\n`)).toBe(true);
      } else {
        expect([physBase, viOff, viSize]).toEqual([0n, 0, 0]);
      }
      expect(parseNotes(notes!.data).notes.map((n) => n.name)).toEqual(
        elfNotes(readFileSync(join(FIX, `qemu-elf${sfx}.head`))).map((n) => n.name),
      );
    });
  });
}

const FULL = qemuDumpsDir;
const haveFull = VARIANTS.every(
  ({ sfx }) =>
    existsSync(join(FULL, `qemu-elf${sfx}.vmcore`)) && existsSync(join(FULL, `qemu-kdump-zlib${sfx}.vmcore`)),
);

/** Every workload process the guest reported is a ps row with its pid, ppid, state and comm. */
function expectWorkloadRows(
  text: string,
  workload: { pid: number; ppid: number; comm: string; state_in_proc_before_crash: string }[],
): void {
  for (const w of workload) {
    const re = new RegExp(
      `^[> ]\\s*${w.pid}\\s+${w.ppid}\\s+\\S+\\s+[0-9a-f]{16}\\s+${PROC_TO_CRASH[w.state_in_proc_before_crash]}\\s.*\\s${w.comm}$`,
      'm',
    );
    expect(text, `${w.comm} ${w.pid}`).toMatch(re);
  }
}

for (const { sfx, vmcoreinfo } of VARIANTS) {
  const title = `QEMU dump-guest-memory${sfx}, full dumps`;
  describeWithDumps(
    title,
    haveFull ? undefined : `no QEMU dumps in ${FULL}; run scripts/qemu/make-qemu-dumps.sh ${FULL}`,
    () => {
      const facts = haveFull
        ? (JSON.parse(readFileSync(join(FULL, `qemu-facts${sfx}.json`), 'utf8')) as Facts)
        : undefined;
      const files = [`qemu-elf${sfx}.vmcore`, `qemu-kdump-zlib${sfx}.vmcore`];
      const dumps: DumpFile[] = [];
      const kernels: Kernel[] = [];
      beforeAll(() => {
        for (const f of files) {
          dumps.push(openDump(join(FULL, f)));
          kernels.push(openKernelSync(VMLINUX, join(FULL, f)));
        }
      }, 120_000);
      afterAll(() => {
        for (const d of dumps) d.close();
        for (const k of kernels) k.dump.close();
      });

      it('opens both formats (ELF, flattened kdump) with the per-CPU notes and VMCOREINFO only when the device was there', () => {
        for (const [i, d] of dumps.entries()) {
          const f = facts!.dumps.find((x) => x.file === files[i])!;
          expect(statSync(join(FULL, files[i]!)).size).toBe(f.size);
          expect(d.cpus.length).toBe(facts!.ncpus);
          expect(d.notes.filter((n) => n.name === 'QEMU').length).toBe(facts!.ncpus);
          if (vmcoreinfo) expect(d.vmcoreinfo).toMatch(new RegExp(`^OSRELEASE=${RELEASE}$`, 'm'));
          else expect(d.vmcoreinfo).toBeUndefined();
        }
        expect(dumps[1]!.meta.format).toBe('flattened');
      });

      it('finds the kernel: KASLR offset and phys_base as the guest reported them, linux_banner byte for byte', () => {
        for (const k of kernels) {
          expect(k.kaslrOffset).toBe(BigInt(facts!.kaslr_offset_runtime));
          expect(BigInt.asIntN(64, k.physBase)).toBe(signed(facts!.phys_base));
          expect(k.mem.read(k.symbols.address('linux_banner'), facts!.linux_banner.length).toString('latin1')).toBe(
            facts!.linux_banner,
          );
        }
      });

      it('ps lists the workload with pid, ppid, comm and state', async () => {
        for (const k of kernels) {
          const text = renderText((await psCommand.run(new Session(k), parseArgs([], psCommand.options))) as View);
          expectWorkloadRows(text, facts!.workload);
        }
      });

      it('a live dump has no panic: the default context is the task on CPU 0, marked ACTIVE in the banner', async () => {
        for (const k of kernels) {
          const session = new Session(k);
          expect(allTasks(k).panicTask).toBeUndefined();
          expect(session.currentTask()).toBe(allTasks(k).active.get(0));
          const banner = renderText(
            (await sysCommand.run(session, { flags: { banner: true }, positional: [], raw: [] })) as View,
          );
          expect(banner).toContain('       PANIC: ""\n');
          expect(banner).toMatch(/^       STATE: TASK_RUNNING \(ACTIVE\)$/m);
        }
      });
    },
  );
}

const haveLa57 =
  existsSync(join(FULL, 'qemu-kdump-zlib-la57.vmcore')) && existsSync(join(FULL, 'qemu-facts-la57.json'));
const la57Title = 'QEMU dump-guest-memory-la57 (5-level paging), full kdump';

describeWithDumps(
  la57Title,
  haveLa57 ? undefined : `no qemu-kdump-zlib-la57.vmcore in ${FULL}; run scripts/qemu/make-qemu-dumps.sh ${FULL}`,
  () => {
    const facts = haveLa57
      ? (JSON.parse(readFileSync(join(FULL, 'qemu-facts-la57.json'), 'utf8')) as Facts)
      : undefined;
    const dump = openForSuite(() => [VMLINUX, join(FULL, 'qemu-kdump-zlib-la57.vmcore')]);
    const run = dump.run;

    it('the kernel runs with 5-level paging: VMCOREINFO says so and the translator walks five levels', () => {
      expect(facts!.vmcoreinfo_device).toBe(true);
      expect(dump.k.dump.meta.format).toBe('flattened');
      expect(dump.k.vmcoreinfo.number('pgtable_l5_enabled')).toBe(1n);
      expect(dump.k.mem.translator.cfg.fiveLevel).toBe(true);
      // the direct map of a la57 kernel lies below the 4-level kernel half (0xffff800000000000)
      expect(dump.k.mem.translator.cfg.pageOffsetBase >> 56n).toBe(0xffn);
      expect(dump.k.mem.translator.cfg.pageOffsetBase < 0xffff800000000000n).toBe(true);
      expect(dump.k.kaslrOffset).toBe(BigInt(facts!.kaslr_offset_runtime));
      expect(BigInt.asIntN(64, dump.k.physBase)).toBe(signed(facts!.phys_base));
    });

    it('ps lists the workload with pid, ppid, comm and state', async () => {
      const text = await run(psCommand, []);
      expectWorkloadRows(text, facts!.workload);
    });

    it('sys counts more than 50 tasks (the walk once dropped every task of a la57 guest)', async () => {
      const sys = await run(sysCommand, []);
      const tasks = /^\s+TASKS: (\d+)$/m.exec(sys);
      expect(tasks, sys).not.toBeNull();
      expect(Number(tasks![1])).toBeGreaterThan(50);
      expect(sys).toMatch(new RegExp(`^\\s+RELEASE: ${RELEASE}$`, 'm'));
    });

    it('rd -a linux_banner starts with the banner the guest reported', async () => {
      const text = await run(rdCommand, ['-a', 'linux_banner']);
      const joined = text
        .split('\n')
        .map((l) => l.replace(/^[0-9a-f]{16}: {2}/, ''))
        .join('');
      expect(joined.startsWith(facts!.linux_banner)).toBe(true);
    });

    it('bt -a shows the active task of each CPU with a frame: kernel frames, or the user-mode registers', async () => {
      const text = await run(btCommand, ['-a']);
      const sections = text.split(/\n(?=PID: )/);
      const active = allTasks(dump.k).active;
      for (let cpu = 0; cpu < facts!.ncpus; cpu++) {
        const sec = sections.find((s) => new RegExp(`^PID: \\d+\\s+TASK: [0-9a-f]{16}\\s+CPU: ${cpu}\\s`).test(s));
        expect(sec, `CPU ${cpu} in\n${text}`).toBeDefined();
        const [, pid, task] = /^PID: (\d+)\s+TASK: ([0-9a-f]{16})/.exec(sec!)!;
        expect(BigInt('0x' + task)).toBe(active.get(cpu));
        expect(Number(pid)).toBe(allTasks(dump.k).byAddress.get(active.get(cpu)!)!.pid);
        const kernelFrame = /^ #0 \[[0-9a-f]{16}\] \w+ at ffffffff[0-9a-f]{8}$/m.test(sec!);
        const userMode = /^ {4}RIP: 0000[0-9a-f]{12} {2}RSP: 0000[0-9a-f]{12} .*\n(?:.*\n)*? {4}.*CS: 0033/m.test(sec!);
        expect(kernelFrame || userMode, sec).toBe(true);
      }
    });
  },
);

/**
 * A guest that took CPU 1 offline before the workload ran (make-qemu-dumps.sh's fourth boot, ct.offline=1).
 * The offline CPU keeps its runqueue, whose idle and curr are its idle task swapper/1, halted in
 * hlt_play_dead; QEMU still writes a note for that vCPU. crash 9 lists swapper/1 in ps (active, `>`),
 * counts it in TASKS and shows it in bt -a from that note: so must we (we once left it out).
 */
const CPU1OFF = 'qemu-kdump-zlib-cpu1off.vmcore';
const haveCpu1Off = existsSync(join(FULL, CPU1OFF)) && existsSync(join(FULL, 'qemu-facts-cpu1off.json'));
describeWithDumps(
  'QEMU dump-guest-memory-cpu1off (CPU 1 offline), full kdump',
  haveCpu1Off ? undefined : `no ${join(FULL, CPU1OFF)}; run scripts/qemu/make-qemu-dumps.sh ${FULL}`,
  () => {
    const facts = haveCpu1Off
      ? (JSON.parse(readFileSync(join(FULL, 'qemu-facts-cpu1off.json'), 'utf8')) as Facts & {
          cpus_offline: number[];
          cpus_online: string;
        })
      : undefined;
    const dump = openForSuite(() => [VMLINUX, join(FULL, CPU1OFF)]);
    const run = dump.run;

    it('the guest had CPU 1 offline: sys says CPUS: 2 [OFFLINE: 1], QEMU wrote a note per vCPU', async () => {
      expect(facts!.cpus_offline).toEqual([1]);
      expect(facts!.cpus_online).toBe('0');
      expect(dump.k.onlineCpus).toEqual([0]);
      expect(dump.k.presentCpus).toEqual([0, 1]);
      expect(dump.k.dump.cpus.length).toBe(2);
      expect(await run(sysCommand, [])).toMatch(/^ {8}CPUS: 2 \[OFFLINE: 1\]$/m);
    });

    it('ps lists both idle tasks, swapper/1 as the active task of CPU 1; TASKS counts every ps row', async () => {
      const ps = await run(psCommand, []);
      const rows = ps.split('\n').filter((l) => /^[> ]\s*\d+\s+\d+\s+\d+\s+[0-9a-f]{16}\s/.test(l));
      expect(rows.filter((l) => /\[swapper\/\d\]$/.test(l)).map((l) => l.replace(/\s+/g, ' '))).toEqual([
        expect.stringMatching(/^ 0 0 0 [0-9a-f]{16} RU .*\[swapper\/0\]$/),
        expect.stringMatching(/^> 0 0 1 [0-9a-f]{16} RU .*\[swapper\/1\]$/),
      ]);
      const sys = await run(sysCommand, []);
      expect(Number(/^ {7}TASKS: (\d+)$/m.exec(sys)![1])).toBe(rows.length);
      expectWorkloadRows(ps, facts!.workload);
    });

    it('bt -a shows CPU 1: its note registers (halted in hlt_play_dead) as a block, then the idle path', async () => {
      const text = await run(btCommand, ['-a']);
      const sec = text
        .split(/\n\n(?=PID: )/)
        .find((s) => /^PID: 0 +TASK: [0-9a-f]{16} {2}CPU: 1 +COMMAND: "swapper\/1"$/m.test(s));
      expect(sec, text).toBeDefined();
      const r = dump.k.dump.cpus[1]!.regs;
      const lines = sec!.split('\n');
      expect(lines[1]).toMatch(/^ {4}\[exception RIP: hlt_play_dead\+\d+\]$/);
      expect(lines[2]).toContain(
        `RIP: ${r.rip.toString(16).padStart(16, '0')}  RSP: ${r.rsp.toString(16).padStart(16, '0')}`,
      );
      const frames = lines.flatMap((l) => /^ #\d+ \[[0-9a-f]{16}\] (\w+) at /.exec(l)?.[1] ?? []);
      expect(frames).toContain('do_idle');
      expect(frames.at(-1)).toMatch(/^secondary_startup_64/);
    });

    it('runq, runq -t, irq -s and timer show offline CPU 1 as crash 9 does by default (set offline show)', async () => {
      // its runqueue stays allocated with its idle task as curr; its IRQ counts are those it took before going
      // offline; its timer bases stay (empty once migrated): we once left CPU 1 out of runq without a word
      expect(await run(runqCommand, [])).toMatch(
        /^CPU 1 RUNQUEUE: [0-9a-f]{16}\n {2}CURRENT: PID: 0 {6}TASK: [0-9a-f]{16} {2}COMMAND: "swapper\/1"$/m,
      );
      expect(await run(runqCommand, ['-t'])).toMatch(
        /^ CPU 1: \d+\n +\d+ {2}PID: 0 +TASK: [0-9a-f]{16} {2}COMMAND: "swapper\/1"$/m,
      );
      expect((await run(irqCommand, ['-s'])).split('\n')[0]!.trim().split(/\s+/)).toEqual(['CPU0', 'CPU1']);
      const timer = await run(timerCommand, []);
      expect(timer).toMatch(/^TIMER_BASES\[1\]\[BASE_STD\]: [0-9a-f]{16}$/m);
      expect(timer).not.toContain('OFFLINE');
    });

    it('without CPU 1’s note (a kdump saves none for an offline CPU) bt finds the same frames on the stack', async () => {
      const withNote = (await run(btCommand, ['-c', '1'])).split('\n').filter((l) => /^ #\d+ \[/.test(l));
      // a kdump of this machine: notes of the online CPUs only
      const k2 = openKernelSync(VMLINUX, join(FULL, CPU1OFF));
      try {
        Object.defineProperty(k2.dump, 'cpus', { value: k2.dump.cpus.slice(0, 1) });
        const text = renderText(
          (await btCommand.run(new Session(k2), parseArgs(['-c', '1'], btCommand.options))) as View,
        );
        expect(text).not.toContain('exception RIP');
        // the halted function's caller first, as the note's RSP shows: nothing below it is live
        expect(text.split('\n').filter((l) => /^ #\d+ \[/.test(l))).toEqual(withNote);
        expect(withNote[0]).toMatch(/\] native_play_dead at /);
      } finally {
        k2.dump.close();
      }
    });
  },
);
