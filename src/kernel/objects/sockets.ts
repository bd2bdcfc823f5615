/**
 * The sockets among a task's open files: a socket file's private_data is its struct socket
 * (sock_alloc_file), whose sk is the struct sock; an AF_INET/AF_INET6 sock is the head of a struct
 * inet_sock, whose addresses and ports sit in sock_common (skc_rcv_saddr, skc_daddr, skc_dport,
 * skc_v6_rcv_saddr, skc_v6_daddr) and inet_sock.inet_sport.
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
  problem?: string;
}

export const AF_INET = 2;
export const AF_INET6 = 10;

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
    out.push(s);
  }
  return { sockets: out, unreadable: files.unreadable, problem: files.problem };
}
