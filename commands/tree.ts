/** tree: the entries of a red-black tree, an XArray or a radix tree, crash's way. */
import { CommandError, type Command } from '../src/command.js';
import { parseAddress, parseCount } from '../src/kernel/address.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { walkRbtree, walkXarray, type TreeWalk } from '../src/kernel/objects/trees.js';
import { mapleTreeEntries } from '../src/kernel/objects/maple-tree.js';
import { findMemberPath } from '../src/kernel/types/type.js';
import { formatMembers, formatValue, type PrintOptions } from '../src/render/gdb-value.js';
import { error, group, text } from '../src/render/view.js';
import { aggregateType } from './struct.js';

const TYPES: Record<string, 'rbtree' | 'xarray' | 'radix' | 'maple'> = {
  rbtree: 'rbtree',
  rb: 'rbtree',
  xarray: 'xarray',
  x: 'xarray',
  radix: 'radix',
  ra: 'radix',
  maple: 'maple',
  m: 'maple',
};

/** NUMBER or struct.member → a byte offset. */
function offsetArg(k: Kernel, w: string): number {
  const dot = w.indexOf('.');
  if (dot > 0) {
    const t = k.findType(`struct ${w.slice(0, dot)}`) ?? k.findType(`union ${w.slice(0, dot)}`);
    const f = t && findMemberPath(t, w.slice(dot + 1));
    if (!f) throw new CommandError(`invalid structure member: ${w}`);
    return Math.floor(f.bitOffset / 8);
  }
  try {
    return Number(parseCount(w));
  } catch {
    throw new CommandError(`invalid offset: ${w}`);
  }
}

const tree: Command = {
  name: 'tree',
  summary: 'list the entries of a red-black tree, XArray, radix tree or maple tree',
  needsDump: true,
  options: {
    t: '=tree type: rbtree, xarray, radix or maple',
    r: '=offset of the root within the structure at START',
    o: '=rbtree: offset of the rb_node within its containing structure',
    s: '=struct or struct.member,member to print for each entry',
    l: 'rbtree: in order, leftmost first',
    p: "show each entry's position",
    N: 'START is a node, not a root',
    x: 'hexadecimal',
    d: 'decimal',
  },
  help: `NAME
  tree - walk a red-black tree, an XArray or a radix tree

SYNOPSIS
  tree [-t rbtree|xarray|radix|maple] [-r OFFSET] [-o OFFSET] [-s STRUCT[.MEMBER[,MEMBER]]]
       [-l] [-p] [-x|-d] [-N] START

DESCRIPTION
  Prints each entry of the tree whose root is at START (an address, a symbol
  or an expression): for a red-black tree the address of each node's
  containing structure (the rb_node's address less -o OFFSET), root first and
  then each left and right subtree (with -l: in order, leftmost first); for an
  XArray or radix tree each entry stored in it, by index; for a maple tree
  (a process's VMAs: -r mm_struct.mm_mt) each entry in range order, in hex
  (crash 9 prints these in decimal). With -N, START is
  a node (struct rb_node or struct xa_node) rather than a root. OFFSET may be
  a number or STRUCT.MEMBER. A tree with a node met twice, or a node that
  cannot be read, ends the walk with one line saying so.

OPTIONS
  -t TYPE    rbtree (the default), xarray, radix or maple (rb, x, ra, m)
  -r OFFSET  START is a structure holding the root at OFFSET
  -o OFFSET  rbtree: the rb_node's offset within the structures of the tree
  -s STRUCT  print each entry as the struct command would (repeatable)
  -l         rbtree: in order instead of root first
  -p         each entry's position: root/l/r for an rbtree, the slot path
             and index for an XArray, the index range for a maple tree
  -x, -d     integers of -s output in hexadecimal or decimal

EXAMPLES
  crash> tree -t rbtree -o vmap_area.rb_node vmap_area_root
  crash> tree -t xarray -s pid.level init_pid_ns.idr.idr_rt
  crash> tree -t rbtree -l -p -o vmap_area.rb_node -s vmap_area.va_start vmap_area_root`,
  run(session, args) {
    const k = session.kernel!;
    const f = args.flags;
    const kind = TYPES[typeof f.t === 'string' ? f.t : 'rbtree'];
    if (!kind) throw new CommandError(`invalid tree type: ${String(f.t)} (rbtree, xarray, radix or maple)`);
    if (args.positional.length !== 1) throw new CommandError("give one START: the address of the tree's root");
    let start: bigint;
    try {
      start = parseAddress(k, args.positional[0]!);
    } catch (err) {
      throw new CommandError((err as Error).message);
    }
    const rootOffset = typeof f.r === 'string' ? offsetArg(k, f.r) : 0;
    const nodeOffset = typeof f.o === 'string' ? offsetArg(k, f.o) : 0;
    if (kind !== 'rbtree' && typeof f.o === 'string') throw new CommandError('-o is for red-black trees only');
    let walk: TreeWalk;
    if (kind === 'rbtree') {
      const node = f.N
        ? start
        : k.readU64(start + BigInt(rootOffset) + BigInt(k.offsetOf('struct rb_root', 'rb_node')));
      walk = walkRbtree(k, node, !!f.l);
    } else if (kind === 'maple') {
      // crash 9 prints maple entries in decimal; addresses are hexadecimal here as in every other tree
      const m = mapleTreeEntries(k, start + BigInt(rootOffset));
      walk = {
        entries: m.entries.map((e, i) => ({
          address: e.value,
          position: `${e.first.toString(16)}-${e.last.toString(16)}`,
          index: BigInt(i + 1),
        })),
        problem: m.broken.length
          ? `maple node ${m.broken[0]!.toString(16)} unreadable: its entries are missing`
          : undefined,
      };
    } else {
      const headMember = k.hasMember('struct xarray', 'xa_head') ? 'xa_head' : undefined;
      if (!headMember)
        throw new CommandError(
          'this kernel has no struct xarray (before 4.20): radix trees of old kernels are not read',
        );
      const head = f.N
        ? start | 2n
        : k.readU64(start + BigInt(rootOffset) + BigInt(k.offsetOf('struct xarray', headMember)));
      walk = walkXarray(k, head);
    }
    const structs = typeof f.s === 'string' ? f.s.split(/\s+/).filter(Boolean) : [];
    const o: PrintOptions = { radix: f.x ? 16 : f.d ? 10 : session.settings.radix };
    const lines: string[] = [];
    let problem = walk.problem;
    entries: for (const e of walk.entries) {
      session.checkCancelled();
      const at = kind === 'rbtree' ? e.address - BigInt(nodeOffset) : e.address;
      lines.push(at.toString(16));
      if (f.p)
        lines.push(
          kind === 'rbtree'
            ? `  position: ${e.position}`
            : `  index: ${e.index}  ${kind === 'maple' ? 'range' : 'position'}: ${e.position}`,
        );
      for (const s of structs) {
        const dot = s.indexOf('.');
        const t = aggregateType(k, 'struct', dot < 0 ? s : s.slice(0, dot));
        try {
          if (dot < 0) lines.push(...`struct ${t.name} ${formatValue(k, { type: t, address: at }, o)}`.split('\n'));
          else lines.push(...formatMembers(k, { type: t, address: at }, s.slice(dot + 1).split(','), o));
        } catch (err) {
          problem = `entry ${at.toString(16)}: ${(err as Error).message}`;
          break entries;
        }
      }
    }
    const view = text(lines, {
      entries: walk.entries.map((e) => ({
        address: '0x' + e.address.toString(16),
        position: e.position,
        index: e.index,
      })),
      problem,
    });
    return problem ? group(view, error(`tree: ${problem}`)) : view;
  },
};

export default tree;
