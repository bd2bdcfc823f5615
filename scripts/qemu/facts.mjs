#!/usr/bin/env node
// Turns what a guest reported into a JSON ground-truth file (sample.json, qemu fixtures' facts.json).
// usage: node facts.mjs --facts serial1.log [--console first-kernel.log [--console-source TEXT]] --out file.json
//                       [--set key=jsonOrString]... [--dump name=path:format:producer]...
// serial1.log holds the guest's "CT <key> <value>" lines (scripts/qemu/guest-init.sh).
// The console log is the first kernel's serial console: the panic and "CPU: N PID: P Comm: C" lines.
import { readFileSync, writeFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { socketsTruth } from './sockets.mjs';

const args = process.argv.slice(2);
const opt = { set: [], dump: [] };
for (let i = 0; i < args.length; i += 2) {
  const k = args[i].replace(/^--/, '');
  if (k === 'set' || k === 'dump') opt[k].push(args[i + 1]);
  else opt[k] = args[i + 1];
}
if (!opt.facts || !opt.out) {
  console.error(
    'usage: facts.mjs --facts serial1.log [--console log] --out file.json [--set k=v] [--dump name=path:format:producer]',
  );
  process.exit(2);
}

// What each ct-workload process is (scripts/qemu/ct-workload.c); expected states as /proc letters.
const ROLES = {
  'ct-sleeper': ['sleeper', 'S', 'pause()'],
  'ct-stopped': ['stopped', 'T', 'pause(), then SIGSTOP from init'],
  'ct-spinner': ['spinner', 'R', 'busy loop in user space'],
  'ct-zparent': ['zombie-parent', 'S', 'pause(), never reaps its child'],
  'ct-zombie': ['zombie', 'Z', 'exited with status 7, not reaped'],
  'ct-parent': ['tree-root', 'S', 'wait() for its two children'],
  'ct-child-1': ['tree-child', 'S', 'pause()'],
  'ct-child-2': ['tree-child', 'S', 'wait() for its child'],
  'ct-grandchild': ['tree-grandchild', 'S', 'pause()'],
  'ct-threaded': ['threaded', 'S', 'main thread of a process with 3 extra threads, pause()'],
  'ct-vfork-par': ['vfork-parent', 'D', 'blocked in vfork() until the child execs or exits (killable wait)'],
  'ct-vfork-child': ['vfork-child', 'S', "vfork child in pause(), sharing its parent's mm"],
  'ct-ipc': ['sysv-ipc', 'S', 'owns System V shared memory, semaphores and message queues (ipc-swap-arp), pause()'],
  'ct-swapper': ['swapped', 'S', 'paged 1 MiB of anonymous memory out to swap (ipc-swap-arp), pause()'],
  'ct-sockets': [
    'sockets',
    'S',
    'holds UNIX, TCP, UDP, TCP6, UDP6, raw, netlink and packet sockets (ipc-swap-arp), pause()',
  ],
  'ct-many': ['many-threads', 'S', 'main thread of a process with 10,000 threads ct-many-N (10k-threads), pause()'],
};

const lines = readFileSync(opt.facts, 'latin1')
  .split(/\r?\n/)
  .filter((l) => l.startsWith('CT '));
const one = (key) => {
  const l = lines.find((x) => x.startsWith(`CT ${key} `) || x === `CT ${key}`);
  return l === undefined ? null : l.slice(4 + key.length).trim();
};
const all = (key) => lines.filter((x) => x.startsWith(`CT ${key} `)).map((x) => x.slice(4 + key.length).trim());

const tasks = all('task').map((l) => {
  const [tgid, pid, ppid, state, ...c] = l.split(' ');
  return { tgid: +tgid, pid: +pid, ppid: +ppid, state, comm: c.join(' ') };
});
const nthreads = new Map();
for (const t of tasks) nthreads.set(t.tgid, (nthreads.get(t.tgid) ?? 0) + 1);
const leaders = tasks.filter((t) => t.pid === t.tgid);

const runtime_symbols = {};
for (const l of all('ksym')) {
  const [addr, , name] = l.split(' ');
  if (name) runtime_symbols[name] = addr;
}
// __START_KERNEL_map + the default physical start (CONFIG_PHYSICAL_START 16 MiB) on x86_64
const DEFAULT_TEXT = 0xffffffff81000000n;
const kaslrOffset = runtime_symbols._text ? BigInt('0x' + runtime_symbols._text) - DEFAULT_TEXT : null;

// phys_base (x86_64): physical address of _text minus its offset in the kernel text map
// (__START_KERNEL_map = 0xffffffff80000000); /proc/iomem "Kernel code" starts at _text's physical address.
const START_KERNEL_MAP = 0xffffffff80000000n;
const kcode = /^([0-9a-f]+)-/.exec(one('iomem_kernel_code') ?? '');
const physBase =
  kcode && runtime_symbols._text
    ? BigInt.asIntN(64, BigInt('0x' + kcode[1]) - (BigInt('0x' + runtime_symbols._text) - START_KERNEL_MAP))
    : null;

const out = {
  kernel_release: one('release'),
  linux_banner: one('version'),
  kernel_cmdline: one('cmdline'),
  ncpus: one('ncpus') === null ? null : +one('ncpus'),
  memtotal: one('memtotal'),
  kaslr: kaslrOffset === null ? null : kaslrOffset !== 0n,
  kaslr_offset_runtime: kaslrOffset === null ? null : '0x' + kaslrOffset.toString(16),
  kaslr_offset_note: 'from /proc/kallsyms _text in the first kernel, minus 0xffffffff81000000',
  runtime_symbols,
  ...(physBase === null
    ? {}
    : {
        kernel_code_phys: '0x' + kcode[1],
        phys_base: (physBase < 0n ? '-0x' : '0x') + (physBase < 0n ? -physBase : physBase).toString(16),
        phys_base_note:
          '/proc/iomem "Kernel code" start minus (_text - 0xffffffff80000000); signed, as VMCOREINFO NUMBER(phys_base)',
      }),
  workload: leaders
    .filter((t) => ROLES[t.comm])
    .map((t) => ({
      pid: t.pid,
      ppid: t.ppid,
      comm: t.comm,
      role: ROLES[t.comm][0],
      expected_state: ROLES[t.comm][1],
      state_in_proc_before_crash: t.state,
      nthreads: nthreads.get(t.tgid),
      what: ROLES[t.comm][2],
    }))
    .sort((a, b) => a.pid - b.pid),
  workload_threads: tasks
    .filter((t) => t.pid !== t.tgid)
    .map((t) => ({ tgid: t.tgid, pid: t.pid, comm: t.comm, state_in_proc_before_crash: t.state }))
    .sort((a, b) => a.pid - b.pid),
  markers: all('marker'),
  // a CPU the guest took offline (ct.offline=N) and the online list it left (/sys/devices/system/cpu/online)
  ...(one('cpu_offline') === null
    ? {}
    : { cpus_offline: all('cpu_offline').map(Number), cpus_online: one('cpus_online') }),
  // modules the scenario loaded (/proc/modules lines) and /proc/sys/kernel/tainted after loading them (oops)
  ...(one('module') === null ? {} : { modules_loaded: all('module'), tainted_before_crash: one('tainted') }),
  // softlockup: kernel.watchdog_thresh as set (the soft-lockup threshold is twice it)
  ...(one('watchdog_thresh') === null ? {} : { watchdog_thresh: Number(one('watchdog_thresh')) }),
  // bigmem: /proc/iomem's System RAM ranges (spaces dropped: "100000000-17fffffff:SystemRAM") and /proc/zoneinfo's
  // zones (node, name, start_pfn, spanned, present, managed pages)
  ...(one('iomem_ram') === null
    ? {}
    : {
        iomem_ram: all('iomem_ram').map((l) => {
          const [a, b] = l.split(/[-:]/);
          return { start: '0x' + a, end: '0x' + b };
        }),
        zones: all('zone').map((l) => {
          const [node, name, start_pfn, spanned, present, managed] = l.split(' ');
          return {
            node: Number(node.replace(/,$/, '')),
            name,
            start_pfn: Number(start_pfn),
            spanned: Number(spanned),
            present: Number(present),
            managed: Number(managed),
          };
        }),
      }),
  // 10k-threads: the threads ct-many made (its /tmp/ct-many.ready) and kernel.threads-max as raised for them
  ...(one('many_threads') === null
    ? {}
    : { many_threads: Number(one('many_threads')), threads_max: Number(one('threads_max')) }),
  // ipc-swap-arp: /proc/sysvipc/{shm,sem,msg}, /proc/swaps, /proc/net/arp as the guest read them right before
  // the crash, one object per row (keys from each file's header; perms stays octal text)
  ...(one('sysvipc_shm') === null
    ? {}
    : {
        ipc_swap_arp: {
          note: 'the guest read these files right before the marker and sysrq-c (scripts/qemu/guest-init.sh)',
          sysvipc: { shm: table(all('sysvipc_shm')), sem: table(all('sysvipc_sem')), msg: table(all('sysvipc_msg')) },
          swaps: table(all('swaps'), ['filename', 'type', 'size_kb', 'used_kb', 'priority']),
          arp: table(all('arp'), ['ip', 'hw_type', 'flags', 'hw_address', 'mask', 'device']),
          meminfo_kb: Object.fromEntries(
            [...(one('meminfo_swap') ?? '').matchAll(/(\w+): (\d+) kB/g)].map((m) => [m[1], Number(m[2])]),
          ),
          net_up: one('net_up'),
          ping: one('ping'),
          ct_ipc_pid: tasks.find((t) => t.comm === 'ct-ipc')?.pid ?? null,
          ct_swapper_pid: tasks.find((t) => t.comm === 'ct-swapper')?.pid ?? null,
        },
      }),
  // ipc-swap-arp: ct-sockets' socket fds, each joined by inode with its /proc/net row (sockets.mjs)
  ...(one('sockets_pid') === null
    ? {}
    : { sockets: socketsTruth(Number(one('sockets_pid')), all('sockets_fd'), (n) => all(`proc_net_${n}`)) }),
  pre_crash_snapshot: {
    note: 'every task /proc listed (threads included) about a second before the marker; sorted by pid',
    ps: leaders
      .map((t) => ({ pid: t.pid, ppid: t.ppid, state: t.state, comm: t.comm, nthreads: nthreads.get(t.tgid) }))
      .sort((a, b) => a.pid - b.pid),
  },
};

if (opt.console) {
  const con = readFileSync(opt.console, 'latin1')
    .split(/\r?\n/)
    .map((l) => l.replace(/^.*?\[\s*\d+\.\d+\]\s?/, ''));
  // An oops with kernel.panic_on_oops=1 reaches crash_kexec() from oops_end(), before panic("Fatal exception"):
  // no "Kernel panic" line then, and the first "Oops: ..." line (6.12: "Oops: Oops: 0002 [#1] ...") is the panic.
  let pi = con.findIndex((l) => l.startsWith('Kernel panic - not syncing:'));
  const oi = con.findIndex((l) => /^Oops: /.test(l));
  const oops = pi < 0 && oi >= 0;
  if (oops) pi = oi;
  const cpuRe = /^CPU: (\d+) (?:UID: \d+ )?PID: (\d+) Comm: (\S+)/; // 6.12 adds "UID: n"
  let ci = -1;
  if (pi >= 0) for (let i = pi + 1; i < con.length && i < pi + 5 && ci < 0; i++) if (cpuRe.test(con[i])) ci = i;
  const m = ci >= 0 ? cpuRe.exec(con[ci]) : null;
  // the lines before the "Oops:" line that say what faulted ("BUG: kernel NULL pointer dereference, ...", "#PF: ...")
  let bi = oi;
  while (oops && bi > 0 && oi - bi < 8 && /^(BUG: |#PF: |PGD |PUD |PMD |PTE )/.test(con[bi - 1])) bi--;
  out.panic = {
    source: opt['console-source'] ?? 'serial console (first kernel)',
    kind: pi < 0 ? null : oops ? 'oops (panic_on_oops: crash_kexec from oops_end, no panic() line)' : 'panic',
    message: pi >= 0 ? con[pi] : null,
    ...(oops
      ? {
          oops_header: con.slice(bi, oi),
          rip_line: con.slice(oi, oi + 12).find((l) => l.startsWith('RIP: ')) ?? null,
          // the taint flags as printed (one column per flag: "G           OE")
          tainted: /Tainted: (.*?)\s+\d+\.\d+\S* #/.exec(con[ci] ?? '')?.[1] ?? null,
        }
      : {}),
    cpu: m ? +m[1] : null,
    pid: m ? +m[2] : null,
    comm: m ? m[3] : null,
    cpu_line: ci >= 0 ? con[ci] : null,
    sysrq_line: con.find((l) => l.startsWith('sysrq: ')) ?? null,
    // what came before a panic that is not the crash itself: a WARN() (panic_on_warn), a soft lockup
    // (softlockup_panic)
    ...(con.some((l) => l.startsWith('WARNING: CPU: '))
      ? { warning_line: con.find((l) => l.startsWith('WARNING: CPU: ')) }
      : {}),
    ...(con.some((l) => /BUG: soft lockup - CPU#/.test(l))
      ? { lockup_line: con.find((l) => /BUG: soft lockup - CPU#/.test(l)) }
      : {}),
    // the panic's stack as the kernel printed it: "func+0x../0x.." lines and the <IRQ>/<NMI>/<TASK> markers
    call_trace: ci < 0 ? [] : traceAfter(con, ci),
  };
  // every other stack the kernel printed before the panic (hung-task reports, OOM reports): task line + frames
  out.console_stacks = [];
  for (let i = 0; i < (pi < 0 ? con.length : pi); i++) {
    if (con[i] === 'Call Trace:')
      out.console_stacks.push({ header: con.slice(Math.max(0, i - 3), i), frames: traceAfter(con, i - 1) });
  }
}

// rows of a /proc table (first line the header): objects keyed by the header's words, or by `keys` when the
// header's names hold spaces; all-digit values become numbers, except octal permissions
function table(rows, keys) {
  if (rows.length === 0) return [];
  const names = keys ?? rows[0].trim().split(/\s+/);
  return rows.slice(1).map((r) => {
    const v = r.trim().split(/\s+/);
    return Object.fromEntries(
      names.map((n, i) => [n, n !== 'perms' && /^-?\d+$/.test(v[i] ?? '') ? Number(v[i]) : (v[i] ?? null)]),
    );
  });
}

function traceAfter(con, from) {
  const frames = [];
  let started = false;
  for (let i = from + 1; i < con.length && i < from + 200; i++) {
    const l = con[i].trim();
    if (l === 'Call Trace:') {
      started = true;
      continue;
    }
    if (!started) continue;
    if (/^<\/?(IRQ|NMI|TASK|EOI)>$/.test(l)) {
      frames.push(l);
      continue;
    }
    const f = /^(\? )?([\w.$]+)\+0x[0-9a-f]+\/0x[0-9a-f]+/.exec(l);
    if (f) {
      frames.push((f[1] ?? '') + f[2]);
      continue;
    }
    if (/^(RIP|RSP|RAX|RDX|RBP|R10|R13|FS|CS|CR2|Code):/.test(l) || (l.startsWith('R') && l.includes(':'))) continue;
    break;
  }
  return frames;
}

for (const s of opt.set) {
  const i = s.indexOf('=');
  const k = s.slice(0, i),
    v = s.slice(i + 1);
  let val;
  try {
    val = JSON.parse(v);
  } catch {
    val = v;
  }
  out[k] = val;
}
if (opt.dump.length) {
  out.dumps = opt.dump.map((d) => {
    const [name, rest] = [d.slice(0, d.indexOf('=')), d.slice(d.indexOf('=') + 1)];
    const [path, format, ...producer] = rest.split(':');
    return {
      file: name || basename(path),
      format,
      producer: producer.join(':'),
      size: statSync(path).size,
      sha256: createHash('sha256').update(readFileSync(path)).digest('hex'),
    };
  });
}
writeFileSync(opt.out, JSON.stringify(out, null, 2) + '\n');
