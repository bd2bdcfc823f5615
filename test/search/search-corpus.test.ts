/**
 * search on every corpus case: -t finds a word a sleeping task's stack really holds (a return address above its
 * saved stack pointer) under that task's header, and every match of -t lies in the stack of the task named above it; -T
 * names only running tasks; -c finds a string that runs from one page into the next. On k61-sysrq-c, crash
 * 9's own output for -t, -t -x, -K and -V (crash 9 prints the matches of a -s/-l range in the kernel image
 * twice: we print them once).
 */
import { beforeAll, expect, it } from 'vitest';
import { threadSize } from '../../src/kernel/arch/x86_64/stacks.js';
import { allTasks, isActive } from '../../src/kernel/objects/tasks.js';
import { caseNames, describeCorpus, skipWhenNoCases } from '../helpers/corpus.js';
import { openCaseSession, type Opened } from '../expr/session.js';

/** crash 9.0.2 on k61-sysrq-c/vmcore.kdump-zlib */
const CRASH9_K61: [string, string][] = [
  [
    'search -t ffff8e71824c8000',
    `PID: 1        TASK: ffff8e71811fb000  CPU: 1    COMMAND: "init"
ffffd3e7400139a8: ffff8e71824c8000 
ffffd3e7400139c8: ffff8e71824c8000 
`,
  ],
  ['search -T ffff8e71824c8000', ''],
  [
    'search -t -x 1 ffff8e71824c8000',
    `PID: 1        TASK: ffff8e71811fb000  CPU: 1    COMMAND: "init"
ffffd3e7400139a0:  ffff8e718106a400                    ....q...
ffffd3e7400139a8:  ffff8e71824c8000 
ffffd3e7400139b0:  ffff8e71811fbac8                    ....q...

ffffd3e7400139c0:  ffff8e71811fb000                    ....q...
ffffd3e7400139c8:  ffff8e71824c8000 
ffffd3e7400139d0:  ffff8e71af731980                    ..s.q...

`,
  ],
  [
    'search -K -c "expected magic value"',
    `ffff8e719ccceff9: expected magic value (0x%08x)..Warning: Can fit ISA rang
ffffffff894ceff9: expected magic value (0x%08x)..Warning: Can fit ISA rang
`,
  ],
  ['search -V -c "expected magic value"', ''],
  [
    'search -s ffffffff894cae00 -l 0x400 -c "rootfs image" "ck root" image',
    `ffffffff894caff8: ck rootf
ffffffff894caffb: rootfs image as initramfs.............0Initramfs unpacki
ffffffff894cb002: image as initramfs.............0Initramfs unpacking fail
`,
  ],
];

const hex = (v: bigint) => v.toString(16);

skipWhenNoCases('search on each corpus case');
for (const name of caseNames()) {
  describeCorpus(`search on ${name}`, () => {
    let o: Opened;
    beforeAll(async () => {
      o = await openCaseSession(name);
    }, 120_000);

    it("-t: a return address on a sleeping task's stack (above its saved stack pointer), under that task's header; every match in its task's stack", async () => {
      const { k } = o;
      const size = threadSize(k);
      const sleeper = allTasks(k).tasks.find((t) => t.pid > 1 && !isActive(k, t) && t.stack !== 0n)!;
      const sp = k.object('struct task_struct', sleeper.address).field('thread').field('sp').value();
      expect(sp >= sleeper.stack && sp < sleeper.stack + size).toBe(true);
      // the first word from there up that is a kernel text address (a return address)
      let at = sp;
      while (at < sleeper.stack + size - 8n && !k.symbols.isText(k.readU64(at))) at += 8n;
      const word = k.readU64(at);
      const out = (await o.run(`search -t ${hex(word)}`)).split('\n').filter(Boolean);
      const header = out.findIndex((l) =>
        l.startsWith(`PID: ${String(sleeper.pid).padEnd(8)} TASK: ${hex(sleeper.address)}`),
      );
      expect(header).toBeGreaterThanOrEqual(0);
      expect(out.slice(header + 1)).toContain(`${hex(at)}: ${hex(word)} `);
      const stacks = new Map(allTasks(k).tasks.map((t) => [hex(t.address), t.stack]));
      let base = 0n;
      for (const l of out) {
        const h = /^PID: +\d+ +TASK: ([0-9a-f]+)/.exec(l);
        if (h) base = stacks.get(h[1]!.replace(/^0+/, ''))!;
        else {
          const at = BigInt('0x' + l.split(':')[0]);
          expect(at >= base && at < base + size, l).toBe(true);
        }
      }
    });

    it('-T: only tasks running on a CPU', async () => {
      const { k } = o;
      const running = allTasks(k).tasks.filter((t) => isActive(k, t));
      // a running task's own address is in its thread_info/current pointers: look for it on its stack
      const out = await o.run(`search -T ${running.map((t) => hex(t.address)).join(' ')}`);
      const pids = [...out.matchAll(/^PID: +(\d+)/gm)].map((m) => Number(m[1]));
      for (const p of pids) expect(running.map((t) => t.pid)).toContain(p);
      expect(await o.run('search -t -k 0')).toMatch(/^search: -t searches task stacks only/);
    });

    it('-c: a string from the end of one page into the next', async () => {
      const { k } = o;
      // a page boundary in the kernel's read-only data with text on both sides
      const start = k.sym('linux_banner') & ~0xfffn;
      let boundary: bigint | undefined;
      for (let p = start; p < start + 0x400000n && boundary === undefined; p += 0x1000n) {
        try {
          const b = k.read(p - 6n, 12);
          if ([...b].every((c) => (c >= 0x61 && c <= 0x7a) || c === 0x20)) boundary = p;
        } catch {
          // a page the dump lacks
        }
      }
      expect(boundary).toBeDefined();
      const needle = k.read(boundary! - 6n, 12).toString('latin1');
      const out = await o.run(`search -s ${hex(boundary! - 0x100n)} -l 0x200 -c "${needle}"`);
      expect(out).toMatch(new RegExp(`^${hex(boundary! - 6n)}: ${needle.replace(/ /g, ' ')}`, 'm'));
      // matches are listed once each
      expect(out.split('\n').filter((l) => l.startsWith(hex(boundary! - 6n))).length).toBe(1);
    });

    if (name === 'k61-sysrq-c')
      it('prints what crash 9 printed (once where crash 9 repeats a kernel-image match)', async () => {
        for (const [cmd, want] of CRASH9_K61) expect(await o.run(cmd), cmd).toBe(want);
      }, 120_000);
  });
}
