/**
 * Network devices of a network namespace (struct net.dev_base_head, linked through
 * net_device.dev_list) and their addresses: IPv4 from in_device.ifa_list (in_ifaddr, linked by
 * ifa_next), IPv6 from inet6_dev.addr_list (inet6_ifaddr.if_list).
 */
import type { Kernel } from '../kernel.js';
import { walkListBothWays } from './task-lists.js';

export interface NetDevice {
  address: bigint;
  name: string;
  ipv4: string[];
  ipv6: string[];
  /** what could not be read about this device (its addresses), if anything */
  problem?: string;
}

export interface NetDeviceList {
  /** the struct net walked */
  net: bigint;
  devices: NetDevice[];
  /** list entries on pages the dump lacks */
  unreadable: number;
}

/**
 * The network namespace of a task (task->nsproxy->net_ns); init_net when the task has none (an exited
 * task) or no task is given.
 */
export function netNamespaceOf(k: Kernel, task: bigint | undefined): bigint {
  if (task !== undefined) {
    try {
      const ns = k.object('struct task_struct', task).field('nsproxy').value();
      if (ns !== 0n) {
        const net = k.object('struct nsproxy', ns).field('net_ns').value();
        if (net !== 0n) return net;
      }
    } catch {
      /* fall back to the initial namespace */
    }
  }
  return k.sym('init_net');
}

export function netDevices(k: Kernel, net: bigint): NetDeviceList {
  const head = net + BigInt(k.offsetOf('struct net', 'dev_base_head'));
  const walk = walkListBothWays(k, head);
  if (walk.headUnreadable) throw new Error(`net.dev_base_head at ${head.toString(16)} is not in the dump`);
  const linkOff = BigInt(k.offsetOf('struct net_device', 'dev_list'));
  const devices: NetDevice[] = [];
  for (const node of walk.nodes) {
    const dev = k.object('struct net_device', node - linkOff);
    const d: NetDevice = { address: dev.address, name: '', ipv4: [], ipv6: [] };
    try {
      d.name = dev.field('name').cstring();
      d.ipv4 = ipv4Addresses(k, dev.field('ip_ptr').value());
      d.ipv6 = ipv6Addresses(k, dev.field('ip6_ptr').value());
    } catch (e) {
      d.problem = (e as Error).message;
    }
    devices.push(d);
  }
  return { net, devices, unreadable: walk.broken.length };
}

function ipv4Addresses(k: Kernel, inDevice: bigint): string[] {
  const out: string[] = [];
  if (inDevice === 0n) return out;
  let ifa = k.object('struct in_device', inDevice).field('ifa_list').value();
  for (let n = 0; ifa !== 0n && n < 4096; n++) {
    const a = k.object('struct in_ifaddr', ifa);
    // ifa_address is __be32: network byte order in memory
    out.push([...k.read(a.field('ifa_address').address, 4)].join('.'));
    ifa = a.field('ifa_next').value();
  }
  return out;
}

function ipv6Addresses(k: Kernel, inet6Dev: bigint): string[] {
  if (inet6Dev === 0n) return [];
  const head = k.object('struct inet6_dev', inet6Dev).field('addr_list').address;
  const linkOff = BigInt(k.offsetOf('struct inet6_ifaddr', 'if_list'));
  const addrOff = BigInt(k.offsetOf('struct inet6_ifaddr', 'addr'));
  return walkListBothWays(k, head, 4096).nodes.map((n) => formatIpv6(k.read(n - linkOff + addrOff, 16)));
}

/** RFC 5952 text (as inet_ntop writes it): the longest run of two or more zero groups becomes "::". */
export function formatIpv6(b: Buffer): string {
  const g = Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2));
  // ::ffff:a.b.c.d and ::a.b.c.d (IPv4-mapped and -compatible) keep the dotted quad, as glibc does
  if (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || (g[5] === 0 && (g[6]! > 0 || g[7]! > 1)))) {
    const quad = [...b.subarray(12)].join('.');
    return g[5] === 0xffff ? `::ffff:${quad}` : `::${quad}`;
  }
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}
