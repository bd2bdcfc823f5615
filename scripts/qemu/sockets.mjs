// The truth about one process's sockets (the ipc-swap-arp scenario's ct-sockets), from what the guest read
// right before the crash: /proc/PID/fd links ("socket:[INODE]") and the /proc/net tables, joined by inode.
// Each /proc/net table prints its addresses its own way (net/ipv4/tcp_ipv4.c, udp.c, raw.c, net/ipv6/*,
// net/unix/af_unix.c, net/netlink/af_netlink.c, net/packet/af_packet.c): decoded here into what crash-ts shows.

const TCP_STATES = {
  1: 'ESTABLISHED',
  2: 'SYN_SENT',
  3: 'SYN_RECV',
  4: 'FIN_WAIT1',
  5: 'FIN_WAIT2',
  6: 'TIME_WAIT',
  7: 'CLOSE',
  8: 'CLOSE_WAIT',
  9: 'LAST_ACK',
  10: 'LISTEN',
  11: 'CLOSING',
};
const SOCK_TYPES = { 1: 'STREAM', 2: 'DGRAM', 3: 'RAW', 4: 'RDM', 5: 'SEQPACKET', 10: 'PACKET' };
// socket_state of a UNIX socket (/proc/net/unix "St")
const SS_STATES = { 0: 'FREE', 1: 'UNCONNECTED', 2: 'CONNECTING', 3: 'CONNECTED', 4: 'DISCONNECTING' };
const AF = { UNIX: 1, INET: 2, INET6: 10, NETLINK: 16, PACKET: 17 };

// a %pK pointer: the real address when the guest showed it (kptr_restrict=1, root), else null (hashed or zeros)
const pointer = (w) => (/^ffff[0-9a-f]{12}$/.test(w) ? w : null);

// "%08X" of a __be32 read as a little-endian u32: the address bytes in reverse
function ipv4(hex) {
  const b = Buffer.from(hex, 'hex').reverse();
  return [...b].join('.');
}
// four such words: the 16 bytes of an in6_addr, as crash prints them (eight groups, no "::")
function ipv6(hex) {
  const bytes = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...Buffer.from(hex.slice(i, i + 8), 'hex').reverse());
  const b = Buffer.from(bytes);
  return Array.from({ length: 8 }, (_, i) => b.readUInt16BE(i * 2).toString(16)).join(':');
}
function endpoint(w, v6) {
  const [a, p] = w.split(':');
  return { address: v6 ? ipv6(a) : ipv4(a), port: parseInt(p, 16) };
}

/** the rows of one /proc/net table after its header, as objects; null when the guest had no such file */
function rowsOf(lines) {
  return lines.slice(1).map((l) => l.trim().split(/\s+/));
}

function inetRows(name, lines) {
  const v6 = name.endsWith('6');
  const type = name.startsWith('tcp') ? 'STREAM' : name.startsWith('udp') ? 'DGRAM' : 'RAW';
  return rowsOf(lines).map((w) => {
    const st = parseInt(w[3], 16);
    return {
      table: name,
      inode: Number(w[9]),
      family: v6 ? 'INET6' : 'INET',
      family_number: v6 ? AF.INET6 : AF.INET,
      type,
      state: name.startsWith('tcp') ? (TCP_STATES[st] ?? st) : st,
      local: endpoint(w[1], v6),
      remote: endpoint(w[2], v6),
      sock: pointer(w[11] ?? ''),
    };
  });
}

function unixRows(lines) {
  // Num RefCount Protocol Flags Type St Inode [Path]; Flags 0x10000 is __SO_ACCEPTCON: a listener
  return rowsOf(lines).map((w) => {
    const type = parseInt(w[4], 16);
    const st = parseInt(w[5], 16);
    return {
      table: 'unix',
      inode: Number(w[6]),
      family: 'UNIX',
      family_number: AF.UNIX,
      type: SOCK_TYPES[type] ?? type,
      state: SS_STATES[st] ?? st,
      listening: (parseInt(w[3], 16) & 0x10000) !== 0,
      // "@name" is the abstract namespace (the kernel prints its leading NUL as @)
      path: w[7] ?? null,
      sock: pointer(w[0].replace(/:$/, '')),
    };
  });
}

function netlinkRows(lines) {
  // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
  return rowsOf(lines).map((w) => ({
    table: 'netlink',
    inode: Number(w[9]),
    family: 'NETLINK',
    family_number: AF.NETLINK,
    // the table does not say; ct-workload opens SOCK_RAW
    type: null,
    protocol: Number(w[1]),
    portid: Number(w[2]),
    sock: pointer(w[0]),
  }));
}

function packetRows(lines) {
  // sk RefCnt Type Proto Iface R Rmem User Inode
  return rowsOf(lines).map((w) => ({
    table: 'packet',
    inode: Number(w[8]),
    family: 'PACKET',
    family_number: AF.PACKET,
    type: SOCK_TYPES[Number(w[2])] ?? Number(w[2]),
    protocol: parseInt(w[3], 16),
    sock: pointer(w[0]),
  }));
}

/**
 * pid: ct-sockets; fdLines: "FD TARGET" (readlink of /proc/PID/fd/FD); table(name): the lines of /proc/net/NAME
 * (header first). Returns the fds that are sockets, each with what its /proc/net row says, and the raw tables.
 */
export function socketsTruth(pid, fdLines, table) {
  const names = ['unix', 'tcp', 'tcp6', 'udp', 'udp6', 'raw', 'netlink', 'packet'];
  const raw = Object.fromEntries(names.map((n) => [n, table(n)]));
  const rows = [
    ...unixRows(raw.unix),
    ...['tcp', 'tcp6', 'udp', 'udp6', 'raw'].flatMap((n) => (raw[n].length ? inetRows(n, raw[n]) : [])),
    ...(raw.netlink.length ? netlinkRows(raw.netlink) : []),
    ...(raw.packet.length ? packetRows(raw.packet) : []),
  ];
  const fds = fdLines
    .map((l) => {
      const [fd, target] = l.split(' ');
      const m = /^socket:\[(\d+)\]$/.exec(target ?? '');
      return m ? { fd: Number(fd), inode: Number(m[1]) } : null;
    })
    .filter((x) => x !== null)
    .sort((a, b) => a.fd - b.fd);
  return {
    note:
      "ct-sockets' socket fds (/proc/PID/fd) joined by inode with their /proc/net rows, read right before the marker; " +
      "addresses as crash prints them (IPv6: eight groups), ports decimal; sock: the row's %pK pointer (kptr_restrict=1)",
    pid,
    fds: fds.map((f) => ({ ...f, ...(rows.find((r) => r.inode === f.inode) ?? { table: null }) })),
    proc_net: raw,
  };
}
