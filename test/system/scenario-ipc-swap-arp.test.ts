/**
 * ipcs, swap, net -a (and kmem -i's swap lines) on the ipc-swap-arp scenario dumps, made by
 *   scripts/qemu/make-scenario.sh k61-ipc-swap-arp|k612-ipc-swap-arp ~/.cache/crash-ts-corpus/scenarios/NAME
 * The guest (ct-workload ipc/swapper, guest-init.sh) made System V shared memory segments (one attached once,
 * one never and owned by uid 1000, a private one attached twice), two semaphore sets, two message queues (one
 * holding three messages), a swap file on ext4 and a swap partition with pages swapped out, and ARP entries
 * (the user-net gateway, a permanent one); right before the crash it recorded /proc/sysvipc/{shm,sem,msg},
 * /proc/swaps, /proc/net/arp and meminfo's Swap lines: case.json's ipc_swap_arp is the truth here. Every
 * assertion reads it from the dump's own case.json (ids, pids, addresses differ from run to run).
 *
 * Debian 12's makedumpfile 1.7.2 does not know 6.12's slab pages: at -d 31 it drops some of them as user data
 * (scripts/qemu/make-scenario.sh), so the 6.12 scenario is taken at -d 23 and everything must be read; a 6.12
 * dump taken with user pages excluded may miss objects, and there each check accepts the one line that names
 * what is missing instead.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { describeWithDumps, scenariosDir, vmlinuxOfRelease } from '../helpers/made-dumps.js';
import { replOn } from '../helpers/repl.js';

type Row = Record<string, string | number | null>;
interface Truth {
  sysvipc: { shm: Row[]; sem: Row[]; msg: Row[] };
  swaps: Row[];
  arp: Row[];
  meminfo_kb: Record<string, number>;
  ct_ipc_pid: number;
  ct_swapper_pid: number;
}

const SCENARIOS: [string, string][] = [
  ['k61-ipc-swap-arp', '6.1.0-56-cloud-amd64'],
  ['k612-ipc-swap-arp', '6.12.107+deb12-cloud-amd64'],
];

/** /proc/sysvipc prints the key as a signed decimal int; ipcs as 8 hex digits */
const keyHex = (key: Row[string]): string => (Number(key) >>> 0).toString(16).padStart(8, '0');
/** the permission bits of /proc's octal mode, as ipcs prints them */
const perms = (p: Row[string]): string => (parseInt(String(p), 8) & 0o777).toString(8);
const words = (l: string): string[] => l.trim().split(/\s+/);

/** makedumpfile's -d of the scenario's dump, from case.json's dumps[].producer */
function dumpLevel(dir: string): number {
  const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { dumps?: { producer: string }[] };
  const m = / -d (\d+)/.exec(c.dumps?.[0]?.producer ?? '');
  return m ? Number(m[1]) : 31;
}

for (const [name, release] of SCENARIOS) {
  const dir = join(scenariosDir, name);
  const haveDump = existsSync(join(dir, 'vmcore.kdump-zlib')) && existsSync(join(dir, 'case.json'));
  const vmlinux = haveDump ? await vmlinuxOfRelease(release) : undefined;
  const missing = !haveDump
    ? `no ${dir}; scripts/qemu/make-scenario.sh ${name} ${dir}`
    : vmlinux
      ? undefined
      : `no vmlinux of ${release}`;
  // 6.1: makedumpfile keeps every slab page; 6.12 at a dump level that excludes user pages (8): an object may be
  // on a slab page it dropped (make-scenario.sh takes -d 23 for k612-ipc-swap-arp, which keeps them)
  const level = haveDump ? dumpLevel(dir) : 31;
  const lossy = name.startsWith('k612-') && (level & 8) !== 0;

  describeWithDumps(`scenario ${name}: ipcs, swap and net -a against the guest's /proc`, missing, () => {
    let k: Kernel;
    let run: (l: string) => Promise<string>;
    let t: Truth;
    beforeAll(async () => {
      t = (JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { ipc_swap_arp: Truth }).ipc_swap_arp;
      k = openKernelSync(vmlinux!, join(dir, 'vmcore.kdump-zlib'));
      run = await replOn(k);
    }, 120_000);
    afterAll(() => k?.dump.close());

    /** the rows under a header line, up to the blank line that ends its table */
    const tableAfter = (out: string, header: string): string[][] => {
      const lines = out.split('\n');
      const i = lines.findIndex((l) => l.startsWith(header));
      expect(i, `${header} in:\n${out}`).toBeGreaterThanOrEqual(0);
      const rows: string[][] = [];
      for (let j = i + 1; j < lines.length && lines[j] !== ''; j++) rows.push(words(lines[j]!));
      return rows;
    };

    it('the scenario made what it says (the truth is not empty)', () => {
      expect(t.sysvipc.shm.length).toBe(3);
      expect(t.sysvipc.sem.some((s) => Number(s.nsems) > 1)).toBe(true);
      expect(t.sysvipc.msg.some((m) => Number(m.qnum) === 3)).toBe(true);
      expect(t.sysvipc.shm.map((s) => s.nattch).sort()).toEqual([0, 1, 2]);
      expect(t.swaps.map((s) => s.type).sort()).toEqual(['file', 'partition']);
      expect(t.swaps.some((s) => Number(s.used_kb) > 0)).toBe(true);
      expect(t.arp.length).toBeGreaterThanOrEqual(2);
    });

    it('ipcs: each segment, semaphore set and queue with its key, id, owner uid, permissions and sizes', async () => {
      const out = await run('ipcs');
      const shm = tableAfter(out, 'SHMID_KERNEL     KEY      SHMID      UID   PERMS BYTES      NATTCH STATUS');
      const sem = tableAfter(out, 'SEM_ARRAY        KEY      SEMID      UID   PERMS NSEMS');
      const msg = tableAfter(out, 'MSG_QUEUE        KEY      MSQID      UID   PERMS USED-BYTES   MESSAGES');
      const drop = (r: string[][]) => r.map((w) => w.slice(1)); // the structure address varies
      expect(drop(shm).sort()).toEqual(
        t.sysvipc.shm
          .map((s) => [keyHex(s.key), String(s.shmid), String(s.uid), perms(s.perms), String(s.size), String(s.nattch)])
          .sort(),
      );
      expect(drop(sem).sort()).toEqual(
        t.sysvipc.sem
          .map((s) => [keyHex(s.key), String(s.semid), String(s.uid), perms(s.perms), String(s.nsems)])
          .sort(),
      );
      expect(drop(msg).sort()).toEqual(
        t.sysvipc.msg
          .map((s) => [keyHex(s.key), String(s.msqid), String(s.uid), perms(s.perms), String(s.cbytes), String(s.qnum)])
          .sort(),
      );
      // -m, -s, -q: one table each, the same rows
      expect(await run('ipcs -m')).toBe(out.split('\n\n')[0] + '\n\n');
      expect(await run('ipcs -s')).toBe(out.split('\n\n')[1] + '\n\n');
      expect(await run('ipcs -q')).toBe(out.split('\n\n')[2] + '\n\n');
      // -n: the namespace of ct-ipc, the initial one here
      expect(await run(`ipcs -n ${t.ct_ipc_pid}`)).toBe(out);
      const task = (await run(`ps ${t.ct_ipc_pid}`)).split('\n')[1]!.trim().split(/\s+/)[3]!;
      expect(await run(`ipcs -n ${task}`)).toBe(out);
      expect(await run('ipcs -n 999999')).toBe('ipcs: invalid task or pid value: 999999\n');
    });

    it('ipcs -M: pages allocated (size in pages), resident and swapped as /proc/sysvipc/shm counted them', async () => {
      const out = await run('ipcs -M');
      const blocks = out.split('\n\n').filter((b) => b.length);
      expect(blocks.length).toBe(t.sysvipc.shm.length);
      for (const s of t.sysvipc.shm) {
        const b = blocks.find((x) => words(x.split('\n')[1]!)[2] === String(s.shmid))!;
        expect(b, `shmid ${s.shmid}`).toBeDefined();
        const pages = b.split('\n')[2]!;
        if (lossy && pages.startsWith('PAGES ALLOCATED/RESIDENT/SWAPPED: unreadable (')) continue;
        const alloc = Math.ceil(Number(s.size) / 4096);
        expect(pages).toBe(
          `PAGES ALLOCATED/RESIDENT/SWAPPED: ${alloc}/${Number(s.rss) / 4096}/${Number(s.swap) / 4096}`,
        );
        expect(b.split('\n')[3]).toMatch(/^INODE: ffff[0-9a-f]{12}$/);
      }
    });

    it('ipcs ID|ADDRESS: the objects with that id or structure address, each under its header; else one line', async () => {
      const all = await run('ipcs');
      const seg = t.sysvipc.shm.find((s) => Number(s.nattch) === 2)!;
      const byId = await run(`ipcs -m ${seg.shmid}`);
      const lines = byId.split('\n');
      expect(lines[0]).toMatch(/^SHMID_KERNEL /);
      expect(words(lines[1]!).slice(2, 3)).toEqual([String(seg.shmid)]);
      expect(lines.slice(2)).toEqual(['', '']);
      const addr = words(lines[1]!)[0]!;
      expect(all).toContain(lines[1]);
      expect(await run(`ipcs ${addr}`)).toBe(byId);
      // an id every kind has (0): one block per kind
      const zero = await run('ipcs 0');
      expect(
        zero
          .split('\n\n')
          .filter((b) => b)
          .map((b) => b.split('\n')[0]!.split(' ')[0]),
      ).toEqual(['SHMID_KERNEL', 'SEM_ARRAY', 'MSG_QUEUE']);
      const ids = [
        ...t.sysvipc.shm.map((r) => r.shmid),
        ...t.sysvipc.sem.map((r) => r.semid),
        ...t.sysvipc.msg.map((r) => r.msqid),
      ].map(Number);
      const unused = 1 + Math.max(...ids);
      expect(await run(`ipcs ${unused}`)).toBe(`invalid id or address: ${unused}\n\n`);
    });

    it('swap: each area with its path, kind, size, use and priority as /proc/swaps', async () => {
      const out = (await run('swap')).split('\n').filter((l) => l);
      expect(out[0]).toBe('SWAP_INFO_STRUCT    TYPE       SIZE       USED     PCT  PRI  FILENAME');
      const rows = out.slice(1).map(words);
      if (lossy && rows.some((r) => r[6] === '(unknown)')) {
        // the struct file / dentry of an area was on a page the dump lost: sizes and priorities still hold
        expect(rows.map((r) => [r[2], r[3], r[5]]).sort()).toEqual(
          t.swaps.map((s) => [`${s.size_kb}k`, `${s.used_kb}k`, String(s.priority)]).sort(),
        );
        return;
      }
      expect(rows.map((r) => [r[6], r[1], r[2], r[3], r[5]]).sort()).toEqual(
        t.swaps
          .map((s) => [
            s.filename,
            s.type === 'partition' ? 'PARTITION' : 'FILE',
            `${s.size_kb}k`,
            `${s.used_kb}k`,
            String(s.priority),
          ])
          .sort(),
      );
      for (const r of rows) expect(r[4]).toBe(`${Math.floor((100 * parseInt(r[3]!)) / parseInt(r[2]!))}%`);
    });

    it("vm -p, vtop: ct-swapper's paged-out pages are swap entries of the recorded areas, as many as /proc/swaps used", async () => {
      const out = await run(`vm -p ${t.ct_swapper_pid}`);
      const swapped = out
        .split('\n')
        .map((l) => /^([0-9a-f]+) {2}SWAP: (\S+) {2}OFFSET: (\d+)$/.exec(l))
        .filter((m) => m !== null);
      // only ct-swapper asked for pages to go out (MADV_PAGEOUT): its swap entries hold used slots; a page whose
      // unmapping failed keeps its slot (in the swap cache) and stays mapped (7 of 256 in one run)
      const usedPages = t.swaps.reduce((n, s) => n + Number(s.used_kb) / 4, 0);
      expect(swapped.length).toBeGreaterThan(0);
      expect(swapped.length).toBeLessThanOrEqual(usedPages);
      // the 1 MiB it paged out: each page either swapped or still mapped
      const block = out.split('\n      VMA ').find((b) => b.includes(`\n${swapped[0]![1]}  SWAP: `))!;
      const pages = block.split('\n').filter((l) => /^[0-9a-f]+ {2}/.test(l));
      expect(pages.length).toBe(256);
      for (const l of pages) expect(l).toMatch(/^[0-9a-f]+ {2}(SWAP: \S+ {2}OFFSET: \d+| +[0-9a-f]+)$/);
      const names = new Set(t.swaps.map((s) => String(s.filename)));
      for (const m of swapped) expect(names.has(m[2]!), m[0]).toBe(true);
      expect(new Set(swapped.map((m) => `${m[2]} ${m[3]}`)).size).toBe(swapped.length);
      // vtop of one: the PTE's swap table and the same location
      const [, va, path, offset] = swapped[0]!;
      const v = await run(`vtop -c ${t.ct_swapper_pid} ${va}`);
      expect(v.split('\n')[1]).toBe(`${va!.padEnd(10)}  (not mapped)`);
      expect(v).toMatch(new RegExp(`\\n {6}PTE {6} +SWAP +OFFSET\\n[0-9a-f]+ +${path} +${offset} *\\n`));
      expect(v).toContain(`\nSWAP: ${path}  OFFSET: ${offset}\n`);
    });

    it("kmem -i: TOTAL SWAP and SWAP FREE are meminfo's SwapTotal and SwapFree", async () => {
      const out = await run('kmem -i');
      const pages = (label: string) => Number(words(out.split('\n').find((l) => l.trim().startsWith(label))!)[2]);
      expect(pages('TOTAL SWAP') * 4).toBe(t.meminfo_kb.SwapTotal);
      expect(pages('SWAP FREE') * 4).toBe(t.meminfo_kb.SwapFree);
    });

    it('net, net -n PID|TASK: the namespace of ct-ipc (the initial one) holds eth0 with the address the guest gave it', async () => {
      const out = await run('net');
      expect(out).toMatch(/^[0-9a-f]{16} {2}eth0 {7}10\.0\.2\.15, /m);
      expect(await run(`net -n ${t.ct_ipc_pid}`)).toBe(out);
      const task = (await run(`ps ${t.ct_ipc_pid}`)).split('\n')[1]!.trim().split(/\s+/)[3]!;
      expect(await run(`net -n ${task}`)).toBe(out);
      expect(await run('net -n 999999')).toBe('net: invalid task or pid value: 999999\n');
      // -N: a number as the address whose bytes it holds in memory order (as crash)
      expect(await run('net -N 0x0f02000a')).toBe('10.0.2.15\n');
      expect(await run('net -N 16777343')).toBe('127.0.0.1\n');
    });

    it('net -a: every ARP entry with its IP, MAC and device; a permanent one PERMANENT, a resolved one valid', async () => {
      const out = await run('net -a');
      const lines = out.split('\n').filter((l) => l);
      expect(lines[0]).toBe('NEIGHBOUR        IP ADDRESS      HW TYPE    HW ADDRESS         DEVICE  STATE');
      const rows = lines
        .slice(1)
        .filter((l) => !l.startsWith('net: '))
        .map(words);
      const lost = lines.filter((l) => l.startsWith('net: ARP cache hash bucket '));
      if (!lossy) expect(lost).toEqual([]);
      for (const a of t.arp) {
        const r = rows.find((x) => x[1] === a.ip);
        if (!r && lost.length) continue;
        expect(r, `${a.ip} in\n${out}`).toBeDefined();
        expect(r!.slice(2, 5)).toEqual(['ETHER', a.hw_address, a.device]);
        // /proc/net/arp flags: ATF_COM 0x2 (a valid state), ATF_PERM 0x4 (NUD_PERMANENT); a resolved entry may
        // have aged from REACHABLE to STALE in the second before the crash
        if (Number(a.flags) & 4) expect(r![5]).toBe('PERMANENT');
        else expect(r![5]).toMatch(/^(REACHABLE|STALE|DELAY|PROBE)$/);
      }
      // /proc/net/arp leaves out NOARP entries (neigh_seq_start's NEIGH_SEQ_SKIP_NOARP): the loopback one that
      // ct-sockets' 127.0.0.1 traffic made (0.0.0.0 on lo: a NOARP device's neighbour key), crash's bytes
      const noarp = rows.filter((r) => r[r.length - 1] === 'NOARP');
      for (const r of noarp) expect(r.join(' ')).toMatch(/^[0-9a-f]+ 0\.0\.0\.0 UNKNOWN (00 ){6}lo NOARP$/);
      if (!lost.length) expect(rows.length - noarp.length).toBe(t.arp.length);
    });
  });
}
