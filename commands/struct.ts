/** struct (and union): a structure's layout, or its contents at an address, as crash prints them. */
import { CommandError, type Args, type Command } from '../src/command.js';
import { parseAddress, parseCount } from '../src/kernel/address.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { formatMemberDecl, formatTypeDecl } from '../src/kernel/types/format.js';
import { findMemberPath, resolve, type Type } from '../src/kernel/types/type.js';
import { formatMembers, formatValue, type PrintOptions } from '../src/render/gdb-value.js';
import { text, type View } from '../src/render/view.js';
import type { Session } from '../src/session.js';
import { currentCpu } from './p.js';
import { structLineActions } from './struct/links.js';

/** The struct or union a `struct`/`union` argument names (BTF first, then DWARF). */
export function aggregateType(k: Kernel, kind: 'struct' | 'union', name: string): Type {
  const t = k.findType(`${kind} ${name}`) ?? k.debugInfo?.types.find(`${kind} ${name}`);
  if (!t || resolve(t).kind !== kind) throw new CommandError(`invalid data structure reference: ${name}`);
  return t;
}

/** Where the object(s) are: an address or symbol, or a per-CPU symbol with `:cpus` (one address per CPU). */
/** `current` is asked only for a bare `VAR:` (it may build the task table). */
function addressesOf(k: Kernel, word: string, current: () => number): { label?: string; address: bigint }[] {
  const m = /^(.+):([0-9a-z,-]*)$/.exec(word);
  if (m && k.isPerCpuSymbol(k.symbols.lookup(m[1]!))) {
    const base = k.symbols.lookup(m[1]!)!.address;
    const n = k.nrCpuIds;
    const spec = m[2]!;
    const cpus: number[] = [];
    if (spec === '') cpus.push(current());
    else if (spec === 'a' || spec === 'all') for (let c = 0; c < n; c++) cpus.push(c);
    else
      for (const part of spec.split(',')) {
        const r = /^(\d+)(?:-(\d+))?$/.exec(part);
        if (!r) throw new CommandError(`invalid cpu specification: ${spec}`);
        for (let c = Number(r[1]); c <= Number(r[2] ?? r[1]); c++) if (c < n) cpus.push(c);
      }
    return cpus.map((c) => ({
      label: `[${c}]: ${k.perCpuPtr(base, c).toString(16)}`,
      address: k.perCpuPtr(base, c),
    }));
  }
  try {
    return [{ address: parseAddress(k, word) }];
  } catch (err) {
    throw new CommandError((err as Error).message);
  }
}

/** One object: `struct NAME {` + gdb's braces, or only the chosen members. */
function objectLines(k: Kernel, kind: string, t: Type, members: string[], address: bigint, o: PrintOptions): string[] {
  const v = { type: t, address };
  if (members.length) return formatMembers(k, v, members, o);
  return `${kind} ${t.name} ${formatValue(k, v, o)}`.split('\n');
}

/**
 * The chosen members' declarations with their offsets (`struct task_struct.tasks`, with or without -o:
 * crash shows the offset either way), or with -o and an address, each member's address.
 */
function memberDeclLines(t: Type, kind: string, members: string[], base?: bigint): string[] {
  const lines = [`${kind} ${t.name} {`];
  for (const m of members) {
    const f = findMemberPath(t, m);
    if (!f) throw new CommandError(`invalid data structure reference: ${t.name}.${m}`);
    const off = Math.floor(f.bitOffset / 8);
    const at = base === undefined ? String(off) : (base + BigInt(off)).toString(16);
    lines.push(`  [${at}] ${formatMemberDecl(f.member)}`);
  }
  lines.push('}');
  return lines;
}

/**
 * -l: the address given points at a member inside the object (typically an embedded list_head); the
 * member is named STRUCT.MEMBER or given as a byte offset. The object starts that many bytes before.
 */
function containerOffset(k: Kernel, spec: string): bigint {
  if (/^(0x[0-9a-f]+|\d+)$/i.test(spec)) return BigInt(spec);
  const dot = spec.indexOf('.');
  if (dot > 0) {
    const name = spec.slice(0, dot);
    const t = k.findType(`struct ${name}`) ?? k.findType(`union ${name}`) ?? k.debugInfo?.types.find(`struct ${name}`);
    const f = t && findMemberPath(t, spec.slice(dot + 1));
    if (f) return BigInt(Math.floor(f.bitOffset / 8));
  }
  throw new CommandError(`invalid -l option: ${spec}`);
}

export function runAggregate(kind: 'struct' | 'union', session: Session, args: Args): View {
  const k = session.kernel!;
  const [spec, where, countWord] = args.positional;
  if (!spec) throw new CommandError(`give a ${kind} name: ${kind} [-o|-x|-d] NAME[.MEMBER[,MEMBER]] [ADDRESS [COUNT]]`);
  const dot = spec.indexOf('.');
  const name = dot < 0 ? spec : spec.slice(0, dot);
  const members =
    dot < 0
      ? []
      : spec
          .slice(dot + 1)
          .split(',')
          .filter(Boolean);
  const t = aggregateType(k, kind, name);
  // a member this kernel's type lacks (task_struct.__state before 5.14): as crash, the members named before it
  // are still printed for the first object, then the error names that member
  const bad = members.findIndex((m) => !findMemberPath(t, m));
  const badRef = bad < 0 ? undefined : `invalid data structure reference: ${t.name}.${members[bad]}`;
  if (badRef !== undefined && (bad === 0 || where === undefined || args.flags.o)) throw new CommandError(badRef);
  const o: PrintOptions = { radix: args.flags.x ? 16 : args.flags.d ? 10 : session.settings.radix };
  const offsets = !!args.flags.o;

  if (where === undefined) {
    if (members.length) return text(memberDeclLines(t, kind, members), { type: `${kind} ${name}` });
    return text(formatTypeDecl(t, { offsets }), { type: `${kind} ${name}`, size: t.size });
  }
  const back = args.flags.l === undefined ? 0n : containerOffset(k, String(args.flags.l));
  const targets = addressesOf(k, where, () => currentCpu(session, k)).map((x) => ({ ...x, address: x.address - back }));
  const count = countWord === undefined ? 1 : Number(parseCount(countWord));
  if (!Number.isSafeInteger(count) || count < 1) throw new CommandError(`invalid count: ${countWord}`);
  const lines: string[] = [];
  for (const target of targets) {
    if (target.label) lines.push(target.label);
    for (let i = 0; i < count; i++) {
      session.checkCancelled();
      const address = target.address + BigInt(i * t.size);
      // crash leaves a blank line between consecutive objects, whatever their form
      if (i > 0) lines.push('');
      if (offsets) {
        if (members.length) lines.push(...memberDeclLines(t, kind, members, address));
        else lines.push(...formatTypeDecl(t, { offsets: true, base: address }));
        continue;
      }
      if (badRef !== undefined) {
        lines.push(...objectLines(k, kind, t, members.slice(0, bad), address, o), `${kind}: ${badRef}`);
        break;
      }
      lines.push(...objectLines(k, kind, t, members, address, o));
    }
    if (badRef !== undefined) break;
  }
  const view = text(lines, { type: `${kind} ${name}`, address: targets.map((x) => '0x' + x.address.toString(16)) });
  // the terminal UI opens what a pointer member points to (one whole object: the lines follow the type)
  if (targets.length === 1 && count === 1 && !members.length && !offsets && !targets[0]!.label)
    view.lineActions = structLineActions(t, lines);
  return view;
}

export function aggregateHelp(kind: 'struct' | 'union'): string {
  const other = kind === 'struct' ? 'union' : 'struct';
  return `NAME
  ${kind} - a ${kind}'s layout, or its contents in memory

SYNOPSIS
  ${kind} [-o] [-x|-d] [-l STRUCT.MEMBER|-l OFFSET] NAME[.MEMBER[,MEMBER...]]
         [ADDRESS|SYMBOL[:CPUS] [COUNT]]

DESCRIPTION
  Without an address, prints the declaration of ${kind} NAME (members in
  declaration order, nested anonymous ${kind === 'struct' ? 'unions and structs' : 'structs and unions'} in place) and its size.
  With an address (hex, a symbol, or an expression such as init_task+8), prints
  the contents of the ${kind} there, a member a line as crash and gdb print them.
  NAME.MEMBER,MEMBER prints only those members (dotted paths such as se.load
  reach into embedded structures). COUNT prints that many ${kind}s one after
  another. A per-CPU symbol followed by :a, :N or :N-M prints each CPU's copy.
  Layouts come from the kernel's BTF (so a vmlinux without DWARF is enough),
  else from DWARF. See also ${other}, whatis and p.

OPTIONS
  -o  show each member's offset (with an address: each member's address)
  -x  integers in hexadecimal
  -d  integers in decimal
  -l STRUCT.MEMBER, -l OFFSET
      ADDRESS points at that member inside the ${kind} (an embedded
      list_head, say, taken from a list): the ${kind} starts OFFSET bytes
      (the member's offset) before it

EXAMPLES
  crash> ${kind} ${kind === 'struct' ? 'list_head' : 'thread_union'}
  crash> ${kind} -o ${kind === 'struct' ? 'task_struct' : 'thread_union'}
  crash> ${kind === 'struct' ? 'struct task_struct.comm,pid init_task' : 'union thread_union init_task'}
  crash> ${kind === 'struct' ? 'struct list_head ffff8e71811fb890 2' : 'union -x thread_union init_stack'}${
    kind === 'struct' ? '\n  crash> struct task_struct.pid,comm -l task_struct.tasks ffff8e71811fb890' : ''
  }`;
}

const struct: Command = {
  name: 'struct',
  summary: 'show a structure definition, or the structure at an address',
  needsDump: true,
  options: {
    o: 'member offsets',
    x: 'hexadecimal',
    d: 'decimal',
    l: '=STRUCT.MEMBER or OFFSET: ADDRESS is that member',
  },
  help: aggregateHelp('struct'),
  run: (session, args) => runAggregate('struct', session, args),
};

export default struct;
