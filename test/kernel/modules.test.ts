/**
 * Loaded modules, read from the dump (struct module list, in-memory kallsyms, module ORC): `mod` equals
 * crash 9's golden output on the corpus (6.1's core_layout and 6.12's mem[] layouts), and on the oops
 * scenario (a NULL write in a test module, scripts/qemu/make-scenario.sh k61-oops / k612-oops) the module's
 * symbols are the crashed machine's own /proc/kallsyms addresses and bt unwinds through the module's code.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import btCommand from '../../commands/bt.js';
import modCommand from '../../commands/mod.js';
import sysCommand from '../../commands/sys.js';
import type { Command } from '../../src/command.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { loadedModules } from '../../src/kernel/objects/modules.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import {
  caseInfo,
  caseNames,
  corpusAvailable,
  corpusDir,
  crashGolden,
  describeCorpus,
  dumpPaths,
  vmlinuxPlain,
} from '../helpers/corpus.js';
import { describeWithDumps, scenariosDir } from '../helpers/made-dumps.js';

const run = async (k: Kernel, c: Command, args: string[]): Promise<string> =>
  renderText((await c.run(new Session(k), parseArgs(args, c.options))) as View);

describeCorpus('mod on a kernel without modules', () => {
  it("says so in crash 9's words (the bundled sample: NVMe and virtio built in)", async () => {
    const { findSample } = await import('../../src/cli.js');
    const files = findSample();
    expect(files).toBeDefined();
    const [vmlinux, vmcore] = files!;
    const k = openKernelSync(vmlinux!.endsWith('.gz') ? await vmlinuxPlain('k61-sysrq-c') : vmlinux!, vmcore!);
    try {
      expect(await run(k, modCommand, [])).toBe('no modules installed\n');
      expect(await run(k, modCommand, ['-t'])).toBe('no modules installed\n');
    } finally {
      k.dump.close();
    }
  });
});

describeCorpus('mod against crash 9', () => {
  for (const name of caseNames()) {
    it(`${name}: every dump with a golden mod output is equal byte for byte`, async () => {
      let compared = 0;
      for (const d of await dumpPaths(name)) {
        const golden = crashGolden(name, d.file, '22_mod.out');
        if (!golden) continue;
        const k = openKernelSync(await vmlinuxPlain(name), d.path);
        try {
          expect(await run(k, modCommand, [])).toBe(golden);
          compared++;
        } finally {
          k.dump.close();
        }
      }
      expect(compared, 'no dump of this case has a golden mod output').toBeGreaterThan(0);
    }, 120_000);
  }
});

const SCENARIOS = scenariosDir;

for (const scenario of ['k61-oops', 'k612-oops']) {
  const dir = join(SCENARIOS, scenario);
  const have = existsSync(join(dir, 'vmcore.kdump-zlib')) && existsSync(join(dir, 'case.json'));
  const title = `${scenario}: an oops in a module`;
  describeWithDumps(
    title,
    !corpusAvailable
      ? `no corpus at ${corpusDir} (for the vmlinux)`
      : have
        ? undefined
        : `no ${dir}; scripts/qemu/make-scenario.sh ${scenario} ${dir}`,
    () => {
      let k: Kernel;
      let facts: {
        kernel_release: string;
        runtime_symbols: Record<string, string>;
        modules_loaded: string[];
        panic: { call_trace: string[]; pid: number; comm: string };
      };
      beforeAll(async () => {
        facts = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as typeof facts;
        const c = caseNames().find((n) => caseInfo(n).kernel_release === facts.kernel_release)!;
        k = openKernelSync(await vmlinuxPlain(c), join(dir, 'vmcore.kdump-zlib'));
      }, 120_000);
      afterAll(() => k?.dump.close());

      it('the module list holds the module at the address /proc/modules gave', () => {
        const line = facts.modules_loaded.find((l) => l.startsWith('ct_oops '))!;
        const [, size, base] = /^ct_oops (\d+) .* 0x([0-9a-f]+)/.exec(line)!;
        const m = loadedModules(k).modules.find((x) => x.name === 'ct_oops');
        expect(m?.base).toBe(BigInt('0x' + base));
        if (m?.layout === 'core_layout') expect(m.size).toBe(BigInt(size!));
      });

      it("the module's functions are where the machine's /proc/kallsyms put them", () => {
        for (const fn of ['ct_oops_write_null', 'ct_oops_trigger', 'ct_oops_proc_write']) {
          const want = BigInt('0x' + facts.runtime_symbols[fn]);
          expect(k.symbols.lookupAny(fn)?.address, fn).toBe(want);
          const n = k.symbols.nearest(want + 3n);
          expect([n?.symbol.name, n?.offset, n?.symbol.module]).toEqual([fn, 3n, 'ct_oops']);
        }
      });

      it("mod -t: the module's own taint letters, as /proc/modules showed them", async () => {
        const line = facts.modules_loaded.find((l) => l.startsWith('ct_oops '))!;
        const letters = /\((\w+)\)$/.exec(line)![1]!;
        expect(await run(k, modCommand, ['-t'])).toBe(`NAME     TAINTS\nct_oops  ${letters}\n`);
      });

      it('sys marks the kernel tainted (the unsigned out-of-tree module) and names the oops as crash 9 does', async () => {
        const text = await run(k, sysCommand, []);
        expect(text).toMatch(/^ {6}KERNEL: \S+ {2}\[TAINTED\]$/m);
        expect(text).toMatch(/^ {7}PANIC: "(Oops: )+0002 \[#1\] PREEMPT SMP NOPTI" \(check log for details\)$/m);
      });

      it('bt unwinds through the module with its own ORC table: the console Call Trace, module named', async () => {
        const text = await run(k, btCommand, []);
        expect(text).toMatch(/^ {4}\[exception RIP: ct_oops_write_null\+\d+\]$/m);
        const frames = [...text.matchAll(/^\s*#\d+ \[[0-9a-f]{16}\] ([\w.]+) at [0-9a-f]{16}( \[ct_oops\])?$/gm)];
        const names = frames.map((f) => f[1]!);
        const reliable = facts.panic.call_trace.filter((t) => !t.startsWith('?') && !t.startsWith('<'));
        expect(names.slice(names.indexOf(reliable[0]!))).toEqual(reliable);
        for (const f of frames) expect(!!f[2], f[0]).toBe(f[1]!.startsWith('ct_oops_'));
      });
    },
  );
}
