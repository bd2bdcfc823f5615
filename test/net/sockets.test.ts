/**
 * net -s, -S, -R, -x/-d and foreach net on the corpus cases whose workload holds a TCP listener ("busybox nc
 * -l -p PORT ADDR", the files-holder of the proc-truth cases). The truth is case.json: the workload line gives
 * the listener's address and port, pre_crash_snapshot.proc_fd the task's fds that were sockets and each
 * socket's inode number (socket:[N]), which must be the i_ino of the inode that sits beside the struct socket
 * net shows (struct socket_alloc). The layout is crash 9's, compared line for line on these dumps.
 */
import { expect, it } from 'vitest';
import { caseInfo, caseNames, describeCorpus, skipWhenNoCases } from '../helpers/corpus.js';
import { openFirstDump } from '../helpers/corpus-command.js';

interface Listener {
  pid: number;
  address: string;
  port: number;
  /** fd -> socket inode number, from /proc/PID/fd */
  sockets: Map<number, bigint>;
}

function listenerOf(name: string): Listener | undefined {
  const info = caseInfo(name);
  const holder = (info.workload as { pid: number; what?: string }[]).find((w) =>
    /\bnc -l -p \d+ [\d.]+/.test(w.what ?? ''),
  );
  if (!holder) return undefined;
  const m = /\bnc -l -p (\d+) ([\d.]+)/.exec(holder.what!)!;
  const fds = ((info.pre_crash_snapshot as { proc_fd?: string[] } | undefined)?.proc_fd ?? []).flatMap((l) => {
    const f = new RegExp(`^pid=${holder.pid} fd=(\\d+) target=socket:\\[(\\d+)\\]$`).exec(l);
    return f ? [[Number(f[1]), BigInt(f[2]!)] as [number, bigint]] : [];
  });
  return { pid: holder.pid, address: m[2]!, port: Number(m[1]), sockets: new Map(fds) };
}

const withListener = caseNames().filter((n) => listenerOf(n)?.sockets.size);
skipWhenNoCases('net -s/-S/-R on the cases with a TCP listener');

for (const name of withListener) {
  describeCorpus(`net sockets on ${name}`, () => {
    const dump = openFirstDump(name);
    const run = dump.run;
    const l = listenerOf(name)!;
    const [fd, ino] = [...l.sockets][0]!;

    /** the row of net -s for the listener's fd: its socket and sock addresses */
    async function listenerRow(): Promise<{ socket: string; sock: string; out: string }> {
      const out = await run(`net -s ${l.pid}`);
      const row = new RegExp(`^ *${fd} ([0-9a-f]{16}) ([0-9a-f]{16}) (.*)$`, 'm').exec(out);
      expect(row, out).not.toBeNull();
      return { socket: row![1]!, sock: row![2]!, out };
    }

    it('net -s PID: the socket fds /proc listed, the listener with its address and port', async () => {
      const { socket, sock, out } = await listenerRow();
      const lines = out.trimEnd().split('\n');
      expect(lines[0]).toMatch(new RegExp(`^PID: ${l.pid} +TASK: [0-9a-f]{16}  CPU: \\d+ +COMMAND: "nc"$`));
      expect(lines[1]).toBe('FD      SOCKET            SOCK       FAMILY:TYPE SOURCE-PORT DESTINATION-PORT');
      expect(lines.slice(2).map((r) => Number(r.trim().split(' ')[0]))).toEqual([...l.sockets.keys()]);
      expect(out).toContain(` ${fd} ${socket} ${sock} INET:STREAM  ${l.address}-${l.port} 0.0.0.0-0\n`);
      // the struct socket is the first half of a struct socket_alloc: its inode's number is the one /proc gave
      const k = dump.k;
      const inode = BigInt('0x' + socket) + BigInt(k.offsetOf('struct socket_alloc', 'vfs_inode'));
      expect(k.readU64(inode + BigInt(k.offsetOf('struct inode', 'i_ino')))).toBe(ino);
      expect(await run('net -s 1')).toMatch(/^PID: 1 .*\nNo open sockets\.\n$/);
    });

    it('net -S PID: the addresses, then struct socket and struct inet_sock of the listener; -x and -d', async () => {
      const { socket, sock } = await listenerRow();
      const out = await run(`net -S ${l.pid}`);
      const head = out.split('\n').slice(1, 5);
      expect(head).toEqual([
        `FD       SOCKET             SOCK      `,
        ` ${fd}  ${socket}  ${sock}`,
        '',
        'struct socket {',
      ]);
      const file = new RegExp(`^ +${fd} ([0-9a-f]{16}) `, 'm').exec(await run(`files ${l.pid}`))![1]!;
      expect(out).toContain(`\n  file = 0x${file},\n  sk = 0x${sock},\n`);
      expect(out).toContain('\nstruct inet_sock {\n  sk = {\n    __sk_common = {\n');
      // TCP_LISTEN is 10, AF_INET 2; skc_num is the local port in host order
      expect(out).toMatch(
        new RegExp(`\\n +skc_num = ${l.port}\\n[^]*\\n +skc_family = 2,\\n +skc_state = 10 '\\\\n',\\n`),
      );
      const hex = await run(`net -S -x ${l.pid}`);
      expect(hex).toContain(`skc_num = 0x${l.port.toString(16)}\n`);
      expect(hex).toContain('skc_family = 0x2,\n');
      expect(await run(`net -S -d ${l.pid}`)).toBe(out);
      expect(await run(`net -S -x -d ${l.pid}`)).toBe('net: -d and -x are mutually exclusive\n');
      expect(await run(`net -s -x ${l.pid}`)).toBe(await run(`net -s ${l.pid}`));
      // JSON: the socket's addresses and ports as numbers, and the structures as printed
      await run('set output json');
      try {
        const [task] = JSON.parse(await run(`net -S ${l.pid}`)) as {
          pid: number;
          sockets: { fd: number; sock: string; sourcePort: number; structures: string[] }[];
        }[];
        expect(task!.pid).toBe(l.pid);
        const js = task!.sockets.find((x) => x.fd === fd)!;
        expect([js.sock, js.sourcePort]).toEqual([`0x${sock}`, l.port]);
        expect(js.structures.join('\n') + '\n').toBe(out.slice(out.indexOf('struct socket {')));
      } finally {
        await run('set output text');
      }
    });

    it('net -R REF: only the task and socket the fd, socket or sock address names, then a blank line', async () => {
      const { socket, sock, out } = await listenerRow();
      const block =
        out.trimEnd().split('\n').slice(0, 2).join('\n') + '\n' + out.split('\n').find((r) => r.startsWith(` ${fd} `));
      for (const ref of [String(fd), socket, sock])
        expect(await run(`net -s -R ${ref} 1 ${l.pid}`)).toBe(block + '\n\n');
      expect(await run(`net -s -R ${fd + 100} ${l.pid}`)).toBe('');
      const viaForeach = await run(`foreach net -s -R ${sock}`);
      const holders = [...viaForeach.matchAll(/^PID: (\d+) /gm)].map((m) => Number(m[1]));
      expect(holders).toContain(l.pid);
      // every task listed holds that very sock (threads share the file table)
      expect(viaForeach.split(`${socket} ${sock} INET:STREAM`).length - 1).toBe(holders.length);
      expect(await run(`net -R ${fd}`)).toMatch(/^Usage:\n/);
    });

    it("foreach net: -s when no mode is given, with crash's warning; -s and -S: the first wins", async () => {
      const plain = await run(`net -s ${l.pid}`);
      expect(await run(`foreach ${l.pid} net`)).toBe(`WARNING: net command requires -s or -S option\n\n${plain}`);
      expect(await run(`net -s -S ${l.pid}`)).toBe(`net: only one -s or -S option allowed\n${plain}`);
      expect(await run(`net -s ${l.pid} 99999999`)).toBe(`${plain}\nnet: invalid task or pid value: 99999999\n`);
    });
  });
}
