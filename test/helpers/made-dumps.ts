/**
 * Dumps the project makes itself in QEMU (scripts/qemu: make-qemu-dumps.sh, make-scenario.sh), too big to
 * commit: where they are, the vmlinux that reads them, and how a suite that needs one behaves without it.
 *
 * On a developer machine or a bare clone a missing dump skips the suite visibly (the title says how to make
 * it). CI (.ci/run, with CI=true and the corpus beside the project) makes them before the tests: there a
 * missing dump is a failure, so a script that broke cannot hide behind skipped suites.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { caseInfo, caseNames, corpusAvailable, vmlinuxPlain } from './corpus.js';

export const cacheRoot = process.env.CRASH_TS_CORPUS_CACHE ?? join(homedir(), '.cache', 'crash-ts-corpus');
/** make-qemu-dumps.sh's output folder */
export const qemuDumpsDir = process.env.CRASH_TS_QEMU_DUMPS ?? join(cacheRoot, 'qemu');
/** one folder per make-scenario.sh NAME */
export const scenariosDir = process.env.CRASH_TS_SCENARIOS ?? join(cacheRoot, 'scenarios');

/** The scenario dumps .ci/run makes (make_into "$cache/scenarios/NAME"); made-dumps.test.ts keeps the two in step. */
export const CI_SCENARIOS = [
  'k612-kbd-sysrq',
  'k61-oops',
  'k612-oops',
  'k510-sysrq-c',
  'k7-sysrq-c',
  'k61-ipc-swap-arp',
  'k612-ipc-swap-arp',
  'k61-io',
  'k612-10k-threads',
];
/**
 * The CI scenarios that are big (k612-10k-threads: a process of 10,000 threads, ~90 MB, ~1 GB of memory): suites
 * that sweep every made dump leave them to their own tests.
 */
export const LARGE_SCENARIOS = ['k612-10k-threads'];
/**
 * Dumps of Debian's other amd64 flavours, made by hand (make-scenario.sh kNNrt-/kNNg-: PREEMPT_RT -rt-amd64 and
 * the generic -amd64 kernels, with NUMA, 8192 possible CPUs and NVMe as a module).
 */
export const FLAVOUR_SCENARIOS = [
  'k61rt-sysrq-c',
  'k61rt-oops',
  'k612rt-sysrq-c',
  'k612rt-oops',
  'k612g-sysrq-c',
  // two NUMA nodes (CT_QEMU_ARGS, scripts/qemu/README.md), at -d 23
  'k612g-numa2-sysrq-c',
];
/**
 * Crash kinds the CI scenarios never make, by hand (make-scenario.sh): an Oops in a timer softirq, a WARN() with
 * panic_on_warn, a soft lockup with softlockup_panic (ct_oops.ko), sysrq-c on a 5 GiB guest (RAM above 4 GiB);
 * test/sample/scenario-crash-kinds.test.ts.
 */
export const CRASH_KIND_SCENARIOS = [
  'k61-timer-oops',
  'k61-warn',
  'k61-softlockup',
  'k61-bigmem',
  'k612-timer-oops',
  'k612-warn',
  'k612-softlockup',
  'k612-bigmem',
];
/**
 * Scenario dumps made by hand only: the older-kernel twins of ones CI makes (k510-io: k61-io's disk I/O in flight on
 * 5.10; k510-ipc-swap-arp: its sockets of every kind, test/net/scenario-sockets), and the other flavours' and crash kinds above.
 * Their suites skip visibly when the dump is absent, under CI=true too (describeWithOptionalDump).
 */
export const HAND_MADE_SCENARIOS = ['k510-io', 'k510-ipc-swap-arp', ...FLAVOUR_SCENARIOS, ...CRASH_KIND_SCENARIOS];
/**
 * The kdump file of a scenario folder (undefined: none): make-scenario.sh names it by its compression,
 * vmcore.kdump-zlib (makedumpfile -c), or vmcore.kdump-lzo (-l: k612-10k-threads, where zlib cost a minute of
 * TCG time). zlib first: a folder made by hand before lzo keeps its zlib file.
 */
export function scenarioVmcore(dir: string): string | undefined {
  const files = existsSync(dir) ? readdirSync(dir) : [];
  const name = ['vmcore.kdump-zlib', 'vmcore.kdump-lzo'].find((f) => files.includes(f));
  return name === undefined ? undefined : join(dir, name);
}
/** The files of make-qemu-dumps.sh that tests read (.ci/run makes them all). */
export const CI_QEMU_FILES = [
  'q.elf',
  'q.kdump-zlib',
  'qemu-elf.vmcore',
  'qemu-kdump-zlib.vmcore',
  'qemu-elf-novmcoreinfo.vmcore',
  'qemu-kdump-zlib-novmcoreinfo.vmcore',
  'qemu-kdump-zlib-la57.vmcore',
  'qemu-kdump-zlib-cpu1off.vmcore',
];

/** The made dumps that are absent: scenario folders (no vmcore or case.json) and QEMU files. */
export function missingMadeDumps(): string[] {
  const scen = CI_SCENARIOS.filter(
    (n) => !scenarioVmcore(join(scenariosDir, n)) || !existsSync(join(scenariosDir, n, 'case.json')),
  ).map((n) => join(scenariosDir, n));
  const qemu = CI_QEMU_FILES.filter((f) => !existsSync(join(qemuDumpsDir, f))).map((f) => join(qemuDumpsDir, f));
  return [...scen, ...qemu];
}

/** CI made the dumps: a suite whose dump is missing fails instead of skipping. */
export const dumpsRequired = process.env.CI === 'true' && corpusAvailable;

/**
 * The vmlinux of a kernel release: a corpus case's (symbols and BTF, no DWARF), or the one a script fetched
 * into the cache for a release the corpus does not hold (make-scenario.sh: the debug vmlinux, or for a kernel of
 * another Debian suite, CT_SUITE, the same without DWARF: vmlinux-REL.nodwarf).
 */
export async function vmlinuxOfRelease(release: string): Promise<string | undefined> {
  const c = caseNames().find((n) => caseInfo(n).kernel_release === release);
  if (c) return vmlinuxPlain(c);
  for (const f of [`vmlinux-${release}`, `vmlinux-${release}.nodwarf`]) {
    const p = join(cacheRoot, release, f);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/**
 * describe() for a suite that needs made dumps. `missing` names what is absent and how to make it
 * (undefined when everything is there): the suite then skips with that in its title, or, under CI, is
 * replaced by one failing test that says the same.
 */
export function describeWithDumps(title: string, missing: string | undefined, fn: () => void): void {
  if (missing === undefined) describe(title, fn);
  else if (dumpsRequired)
    describe(title, () => {
      it('has the dumps CI makes', () => {
        throw new Error(`CI was meant to make this suite's dumps and did not: ${missing}`);
      });
    });
  else describe.skip(`${title} (skipped: ${missing})`, fn);
}

/**
 * describe() for a suite on a dump CI does not make (HAND_MADE_SCENARIOS): without it the suite skips, with the
 * way to make it in its title, whether or not CI=true.
 */
export function describeWithOptionalDump(title: string, missing: string | undefined, fn: () => void): void {
  if (missing === undefined) describe(title, fn);
  else describe.skip(`${title} (skipped: ${missing}; CI does not make this dump)`, fn);
}

/** What a made dump's facts file (a scenario's case.json, make-qemu-dumps.sh's qemu-facts*.json) says. */
export interface MadeFacts {
  kernel_release: string;
  runtime_symbols: Record<string, string>;
  workload: { pid: number; ppid: number; comm: string; role: string; state_in_proc_before_crash?: string }[];
}

/** One made dump CI makes, with its facts. */
export interface MadeDump {
  /** the scenario name, or the QEMU file name */
  name: string;
  path: string;
  facts: MadeFacts;
}

/** Every dump of CI_SCENARIOS and CI_QEMU_FILES that is present, with its facts (the q.* symlinks left out). */
export function madeDumpsPresent(): MadeDump[] {
  const read = (p: string): MadeFacts => JSON.parse(readFileSync(p, 'utf8')) as MadeFacts;
  const out: MadeDump[] = [];
  for (const n of CI_SCENARIOS) {
    const d = join(scenariosDir, n);
    if (existsSync(join(d, 'vmcore.kdump-zlib')) && existsSync(join(d, 'case.json')))
      out.push({ name: n, path: join(d, 'vmcore.kdump-zlib'), facts: read(join(d, 'case.json')) });
  }
  const factsFiles = existsSync(qemuDumpsDir)
    ? readdirSync(qemuDumpsDir).filter((f) => /^qemu-facts.*\.json$/.test(f))
    : [];
  for (const f of factsFiles) {
    const facts = read(join(qemuDumpsDir, f)) as MadeFacts & { dumps?: { file: string }[] };
    for (const d of facts.dumps ?? [])
      if (CI_QEMU_FILES.includes(d.file) && existsSync(join(qemuDumpsDir, d.file)))
        out.push({ name: d.file, path: join(qemuDumpsDir, d.file), facts });
  }
  return out;
}

/** Made dumps opened for a suite, each with the vmlinux of its release (in a beforeAll; closed after the suite). */
export function openMadeDumps(dumps: MadeDump[]): { name: string; k: Kernel }[] {
  const opened: { name: string; k: Kernel }[] = [];
  beforeAll(async () => {
    for (const d of dumps) {
      const v = await vmlinuxOfRelease(d.facts.kernel_release);
      if (v) opened.push({ name: d.name, k: openKernelSync(v, d.path) });
    }
  }, 300_000);
  afterAll(() => opened.forEach((o) => o.k.dump.close()));
  return opened;
}
