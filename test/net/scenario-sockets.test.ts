/**
 * net -s, net -S (-x), foreach net, files and fuser on every kind of socket, on the ipc-swap-arp scenario dumps
 *   scripts/qemu/make-scenario.sh k61-ipc-swap-arp|k612-ipc-swap-arp ~/.cache/crash-ts-corpus/scenarios/NAME
 * whose ct-sockets (scripts/qemu/ct-workload.c) holds UNIX stream sockets (a listener bound to a path, a connected
 * client and its accepted end, a socketpair, a listener in the abstract namespace), a UNIX dgram socket bound to a
 * path, TCP (a listener, a connected pair), UDP (bound, connected), TCP6 on ::1 (a listener, a connected pair),
 * UDP6, raw ICMP, netlink and packet sockets. The truth is case.json's `sockets` (scripts/qemu/sockets.mjs): its
 * socket fds from /proc/PID/fd, each joined by inode with its /proc/net row (family, type, state, addresses and
 * ports, UNIX path, and the sock address the guest printed with kptr_restrict=1). Every value asserted comes from
 * the dump's own case.json; a socket whose page makedumpfile dropped must be a row naming what is missing.
 *
 * Compared by hand with crash 9 on both dumps: net -s, files and foreach net -s are equal line for line; net -S is
 * equal for INET and INET6 sockets, while for UNIX, netlink and packet sockets crash 9 prints the sock as a struct
 * inet_sock (its family's own members read as inet ones), where we print unix_sock, netlink_sock and packet_sock.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PageError } from '../../src/dump/types.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import {
  HAND_MADE_SCENARIOS,
  describeWithDumps,
  describeWithOptionalDump,
  scenariosDir,
  scenarioVmcore,
  vmlinuxOfRelease,
} from '../helpers/made-dumps.js';
import { replOn } from '../helpers/repl.js';

interface Endpoint {
  address: string;
  port: number;
}
interface TruthSocket {
  fd: number;
  inode: number;
  table: string | null;
  family: string;
  family_number: number;
  type: string | null;
  state?: string | number;
  listening?: boolean;
  path?: string | null;
  local?: Endpoint;
  remote?: Endpoint;
  portid?: number;
  sock: string | null;
}
interface Truth {
  pid: number;
  fds: TruthSocket[];
}

const SCENARIOS: [string, string][] = [
  ['k61-ipc-swap-arp', '6.1.0-56-cloud-amd64'],
  ['k612-ipc-swap-arp', '6.12.107+deb12-cloud-amd64'],
  // made by hand only (HAND_MADE_SCENARIOS): 5.10's struct unix_address still has its hash member
  ['k510-ipc-swap-arp', '5.10.0-32-cloud-amd64'],
];

/** crash's FAMILY word of each /proc/net family */
const FAMILY_WORD: Record<string, string> = {
  UNIX: 'UNIX',
  INET: 'INET',
  INET6: 'INET6',
  NETLINK: 'NETLINK/ROUTE',
  PACKET: 'PACKET',
};
/** the structure net -S shows after struct socket, by family */
const SOCK_STRUCT: Record<string, string> = {
  UNIX: 'unix_sock',
  INET: 'inet_sock',
  INET6: 'inet_sock',
  NETLINK: 'netlink_sock',
  PACKET: 'packet_sock',
};
/**
 * files' PATH of a socket: its protocol's name (sk_prot->name, which sock_alloc_file gives the dentry). A UNIX
 * stream socket's is UNIX-STREAM on kernels that give streams their own proto (6.1, 6.12), UNIX on 5.10.
 */
function protoName(t: TruthSocket, release: string): string {
  if (t.family === 'UNIX') return t.type === 'STREAM' && !release.startsWith('5.10.') ? 'UNIX-STREAM' : 'UNIX';
  const byTable: Record<string, string> = {
    tcp: 'TCP',
    udp: 'UDP',
    tcp6: 'TCPv6',
    udp6: 'UDPv6',
    raw: 'RAW',
    netlink: 'NETLINK',
    packet: 'PACKET',
  };
  return byTable[t.table!]!;
}
/** TCP states as numbers (skc_state); UDP and raw rows give the number itself */
const TCP_STATE: Record<string, number> = { ESTABLISHED: 1, CLOSE: 7, LISTEN: 10 };
/** /proc/net/unix's St: struct socket's state */
const SS_STATE: Record<string, number> = { UNCONNECTED: 1, CONNECTING: 2, CONNECTED: 3, DISCONNECTING: 4 };

/** a row of net -s that says what of the socket could not be read (a lossy dump), never zeros */
const unreadableRow = /^ *\d+ [0-9a-f ]{16} [0-9a-f ]{16} \(unreadable: \S.*\)$/;

function truthOf(dir: string): Truth | undefined {
  const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { sockets?: Truth };
  return c.sockets;
}

for (const [name, release] of SCENARIOS) {
  const dir = join(scenariosDir, name);
  const vmcore = scenarioVmcore(dir);
  const haveDump = vmcore !== undefined && existsSync(join(dir, 'case.json'));
  const truth = haveDump ? truthOf(dir) : undefined;
  const vmlinux = haveDump ? await vmlinuxOfRelease(release) : undefined;
  const missing = !haveDump
    ? `no ${dir}; scripts/qemu/make-scenario.sh ${name} ${dir}`
    : !truth
      ? `${dir}/case.json has no sockets (made before ct-sockets): scripts/qemu/make-scenario.sh ${name} ${dir}`
      : vmlinux
        ? undefined
        : `no vmlinux of ${release}`;

  const describeIt = HAND_MADE_SCENARIOS.includes(name) ? describeWithOptionalDump : describeWithDumps;
  describeIt(`scenario ${name}: net -s/-S, files, fuser on ct-sockets' sockets of every kind`, missing, () => {
    let k: Kernel;
    let run: (l: string) => Promise<string>;
    const t = truth!;
    const byFd = new Map(t?.fds.map((s) => [s.fd, s]));
    beforeAll(async () => {
      k = openKernelSync(vmlinux!, vmcore!);
      run = await replOn(k);
    }, 120_000);
    afterAll(() => k?.dump.close());

    /** net -s PID's rows by fd: [socket, sock, the rest of the line] */
    async function rows(): Promise<Map<number, { socket: string; sock: string; rest: string; line: string }>> {
      const out = await run(`net -s ${t.pid}`);
      const m = new Map<number, { socket: string; sock: string; rest: string; line: string }>();
      for (const l of out.split('\n')) {
        const r = /^ *(\d+) ([0-9a-f ]{16}) ([0-9a-f ]{16}) (.*)$/.exec(l);
        if (r) m.set(Number(r[1]), { socket: r[2]!.trim(), sock: r[3]!.trim(), rest: r[4]!, line: l });
      }
      return m;
    }

    it('the scenario made what it says: every kind of socket, each joined with its /proc/net row', () => {
      const kinds = t.fds.map((s) => `${s.table}:${s.type}`);
      for (const k of ['unix:STREAM', 'unix:DGRAM', 'tcp:STREAM', 'udp:DGRAM', 'tcp6:STREAM', 'udp6:DGRAM'])
        expect(kinds, k).toContain(k);
      for (const k of ['raw:RAW', 'netlink:null', 'packet:DGRAM']) expect(kinds, k).toContain(k);
      const paths = t.fds.map((s) => s.path).filter((p) => p);
      expect(paths).toEqual(
        expect.arrayContaining(['/tmp/ct-unix-stream.sock', '/tmp/ct-unix-dgram.sock', '@ct-abstract']),
      );
      expect(t.fds.find((s) => s.table === 'tcp6' && s.state === 'LISTEN')?.local).toEqual({
        address: '0:0:0:0:0:0:0:1',
        port: 40004,
      });
      expect(t.fds.every((s) => s.table !== null)).toBe(true);
    });

    it('net -s PID: one row per socket fd, with its FAMILY:TYPE, sock and (INET, INET6) address-port pairs', async () => {
      const out = await run(`net -s ${t.pid}`);
      const lines = out.trimEnd().split('\n');
      expect(lines[0]).toMatch(new RegExp(`^PID: ${t.pid} +TASK: [0-9a-f]{16}  CPU: \\d+ +COMMAND: "ct-sockets"$`));
      expect(lines[1]).toBe('FD      SOCKET            SOCK       FAMILY:TYPE SOURCE-PORT DESTINATION-PORT');
      const got = await rows();
      // an fd the dump lost entirely is named on its own line instead of a row
      const lostFds = [...out.matchAll(/^net: PID \d+ fd (\d+): file [0-9a-f]+ unreadable: \S/gm)].map((m) =>
        Number(m[1]),
      );
      expect([...got.keys(), ...lostFds].sort((a, b) => a - b)).toEqual(t.fds.map((s) => s.fd));
      let exact = 0;
      for (const [fd, r] of got) {
        const s = byFd.get(fd)!;
        if (unreadableRow.test(r.line)) continue;
        // the guest printed the sock's address (kptr_restrict=1): the same struct sock
        if (s.sock) expect(r.sock, `fd ${fd}`).toBe(s.sock);
        const type = s.type ?? 'RAW'; // /proc/net/netlink gives no type: ct-workload opens its netlink socket SOCK_RAW
        const head = `${FAMILY_WORD[s.family]}:${type === 'DGRAM' ? 'DGRAM ' : type} `;
        expect(r.rest.startsWith(head), `fd ${fd}: ${r.line}`).toBe(true);
        const tail = r.rest.slice(head.length);
        if (s.family === 'INET')
          expect(tail, `fd ${fd}`).toBe(` ${s.local!.address}-${s.local!.port} ${s.remote!.address}-${s.remote!.port}`);
        else if (s.family === 'INET6')
          expect(tail.trim().split(/\s+/), `fd ${fd}`).toEqual([
            `${s.local!.address}-${s.local!.port}`,
            `${s.remote!.address}-${s.remote!.port}`,
          ]);
        else expect(tail, `fd ${fd}`).toBe('');
        exact++;
      }
      expect(exact).toBeGreaterThan(0);
    });

    it("net -s in JSON: each socket inode is /proc/PID/fd's; UNIX: the bound path; states as the kernel had them", async () => {
      await run('set output json');
      let task: { pid: number; sockets: Record<string, unknown>[] };
      try {
        [task] = JSON.parse(await run(`net -s ${t.pid}`)) as (typeof task)[];
      } finally {
        await run('set output text');
      }
      expect(task!.pid).toBe(t.pid);
      for (const js of task!.sockets) {
        const s = byFd.get(js.fd as number)!;
        if (js.problem) {
          expect(String(js.problem)).toMatch(/\S/);
          continue;
        }
        const lost = ((js.extraProblems as string[] | undefined) ?? []).join('; ');
        expect([js.familyName, js.typeName]).toEqual([FAMILY_WORD[s.family], s.type ?? 'RAW']);
        expect(js.family).toBe(s.family_number);
        if (!/^inode:/m.test(lost)) expect(js.inode, `fd ${s.fd}`).toBe(s.inode);
        if (s.family === 'UNIX') {
          if (!lost.includes('unix address')) expect(js.path, `fd ${s.fd}`).toBe(s.path ?? null);
          if (!lost.includes('socket state')) expect(js.socketState, `fd ${s.fd}`).toBe(SS_STATE[String(s.state)]);
          // a listener's sock is in TCP_LISTEN
          if (s.listening && !lost.includes('sock state')) expect(js.state).toBe(10);
        }
        if (s.table === 'tcp' || s.table === 'tcp6') expect(js.state, `fd ${s.fd}`).toBe(TCP_STATE[String(s.state)]);
        if (s.table === 'udp' || s.table === 'udp6') expect(js.state, `fd ${s.fd}`).toBe(s.state);
        if (s.family === 'INET' || s.family === 'INET6')
          expect([js.sourcePort, js.destinationPort], `fd ${s.fd}`).toEqual([s.local!.port, s.remote!.port]);
      }
    });

    it("net -S PID (and -x): struct socket, then the family's own structure: unix_sock, inet_sock, netlink_sock, packet_sock", async () => {
      const out = await run(`net -S ${t.pid}`);
      const blocks = out.split(/\n(?=FD {2})/).slice(1);
      const got = await rows();
      expect(blocks.length).toBe(got.size);
      for (const b of blocks) {
        const lines = b.split('\n');
        const h = /^ *(\d+) {2}([0-9a-f ]{16}) {2}([0-9a-f ]{16})$/.exec(lines[1]!)!;
        const s = byFd.get(Number(h[1]))!;
        const row = got.get(s.fd)!;
        expect([h[2]!.trim(), h[3]!.trim()]).toEqual([row.socket, row.sock]);
        if (unreadableRow.test(row.line)) continue;
        expect(lines[3]).toBe('struct socket {');
        expect(b, `fd ${s.fd}`).toContain(`\nstruct ${SOCK_STRUCT[s.family]} {\n`);
        expect(b).toMatch(new RegExp(`\\n +skc_family = ${s.family_number},\\n`));
        if (s.family === 'INET' || s.family === 'INET6')
          expect(b, `fd ${s.fd}`).toMatch(new RegExp(`\\n +skc_num = ${s.local!.port}\\n`));
        if (s.family === 'NETLINK') expect(b, `fd ${s.fd}`).toContain(`\n  portid = ${s.portid},\n`);
        // a UNIX socket bound to a name holds its struct unix_address; an unnamed one none
        if (s.family === 'UNIX')
          expect(b, `fd ${s.fd}`).toMatch(s.path ? /\n {2}addr = 0x[0-9a-f]+,\n/ : /\n {2}addr = 0x0,\n/);
      }
      // crash 9 reads every sock as a struct inet_sock: its pinet6 lies where a unix_sock keeps the bound address
      expect(k.offsetOf('struct inet_sock', 'pinet6')).toBe(k.offsetOf('struct unix_sock', 'addr'));
      const hex = await run(`net -S -x ${t.pid}`);
      const listener = t.fds.find((s) => s.table === 'tcp' && s.state === 'LISTEN')!;
      if (!unreadableRow.test(got.get(listener.fd)!.line))
        expect(hex).toContain(`skc_num = 0x${listener.local!.port.toString(16)}\n`);
    });

    it('foreach net -s and net -s -R: the same rows; -R by a UNIX sock finds only ct-sockets', async () => {
      const own = await run(`net -s ${t.pid}`);
      const all = await run('foreach net -s');
      expect(all).toContain(own.trimEnd());
      const unixListener = t.fds.find((s) => s.path === '/tmp/ct-unix-stream.sock' && s.listening)!;
      const row = (await rows()).get(unixListener.fd)!;
      const viaRef = await run(`foreach net -s -R ${row.sock}`);
      expect([...viaRef.matchAll(/^PID: (\d+) /gm)].map((m) => Number(m[1]))).toEqual([t.pid]);
      expect(viaRef).toContain(`${row.socket} ${row.sock} UNIX:STREAM \n`);
    });

    it('files PID: each socket fd is SOCK with its protocol name, its INODE beside the struct socket; other fds by path', async () => {
      const out = await run(`files ${t.pid}`);
      const got = await rows();
      const alloc = BigInt(k.offsetOf('struct socket_alloc', 'vfs_inode'));
      for (const s of t.fds) {
        const r = new RegExp(`^ *${s.fd} ([0-9a-f]{16}) ([0-9a-f]{16}) ([0-9a-f]{16}) (\\S+) +(.*)$`, 'm').exec(out);
        if (!r) {
          expect(out, `fd ${s.fd}`).toMatch(new RegExp(`^ *${s.fd} [0-9a-f]{16} .*unreadable`, 'm'));
          continue;
        }
        expect([r[4], r[5]], `fd ${s.fd}`).toEqual(['SOCK', protoName(s, release)]);
        const row = got.get(s.fd);
        if (row) expect(BigInt('0x' + r[3]), `fd ${s.fd}`).toBe(BigInt('0x' + row.socket) + alloc);
      }
    });

    it("fuser: ct-sockets uses /dev/kmsg (its stderr) and a socket's inode by fd; nobody has the bound path open", async () => {
      const kmsg = await run('fuser /dev/kmsg');
      expect(kmsg).toMatch(new RegExp(`^ +${t.pid} +[0-9a-f]{16} +"ct-sockets" +fd $`, 'm'));
      const files = await run(`files ${t.pid}`);
      const listener = t.fds.find((s) => s.table === 'tcp' && s.state === 'LISTEN')!;
      const inode = new RegExp(`^ *${listener.fd} [0-9a-f]{16} [0-9a-f]{16} ([0-9a-f]{16}) SOCK`, 'm').exec(files);
      if (inode) {
        const users = await run(`fuser ${inode[1]}`);
        expect(users.split('\n').filter((l) => /^ +\d+ /.test(l))).toEqual([
          expect.stringMatching(new RegExp(`^ +${t.pid} +[0-9a-f]{16} +"ct-sockets" +fd $`)),
        ]);
      }
      // bind() made the path's own inode; the fds hold the socket's sockfs inode (socket:[N]), so no task holds
      // the path open: fuser finds none (as crash 9)
      expect(await run('fuser /tmp/ct-unix-stream.sock')).toBe('No users of /tmp/ct-unix-stream.sock found\n');
    });

    it('a sock or struct socket page the dump lacks: that row names what is missing, never zeros; the others stand', async () => {
      const whole = await rows();
      const pick = (f: (s: TruthSocket) => boolean) =>
        t.fds.find((s) => f(s) && !unreadableRow.test(whole.get(s.fd)!.line));
      const victims = [
        pick((s) => s.path === '/tmp/ct-unix-dgram.sock'),
        pick((s) => s.table === 'tcp6' && s.state === 'LISTEN'),
      ].filter((s) => s !== undefined);
      const udp = pick((s) => s.table === 'udp');
      if (!victims.length || !udp) return; // this dump already lost them: the checks above judged their rows
      // a second view of the same dump in which makedumpfile "dropped" the pages of two socks and of one struct
      // socket_alloc (the UDP socket's: its struct socket and sockfs inode)
      const lossy = openKernelSync(vmlinux!, vmcore!);
      try {
        const page = (v: string) => lossy.mem.vtop(BigInt('0x' + v)) & ~0xfffn;
        const dropped = new Set([...victims.map((v) => page(whole.get(v.fd)!.sock)), page(whole.get(udp.fd)!.socket)]);
        const readPhys = lossy.dump.readPhys.bind(lossy.dump);
        const dump = lossy.dump as { readPhys: typeof readPhys; pageAt?: unknown };
        dump.readPhys = (p, n) => {
          for (let a = p & ~0xfffn; a < p + BigInt(n); a += 0x1000n)
            if (dropped.has(a)) throw new PageError(a, 'excluded');
          return readPhys(p, n);
        };
        dump.pageAt = undefined;
        const out = await (await replOn(lossy))(`net -s ${t.pid}`);
        const lines = new Map(
          out.split('\n').flatMap((l) => {
            const m = /^ *(\d+) /.exec(l);
            return m ? [[Number(m[1]), l] as [number, string]] : [];
          }),
        );
        const notes = new Set(
          [...out.matchAll(/^net: PID \d+ fd (\d+): file [0-9a-f]+ unreadable: page excluded: /gm)].map((m) =>
            Number(m[1]),
          ),
        );
        // each socket: the whole dump's row, or a row that names the missing page, or (its inode went with the
        // struct socket's page) the line naming the fd; never a row of zeros
        for (const [fd, r] of whole) {
          const l = lines.get(fd);
          if (l === undefined) expect(notes.has(fd), `fd ${fd}:\n${out}`).toBe(true);
          else if (l !== r.line) {
            expect(l, `fd ${fd}`).toMatch(unreadableRow);
            expect(l, `fd ${fd}`).toMatch(/\(unreadable: page excluded: kernel virtual address [0-9a-f]+ /);
          }
        }
        // the dropped ones are not shown as read
        for (const v of [...victims, udp]) expect(lines.get(v.fd), `fd ${v.fd}`).not.toBe(whole.get(v.fd)!.line);
        // a socket whose sock and struct socket lie on no dropped page keeps its row
        const untouched = [...whole].filter(([, r]) => {
          const near = [page(r.sock), page(r.socket)].flatMap((p) => [p, p + 0x1000n]);
          return !near.some((p) => dropped.has(p)) && !unreadableRow.test(r.line);
        });
        expect(untouched.length).toBeGreaterThan(0);
        for (const [fd, r] of untouched) expect(lines.get(fd), `fd ${fd}`).toBe(r.line);
        // net -S: a sock that cannot be read is named, its members never printed as if read
        const full = await (await replOn(lossy))(`net -S ${t.pid}`);
        for (const v of victims) {
          const block = full.split(/\n(?=FD {2})/).find((b) => b.split('\n')[1]?.trim().startsWith(`${v.fd} `));
          if (!block) continue;
          expect(block, `fd ${v.fd}`).toMatch(/page excluded/);
          expect(block, `fd ${v.fd}`).not.toMatch(/skc_family = /);
        }
      } finally {
        lossy.dump.close();
      }
    });
  });
}
