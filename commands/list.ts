/** list: walk a linked list in the dump, printing each entry's address (and members of it), crash's way. */
import { CommandError, type Command } from '../src/command.js';
import { isKernelAddress, parseAddress, parseCount } from '../src/kernel/address.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { findMemberPath } from '../src/kernel/types/type.js';
import { formatMembers, formatValue, type PrintOptions } from '../src/render/gdb-value.js';
import { error, group, text, type View } from '../src/render/view.js';
import { aggregateType } from './struct.js';

/** Where a walk stops when nothing else stops it: a list longer than this is taken for a corrupted one. */
export const LIST_MAX_ENTRIES = 1_000_000;

/** `struct.member` → the member's byte offset in the struct ('task_struct.tasks' → 2192 on 6.1). */
function memberOffset(k: Kernel, spec: string): number | undefined {
  const dot = spec.indexOf('.');
  if (dot < 0) return undefined;
  const t = k.findType(`struct ${spec.slice(0, dot)}`) ?? k.findType(`union ${spec.slice(0, dot)}`);
  if (!t) return undefined;
  const f = findMemberPath(t, spec.slice(dot + 1));
  return f ? Math.floor(f.bitOffset / 8) : undefined;
}

export interface ListWalk {
  /** the entries' addresses, in order */
  entries: bigint[];
  /** why the walk stopped early, when it did (a NULL or unreadable next pointer, a repeated entry) */
  problem?: string;
  /** -H on an empty list */
  empty?: boolean;
}

/**
 * crash's list walk. `next` pointers are read at entry + `nextOffset`; with a list_head embedded at
 * `headOffset` (-h/-H) each pointer points at the embedded list_head, so the entry is pointer - headOffset.
 * The walk ends at NULL (an error for list_heads), at `end`, back at the start, or on a repeat.
 */
export function walkList(
  k: Kernel,
  start: bigint,
  o: { nextOffset: number; headOffset: number; listHead: boolean; end?: bigint; max?: number },
): ListWalk {
  const entries: bigint[] = [];
  const seen = new Set<bigint>();
  let next = start;
  const max = o.max ?? LIST_MAX_ENTRIES;
  for (;;) {
    const entry = next - BigInt(o.headOffset);
    if (seen.has(entry)) return { entries, problem: `duplicate list entry: ${next.toString(16)}` };
    seen.add(entry);
    entries.push(entry);
    if (entries.length >= max)
      return { entries, problem: `stopped after ${max} entries (a list that long is likely corrupted)` };
    const last = next;
    try {
      next = k.readU64(next + BigInt(o.nextOffset));
    } catch (err) {
      return { entries, problem: `invalid list entry: ${last.toString(16)} (${(err as Error).message})` };
    }
    if (next === 0n) return o.listHead ? { entries, problem: 'invalid list entry: 0' } : { entries };
    if (next === o.end || next === start || next === last) return { entries };
  }
}

const list: Command = {
  name: 'list',
  summary: 'walk a linked list: each entry, and chosen members of it',
  needsDump: true,
  options: {
    o: '=offset of the next pointer (NUMBER or struct.member)',
    e: '=address where the walk ends',
    s: '=struct or struct.member,member to print for each entry',
    l: '=offset of the list_head within the struct given to -s',
    h: 'START is a structure containing the list_head',
    H: 'START is a list head (not an entry)',
    r: 'walk backwards (the prev pointers of list_heads)',
    x: 'hexadecimal',
    d: 'decimal',
  },
  help: `NAME
  list - follow a linked list through the dump

SYNOPSIS
  list [[-o] OFFSET | STRUCT.MEMBER] [-e END] [-s STRUCT[.MEMBER[,MEMBER]] [-l OFFSET]]
       [-x|-d] [-r] [-h|-H] START

DESCRIPTION
  Prints the address of each entry of a list, starting at START (an address,
  a symbol or an expression). OFFSET (or STRUCT.MEMBER, which stands for its
  offset) says where in an entry the pointer to the next one is.

  Without -h or -H the next pointer points at the next entry itself and the
  walk ends at a NULL pointer or back at START. With -h START is an entry with
  a struct list_head at OFFSET, whose next pointers point at the list_head of
  the next entry; with -H START is a list_head that is not itself an entry
  (a list head such as a global LIST_HEAD), and the walk ends back at it.
  The walk also ends at END (-e) or at an entry seen before (said in one line).

OPTIONS
  -o OFFSET   the next pointer's offset (NUMBER or STRUCT.MEMBER)
  -e END      stop when the next pointer is END
  -s STRUCT   print each entry as the struct command would: the whole struct,
              or STRUCT.MEMBER,MEMBER for chosen members (repeatable)
  -l OFFSET   with -s: the list_head's offset in that struct (NUMBER or
              STRUCT.MEMBER), when entries are not the struct's start
  -h          START is an entry containing the list_head (at OFFSET)
  -H          START is a list head outside the entries
  -r          follow the prev pointers of list_heads instead (with -h/-H)
  -x, -d      integers of -s output in hexadecimal or decimal

EXAMPLES
  crash> list task_struct.tasks -s task_struct.pid -h init_task
  crash> list -H modules -o module.list -s module.name
  crash> list -r -H ffffffff89c1b2d0`,
  run(session, args) {
    const k = session.kernel!;
    const f = args.flags;
    let offset: number | undefined;
    let start: bigint | undefined;
    const parseOffset = (w: string): number => {
      const m = memberOffset(k, w);
      if (m !== undefined) return m;
      try {
        return Number(parseCount(w));
      } catch {
        throw new CommandError(`invalid offset: ${w}`);
      }
    };
    if (typeof f.o === 'string') offset = parseOffset(f.o);
    const pos = args.positional;
    if (pos.length > 2) throw new CommandError('too many arguments');
    for (let i = 0; i < pos.length; i++) {
      const w = pos[i]!;
      const m = w.includes('.') ? memberOffset(k, w) : undefined;
      if (m !== undefined) {
        if (offset !== undefined)
          throw new CommandError(`offset value ${offset} (0x${offset.toString(16)}) already entered`);
        offset = m;
      } else if (start === undefined && (i === pos.length - 1 || offset !== undefined || k.symbols.lookupAny(w))) {
        try {
          start = parseAddress(k, w);
        } catch (err) {
          throw new CommandError((err as Error).message);
        }
      } else if (offset === undefined) offset = parseOffset(w);
      else throw new CommandError(`invalid argument: ${w}`);
    }
    if (start === undefined) throw new CommandError('starting address required');
    if (!isKernelAddress(start)) throw new CommandError(`invalid kernel virtual address: ${start.toString(16)}`);
    const listHead = !!(f.h || f.H);
    if (f.r && !listHead) throw new CommandError('-r walks list_heads backwards: give -h or -H too');
    const headOffset = listHead ? (offset ?? 0) : 0;
    const nextOffset = listHead ? (f.r ? 8 : 0) : (offset ?? 0);
    let end = typeof f.e === 'string' ? parseAddress(k, f.e) : undefined;
    let first = start;
    if (f.H) {
      end ??= start;
      first = k.readU64(start + BigInt(nextOffset));
      if (first === start) return text(['(empty)'], { entries: [] });
    } else if (f.h) first = start + BigInt(headOffset);

    const walk = walkList(k, first, { nextOffset, headOffset, listHead, end });
    const structs = typeof f.s === 'string' ? f.s.split(/\s+/).filter(Boolean) : [];
    const structOffset = typeof f.l === 'string' ? parseOffset(f.l) : 0;
    const o: PrintOptions = { radix: f.x ? 16 : f.d ? 10 : session.settings.radix };
    const lines: string[] = [];
    let problem = walk.problem;
    entries: for (const entry of walk.entries) {
      session.checkCancelled();
      lines.push(entry.toString(16));
      for (const s of structs) {
        const dot = s.indexOf('.');
        const t = aggregateType(k, 'struct', dot < 0 ? s : s.slice(0, dot));
        const at = entry - BigInt(structOffset);
        try {
          if (dot < 0) lines.push(...`struct ${t.name} ${formatValue(k, { type: t, address: at }, o)}`.split('\n'));
          else lines.push(...formatMembers(k, { type: t, address: at }, s.slice(dot + 1).split(','), o));
        } catch (err) {
          // as crash: the walk stops at the entry that cannot be shown, and says why
          problem = `entry ${entry.toString(16)}: ${(err as Error).message}`;
          break entries;
        }
      }
    }
    const view = text(lines, { entries: walk.entries.map((e) => '0x' + e.toString(16)), problem });
    if (!problem) return view;
    return group(view, error(`list: ${problem}`)) as View;
  },
};

export default list;
