/** net: the network devices of the current task's network namespace and their IPv4/IPv6 addresses. */
import { CommandError, type Args, type Command } from '../src/command.js';
import { netDevices, netNamespaceOf, type NetDevice } from '../src/kernel/objects/net.js';
import { AF_INET, AF_INET6, taskSockets, type SocketInfo } from '../src/kernel/objects/sockets.js';
import { allTasks, taskHeader } from '../src/kernel/objects/tasks.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { targetTasks, tasksOfWord } from '../src/repl/task-selector.js';
import { text, type TableView, type View } from '../src/render/view.js';
import type { Session } from '../src/session.js';
import { arpCache } from '../src/kernel/objects/arp.js';

const hex16 = (v: unknown): string => (v as bigint).toString(16).padStart(16, '0');

/** a device's IPv4 then IPv6 addresses, or why they cannot be read */
function addresses(row: Record<string, unknown>): string {
  const d = row as unknown as NetDevice;
  return d.problem ? `(unreadable: ${d.problem})` : [...d.ipv4, ...d.ipv6].join(', ');
}

const HELP = `net - network devices

SYNOPSIS
  net [-s [PID | TASK ...]] | net -a | net -n [PID | TASK] | net -N ADDRESS

Lists the network devices (struct net_device) of the current context's network namespace — the
initial namespace for most tasks — with each device's name and its IPv4 then IPv6 addresses, as
crash does. Change the context with \`set PID\` to see another container's devices.

OPTIONS
  -s   the open sockets of the current task, or of each task named: FD, struct socket, struct sock,
       FAMILY:TYPE, and for IPv4/IPv6 the local and remote address-port pairs
  -a   the IPv4 neighbour (ARP) cache, arp_tbl: each struct neighbour with its IP address, hardware
       type and address, device and NUD state (REACHABLE, STALE, PERMANENT ...); nothing when empty
  -n [PID | TASK]  the devices of that task's network namespace (of the current context without one)
  -N ADDRESS  an IPv4 address held as a number (decimal, or hex) in dotted form, its bytes in memory
       order: 16777343 or 0x100007f is 127.0.0.1

EXAMPLES
  net
  net -s 127
  net -n 1234
  net -N 0x0f02000a
  set 1234
  net`;

const FAMILIES: Record<number, string> = {
  0: 'UNSPEC',
  1: 'UNIX',
  2: 'INET',
  3: 'AX25',
  4: 'IPX',
  5: 'APPLETALK',
  6: 'NETROM',
  7: 'BRIDGE',
  8: 'ATMPVC',
  9: 'X25',
  10: 'INET6',
  11: 'ROSE',
  12: 'DECnet',
  13: 'NETBEUI',
  14: 'SECURITY/KEY',
  16: 'NETLINK/ROUTE',
  17: 'PACKET',
  18: 'ASH',
  19: 'ECONET',
  20: 'ATMSVC',
  22: 'SNA',
  23: 'IRDA',
  24: 'PPPOX',
};
const TYPES: Record<number, string> = { 1: 'STREAM', 2: 'DGRAM ', 3: 'RAW', 4: 'RDM', 5: 'SEQPACKET', 10: 'PACKET' };

/** crash's FAMILY:TYPE and address columns of one socket */
function socketText(s: SocketInfo): string {
  if (s.problem) return `(unreadable: ${s.problem})`;
  let t = `${FAMILIES[s.family] ?? s.family}:${TYPES[s.type] ?? s.type} `;
  if (s.family === AF_INET) t += ` ${s.source}-${s.sourcePort} ${s.destination}-${s.destinationPort}`;
  if (s.family === AF_INET6) {
    const src = `${s.source}-${s.sourcePort}`;
    const dst = `${s.destination}-${s.destinationPort}`;
    const left = Math.max(0, Math.floor((src.length - dst.length) / 2));
    t += `${src.padStart(12)} ${(' '.repeat(left) + dst).padEnd(src.length)}`;
  }
  return t;
}

function socketsView(k: Kernel, session: Session, words: string[]): View {
  const tasks = targetTasks(allTasks(k), words, session.currentTask());
  const lines: string[] = [];
  const data = [];
  for (const t of tasks) {
    if (lines.length) lines.push('');
    lines.push(taskHeader(t));
    const socks = taskSockets(k, t.address);
    if (!socks?.length) {
      lines.push('No open sockets.');
      continue;
    }
    lines.push('FD      SOCKET            SOCK       FAMILY:TYPE SOURCE-PORT DESTINATION-PORT');
    for (const s of socks) {
      lines.push(
        `${String(s.fd).padStart(2)} ${s.socket.toString(16).padStart(16)} ${s.sock.toString(16).padStart(16)} ${socketText(s)}`,
      );
    }
    data.push({ pid: t.pid, task: t.address, sockets: socks });
  }
  return text(lines, data);
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
    throw new CommandError((e as Error).message);
  }
  const lines: string[] = [];
  if (cache.neighbours.length)
    lines.push('NEIGHBOUR        IP ADDRESS      HW TYPE    HW ADDRESS         DEVICE  STATE');
  for (const n of cache.neighbours) {
    const hw = n.hw.map((b) => b.toString(16).padStart(2, '0')).join(':') + ' ';
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
  } catch {
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
    a: 'the ARP cache',
    n: "a task's network namespace",
    N: '=an IPv4 address as a number',
  },
  run(session: Session, args: Args): View {
    const k = session.kernel;
    if (!k) throw new CommandError('no dump is open');
    if (args.flags.s) return socketsView(k, session, args.positional);
    if (args.flags.a) return arpView(k);
    if (typeof args.flags.N === 'string')
      return text([dottedQuad(args.flags.N)], { address: dottedQuad(args.flags.N) });
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
