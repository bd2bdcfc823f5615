/** net: the network devices of the current task's network namespace and their IPv4/IPv6 addresses. */
import { CommandError, type Args, type Command } from '../src/command.js';
import { netDevices, netNamespaceOf, type NetDevice } from '../src/kernel/objects/net.js';
import { allTasks } from '../src/kernel/objects/tasks.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { tasksOfWord } from '../src/repl/task-selector.js';
import { text, type TableView, type View } from '../src/render/view.js';
import type { Session } from '../src/session.js';
import { arpCache } from '../src/kernel/objects/arp.js';
import { parseSocketReference, socketsView } from './net/sockets.js';

const hex16 = (v: unknown): string => (v as bigint).toString(16).padStart(16, '0');

/** a device's IPv4 then IPv6 addresses, or why they cannot be read */
function addresses(row: Record<string, unknown>): string {
  const d = row as unknown as NetDevice;
  return d.problem ? `(unreadable: ${d.problem})` : [...d.ipv4, ...d.ipv6].join(', ');
}

const SYNOPSIS = 'net [-s | -S [-x | -d]] [-R REF] [PID | TASK ...] | net -a | net -n [PID | TASK] | net -N ADDRESS';

/** crash's answer to a flag that needs another (-R, -x or -d without -s/-S) */
const usage = (): View => text(['Usage:', `  ${SYNOPSIS}`, 'Enter "help net" for details.']);

const HELP = `net - network devices, sockets and the ARP cache

SYNOPSIS
  ${SYNOPSIS}

Lists the network devices (struct net_device) of the current context's network namespace — the
initial namespace for most tasks — with each device's name and its IPv4 then IPv6 addresses, as
crash does. Change the context with \`set PID\` to see another container's devices.

OPTIONS
  -s   the open sockets of the current task, or of each task named: FD, struct socket, struct sock,
       FAMILY:TYPE, and for IPv4/IPv6 the local and remote address-port pairs. The JSON output adds
       each socket's inode number (/proc/PID/fd's socket:[N]), its states, and a UNIX socket's bound
       path ("@name" in the abstract namespace)
  -S   the same sockets, each as its FD, socket and sock addresses followed by the struct socket and
       the sock in full (struct inet_sock for INET and INET6, unix_sock for UNIX, struct sock when
       the family has no structure of its own here)
  -x, -d  with -S: print the structures' integers in hex or in decimal (default: the session's radix)
  -R REF  with -s or -S: only the sockets that REF names, and only the tasks holding one: an fd number
       (decimal digits), or a struct socket or struct sock address (hex). "foreach net -s -R REF"
       finds every task holding a socket
  -a   the IPv4 neighbour (ARP) cache, arp_tbl: each struct neighbour with its IP address, hardware
       type and address, device and NUD state (REACHABLE, STALE, PERMANENT ...); nothing when empty
  -n [PID | TASK]  the devices of that task's network namespace (of the current context without one)
  -N ADDRESS  an IPv4 address held as a number (decimal, or hex) in dotted form, its bytes in memory
       order: 16777343 or 0x100007f is 127.0.0.1

EXAMPLES
  net
  net -s 127
  net -S -x 127
  foreach net -s -R ffff8d3802d7d580
  net -n 1234
  net -N 0x0f02000a
  set 1234
  net`;

/**
 * foreach net: crash runs it with -s or -S only (-s, with a warning, when neither or both are given); with
 * -R each task that holds the socket ends with its own blank line, so foreach adds none between tasks.
 */
export function foreachNetWords(rest: string[]): { words: string[]; warnings: string[]; ownGap: boolean } {
  const flags = rest.filter((w) => /^-[a-zA-Z]+$/.test(w)).join('');
  const s = flags.includes('s');
  const S = flags.includes('S');
  const ownGap = rest.some((w) => /^-[a-zA-Z]*R/.test(w));
  if (s && S) {
    const words = rest.filter((w) => w !== '-S').map((w) => (/^-[a-zA-Z]+$/.test(w) ? w.replace('S', '') : w));
    return { words, warnings: ['WARNING: net -s and -S options are mutually exclusive!'], ownGap };
  }
  if (!s && !S)
    return { words: ['-s', ...rest], warnings: ['WARNING: net command requires -s or -S option', ''], ownGap };
  return { words: rest, warnings: [], ownGap };
}

/** ARPHRD_* names crash shows (include/uapi/linux/if_arp.h) */
const HW_TYPES: Record<number, string> = {
  0: 'NETROM',
  1: 'ETHER',
  2: 'EETHER',
  3: 'AX25',
  4: 'PRONET',
  5: 'CHAOS',
  6: 'IEEE802',
  7: 'ARCNET',
  8: 'APPLETLK',
  15: 'DLCI',
  23: 'METRICOM',
};
/** NUD_* bits in the order crash names them (include/uapi/linux/neighbour.h) */
const NUD_STATES: [number, string][] = [
  [0x01, 'INCOMPLETE'],
  [0x02, 'REACHABLE'],
  [0x04, 'STALE'],
  [0x08, 'DELAY'],
  [0x10, 'PROBE'],
  [0x20, 'FAILED'],
  [0x40, 'NOARP'],
  [0x80, 'PERMANENT'],
];

/** net -a: the IPv4 neighbour cache; nothing at all when it is empty (as crash). */
function arpView(k: Kernel): View {
  let cache;
  try {
    cache = arpCache(k);
  } catch (e) {
    const why = (e as Error).message;
    throw new CommandError(/does not exist/.test(why) ? why : `ARP cache (arp_tbl) unreadable: ${why}`);
  }
  const lines: string[] = [];
  if (cache.neighbours.length)
    lines.push('NEIGHBOUR        IP ADDRESS      HW TYPE    HW ADDRESS         DEVICE  STATE');
  for (const n of cache.neighbours) {
    // as crash: an Ethernet address colon-separated, any other kind byte by byte, each followed by a space
    const bytes = n.hw.map((b) => b.toString(16).padStart(2, '0'));
    const hw = n.hwType === 1 ? bytes.join(':') + ' ' : bytes.map((b) => b + ' ').join('');
    const state = NUD_STATES.filter(([bit]) => n.state & bit)
      .map(([, name]) => name)
      .join('|');
    lines.push(
      `${n.address.toString(16).padEnd(16)} ${n.ip.padEnd(16)}${(HW_TYPES[n.hwType] ?? 'UNKNOWN').padEnd(10)} ${hw} ${n.device.padEnd(6)}  ${state}`,
    );
  }
  for (const p of cache.problems) lines.push(`net: ARP cache ${p}`);
  return text(lines, cache);
}

/** -N: a 32-bit value (decimal digits, else hex) as an IPv4 address, its low byte first as it lies in memory */
function dottedQuad(word: string): string {
  const v = /^\d+$/.test(word)
    ? BigInt(word)
    : /^(0x)?[0-9a-f]+$/i.test(word)
      ? BigInt(word.replace(/^(0x)?/i, '0x'))
      : undefined;
  if (v === undefined) throw new CommandError(`not a valid number: ${word}`);
  return [0n, 8n, 16n, 24n].map((s) => String((v >> s) & 0xffn)).join('.');
}

/** -n PID|TASK: decimal digits are a pid, anything else a task_struct address */
function namedTask(k: Kernel, word: string): bigint {
  let t;
  try {
    t = /^(\d+|(0x)?[0-9a-f]+)$/i.test(word) ? tasksOfWord(allTasks(k), word).tasks[0] : undefined;
  } catch (e) {
    // a task the dump lost is named as such; any other miss is crash's "invalid task or pid value"
    if (/cannot be read/.test((e as Error).message)) throw e;
    t = undefined;
  }
  if (!t) throw new CommandError(`invalid task or pid value: ${word}`);
  return t.address;
}

const net: Command = {
  name: 'net',
  summary: 'network devices and their addresses',
  help: HELP,
  needsDump: true,
  options: {
    s: 'sockets of tasks',
    S: 'sockets of tasks with their structures',
    R: '=a socket, sock or fd to look for',
    x: 'structures in hex',
    d: 'structures in decimal',
    a: 'the ARP cache',
    n: "a task's network namespace",
    N: '=an IPv4 address as a number',
  },
  run(session: Session, args: Args): View {
    const k = session.kernel;
    if (!k) throw new CommandError('no dump is open');
    const f = args.flags;
    if (f.x && f.d) throw new CommandError('-d and -x are mutually exclusive');
    if (f.s || f.S) {
      // crash takes the first of -s and -S given and names the other
      const first = args.raw.find((w) => /^-[a-zA-Z]*[sS]/.test(w));
      const full = f.s && f.S ? /^-[a-rt-zA-Z]*S/.test(first ?? '') : !!f.S;
      const radix = f.x ? 16 : f.d ? 10 : session.settings.radix;
      const ref = f.R === undefined ? undefined : parseSocketReference(String(f.R));
      const view = socketsView(session, k, args.positional, { full, radix, ref });
      if (f.s && f.S) view.lines.unshift('net: only one -s or -S option allowed');
      return view;
    }
    if (f.a) return arpView(k);
    if (typeof f.N === 'string') return text([dottedQuad(f.N)], { address: dottedQuad(f.N) });
    if (f.R !== undefined || f.x || f.d) return usage();
    let task = session.currentTask();
    if (args.flags.n && args.positional.length === 1) task = namedTask(k, args.positional[0]!);
    else if (args.positional.length) throw new CommandError(`unexpected argument: ${args.positional[0]}`);
    let list;
    try {
      list = netDevices(k, netNamespaceOf(k, task));
    } catch (e) {
      throw new CommandError((e as Error).message);
    }
    // crash: the NET_DEVICE header centred over a 16-digit address column, the name in 10 columns
    const view: TableView = {
      kind: 'table',
      columns: [
        { key: 'address', header: '   NET_DEVICE   ', align: 'left', width: 16, fixed: true, sep: '', format: hex16 },
        { key: 'name', header: 'NAME', align: 'left', width: 10, fixed: true, sep: '  ' },
        { key: 'ipv4', header: 'IP ADDRESS(ES)', align: 'left', width: 0, format: (_v, d) => addresses(d) },
      ],
      rows: list.devices as unknown as Record<string, unknown>[],
      rowAction: 'struct net_device {address}',
      data: list,
    };
    if (list.unreadable)
      view.after = [`net: ${list.unreadable} device list entr${list.unreadable === 1 ? 'y' : 'ies'} not in the dump`];
    return view;
  },
};

export default net;
