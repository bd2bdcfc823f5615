/**
 * net -s / -S / -R: the sockets among tasks' open files. -s is one line a socket (FAMILY:TYPE and, for
 * INET and INET6, the address-port pairs); -S shows the socket and sock addresses, then the two structures
 * in full; -R keeps only the sockets that match a reference (an fd number, or a socket or sock address).
 */
import { CommandError } from '../../src/command.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { AF_INET, AF_INET6, taskSockets, type SocketInfo, type TaskSockets } from '../../src/kernel/objects/sockets.js';
import { allTasks, taskHeader, type Task } from '../../src/kernel/objects/tasks.js';
import { resolve } from '../../src/kernel/types/type.js';
import { formatValue, type PrintOptions } from '../../src/render/gdb-value.js';
import { text, type TextView } from '../../src/render/view.js';
import { tasksOfWord } from '../../src/repl/task-selector.js';
import type { Session } from '../../src/session.js';

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
// crash pads DGRAM to the width of STREAM
const TYPES: Record<number, string> = { 1: 'STREAM', 2: 'DGRAM ', 3: 'RAW', 4: 'RDM', 5: 'SEQPACKET', 10: 'PACKET' };

/**
 * The structure -S shows for a sock of each family: the family's own (it begins with struct sock), so
 * that the members after the sock are the family's and not another family's read over them.
 */
const SOCK_STRUCTS: Record<number, string> = {
  [AF_INET]: 'inet_sock',
  [AF_INET6]: 'inet_sock',
  1: 'unix_sock',
  16: 'netlink_sock',
  17: 'packet_sock',
};

const SOCKETS_HEADER = 'FD      SOCKET            SOCK       FAMILY:TYPE SOURCE-PORT DESTINATION-PORT';
// -S: SOCKET and SOCK centred over 16-digit columns, as crash lays them out
const STRUCTS_HEADER = `FD  ${'SOCKET'.padStart(11).padEnd(16)}  ${'SOCK'.padStart(10).padEnd(16)}`;

const hex = (v: bigint): string => v.toString(16).padStart(16);
/** an address of a socket whose read failed before it was known: blank, never a 0 that looks read */
const addr = (s: SocketInfo, v: bigint): string => (s.problem && v === 0n ? ' '.repeat(16) : hex(v));

const familyName = (f: number): string => FAMILIES[f] ?? String(f);
const typeName = (t: number): string => (TYPES[t] ?? String(t)).trim();

/** crash's FAMILY:TYPE and address columns of one socket */
function socketText(s: SocketInfo): string {
  if (s.problem) return `(unreadable: ${s.problem})`;
  let t = `${FAMILIES[s.family] ?? s.family}:${TYPES[s.type] ?? s.type} `;
  if (s.family === AF_INET) t += ` ${s.source}-${s.sourcePort} ${s.destination}-${s.destinationPort}`;
  if (s.family === AF_INET6) {
    // the local pair right-aligned in 12, the remote one centred over the local one's width
    const src = `${s.source}-${s.sourcePort}`;
    const dst = `${s.destination}-${s.destinationPort}`;
    const left = Math.max(0, Math.floor((src.length - dst.length) / 2));
    t += `${src.padStart(12)} ${(' '.repeat(left) + dst).padEnd(src.length)}`;
  }
  return t;
}

/**
 * -R REF as crash reads it: decimal digits are an fd number; a word with hex letters (or 0x) is a socket
 * or sock address, or an fd written in hex.
 */
export type SocketReference = { fd: number } | { address: bigint };

export function parseSocketReference(word: string): SocketReference {
  if (/^\d+$/.test(word) && word.length < 10) return { fd: Number(word) };
  if (/^(0x)?[0-9a-f]+$/i.test(word)) return { address: BigInt(word.replace(/^(0x)?/i, '0x')) };
  throw new CommandError(`-R ${word}: not an fd number or a socket or sock address`);
}

function matches(s: SocketInfo, ref: SocketReference): boolean {
  if ('fd' in ref) return s.fd === ref.fd;
  return ref.address === s.socket || ref.address === s.sock || ref.address === BigInt(s.fd);
}

export interface SocketOptions {
  /** -S: the structures in full */
  full: boolean;
  ref?: SocketReference;
  /** -x / -d, else the session's radix */
  radix: 10 | 16;
}

/** -S: the struct socket and the family's sock structure, as gdb prints them */
function structLines(k: Kernel, s: SocketInfo, radix: 10 | 16): string[] {
  const o: PrintOptions = { radix };
  const show = (name: string, address: bigint): string[] => {
    const t = k.findType(`struct ${name}`) ?? k.debugInfo?.types.find(`struct ${name}`);
    if (!t || resolve(t).kind !== 'struct') return [`net: this kernel has no struct ${name}`];
    try {
      return `struct ${name} ${formatValue(k, { type: t, address }, o)}`.split('\n');
    } catch (e) {
      return [`net: struct ${name} at ${address.toString(16)}: ${(e as Error).message}`];
    }
  };
  const sockStruct = (s.problem ? undefined : SOCK_STRUCTS[s.family]) ?? 'sock';
  const known = k.findType(`struct ${sockStruct}`) ?? k.debugInfo?.types.find(`struct ${sockStruct}`);
  return [...show('socket', s.socket), ...show(known ? sockStruct : 'sock', s.sock)];
}

/** One task's sockets: crash's lines (no header line of the task) and the sockets shown. */
function taskSocketLines(k: Kernel, t: Task, o: SocketOptions): { lines: string[]; sockets: SocketInfo[] } {
  let all: TaskSockets | undefined;
  try {
    all = taskSockets(k, t.address);
  } catch (e) {
    return { lines: [`net: open files of PID ${t.pid} unreadable: ${(e as Error).message}`], sockets: [] };
  }
  const sockets = (all?.sockets ?? []).filter((s) => !o.ref || matches(s, o.ref));
  // fds the dump cannot say are sockets or not: named, never counted as "no sockets" (with -R: only the fd asked for)
  const notes: string[] = [];
  if (all?.problem) notes.push(`net: PID ${t.pid}: file table unreadable: ${all.problem}`);
  for (const u of all?.unreadable ?? [])
    if (!o.ref || ('fd' in o.ref ? o.ref.fd === u.fd : false))
      notes.push(`net: PID ${t.pid} fd ${u.fd}: file ${u.file.toString(16)} unreadable: ${u.reason}`);
  if (!sockets.length) {
    if (o.ref) return { lines: notes, sockets };
    return {
      lines: [notes.length ? 'No open sockets among the readable fds.' : 'No open sockets.', ...notes],
      sockets,
    };
  }
  const lines: string[] = [];
  const shown: (SocketInfo & { structures?: string[] })[] = [];
  if (!o.full) lines.push(SOCKETS_HEADER);
  for (const [i, s0] of sockets.entries()) {
    // JSON: the family and type by name too (UNIX sockets' bound path is data only: crash's line has no room)
    const s = s0.problem ? s0 : { ...s0, familyName: familyName(s0.family), typeName: typeName(s0.type) };
    if (!o.full) {
      lines.push(`${String(s.fd).padStart(2)} ${addr(s, s.socket)} ${addr(s, s.sock)} ${socketText(s)}`);
      shown.push(s);
      continue;
    }
    if (i > 0) lines.push('');
    lines.push(STRUCTS_HEADER, `${String(s.fd).padStart(2)}  ${addr(s, s.socket)}  ${addr(s, s.sock)}`, '');
    const structures = structLines(k, s, o.radix);
    lines.push(...structures);
    // JSON: the two structures as gdb printed them
    shown.push({ ...s, structures });
  }
  return { lines: [...lines, ...notes], sockets: shown };
}

/**
 * net -s|-S [-R REF] [PID | TASK ...]: each task's header and its sockets; with -R only the tasks that hold
 * the reference, each followed by a blank line (so that foreach's run reads as crash's).
 */
export function socketsView(session: Session, k: Kernel, words: string[], o: SocketOptions): TextView {
  const table = allTasks(k);
  const lines: string[] = [];
  const data: unknown[] = [];
  // as crash: a blank line before each task header and error after the first (none between -R's tasks)
  let subsequent = 0;
  const show = (t: Task): void => {
    session.checkCancelled();
    const r = taskSocketLines(k, t, o);
    if (o.ref) {
      if (!r.lines.length) return;
      lines.push(taskHeader(t), ...r.lines, '');
    } else {
      if (subsequent++) lines.push('');
      lines.push(taskHeader(t), ...r.lines);
    }
    data.push({ pid: t.pid, task: t.address, comm: t.comm, sockets: r.sockets });
  };
  if (!words.length) {
    const cur = session.currentTask();
    const t = cur === undefined ? undefined : table.byAddress.get(cur);
    if (!t) throw new CommandError('the current task cannot be read: give a PID or task address');
    show(t);
  }
  for (const w of words) {
    let tasks: Task[];
    try {
      tasks = tasksOfWord(table, w).tasks;
    } catch (e) {
      if (subsequent++) lines.push('');
      lines.push(`net: ${(e as Error).message}`);
      continue;
    }
    tasks.forEach(show);
  }
  return text(lines, data);
}
