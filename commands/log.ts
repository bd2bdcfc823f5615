/** log: the kernel message buffer (printk ring buffer), laid out like crash's `log`. */
import { CommandError, type Command } from '../src/command.js';
import { text, type LineStyle, type TextView } from '../src/render/view.js';
import { auditRecords } from '../src/kernel/objects/audit.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { readPrintkLog, CALLER_CPU_FLAG, type PrintkRecord } from '../src/kernel/objects/printk.js';
import { bootEpochSeconds, formatCtime } from '../src/kernel/objects/boot-time.js';
import { printkSafeBuffers } from '../src/kernel/objects/printk-safe.js';
import { safeBufferTail, safeBuffersView } from './log/safe-buffers.js';
import { demangleLogLine } from '../src/render/rust-demangle.js';

export interface LogOptions {
  /** wall-clock stamps ("[Thu Nov 26 13:47:25 UTC 2026] ") */
  ctime?: boolean;
  /** no stamp at all */
  noTime?: boolean;
  /** "<level>" before the text */
  level?: boolean;
  /** "[  T123] " caller id */
  caller?: boolean;
  /** SUBSYSTEM= / DEVICE= lines of dev_printk() records */
  dict?: boolean;
  /** Rust symbol names (a call-trace line's) demangled, in one-line records */
  rust?: boolean;
}

/** -R: a one-line record's Rust symbol made readable (crash demangles no record of several lines) */
const rustText = (t: string, opts: LogOptions): string => (opts.rust && !t.includes('\n') ? demangleLogLine(t) : t);

/** C's isprint() || isspace() in the C locale: what crash copies through unchanged. */
function shownAsIs(c: number): boolean {
  return (c >= 0x20 && c < 0x7f) || (c >= 0x09 && c <= 0x0d);
}

/** A character shownAsIs() does not pass, or a newline (a regular expression scans a record's text natively). */
const SPECIAL = /[^\t\x0b-\x0d\x20-\x7e]/;

/** Width of the caller id column: enough for pid_max's digits plus the T/C letter (as crash sizes it). */
function callerWidth(k: Kernel): number {
  try {
    // a global up to 6.x; 7.x keeps it per namespace (init_pid_ns.pid_max)
    const pidMax = k.hasSymbol('pid_max')
      ? k.readU32(k.sym('pid_max'))
      : k.variable('init_pid_ns', 'struct pid_namespace').field('pid_max').num();
    if (pidMax <= 99999) return 6;
    if (pidMax <= 999999) return 7;
  } catch {
    /* no pid_max: the default width */
  }
  return 11;
}

/**
 * The text lines of one record: the prefix (stamp, caller, level) on the first line, continuation
 * lines (embedded newlines) indented by the prefix's width, non-printable bytes shown as '.'.
 */
export function recordLines(
  r: PrintkRecord,
  opts: LogOptions,
  ctx: { bootSec?: number; callerWidth: number },
): string[] {
  if (r.dataless) return ['']; // crash prints a bare newline for a record without text
  const sec = Number(r.tsNsec / 1_000_000_000n);
  const prefix = recordPrefix(sec, Number(r.tsNsec % 1_000_000_000n), r.level, r.callerId, opts, ctx);
  const lines: string[] = [];
  pushTextLines(lines, prefix, rustText(r.text, opts), opts.dict ? r.subsystem : '', opts.dict ? r.device : '');
  return lines;
}

/** "[  sec.usec] " (or the -T wall clock), "[  T123] " with -c, "<6>" with -m. */
function recordPrefix(
  sec: number,
  nsecRem: number,
  level: number,
  callerId: number,
  opts: LogOptions,
  ctx: { bootSec?: number; callerWidth: number },
): string {
  let prefix = '';
  if (!opts.noTime) {
    if (opts.ctime && ctx.bootSec !== undefined) prefix += `[${formatCtime(ctx.bootSec + sec)}] `;
    else prefix += `[${String(sec).padStart(5)}.${String((nsecRem - (nsecRem % 1000)) / 1000).padStart(6, '0')}] `;
  }
  if (opts.caller) {
    const id = (callerId & CALLER_CPU_FLAG ? 'C' : 'T') + String((callerId & ~CALLER_CPU_FLAG) >>> 0);
    prefix += `[${id.padStart(ctx.callerWidth)}] `;
  }
  if (opts.level) prefix += `<${level.toString(16)}>`;
  return prefix;
}

/**
 * Push a record's lines onto `out`: `prefix` + the text, a newline in the text starting a line indented by the
 * prefix's width, then SUBSYSTEM= / DEVICE= lines when given. Returns how many lines it pushed.
 */
function pushTextLines(out: string[], prefix: string, t: string, subsystem: string, device: string): number {
  // runs of characters shown as they are go in as one slice (a string per character made a 1 MB log 900,000
  // concatenations); a newline starts a line, anything else unprintable is a '.'
  const i = t.search(SPECIAL);
  if (i < 0 && !subsystem && !device) {
    out.push(prefix + t); // the common record: one line, nothing to replace
    return 1;
  }
  const before = out.length;
  const indent = ' '.repeat(prefix.length);
  let cur = prefix;
  let run = 0;
  for (let j = i < 0 ? t.length : i; j < t.length; j++) {
    const c = t.charCodeAt(j);
    if (c !== 0x0a && shownAsIs(c)) continue;
    if (j > run) cur += t.slice(run, j);
    run = j + 1;
    if (c === 0x0a) {
      out.push(cur);
      cur = indent;
    } else cur += '.';
  }
  if (t.length > run) cur += t.slice(run);
  if (subsystem) {
    out.push(cur);
    cur = `${indent}SUBSYSTEM=${subsystem}`;
  }
  if (device) {
    out.push(cur);
    cur = `${indent}DEVICE=${device}`;
  }
  out.push(cur);
  return out.length - before;
}

function styleFor(level: number): LineStyle | undefined {
  if (level <= 3) return 'error';
  if (level === 4) return 'warning';
  if (level >= 7) return 'dim';
  return undefined;
}

/** The whole log as crash prints it, plus the records (JSON / TUI colouring by level). */
export function logView(k: Kernel, opts: LogOptions): TextView {
  const log = readPrintkLog(k);
  const ctx = { bootSec: opts.ctime ? bootEpochSeconds(k) : undefined, callerWidth: opts.caller ? callerWidth(k) : 6 };
  if (opts.ctime && ctx.bootSec === undefined)
    throw new CommandError('-T: cannot work out the boot time (no crash time or jiffies in the dump)');
  const lines: string[] = [];
  const styles: (LineStyle | undefined)[] = [];
  // straight from the walk's columns: no record object, no bigint per record
  const c = log.columns;
  for (let i = 0; i < c.length; i++) {
    const style = styleFor(c.level[i]!);
    if (c.dataless[i]) {
      lines.push(''); // crash prints a bare newline for a record without text
      styles.push(style);
      continue;
    }
    const prefix = recordPrefix(c.tsSec[i]!, c.tsNsecRem[i]!, c.level[i]!, c.callerId[i]!, opts, ctx);
    const n = opts.dict
      ? pushTextLines(lines, prefix, rustText(c.text[i]!, opts), c.subsystem[i]!, c.device[i]!)
      : pushTextLines(lines, prefix, rustText(c.text[i]!, opts), '', '');
    for (let j = 0; j < n; j++) styles.push(style);
  }
  for (const g of log.gaps) {
    lines.push(`log: cannot read ${g.what} at ${g.address.toString(16)}: ${g.reason}`);
    styles.push('error');
  }
  // the JSON form is made only when asked for (--json): 11,000 records of a full ring are not copied for the text
  let data: unknown;
  const view: TextView = {
    kind: 'text',
    lines,
    styles,
    get data(): unknown {
      data ??= {
        records: log.records.map((r) => ({
          ...r,
          id: r.id.toString(),
          seq: r.seq.toString(),
          tsNsec: r.tsNsec.toString(),
        })),
        gaps: log.gaps.map((g) => ({ ...g, address: '0x' + g.address.toString(16) })),
      };
      return data;
    },
  };
  return view;
}

/** log -a: the audit records still queued for kauditd, "type=N text" each. */
function auditView(k: Kernel): TextView {
  const log = auditRecords(k);
  if (!log) throw new CommandError('-a option not supported or applicable on this architecture or kernel');
  const lines = log.records.map((r) => `type=${r.type} ${r.text}`);
  for (const p of log.problems) lines.push(`log: audit queue ${p}`);
  if (!log.records.length && !log.problems.length) lines.push('log: kernel audit log is empty');
  return text(lines, log);
}

const logCommand: Command = {
  name: 'log',
  summary: 'show the kernel message buffer',
  help: `NAME
  log - the kernel's message buffer (what dmesg showed before the crash)

SYNOPSIS
  log [-T | -t] [-m] [-c] [-d] [-R]
  log -a
  log -s [-m]

DESCRIPTION
  Prints every message still held in the kernel's printk ring buffer, oldest
  first, each with its time since boot in seconds. A message that spans several
  lines has its later lines indented under the first; bytes that are not
  printable show as '.'. Messages whose buffer pages the dump lacks are listed at
  the end with the address that could not be read.

OPTIONS
  -T  wall-clock time instead of seconds since boot (boot time = crash time
      minus the uptime the kernel's jiffies count; shown in UTC)
  -t  no time stamp
  -m  the message's log level in angle brackets (<0> emergency .. <7> debug)
  -c  the caller: [T<pid>] for a task, [C<cpu>] for a CPU in interrupt context
  -d  the SUBSYSTEM= and DEVICE= properties that dev_printk() attaches
  -R  Rust symbol names made readable: in a one-line message (a call-trace line), the
      mangled name from "_R" (v0) or "_ZN" (legacy) up to the last "+" becomes its path,
      e.g. _RNvNtCs1b4l_4core9panicking9panic_fmt+0x2f becomes core::panicking::panic_fmt+0x2f;
      a message with no such name is printed as it is
  -a  the audit records the kernel queued for kauditd but had not sent to user space yet
      (audit_hold_queue, audit_retry_queue, audit_queue): "type=N text" each, or a line saying
      the audit log is empty
  -s  the per-CPU printk safe buffers of Linux 4.11 to 5.14 (nmi_print_seq, safe_print_seq):
      messages printed in NMI context or under the log lock that the kernel had not yet copied
      into the main log; per CPU its address, length and lost-message count, then the text.
      Later kernels have no such buffers, and log -s says so. Without -s, log prints what these
      buffers hold after the ring's messages, each marked [nmi_print_seq] or [safe_print_seq]
      (unmarked with -t)

EXAMPLES
  crash> log | tail -20
  crash> log -T | grep -i oom
  crash> log -m -c`,
  options: {
    T: 'wall-clock time',
    t: 'no time stamp',
    m: 'log level',
    c: 'caller id',
    d: 'dev_printk dictionary',
    R: 'Rust symbol names demangled',
    a: 'audit records not yet sent to user space',
    s: 'printk safe buffers (4.11 to 5.14)',
  },
  needsDump: true,
  run(session, args) {
    const k = session.kernel!;
    if (args.flags.a) return auditView(k);
    if (args.flags.s) return safeBuffersView(printkSafeBuffers(k), !!args.flags.m);
    if (args.positional.length) throw new CommandError(`unexpected argument: ${args.positional[0]}`);
    const view = logView(k, {
      ctime: !!args.flags.T,
      noTime: !!args.flags.t,
      level: !!args.flags.m,
      caller: !!args.flags.c,
      dict: !!args.flags.d,
      rust: !!args.flags.R,
    });
    // 4.11-5.14: messages still in the printk safe buffers follow the ring's, as crash prints them
    const tail = safeBufferTail(printkSafeBuffers(k), { level: !!args.flags.m, noTime: !!args.flags.t });
    if (tail.length) {
      const at = view.lines.findIndex((l) => l.startsWith('log: cannot read '));
      const where = at < 0 ? view.lines.length : at;
      view.lines.splice(where, 0, ...tail);
      view.styles?.splice(where, 0, ...tail.map(() => undefined));
    }
    return view;
  },
};

export default logCommand;
