/** p (px, pd): print the value of a C expression, as crash prints it through gdb. */
import { CommandError, type Command } from '../src/command.js';
import { ExprError, UnknownTypeError, evaluate, variableType, type Value } from '../src/kernel/expr/index.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { declare } from '../src/kernel/types/format.js';
import { formatValue, type PrintOptions } from '../src/render/gdb-value.js';
import { error, group, text, type View } from '../src/render/view.js';
import type { Session } from '../src/session.js';
import { parseArgs } from '../src/repl/options.js';
import { currentUserPgd, parseRequest, runRequest } from './rd.js';
import { findTaskByAddress } from '../src/kernel/objects/tasks.js';
import { isKernelAddress } from '../src/kernel/address.js';
import { MemoryError } from '../src/kernel/memory.js';

/** gdb's value history ($1, $2, ...), one per session. */
const histories = new WeakMap<Session, Value[]>();

export function valueHistory(session: Session): Value[] {
  let h = histories.get(session);
  if (!h) histories.set(session, (h = []));
  return h;
}

/** Record a value and return its `$N = ` label. */
function record(session: Session, v: Value): string {
  const h = valueHistory(session);
  h.push(v);
  return `$${h.length} = `;
}

function historyValue(session: Session, back: boolean, index: number | undefined): Value {
  const h = valueHistory(session);
  if (h.length === 0 && index === undefined) throw new CommandError('History is empty.');
  // $ is the last value, $N the Nth, $$ the one before the last, $$N N back from the last
  const n = back ? h.length - (index ?? 1) : index === undefined ? h.length : index;
  const v = h[n - 1];
  if (!v) throw new CommandError(`History has not yet reached $${n}.`);
  return v;
}

/**
 * crash's way of putting `NAME = ` before gdb's output for a bare symbol: when the first line has a
 * `{` that does not end it (a function's `{void (void)} 0x...`, an array's `{{`), the value starts on
 * a new line with one space.
 */
function withLeader(leader: string, out: string): string {
  const nl = out.indexOf('\n');
  const first = nl < 0 ? out : out.slice(0, nl);
  const brace = first.indexOf('{');
  if (brace >= 0 && brace !== first.length - 1) return `${leader} = ${out.slice(0, brace)}\n {${out.slice(brace + 1)}`;
  return `${leader} = ${out}`;
}

/** CPUs named by a `:spec` (`a` or `all`, `3`, `0-3`, `1,3`); an empty spec is the current context's CPU. */
function cpusOf(k: Kernel, spec: string, current: number): number[] {
  const n = k.nrCpuIds;
  if (spec === '') return [current];
  if (spec === 'a' || spec === 'all') return [...Array(n).keys()];
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new CommandError(`invalid cpu specification: ${spec}`);
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    for (let c = a; c <= b; c++) {
      if (c >= n) throw new CommandError(`invalid cpu number: ${c} (the kernel has ${n})`);
      out.push(c);
    }
  }
  return out;
}

/** The CPU of the current context's task (`set`, else the panic task): what a bare `:` names. */
export function currentCpu(session: Session, k: Kernel): number {
  const task = session.currentTask();
  return (task !== undefined ? findTaskByAddress(k, task)?.cpu : undefined) ?? 0;
}

/** A per-CPU variable: without a CPU list its type and each CPU's address, else each CPU's value. */
function perCpu(session: Session, k: Kernel, name: string, spec: string | undefined, o: PrintOptions): View {
  const type = variableType(k, name);
  const sym = k.symbols.lookup(name)!;
  if (spec === undefined) {
    const lines = [
      'PER-CPU DATA TYPE:',
      `  ${type ? declare(type, name, 0) : `[undetermined type] ${name}`};`,
      'PER-CPU ADDRESSES:',
    ];
    for (let c = 0; c < k.nrCpuIds; c++) lines.push(`  [${c}]: ${k.perCpuPtr(sym.address, c).toString(16)}`);
    return text(lines);
  }
  const lines: string[] = [];
  for (const c of cpusOf(k, spec, currentCpu(session, k))) {
    const address = k.perCpuPtr(sym.address, c);
    if (!type) {
      const v: Value = {
        type: { kind: 'pointer', name: '', size: 8, target: { kind: 'void', name: 'void', size: 0 } },
        scalar: address,
      };
      const body = formatValue(k, v, o);
      lines.push(...withLeader(`&per_cpu(${name}, ${c})`, record(session, v) + body).split('\n'));
      continue;
    }
    const v: Value = { type, address };
    const body = formatValue(k, v, o);
    lines.push(...withLeader(`per_cpu(${name}, ${c})`, record(session, v) + body).split('\n'));
  }
  return text(lines);
}

/** A symbol whose type only DWARF knows, on a vmlinux without DWARF: say so, and show its raw bytes. */
function untyped(session: Session, k: Kernel, err: UnknownTypeError): View {
  const note = error(
    `p: ${err.symbol}: its type is in DWARF, which ${k.dwarfLacker} lacks (open the debug vmlinux to print it); raw, as rd -d reads it:`,
  );
  const size = Number(k.symbols.lookupAny(err.symbol)?.size ?? 8n);
  const unit = size === 1 || size === 2 || size === 4 ? `-${size * 8}` : '-64';
  const { req } = parseRequest(
    k,
    parseArgs(['-d', unit, err.symbol, '1'], { d: '', '8': '', '16': '', '32': '', '64': '' }),
  );
  return group(note, runRequest(session, k, req));
}

/**
 * The kernel seen through the current context's user address space (p -u): every read the expression
 * and the printing make goes through the task's page tables; a kernel address is refused.
 */
function userView(session: Session, k: Kernel): Kernel {
  const pgd = currentUserPgd(session, k, '-u');
  const mem = Object.create(k.mem) as Kernel['mem'];
  mem.read = (addr: bigint, length: number) => {
    if (isKernelAddress(addr)) throw new MemoryError(addr, 'not a user address (p -u reads user memory only)');
    return k.mem.readUser(pgd, addr, length);
  };
  const view = Object.create(k) as Kernel;
  Object.defineProperty(view, 'mem', { value: mem });
  return view;
}

const FORMATS = new Set(['x', 'd', 'u', 'o', 't', 'c', 'a', 's', 'z']);

const p: Command = {
  name: 'p',
  aliases: ['print'],
  summary: 'print the value of a C expression: variables, members, casts, per-CPU data',
  needsDump: true,
  help: `NAME
  p - print an expression's value the way gdb (and crash) print it

SYNOPSIS
  p [-x|-d] [-u] [/FMT] EXPRESSION
  p [-x|-d] PERCPU_VARIABLE[:CPUS]

DESCRIPTION
  Works out a C expression over the kernel's variables and types and prints
  the value with a $N history number: structures as nested braces, arrays
  inline, char arrays as strings, pointers in hex followed by <symbol+offset>
  when they point into the kernel image, enums by name.

  The expression may use variables, members (. and ->), array indexes, * and
  &, casts such as (struct task_struct *)ADDRESS, sizeof, arithmetic and
  comparisons. $N, $ and $$ are earlier results.

  A bare variable name is printed as "NAME = $N = ...". A per-CPU variable
  without a CPU list shows its type and the address of each CPU's copy; with
  :a (or :all), :N, :N-M or :N,M it prints each chosen CPU's value.

  Ordinary global variables are typed by the vmlinux's DWARF; without it,
  struct layouts and per-CPU variables still work (from BTF) and a plain
  variable's bytes are shown as rd shows them.

OPTIONS
  -x    integers in hexadecimal (px is p -x)
  -d    integers in decimal (pd is p -d)
  -u    the expression's memory is user memory of the current context's
        process (set PID chooses it): pointers and * read through its page
        tables; a kernel address is refused
  /FMT  gdb's output format for the value: /x hex, /d signed, /u unsigned,
        /o octal, /t binary, /c character, /a address with symbol, /z
        zero-padded hex; p/x EXPR works as well as p /x EXPR

EXAMPLES
  crash> p init_task.comm
  crash> p/x init_task.flags
  crash> p sizeof(struct task_struct)
  crash> p *(struct list_head *)0xffff8e71811fb890
  crash> p cpu_number:a
  crash> p -u (char *)0x7ffd5a0c1e7a
  crash> px jiffies`,
  run(session, args) {
    let k = session.kernel!;
    const o: PrintOptions = { radix: session.settings.radix };
    const words: string[] = [];
    let user = false;
    for (const w of args.raw) {
      if (words.length === 0 && (w === '-x' || w === '-h')) o.radix = 16;
      else if (words.length === 0 && w === '-d') o.radix = 10;
      else if (words.length === 0 && w === '-u') user = true;
      else if (words.length === 0 && /^\/[a-z]+$/.test(w)) {
        const f = w.slice(1).replace(/[0-9bhwg]/g, '');
        if (f.length !== 1 || !FORMATS.has(f)) throw new CommandError(`Undefined output format "${w.slice(1)}".`);
        o.format = f;
      } else words.push(w);
    }
    let expr = words.join(' ').trim();
    if (!expr) throw new CommandError('give an expression: p [-x|-d] [-u] [/FMT] EXPRESSION');
    if (user) k = userView(session, k);

    // NAME:CPUS for a per-CPU variable
    let spec: string | undefined;
    const colon = /^([A-Za-z_][A-Za-z0-9_.]*):([0-9a-z,-]*)$/.exec(expr);
    if (colon && !k.symbols.lookupAny(colon[1]!)) throw new CommandError(`No symbol "${colon[1]}" in current context.`);
    if (colon && k.isPerCpuSymbol(k.symbols.lookup(colon[1]!))) {
      expr = colon[1]!;
      spec = colon[2]!;
    }
    const sym = /^[A-Za-z_][A-Za-z0-9_.]*$/.test(expr) ? k.symbols.lookupAny(expr) : undefined;
    if (k.isPerCpuSymbol(sym)) return perCpu(session, k, expr, spec, o);
    if (spec !== undefined && sym) throw new CommandError(`${expr} is not percpu; cpuspec ignored.`);

    let v: Value;
    try {
      v = evaluate(k, expr, {
        history: (back, index) => historyValue(session, back, index),
        fail: (m) => new CommandError(m),
      });
    } catch (err) {
      if (err instanceof UnknownTypeError && sym) return untyped(session, k, err);
      if (err instanceof ExprError) throw new CommandError(err.message);
      throw err;
    }
    const body = formatValue(k, v, o);
    const out = record(session, v) + body;
    return text((sym ? withLeader(sym.name, out) : out).split('\n'), {
      expression: expr,
      type: declare(v.type, '', 0),
      value: body,
      address: v.address === undefined ? undefined : '0x' + v.address.toString(16),
    });
  },
};

export default p;
