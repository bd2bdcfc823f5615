/**
 * Cross-check crash-ts against crash 9 on dumps that have no stored crash 9 golden (the ones scripts/qemu makes):
 * the command list `check.py breadth` scores (its BREADTH_BASE + a corpus case's golden/crash-9-ext index), with
 * that case's init_task address and workload pids replaced by the dump's own, run once through crash 9 (the sid
 * chroot of ../shared/peers) and once through bin/crash-ts, then compared per command as check.py compares
 * (gdb's `$N = ` numbering ignored, trailing blanks dropped).
 *
 *   node dist/scripts/crosscheck-crash9.js [--out DIR] [--only REGEX] [--keep] [DUMP...]
 *
 * DUMP: a scenario name (k612-oops: ~/.cache/crash-ts-corpus/scenarios/k612-oops, its vmcore.kdump-zlib or
 * vmcore.kdump-lzo; k510-hung/vmcore.elf names another file of the folder; $CRASH_TS_SCENARIOS: another folder
 * of scenarios, e.g. ones made by hand elsewhere) or a QEMU dump file name
 * (qemu-kdump-zlib-la57.vmcore); default: every made dump present. The facts (release, init_task, workload) come
 * from the scenario's case.json or the qemu-facts*.json that lists the file. Each dump is hard-linked (or copied)
 * into the out folder first: CI replaces the dump folders, and the chroot's bind mounts would go stale.
 * Writes DIR/DUMP/NN_cmd.{crash,ts,diff} (default DIR /tmp/crosscheck-crash9) and prints one line per differing
 * command and a per-dump count. Exit 0 when every command is equal on every dump.
 */
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { breadthNorm } from './breadth-norm.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shared = resolve(process.env.CRASH_TS_SHARED ?? join(root, '..', 'shared'));
const cache = process.env.CRASH_TS_CORPUS_CACHE ?? join(homedir(), '.cache', 'crash-ts-corpus');
const scenariosDir = process.env.CRASH_TS_SCENARIOS ?? join(cache, 'scenarios');
const qemuDir = process.env.CRASH_TS_QEMU_DUMPS ?? join(cache, 'qemu');
const inSid = join(shared, 'peers', 'in-sid');
/** the corpus case whose crash-9-ext command list is replayed */
const TEMPLATE_CASE = 'k61-sysrq-c';

interface Facts {
  kernel_release: string;
  runtime_symbols: Record<string, string>;
  workload?: { pid: number }[];
}
interface Dump {
  name: string;
  file: string;
  facts: Facts;
}

function readJson<T>(p: string): T {
  return JSON.parse(readFileSync(p, 'utf8')) as T;
}

/** check.py's BREADTH_BASE list, read from check.py itself so the two stay in step. */
function breadthBase(): string[] {
  const src = readFileSync(join(shared, 'corpus', 'check.py'), 'utf8');
  const m = /BREADTH_BASE = \[([^\]]*)\]/s.exec(src);
  if (!m) throw new Error('check.py: no BREADTH_BASE list');
  return [...m[1].matchAll(/"([^"]*)"/g)].map((x) => x[1]);
}

/** The template case's crash-9-ext commands, its init_task address and its first two workload pids. */
function templateCommands(): { cmds: string[]; addr: string; pids: string[] } {
  const dir = join(shared, 'corpus', 'cases', TEMPLATE_CASE);
  const c = readJson<Facts & { dumps: { file: string }[] }>(join(dir, 'case.json'));
  const ext = join(dir, 'golden', 'crash-9-ext');
  const idx = readdirSync(ext)
    .map((d) => join(ext, d, 'index.json'))
    .find(existsSync);
  if (!idx) throw new Error(`${ext}: no index.json`);
  const cmds = readJson<{ commands: { cmd: string }[] }>(idx).commands.map((x) => x.cmd);
  return {
    cmds,
    addr: c.runtime_symbols.init_task.replace(/^0x/, ''),
    pids: (c.workload ?? []).slice(0, 2).map((w) => String(w.pid)),
  };
}

/** The command list for one dump: the template's address and pids replaced by the dump's own. */
function commandsFor(facts: Facts): string[] {
  const t = templateCommands();
  const addr = facts.runtime_symbols.init_task.replace(/^0x/, '');
  const pids = (facts.workload ?? []).slice(0, 2).map((w) => String(w.pid));
  const swap = (cmd: string): string => {
    let out = cmd.split(t.addr).join(addr);
    t.pids.forEach((p, i) => {
      if (pids[i]) out = out.replace(new RegExp(`\\b${p}\\b`, 'g'), pids[i]);
    });
    return out;
  };
  const all = [...breadthBase(), ...t.cmds.map(swap)];
  return [...new Set(all)];
}

function findDumps(names: string[]): Dump[] {
  const out: Dump[] = [];
  const qemuFacts = existsSync(qemuDir)
    ? readdirSync(qemuDir)
        .filter((f) => /^qemu-facts.*\.json$/.test(f))
        .map((f) => readJson<Facts & { dumps?: { file: string }[] }>(join(qemuDir, f)))
    : [];
  const want = names.length
    ? names
    : [
        ...(existsSync(scenariosDir) ? readdirSync(scenariosDir).filter((n) => n !== 'k612-10k-threads') : []),
        ...qemuFacts.flatMap((f) => (f.dumps ?? []).map((d) => d.file)),
      ];
  for (const n of want) {
    // NAME (its kdump file: vmcore.kdump-zlib, else vmcore.kdump-lzo) or NAME/FILE (e.g. k510-hung/vmcore.elf)
    const [sn, sf] = n.split('/');
    const scen = join(scenariosDir, sn);
    const file = [sf, 'vmcore.kdump-zlib', 'vmcore.kdump-lzo'].find((f) => f && existsSync(join(scen, f)));
    if (existsSync(join(scen, 'case.json')) && file && (!sf || file === sf)) {
      const name = sf ? `${sn}-${sf.replace(/^vmcore\./, '')}` : sn;
      out.push({ name, file: join(scen, file), facts: readJson<Facts>(join(scen, 'case.json')) });
      continue;
    }
    const facts = qemuFacts.find((f) => (f.dumps ?? []).some((d) => d.file === n));
    if (facts && existsSync(join(qemuDir, n)))
      out.push({ name: n.replace(/\.vmcore$/, ''), file: join(qemuDir, n), facts });
    else console.error(`crosscheck: no made dump named ${n} (in ${scenariosDir} or ${qemuDir})`);
  }
  return out;
}

/** One session: each command preceded by a marker line; returns the text after each marker. */
function session(argv: string[], cmds: string[], timeoutS: number): { parts: string[]; preamble: string } {
  const script = cmds.map((c, i) => `!echo "@@@CMD ${String(i).padStart(3, '0')}"\n${c}\n`).join('') + 'q\n';
  // stderr joins stdout (error lines in place); a command crash cuts short leaves its marker mid-line
  const r = spawnSync('nice', ['-n', '10', 'sh', '-c', 'exec "$@" 2>&1', 'sh', ...argv], {
    input: script,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    timeout: timeoutS * 1000,
    cwd: root,
  });
  const text = (r.stdout ?? '') + (r.error ? `\n[session failed: ${r.error.message}]\n` : '');
  const parts: string[] = cmds.map(() => '');
  const marks = [...text.matchAll(/@@@CMD (\d{3})\n/g)];
  marks.forEach((m, k) => {
    const end = k + 1 < marks.length ? marks[k + 1].index : text.length;
    parts[Number(m[1])] = text.slice(m.index + m[0].length, end);
  });
  return { parts, preamble: text.slice(0, marks[0]?.index ?? text.length) };
}

function fileName(i: number, cmd: string): string {
  return `${String(i).padStart(2, '0')}_${cmd.replace(/[^A-Za-z0-9_.+-]+/g, '_').slice(0, 60)}`;
}

function diff(a: string, b: string): string {
  const r = spawnSync('diff', ['-u', '--label', 'crash-9', a, '--label', 'crash-ts', b], { encoding: 'utf8' });
  return r.stdout;
}

function main(): number {
  const args = process.argv.slice(2);
  let outDir = '/tmp/crosscheck-crash9';
  let only: RegExp | undefined;
  let keep = false;
  const names: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--out') outDir = args[++i];
    else if (args[i] === '--only') only = new RegExp(args[++i]);
    else if (args[i] === '--keep') keep = true;
    else names.push(args[i]);
  }
  if (!existsSync(inSid)) {
    console.error(`crosscheck: no ${inSid} (crash 9 runs in ../shared/peers' sid chroot)`);
    return 2;
  }
  let bad = 0;
  for (const d of findDumps(names)) {
    const rel = d.facts.kernel_release;
    const vmlinux = join(cache, rel, `vmlinux-${rel}`);
    if (!existsSync(vmlinux)) {
      console.log(`${d.name}: no debug vmlinux ${vmlinux} (crash 9 needs DWARF): skipped`);
      continue;
    }
    const cmds = commandsFor(d.facts).filter((c) => !only || only.test(c));
    const dir = join(outDir, d.name);
    // the folder itself is kept from run to run (in-sid bind-mounts it once; a new folder of the same name
    // would leave that mount stale), only its files go
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(dir)) rmSync(join(dir, f), { recursive: true, force: true });
    // a private link: CI's remade dumps cannot pull it away
    const core = join(dir, basename(d.file));
    try {
      linkSync(d.file, core);
    } catch {
      copyFileSync(d.file, core);
    }
    const crash = session([inSid, 'crash', '-s', vmlinux, core], cmds, 1800);
    const ours = session([join(root, 'bin', 'crash-ts'), '-s', vmlinux, core], cmds, 1800);
    writeFileSync(join(dir, 'preamble.crash'), crash.preamble);
    if (crash.parts.every((x) => x === '')) {
      // crash 9 could not open the dump (7.x: "SLUB: cannot determine how compound pages are linked"): nothing to diff
      const why = crash.preamble.trim().split('\n').slice(-3).join(' / ');
      console.log(`${d.name} (${rel}): crash 9 answered nothing (${why || 'no output'}): not compared`);
      if (!keep) rmSync(core);
      continue;
    }
    writeFileSync(join(dir, 'preamble.ts'), ours.preamble);
    let same = 0;
    cmds.forEach((cmd, i) => {
      const f = join(dir, fileName(i, cmd));
      writeFileSync(`${f}.crash`, crash.parts[i]);
      writeFileSync(`${f}.ts`, ours.parts[i]);
      if (breadthNorm(crash.parts[i]) === breadthNorm(ours.parts[i])) {
        same++;
        return;
      }
      writeFileSync(`${f}.crash.norm`, breadthNorm(crash.parts[i]) + '\n');
      writeFileSync(`${f}.ts.norm`, breadthNorm(ours.parts[i]) + '\n');
      const dd = diff(`${f}.crash.norm`, `${f}.ts.norm`);
      writeFileSync(`${f}.diff`, dd);
      rmSync(`${f}.crash.norm`);
      rmSync(`${f}.ts.norm`);
      const lines = dd.split('\n').filter((l) => /^[-+][^-+]/.test(l)).length;
      console.log(`  ${d.name}: ${cmd}: differs (${lines} lines; ${f}.diff)`);
    });
    if (!keep) rmSync(core);
    console.log(`${d.name} (${rel}): ${same}/${cmds.length} commands equal to crash 9`);
    bad += cmds.length - same;
  }
  return bad === 0 ? 0 : 1;
}

process.exitCode = main();
