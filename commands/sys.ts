/** sys: the system block crash prints at startup (and the panic task's context), sys -t, sys config. */
import {
  defaultTaskAddress,
  stateFlagNames,
  unreadableActiveTask,
  type UnreadableActiveTask,
} from '../src/kernel/objects/context.js';
import { basename } from 'node:path';
import { formatCtime, uptimeReading, type UptimeReading } from '../src/kernel/objects/boot-time.js';
import { dmiFields } from '../src/kernel/objects/dmi.js';
import { syscallTable, type SyscallEntry } from '../src/kernel/objects/syscalls.js';
import { CommandError, type Args, type Command } from '../src/command.js';
import type { Kernel } from '../src/kernel/kernel.js';
import {
  cpuCounts,
  cpuMhz,
  crashTime,
  formatLoadAverage,
  formatMemorySize,
  installedMemoryBytes,
  formatUptime,
  kernelConfig,
  loadAverage,
  physicalPages,
  taint,
  utsname,
} from '../src/kernel/objects/system.js';
import { allTasks, findTaskByAddress, type Task } from '../src/kernel/objects/tasks.js';
import { panicMessage } from '../src/kernel/objects/printk.js';
import { text, type View } from '../src/render/view.js';
import type { Session } from '../src/session.js';

const label = (name: string, value: string): string => `${name.padStart(12)}: ${value}`;

/** Run a reader; on failure show why in the field instead of failing the whole block. */
function attempt(f: () => string): string {
  try {
    return f();
  } catch (e) {
    return `(unreadable: ${(e as Error).message})`;
  }
}

/** tainted_mask is non-zero; undefined when it cannot be read (sys then says so instead of "not tainted"). */
function isTainted(k: Kernel): boolean | undefined {
  try {
    return taint(k).mask !== 0n;
  } catch {
    return undefined;
  }
}

/**
 * An oops-style panic line is only the first line of a longer report: crash follows it with a pointer to the
 * log (seen on an Oops: `PANIC: "Oops: 0002 [#1] PREEMPT SMP NOPTI" (check log for details)`); a "Kernel
 * panic - not syncing: ..." line is complete in itself.
 */
function panicHint(panic: string): string {
  return /^(Kernel panic|SysRq )/.test(panic) ? '' : ' (check log for details)';
}

/** The panic string as crash shows it (findPanicLine: the first fatal-message line of the log). */
export function panicString(k: Kernel): string | undefined {
  try {
    return panicMessage(k);
  } catch {
    return undefined;
  }
}

export interface SysInfo {
  /** the vmlinux file, or null for a vmcore opened alone */
  kernel: string | null;
  /** where symbols, types and unwind tables came from: 'vmlinux' or 'dump' */
  symbolsFrom: 'vmlinux' | 'dump';
  dumpfile: string;
  partial: boolean;
  cpus: number;
  offlineCpus: number;
  date: number | undefined;
  uptimeSeconds: number | undefined;
  /** how the uptime was found: timekeeper, jiffies or log */
  uptimeRoute: UptimeReading['route'] | undefined;
  loadAverage: bigint[] | undefined;
  tasks: number;
  unreadableTasks: number;
  nodename: string;
  release: string;
  version: string;
  machine: string;
  mhz: number | undefined;
  memoryBytes: bigint;
  panic: string | undefined;
}

function sysLines(k: Kernel): { lines: string[]; data: Partial<SysInfo> } {
  const table = allTasks(k);
  const uts = (() => {
    try {
      return utsname(k);
    } catch {
      return undefined;
    }
  })();
  const { present, online } = cpuCounts(k);
  const mhz = cpuMhz(k);
  const pageSize = BigInt(k.dump.meta.pageSize || 4096);
  const panic = panicString(k);
  const data: Partial<SysInfo> = {
    kernel: k.vmlinuxPath ?? null,
    symbolsFrom: k.image.source,
    dumpfile: k.dumpPath,
    partial: k.dump.meta.partial,
    cpus: present,
    offlineCpus: present - online,
    tasks: table.tasks.length,
    unreadableTasks: table.unreadable.length,
    nodename: uts?.nodename,
    release: uts?.release,
    version: uts?.version,
    machine: uts?.machine,
    mhz,
    panic,
  };
  let uptime: UptimeReading | undefined;
  const lines = [
    // crash marks a tainted kernel (tainted_mask != 0: an out-of-tree or unsigned module, a previous oops...)
    label('KERNEL', k.image.label + (isTainted(k) ? '  [TAINTED]' : '')),
    // a --split dump's files are all named (crash-ts vmlinux vmcore1 vmcore2 ...)
    label(
      k.dumpFiles.length > 1 ? 'DUMPFILES' : 'DUMPFILE',
      k.dumpFiles.map((f) => basename(f)).join(' ') + (k.dump.meta.partial ? '  [PARTIAL DUMP]' : ''),
    ),
    label('CPUS', String(present) + (present > online ? ` [OFFLINE: ${present - online}]` : '')),
    label(
      'DATE',
      attempt(() => {
        data.date = crashTime(k);
        return formatCtime(data.date);
      }),
    ),
    label(
      'UPTIME',
      attempt(() => {
        uptime = uptimeReading(k);
        data.uptimeSeconds = uptime.seconds;
        data.uptimeRoute = uptime.route;
        return formatUptime(uptime.seconds);
      }),
    ),
    label(
      'LOAD AVERAGE',
      attempt(() => {
        data.loadAverage = loadAverage(k);
        return formatLoadAverage(data.loadAverage);
      }),
    ),
    label('TASKS', String(table.tasks.length)),
    label('NODENAME', uts?.nodename ?? '(unreadable)'),
    label('RELEASE', uts?.release ?? k.vmcoreinfo.osrelease ?? '(unreadable)'),
    label('VERSION', uts?.version ?? '(unreadable)'),
    label('MACHINE', `${uts?.machine ?? 'x86_64'}${mhz !== undefined ? `  (${mhz} Mhz)` : ''}`),
    label(
      'MEMORY',
      attempt(() => {
        data.memoryBytes = installedMemoryBytes(physicalPages(k) * pageSize);
        return formatMemorySize(data.memoryBytes);
      }),
    ),
    label('PANIC', panic !== undefined ? `"${panic}"${panicHint(panic)}` : '""'),
  ];
  // the uptime came by a later route: say which earlier ones this dump lacks
  if (uptime && uptime.route !== 'timekeeper')
    lines.push(
      `NOTE: UPTIME from ${uptime.route === 'log' ? "the log's last time stamp" : 'jiffies'} (${uptime.missing.join('; ')})`,
    );
  return { lines, data };
}

/** The task context block (PID, COMMAND, TASK, CPU, STATE), labels aligned like the sys block. */
export function contextLines(k: Kernel, t: Task, width = 12): string[] {
  const table = allTasks(k);
  const active = table.active.get(t.cpu) === t.address;
  // crash: ' (PANIC)' / ' (ACTIVE)' after the state, else a single trailing space
  const tag = table.panicTask?.address === t.address ? ' (PANIC)' : active ? ' (ACTIVE)' : ' ';
  return contextBlock(
    String(t.pid),
    `"${t.comm}"`,
    t.address,
    t.cpu,
    stateFlagNames(t.state, t.exitState) + tag,
    width,
  );
}

/** PID, COMMAND, TASK, CPU, STATE with labels right-aligned to `width`. */
function contextBlock(pid: string, comm: string, address: bigint, cpu: number, state: string, width: number): string[] {
  const addr = address.toString(16).padStart(16, '0');
  const l = (n: string, v: string): string => `${n.padStart(width)}: ${v}`;
  return [
    l('PID', pid),
    l('COMMAND', comm),
    // x86_64 keeps thread_info inside task_struct (CONFIG_THREAD_INFO_IN_TASK)
    l('TASK', `${addr}  [THREAD_INFO: ${addr}]`),
    l('CPU', String(cpu)),
    l('STATE', state),
  ];
}

/**
 * The context block of a CPU's current task whose task_struct the dump lacks: what the runqueue, the
 * pid table and the console log still tell, and a NOTE saying so (crash cannot show this task at all).
 */
export function unreadableContextLines(k: Kernel, u: UnreadableActiveTask, width = 12): string[] {
  const table = allTasks(k);
  const tag = table.panicCpu === u.cpu ? ' (PANIC)' : ' (ACTIVE)';
  const from = u.sources.length ? `; ${u.sources.join(', ')}` : '';
  const pid = u.pid === undefined ? '?' : String(u.pid);
  const comm = u.comm === undefined ? '?' : `"${u.comm}"`;
  return [
    ...contextBlock(pid, comm, u.address, u.cpu, `(unreadable)${tag}`, width),
    `${'NOTE'.padStart(width)}: the task_struct cannot be read (${u.reason})${from}`,
  ];
}

/** The context block of a task address: a readable task's, else an unreadable active task's. */
export function contextLinesAt(k: Kernel, address: bigint, width = 12): string[] {
  const t = findTaskByAddress(k, address);
  if (t) return contextLines(k, t, width);
  const u = unreadableActiveTask(k, address);
  return u ? unreadableContextLines(k, u, width) : [];
}

/** When tainted_mask cannot be read, KERNEL's missing [TAINTED] is no answer: say so. */
function taintLine(k: Kernel): string[] {
  return isTainted(k) === undefined ? ['WARNING: tainted_mask cannot be read: KERNEL may lack its [TAINTED] mark'] : [];
}

function unreadableLine(k: Kernel): string[] {
  const n = allTasks(k).unreadable.length;
  return n
    ? [`WARNING: ${n} task${n === 1 ? '' : 's'} could not be read (on pages missing from the dump): \`ps\` names them`]
    : [];
}

/**
 * sys -c: crash's table. File names are shown relative to the build directory, which crash takes from
 * schedule()'s file (everything before "/kernel/"), as "../fs/read_write.c: 621".
 */
function syscallView(k: Kernel, filter: string | undefined): View {
  let table;
  try {
    table = syscallTable(k);
  } catch (e) {
    throw new CommandError((e as Error).message);
  }
  const sched = k.hasSymbol('schedule') ? k.sourceLine(k.sym('schedule')) : undefined;
  const cut = sched?.file.indexOf('/kernel/') ?? -1;
  const buildDir = sched && cut >= 0 ? sched.file.slice(0, cut) : undefined;
  const where = (e: SyscallEntry): string => {
    if (!e.source || !buildDir || !e.source.file.startsWith(buildDir)) return '';
    return `..${e.source.file.slice(buildDir.length)}: ${e.source.line}`;
  };
  const shown = table.filter((e) => {
    if (filter === undefined) return true;
    if (/^\d+$/.test(filter)) return e.number === Number(filter);
    return e.name?.includes(filter) ?? false;
  });
  const lines = k.debugInfo ? [] : [`sys: line numbers are not available (${k.dwarfLacker} has no DWARF)`];
  lines.push('NUM  SYSTEM CALL                FILE AND LINE NUMBER');
  for (const e of shown) {
    if (e.name === undefined) {
      lines.push(`${String(e.number).padStart(3)}  invalid sys_call_table entry: ${e.handler.toString(16)}`);
      continue;
    }
    lines.push(`${String(e.number).padStart(3)}  ${e.name.padEnd(26)} ${where(e)}`);
  }
  return text(lines, shown);
}

/** sys -i: every dmi_field slot the firmware filled, names right-aligned to the longest enumerator (as crash). */
function dmiView(k: Kernel): View {
  let fields;
  try {
    fields = dmiFields(k);
  } catch (e) {
    throw new CommandError((e as Error).message);
  }
  const width = Math.max(0, ...fields.map((f) => f.name.length));
  const shown = fields.filter((f) => f.value !== undefined);
  return text(
    shown.map((f) => `  ${f.name.padStart(width)}: ${f.value}`),
    Object.fromEntries(shown.map((f) => [f.name, f.value])),
  );
}

export default {
  name: 'sys',
  summary: 'system information: kernel, dump, time, uptime, memory, panic message',
  help: `sys [-t | -i | -c [NAME|NUMBER] | config]

  Shows what the dump is of: the vmlinux and dump file names ([PARTIAL DUMP] when pages were
  filtered out), number of CPUs, the time of the crash (UTC), uptime, load average, number of
  tasks, the kernel's utsname (node name, release, version, machine and CPU speed), the amount
  of physical memory and the panic message from the kernel log.

  -t      the kernel's taint mask, with the letter of each taint flag that is set
  -c      the system call table: number, handler and (with DWARF) the file and line the handler is
          defined on, relative to the kernel's build directory; a NAME (any part of it) or a NUMBER
          shows only the matching entries
  -i      the DMI (SMBIOS) strings the kernel read from the firmware at boot: BIOS vendor and
          version, system vendor and product, board and chassis
  config  the kernel's own .config, when it was built with CONFIG_IKCONFIG (built in: without it,
          or with configs.ko, there is no kernel_config_data, and sys config says so)

Examples:
  sys
  sys -t
  sys -i
  sys -c
  sys -c openat
`,
  options: {
    t: 'taint flags',
    i: 'DMI strings',
    c: 'system call table',
    banner: 'startup banner: the block plus the panic task context',
  },
  needsDump: true,
  run(session: Session, args: Args): View {
    const k = session.kernel;
    if (!k) throw new CommandError('no dump is open');
    if (args.flags.t) {
      const t = taint(k);
      return text([`TAINTED_MASK: ${t.mask.toString(16)}  ${t.letters}`], { mask: t.mask, letters: t.letters });
    }
    if (args.flags.i) return dmiView(k);
    if (args.flags.c !== undefined)
      return syscallView(k, args.flags.c === true ? args.positional[0] : String(args.flags.c));
    if (args.positional[0] === 'config') {
      const cfg = kernelConfig(k);
      // no CONFIG_IKCONFIG (or it is a module, configs.ko): crash's line
      if (cfg === undefined) throw new CommandError('kernel_config_data does not exist in this kernel');
      return text(cfg.replace(/\n$/, '').split('\n'));
    }
    if (args.positional.length)
      throw new CommandError(`unknown argument: ${args.positional[0]} (sys takes -t or config)`);
    const { lines, data } = sysLines(k);
    if (args.flags.banner === true) {
      const addr = defaultTaskAddress(k);
      if (addr !== undefined) lines.push(...contextLinesAt(k, addr));
      lines.push('');
    }
    lines.push(...taintLine(k), ...unreadableLine(k));
    return text(lines, data);
  },
} satisfies Command;
