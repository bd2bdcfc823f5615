/**
 * Debian's other amd64 flavours (made by hand: make-scenario.sh k61rt-/k612rt-/k612g-, scripts/qemu/README.md):
 * PREEMPT_RT (-rt-amd64: rt_mutex spinlocks, threaded IRQs, printk threads) and the generic -amd64 kernel (NUMA,
 * 8192 possible CPUs). Each dump against its case.json: sys's release, version and panic; ps's workload (a task
 * whose struct the dump lacks must be named as unreadable: the 6.12 dumps lose some to makedumpfile 1.7.2); the
 * panic task's bt against the console's call trace; kmem -n's memory block states; and opened alone (kallsyms,
 * BTF) the same ps and bt.
 * Each suite skips visibly when its dump is absent.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { openVmcoreAlone } from '../../src/kernel/open-alone.js';
import {
  FLAVOUR_SCENARIOS,
  describeWithOptionalDump,
  scenarioVmcore,
  scenariosDir,
  vmlinuxOfRelease,
} from '../helpers/made-dumps.js';
import { replOn } from '../helpers/repl.js';

interface FlavourCase {
  kernel_release: string;
  linux_banner: string;
  panic: { message: string; pid: number; comm: string; call_trace?: string[] };
  workload: { pid: number; ppid: number; comm: string; state_in_proc_before_crash?: string }[];
}
const PROC_TO_CRASH: Record<string, string> = { R: 'RU', S: 'IN', D: 'UN', T: 'ST', Z: 'ZO' };

for (const name of FLAVOUR_SCENARIOS) {
  const dir = join(scenariosDir, name);
  const dump = scenarioVmcore(dir);
  const facts = existsSync(join(dir, 'case.json'))
    ? (JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as FlavourCase)
    : undefined;
  const missing =
    dump && facts ? undefined : `no ${dir} (scripts/qemu/make-scenario.sh ${name} ${dir}, as root, ~2-5 min)`;
  describeWithOptionalDump(
    `${name}: Debian's ${name.includes('rt-') ? 'PREEMPT_RT' : 'generic'} flavour`,
    missing,
    () => {
      let k: Kernel | undefined;
      let alone: Kernel | undefined;
      let run: (line: string) => Promise<string>;
      let runAlone: (line: string) => Promise<string>;
      beforeAll(async () => {
        const v = await vmlinuxOfRelease(facts!.kernel_release);
        if (!v) throw new Error(`no vmlinux of ${facts!.kernel_release} in the cache (make-scenario.sh fetches it)`);
        k = openKernelSync(v, dump!);
        alone = openVmcoreAlone(dump!);
        run = await replOn(k);
        runAlone = await replOn(alone);
      }, 300_000);
      afterAll(() => {
        for (const x of [k, alone]) {
          x?.elf?.close();
          x?.dump.close();
        }
      });

      it('sys: the release, the flavour in the version, the panic', async () => {
        const out = await run('sys');
        expect(out).toMatch(new RegExp(`^ +RELEASE: ${facts!.kernel_release.replace(/[.+]/g, '\\$&')}$`, 'm'));
        const version = /#1 SMP .*$/.exec(facts!.linux_banner)![0].replace(/ \(\d{4}-\d\d-\d\d\)$/, '');
        expect(out).toContain(`VERSION: ${version}`);
        if (name.includes('rt-')) expect(out).toMatch(/VERSION: #1 SMP PREEMPT_RT/);
        expect(out).toContain(facts!.panic.message);
      });

      it('ps: every workload task as the guest listed it, or named among the unreadable ones', async () => {
        const out = await run('ps');
        const rows = new Map<number, string[]>();
        for (const l of out.split('\n')) {
          const m = /^[> ] +(\d+) +(-?\d+) +\d+ +[0-9a-f]{16} +([A-Z]{2}) .* (\S+)$/.exec(l);
          if (m) rows.set(Number(m[1]), [m[2]!, m[3]!, m[4]!]);
        }
        const unreadable = /could not be read.*$/m.exec(out)?.[0] ?? '';
        const lostTasks = (unreadable.match(/task [0-9a-f]{16}/g) ?? []).length;
        let unnamed = 0;
        for (const w of facts!.workload) {
          const r = rows.get(w.pid);
          if (!r) {
            // lost: by pid when the dump still names it, else one of the tasks of unknown pid
            if (!unreadable.includes(`pid ${w.pid} `)) unnamed++;
            continue;
          }
          const st = PROC_TO_CRASH[w.state_in_proc_before_crash ?? ''] ?? r[1];
          expect(r[2], `pid ${w.pid} comm`).toBe(w.comm.slice(0, 15));
          // a parent whose struct is lost has no readable pid (-1)
          if (r[0] !== '-1') expect(Number(r[0]), `pid ${w.pid} ppid`).toBe(w.ppid);
          expect(r[1], `pid ${w.pid} state`).toBe(st);
        }
        expect(unnamed, `workload tasks neither listed nor named: ${unreadable}`).toBeLessThanOrEqual(lostTasks);
        expect(rows.get(facts!.panic.pid)?.[2]).toBe(facts!.panic.comm);
      });

      it("bt: the panic task's frames in the console's call-trace order", async () => {
        const out = await run('bt');
        expect(out).toMatch(new RegExp(`^PID: ${facts!.panic.pid} `, 'm'));
        const frames = [...out.matchAll(/^ *#\d+ \[[0-9a-f]+\] (\S+) at /gm)].map((m) => m[1]!.replace(/\.cold$/, ''));
        const trace = (facts!.panic.call_trace ?? [])
          .filter((f) => !f.startsWith('?') && !f.startsWith('<') && !f.startsWith('RIP'))
          .map((f) => f.replace(/\+0x.*$/, '').replace(/ \[.*$/, ''));
        const want = trace.filter((f) =>
          /^(sysrq_handle_crash|write_sysrq_trigger|ct_oops_\w+|vfs_write|ksys_write)$/.test(f),
        );
        expect(want.length).toBeGreaterThan(2);
        let at = 0;
        for (const f of want) {
          const i = frames.indexOf(f, at);
          expect(i, `${f} in ${frames.join(' ')}`).toBeGreaterThanOrEqual(0);
          at = i + 1;
        }
      });

      it("kmem -n: every memory block ONLINE (the guest never took memory offline), in the kernel's own numbering", async () => {
        // 6.12.118 made memory_block.state an enum from 0 (MEM_ONLINE 0); 6.1 keeps the MEM_* bits (MEM_ONLINE 1):
        // crash 9 knows only the bits and says UNKNOWN on the enum
        const blocks = (await run('kmem -n')).split('\n').filter((l) => / memory\d+ /.test(l));
        expect(blocks.length).toBeGreaterThan(0);
        for (const b of blocks) expect(b.trim().split(/ +/)[6], b).toBe('ONLINE');
        expect(await runAlone('kmem -n')).toContain(blocks[0]);
      });

      if (name.includes('numa2'))
        it('kmem -f, kmem -n on two NUMA nodes: each node under its own header, a rule between them', async () => {
          // crash 9's layout (checked on this dump): kmem -f "", 74 dashes, "", "NODE", "  1", then node 1's first
          // zone header; kmem -n "", the rule, "", node 1's "NODE  SIZE ..." header
          const f = (await run('kmem -f')).split('\n');
          const fNodes = f.flatMap((l, i) => (l === 'NODE' ? [i] : []));
          expect(fNodes.map((i) => f[i + 1])).toEqual(['  0', '  1']);
          expect(f.slice(fNodes[1]! - 3, fNodes[1]!)).toEqual(['', '-'.repeat(74), '']);
          expect(f[fNodes[1]! + 2]).toMatch(/^ZONE  NAME/);
          const n = (await run('kmem -n')).split('\n');
          const nNodes = n.flatMap((l, i) => (l.startsWith('NODE  ') ? [i] : []));
          expect(nNodes).toHaveLength(2);
          expect(n[nNodes[1]! - 1]).toBe('');
          expect(n[nNodes[1]! - 2]).toMatch(/^-{60,}$/);
          expect(n[nNodes[1]! - 3]).toBe('');
          expect(n[nNodes[1]! - 4]).toMatch(/^ +\d +\w+ +\d+ /); // node 0's last zone row
        });

      it('opened alone (kallsyms, BTF): the same ps and bt', async () => {
        for (const cmd of ['ps', 'bt', 'bt -a']) expect(await runAlone(cmd), cmd).toBe(await run(cmd));
      }, 120_000);
    },
  );
}
