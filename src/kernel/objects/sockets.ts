/**
 * The sockets among a task's open files: a socket file's private_data is its struct socket
 * (sock_alloc_file), whose sk is the struct sock; an AF_INET/AF_INET6 sock is the head of a struct
 * inet_sock, whose addresses and ports sit in sock_common (skc_rcv_saddr, skc_daddr, skc_dport,
 * skc_v6_rcv_saddr, skc_v6_daddr) and inet_sock.inet_sport. The struct socket is the head of a struct
 * socket_alloc whose vfs_inode's number is the one /proc/PID/fd shows ("socket:[N]"); an AF_UNIX sock is the
 * head of a struct unix_sock whose addr (struct unix_address) holds the name it was bound to.
 */
import type { Kernel } from '../kernel.js';
import { taskOpenFiles } from './fs.js';

export interface SocketInfo {
  fd: number;
  file: bigint;
  socket: bigint;
  sock: bigint;
  family: number;
  type: number;
  /** IPv4: dotted quads; IPv6: the 16 address bytes as hex groups */
  source?: string;
  destination?: string;
  sourcePort?: number;
  destinationPort?: number;
  /** the sockfs inode's number: /proc/PID/fd's "socket:[N]" */
  inode?: number;
  /** struct socket's state (socket_state: SS_UNCONNECTED 1, SS_CONNECTED 3, ...) */
  socketState?: number;
  /** the sock's skc_state (TCP_ESTABLISHED 1, TCP_CLOSE 7, TCP_LISTEN 10, ...) */
  state?: number;
  /** AF_UNIX: the bound name, a path or "@name" in the abstract namespace; null when unbound */
  path?: string | null;
  problem?: string;
  /** what of the extras (inode, states, path) could not be read; the rest of the row stands */
  extraProblems?: string[];
}

export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_UNIX = 1;

const be16 = (k: Kernel, addr: bigint): number => k.read(addr, 2).readUInt16BE(0);

/** A task's sockets, and what of its file table could not be read (those fds may be sockets too). */
export interface TaskSockets {
  sockets: SocketInfo[];
  /** fds whose file, dentry or inode the dump lacks */
  unreadable: { fd: number; file: bigint; reason: string }[];
  /** the file table itself could not be read */
  problem?: string;
}

export function taskSockets(k: Kernel, task: bigint): TaskSockets | undefined {
  const files = taskOpenFiles(k, task);
  if (!files) return undefined;
  const out: SocketInfo[] = [];
  for (const f of files.files) {
    if (f.type !== 'SOCK') continue;
    const s: SocketInfo = { fd: f.fd, file: f.file, socket: 0n, sock: 0n, family: 0, type: 0 };
    try {
      s.socket = k.object('struct file', f.file).field('private_data').value();
      const socket = k.object('struct socket', s.socket);
      s.sock = socket.field('sk').value();
      const sk = k.object('struct sock', s.sock);
      const common = sk.field('__sk_common');
      s.family = common.field('skc_family').num();
      s.type = sk.field('sk_type').num();
      if (s.family === AF_INET || s.family === AF_INET6) {
        s.sourcePort = be16(k, k.object('struct inet_sock', s.sock).field('inet_sport').address);
        s.destinationPort = be16(k, common.field('skc_dport').address);
      }
      if (s.family === AF_INET) {
        s.source = [...k.read(common.field('skc_rcv_saddr').address, 4)].join('.');
        s.destination = [...k.read(common.field('skc_daddr').address, 4)].join('.');
      } else if (s.family === AF_INET6) {
        const groups = (a: bigint): string => {
          const b = k.read(a, 16);
          return Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16)).join(':');
        };
        s.source = groups(common.field('skc_v6_rcv_saddr').address);
        s.destination = groups(common.field('skc_v6_daddr').address);
      }
    } catch (e) {
      s.problem = (e as Error).message;
    }
    if (s.socket) readExtras(k, s);
    out.push(s);
  }
  return { sockets: out, unreadable: files.unreadable, problem: files.problem };
}

/** The inode number, states and (AF_UNIX) bound name of a socket: each read on its own, a miss is named. */
function readExtras(k: Kernel, s: SocketInfo): void {
  const problems: string[] = [];
  const attempt = (what: string, read: () => void): void => {
    try {
      read();
    } catch (e) {
      problems.push(`${what}: ${(e as Error).message}`);
    }
  };
  attempt('inode', () => {
    const alloc = k.containerOf(s.socket, 'struct socket_alloc', 'socket');
    s.inode = Number(alloc.field('vfs_inode').field('i_ino').value());
  });
  attempt('socket state', () => {
    s.socketState = k.object('struct socket', s.socket).field('state').num();
  });
  if (!s.sock || s.problem) {
    if (problems.length) s.extraProblems = problems;
    return;
  }
  attempt('sock state', () => {
    s.state = k.object('struct sock', s.sock).field('__sk_common').field('skc_state').num();
  });
  if (s.family === AF_UNIX) attempt('unix address', () => (s.path = unixName(k, s.sock)));
  if (problems.length) s.extraProblems = problems;
}

/**
 * The name an AF_UNIX sock is bound to: unix_sock.addr is a struct unix_address whose len counts the
 * sockaddr_un bytes used (sun_family included). A first byte of 0 in sun_path is the abstract namespace (shown
 * as "@", as /proc/net/unix does); a path name ends at its NUL.
 */
function unixName(k: Kernel, sock: bigint): string | null {
  const addr = k.object('struct unix_sock', sock).field('addr').value();
  if (addr === 0n) return null;
  const ua = k.object('struct unix_address', addr);
  const len = ua.field('len').num();
  const familySize = k.offsetOf('struct sockaddr_un', 'sun_path');
  const pathMax = k.object('struct sockaddr_un', 0n).field('sun_path').size;
  const n = Math.min(Math.max(len - familySize, 0), pathMax);
  const bytes = k.read(ua.field('name').address + BigInt(familySize), n);
  if (n > 0 && bytes[0] === 0) return '@' + bytes.subarray(1).toString('latin1');
  const end = bytes.indexOf(0);
  return bytes.subarray(0, end < 0 ? n : end).toString('latin1');
}
