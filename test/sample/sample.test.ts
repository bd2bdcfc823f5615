/**
 * The bundled sample (sample-dumps/, made by sample-dumps/make-sample.sh): the files are there and
 * consistent with sample.json, and crash-ts reads from the dump exactly what the guest itself
 * reported before it crashed (release, banner, KASLR offset, workload pids/comms/states, marker, panic).
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import btCommand from '../../commands/bt.js';
import logCommand from '../../commands/log.js';
import psCommand from '../../commands/ps.js';
import sysCommand from '../../commands/sys.js';
import { openForSuite, PROC_TO_CRASH } from '../helpers/suite-dump.js';

const DIR = join(import.meta.dirname, '..', '..', 'sample-dumps');

interface Task {
  pid: number;
  ppid: number;
  comm: string;
  state_in_proc_before_crash: string;
  expected_state?: string;
  nthreads?: number;
}
interface Sample {
  kernel_release: string;
  linux_banner: string;
  ncpus: number;
  kaslr_offset_runtime: string;
  runtime_symbols: Record<string, string>;
  files: { vmlinux: string; vmcore: string; dmesg: string };
  panic: { message: string; cpu: number; pid: number; comm: string };
  workload: Task[];
  workload_threads: { tgid: number; pid: number; comm: string; state_in_proc_before_crash: string }[];
  markers: string[];
  pre_crash_snapshot: { ps: Task[] };
  dumps: { file: string; format: string; size: number; sha256: string }[];
  vmlinux: { file: string; size: number; sha256: string };
}

const sample = JSON.parse(readFileSync(join(DIR, 'sample.json'), 'utf8')) as Sample;
const vmlinuxPath = join(DIR, sample.files.vmlinux);
const vmcorePath = join(DIR, sample.files.vmcore);

function head(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(n);
    return b.subarray(0, readSync(fd, b, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

function sha256(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
}

describe('bundled sample: files and sample.json', () => {
  it('holds the vmlinux, the vmcore and the logs sample.json names, within the 40 MB budget', () => {
    for (const f of [sample.files.vmlinux, sample.files.vmcore, sample.files.dmesg, 'serial-first-kernel.log']) {
      expect(existsSync(join(DIR, f)), f).toBe(true);
    }
    const total = readdirSync(DIR).reduce((s, f) => s + statSync(join(DIR, f)).size, 0);
    expect(total).toBeLessThanOrEqual(40 * 1024 * 1024);
  });

  it('vmcore is the kdump-compressed file sample.json describes (signature, size, sha256)', async () => {
    const d = sample.dumps.find((x) => x.file === sample.files.vmcore)!;
    expect(d.format).toBe('kdump-zlib');
    expect(head(vmcorePath, 8).toString('latin1')).toBe('KDUMP   ');
    expect(statSync(vmcorePath).size).toBe(d.size);
    expect(await sha256(vmcorePath)).toBe(d.sha256);
  });

  it('vmlinux is a gzip file of the release sample.json names (size, sha256)', async () => {
    expect(sample.files.vmlinux).toBe(`vmlinux-${sample.kernel_release}.gz`);
    expect([...head(vmlinuxPath, 2)]).toEqual([0x1f, 0x8b]);
    expect(statSync(vmlinuxPath).size).toBe(sample.vmlinux.size);
    expect(await sha256(vmlinuxPath)).toBe(sample.vmlinux.sha256);
  });

  it('sample.json agrees with itself and with the consoles', () => {
    expect(sample.linux_banner.startsWith(`Linux version ${sample.kernel_release} `)).toBe(true);
    expect(sample.ncpus).toBe(2);
    // the KASLR offset is _text at run time minus the link-time default (0xffffffff81000000)
    expect(BigInt('0x' + sample.runtime_symbols._text!) - 0xffffffff81000000n).toBe(
      BigInt(sample.kaslr_offset_runtime),
    );
    // every workload process was in the state it was set up for, and is in the full /proc snapshot
    const snap = new Map(sample.pre_crash_snapshot.ps.map((t) => [t.pid, t]));
    expect(sample.workload.length).toBe(12);
    for (const w of sample.workload) {
      expect({ comm: w.comm, state: w.state_in_proc_before_crash }).toEqual({ comm: w.comm, state: w.expected_state });
      expect(snap.get(w.pid)?.comm).toBe(w.comm);
    }
    expect(sample.workload_threads.map((t) => t.comm)).toEqual(['ct-worker-1', 'ct-worker-2', 'ct-worker-3']);
    expect(sample.panic).toMatchObject({
      message: 'Kernel panic - not syncing: sysrq triggered crash',
      comm: 'ct-crash',
    });
    const first = readFileSync(join(DIR, 'serial-first-kernel.log'), 'latin1');
    expect(first).toContain(sample.linux_banner);
    expect(first).toContain(`CPU: ${sample.panic.cpu} PID: ${sample.panic.pid} Comm: ct-crash`);
    // makedumpfile --dump-dmesg (capture kernel) saw the marker and the panic in the crashed kernel's log
    const dmesg = readFileSync(join(DIR, sample.files.dmesg), 'latin1');
    expect(sample.markers.length).toBe(1);
    for (const m of sample.markers) expect(dmesg).toContain(m);
    expect(dmesg).toContain(sample.panic.message);
  });
});

describe('bundled sample: crash-ts reads what the guest saw', () => {
  const dump = openForSuite(() => [vmlinuxPath, vmcorePath]);
  const run = dump.run;

  it('VMCOREINFO, KASLR offset and linux_banner match the running kernel', () => {
    expect(dump.k.vmcoreinfo.get('OSRELEASE')).toBe(sample.kernel_release);
    expect(dump.k.kaslrOffset).toBe(BigInt(sample.kaslr_offset_runtime));
    const banner = dump.k.symbols.address('linux_banner');
    expect(banner).toBe(BigInt('0x' + sample.runtime_symbols.linux_banner));
    const text = dump.k.mem.read(banner, sample.linux_banner.length + 1).toString('latin1');
    expect(text).toBe(sample.linux_banner + '\n');
    expect(dump.k.dump.cpus.length).toBe(sample.ncpus);
    expect(dump.k.dump.cpus[sample.panic.cpu]!.pid).toBe(sample.panic.pid);
  });

  it('sys names the release, the CPUs and the panic', async () => {
    const out = await run(sysCommand);
    expect(out).toMatch(new RegExp(`RELEASE: ${sample.kernel_release.replace(/\./g, '\\.')}\\n`));
    expect(out).toMatch(new RegExp(`CPUS: ${sample.ncpus}\\b`));
    expect(out).toContain(`PANIC: "${sample.panic.message}"`);
    // every thread /proc listed, plus the crashing ct-crash and one idle task (pid 0) per CPU
    const threads = sample.pre_crash_snapshot.ps.reduce((n, t) => n + (t.nthreads ?? 1), 0);
    expect(out).toMatch(new RegExp(`TASKS: ${threads + 1 + sample.ncpus}\\n`));
  });

  it('ps lists every workload process and thread with its pid, ppid, comm and state, and the panic task active', async () => {
    const rows = new Map<number, { active: boolean; ppid: number; st: string; comm: string }>();
    for (const line of (await run(psCommand)).split('\n')) {
      const m = /^([> -])\s*(\d+)\s+(-?\d+)\s+\S+\s+[0-9a-f]{16}\s+([A-Z]{2})\s+[\d.]+\s+\d+\s+\d+\s+(.*)$/.exec(line);
      if (m) rows.set(+m[2]!, { active: m[1] === '>', ppid: +m[3]!, st: m[4]!, comm: m[5]!.trim() });
    }
    for (const w of sample.workload) {
      const r = rows.get(w.pid);
      expect({ pid: w.pid, ppid: r?.ppid, comm: r?.comm, st: r?.st }).toEqual({
        pid: w.pid,
        ppid: w.ppid,
        comm: w.comm,
        st: PROC_TO_CRASH[w.state_in_proc_before_crash],
      });
    }
    for (const t of sample.workload_threads) {
      const r = rows.get(t.pid);
      expect({ pid: t.pid, comm: r?.comm, st: r?.st }).toEqual({
        pid: t.pid,
        comm: t.comm,
        st: PROC_TO_CRASH[t.state_in_proc_before_crash],
      });
    }
    expect(rows.get(sample.panic.pid)).toMatchObject({ active: true, comm: sample.panic.comm });
  });

  it('log holds the marker and the panic line', async () => {
    const out = await run(logCommand);
    for (const m of sample.markers) expect(out).toContain(m);
    expect(out).toContain(sample.panic.message);
  });

  it('bt of the panic task goes through the sysrq crash handler', async () => {
    const out = await run(btCommand, [String(sample.panic.pid)]);
    expect(out).toContain(`PID: ${sample.panic.pid}`);
    expect(out).toContain('COMMAND: "ct-crash"');
    expect(out).toMatch(/sysrq_handle_crash/);
  });
});
