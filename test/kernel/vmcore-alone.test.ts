/**
 * A vmcore opened alone (symbols from its kallsyms, types from its BTF, ORC from its image) answers
 * sys, ps, bt, log, rd and mod exactly as the same dump opened with its vmlinux (the corpus's nodwarf
 * vmlinux, what check.py opens), on every dump of every 6.x corpus case.
 *
 * The one difference allowed is what only a vmlinux file knows: its own name, on sys's KERNEL line.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { NO_VMLINUX_LABEL, openVmcoreAlone, openVmcoreAloneOn } from '../../src/kernel/open-alone.js';
import { openDumps } from '../../src/dump/open.js';
import { PageError, type DumpFile } from '../../src/dump/types.js';
import { caseInfo, caseNames, describeCorpus, dumpPaths, skipWhenNoCases, vmlinuxPlain } from '../helpers/corpus.js';
import { replOn } from '../helpers/repl.js';
import { ensureBuilt, runCrash } from '../repl/helpers.js';
import {
  CI_QEMU_FILES,
  CI_SCENARIOS,
  LARGE_SCENARIOS,
  describeWithDumps,
  missingMadeDumps,
  qemuDumpsDir,
  scenariosDir,
  vmlinuxOfRelease,
} from '../helpers/made-dumps.js';
import { OpenError } from '../../src/kernel/open.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const COMMANDS = [
  'sys',
  'ps',
  'bt',
  'bt -a',
  'bt -f',
  'log',
  'rd linux_banner 8',
  'rd -8 linux_banner 48',
  'rd -32 linux_banner 12',
  'rd -d jiffies',
  'rd -s init_task 32',
  'mod',
];

const opened: Kernel[] = [];
afterAll(() =>
  opened.forEach((k) => {
    k.elf?.close();
    k.dump.close();
  }),
);

/** sys names the vmlinux file; opened alone it says where symbols came from instead. */
function withoutVmlinuxName(text: string, label: string): string {
  return text.replace(
    /^( +KERNEL: ).*?(  \[TAINTED\])?$/m,
    (_, head: string, tainted?: string) => head + label + (tainted ?? ''),
  );
}

const sixes = caseNames().filter((c) => /^6\./.test(caseInfo(c).kernel_release));
skipWhenNoCases('vmcore alone');

/** Open `dump` both ways and compare every command's text. */
async function compareBothWays(vmlinux: string, dump: string, label: string): Promise<void> {
  const pair = openKernelSync(vmlinux, dump);
  opened.push(pair);
  const alone = openVmcoreAlone(dump);
  opened.push(alone);
  expect(alone.kaslrOffset, `${label}: KASLR offset`).toBe(pair.kaslrOffset);
  const withVmlinux = await replOn(pair);
  const withoutVmlinux = await replOn(alone);
  for (const cmd of COMMANDS) {
    // let the worker answer vitest's messages between commands (a long synchronous run times them out)
    await new Promise((r) => setImmediate(r));
    const want = withoutVmlinuxName(await withVmlinux(cmd), NO_VMLINUX_LABEL);
    const got = await withoutVmlinux(cmd);
    expect(got.length, `${label}: ${cmd} printed something`).toBeGreaterThan(0);
    expect(got, `${label}: ${cmd}`).toBe(want);
  }
}

/** Opening alone fails with one line: OpenError, no newline, naming what to give instead. */
function refusal(dump: string): string {
  try {
    opened.push(openVmcoreAlone(dump));
  } catch (e) {
    expect(e).toBeInstanceOf(OpenError);
    const m = (e as Error).message;
    expect(m).not.toContain('\n');
    expect(m).toContain('crash-ts VMLINUX VMCORE');
    return m;
  }
  throw new Error(`${dump} opened without its vmlinux`);
}

describeCorpus('a vmcore opened alone answers as with its vmlinux', () => {
  for (const name of sixes) {
    for (const file of caseInfo(name).dumps.map((d) => d.file.replace(/\.gz$/, ''))) {
      it(`${name}/${file}: ${COMMANDS.join(', ')}`, async () => {
        const vml = await vmlinuxPlain(name);
        const d = (await dumpPaths(name)).find((x) => x.file === file);
        if (!d) throw new Error(`${name}/${file} is not in the corpus`);
        await compareBothWays(vml, d.path, `${name}/${file}`);
      }, 600_000);
    }
  }
});

const release = (scenario: string): string =>
  (JSON.parse(readFileSync(join(scenariosDir, scenario, 'case.json'), 'utf8')) as { kernel_release: string })
    .kernel_release;
const missing = missingMadeDumps();

describeWithDumps(
  'made dumps (scenarios 6.x and 7.x, QEMU) opened alone',
  missing.length ? `no ${missing.join(', ')} (scripts/qemu)` : undefined,
  () => {
    for (const scenario of CI_SCENARIOS.filter((s) => !LARGE_SCENARIOS.includes(s))) {
      it(`${scenario}: the same answers, or one line naming the vmlinux to fetch`, async () => {
        const dump = join(scenariosDir, scenario, 'vmcore.kdump-zlib');
        const rel = release(scenario);
        if (/^[0-5]\./.test(rel)) {
          // before 6.0 VMCOREINFO does not say where kallsyms is
          expect(refusal(dump)).toContain(`linux-image-${rel}-dbg`);
          return;
        }
        const vml = await vmlinuxOfRelease(rel);
        if (!vml) throw new Error(`no vmlinux of ${rel} in the cache`);
        await compareBothWays(vml, dump, scenario);
      }, 600_000);
    }
    for (const file of CI_QEMU_FILES) {
      it(`QEMU ${file}: the same answers, or one line saying a vmlinux is needed`, async () => {
        const dump = join(qemuDumpsDir, file);
        if (file.includes('novmcoreinfo')) {
          expect(refusal(dump)).toContain('no VMCOREINFO');
          return;
        }
        const facts = join(qemuDumpsDir, 'qemu-facts.json');
        const rel = existsSync(facts)
          ? (JSON.parse(readFileSync(facts, 'utf8')) as { kernel_release: string }).kernel_release
          : '6.1.0-56-cloud-amd64';
        const vml = await vmlinuxOfRelease(rel);
        if (!vml) throw new Error(`no vmlinux of ${rel}`);
        await compareBothWays(vml, dump, file);
      }, 600_000);
    }
  },
);

/** A real dump with some physical pages made missing, as a filtered dump would lack them. */
function withoutPages(dump: DumpFile, from: bigint, to: bigint): DumpFile {
  const gone = (p: bigint, n = 1) => p < to && p + BigInt(n) > from;
  return {
    meta: dump.meta,
    vmcoreinfo: dump.vmcoreinfo,
    notes: dump.notes,
    cpus: dump.cpus,
    readPhys: (p, n) => {
      if (gone(p, n)) throw new PageError(p, 'excluded');
      return dump.readPhys(p, n);
    },
    isPresent: (p) => !gone(p) && dump.isPresent(p),
    close: () => dump.close(),
  };
}

describeCorpus('a dump that lacks what opening alone needs: one line naming the vmlinux to fetch', () => {
  const name = sixes.find((c) => c.startsWith('k61-sysrq-c')) ?? sixes[0];
  const physOf = (k: Kernel, sym: string) => k.mem.vtop(k.sym(sym));
  it(`${name}: the BTF pages or the kallsyms names excluded`, async () => {
    if (!name) return;
    const d = (await dumpPaths(name))[0]!;
    const ref = openVmcoreAlone(d.path);
    opened.push(ref);
    const release = ref.vmcoreinfo.osrelease!;
    for (const [what, from, to, says] of [
      [
        'BTF',
        physOf(ref, '__start_BTF') + 8192n,
        physOf(ref, '__start_BTF') + 12288n,
        'BTF type information is not in the dump',
      ],
      [
        'kallsyms',
        physOf(ref, 'kallsyms_names'),
        physOf(ref, 'kallsyms_names') + 4096n,
        'kallsyms tables are unreadable',
      ],
    ] as const) {
      const dump = withoutPages(openDumps([d.path]), from, to);
      let message = '';
      // a warm start would take the table from the cache the first open wrote, not from the dump
      const saved = process.env.CRASH_TS_CACHE_DIR;
      process.env.CRASH_TS_CACHE_DIR = 'off';
      try {
        opened.push(openVmcoreAloneOn([d.path], dump));
      } catch (e) {
        message = (e as Error).message;
      } finally {
        if (saved === undefined) delete process.env.CRASH_TS_CACHE_DIR;
        else process.env.CRASH_TS_CACHE_DIR = saved;
      }
      dump.close();
      expect(message, what).toContain(says);
      expect(message, what).toContain(`linux-image-${release}-dbg`);
      expect(message, what).not.toContain('\n');
    }
  });
});

describeCorpus('bin/crash-ts VMCORE (one file, no vmlinux)', () => {
  beforeAll(() => ensureBuilt(), 300_000);
  const name = sixes[0];
  it(`${name ?? '(no 6.x case)'}: the banner says where symbols came from; sys, ps, bt answer`, async () => {
    if (!name) return;
    const d = (await dumpPaths(name))[0]!;
    const r = runCrash([d.path], 'ps\nbt\n');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ +KERNEL: \(no vmlinux: kallsyms, BTF and ORC from the dump\)/m);
    expect(r.stdout).toContain(`RELEASE: ${caseInfo(name).kernel_release}`);
    expect(r.stdout).toMatch(/^[> ] +0 +0 +\d+ +[0-9a-f]+ +RU .*\[swapper\/\d\]$/m);
    expect(r.stdout).toMatch(/^ #\d+ \[[0-9a-f]+\] \w+ at [0-9a-f]+$/m);
    // what it lacks, once, on stderr
    expect(r.stderr).toMatch(/^crash-ts: WARNING: no vmlinux: .*no line numbers.*-dbg's vmlinux\)$/m);
  });
  it('a dump whose VMCOREINFO does not locate kallsyms: one line, exit status 1, no stack trace', () => {
    const k510 = join(scenariosDir, 'k510-sysrq-c', 'vmcore.kdump-zlib');
    if (!existsSync(k510)) return;
    const r = runCrash(['-s', k510], 'sys\n');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/kallsyms.*crash-ts VMLINUX VMCORE.*linux-image-5\.10\.0-32-cloud-amd64-dbg/);
  });
});
