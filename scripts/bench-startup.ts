/**
 * Start-up, side by side with drgn 0.3 and crash 9 (../shared/peers' sid chroot), each figure a whole fresh
 * process (median of --runs, default 3): wall and CPU seconds (user+sys: on a loaded machine the fairer
 * figure) and peak RSS, with the ratios crash-ts/peer. Run by `npm run bench:peers`; alone:
 *
 *   node dist/scripts/bench-startup.js [--runs N] [DEBUG-VMLINUX VMCORE]
 *
 * Rows: `sys` cold (empty crash-ts cache: a fresh $XDG_CACHE_HOME) and warm (the cache filled by a first
 * run), also with the plain (nodwarf) vmlinux; `p jiffies` cold and warm (warm once the background DWARF
 * index is built); `log` after open (the `log` run minus the `q` run); the first interactive prompt (through
 * script(1)'s terminal: crash-ts's and crash's `crash>`, drgn's `>>>`); `log` on a full 1 MB ring in process when
 * $CRASH_TS_FULL_LOG_DUMP names such a dump. Without the peers, our own figures and one line saying so.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { homedir, loadavg, tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const bin = join(root, 'bin', 'crash-ts');
const shared = resolve(process.env.CRASH_TS_SHARED ?? join(root, '..', 'shared'));
const corpusCache = process.env.CRASH_TS_CORPUS_CACHE ?? join(homedir(), '.cache', 'crash-ts-corpus');
const release = '6.1.0-56-cloud-amd64';
const inSid = join(shared, 'peers', 'in-sid');
const havePeers =
  existsSync(inSid) &&
  existsSync(join(process.env.SID ?? join(homedir(), '.cache', 'crash-ts-peers', 'sid'), 'usr', 'bin', 'crash'));

interface Figure {
  wall: number;
  cpu: number;
  rssMB: number;
  out: string;
}

/** One whole process under /usr/bin/time. */
function timed(cmd: string, args: string[], input: string, env: NodeJS.ProcessEnv = process.env): Figure {
  const r = spawnSync('/usr/bin/time', ['-f', '@@ %e %U %S %M', cmd, ...args], {
    input,
    encoding: 'utf8',
    env,
    maxBuffer: 64 << 20,
  });
  const last = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('@@ '))
    .pop();
  const [wall, user, sys, rss] = (last ?? '@@ NaN NaN NaN NaN').slice(3).split(' ').map(Number);
  return { wall: wall!, cpu: user! + sys!, rssMB: rss! / 1024, out: r.stdout };
}

function median(xs: Figure[]): Figure {
  const mid = (k: keyof Omit<Figure, 'out'>) => [...xs].map((x) => x[k]).sort((a, b) => a - b)[xs.length >> 1]!;
  return { wall: mid('wall'), cpu: mid('cpu'), rssMB: mid('rssMB'), out: xs[0]?.out ?? '' };
}

const fmt = (f: Figure | undefined) =>
  f ? `${f.wall.toFixed(2)}s ${f.cpu.toFixed(2)}c ${f.rssMB.toFixed(0).padStart(3)}MB` : '-';
const ratio = (a: Figure, b: Figure | undefined) =>
  b ? `${(a.wall / b.wall).toFixed(2)}x/${(a.cpu / b.cpu).toFixed(2)}xc` : '-';

function row(label: string, ts: Figure, drgn?: Figure, crash?: Figure, goal = ''): void {
  console.log(
    `${label.padEnd(22)} ${fmt(ts).padEnd(20)} ${fmt(drgn).padEnd(20)} ${fmt(crash).padEnd(20)} ${ratio(ts, drgn).padEnd(13)} ${ratio(ts, crash).padEnd(13)} ${goal}`,
  );
}

/** Wait until no background DWARF index builder holds a lock under `xdg` (at most `ms`). */
function waitForBackground(xdg: string, ms: number): void {
  const t0 = Date.now();
  const busy = () => {
    try {
      const top = join(xdg, 'crash-ts');
      return readdirSync(top).some((d) => {
        try {
          return readdirSync(join(top, d)).some((f) => f.endsWith('.building'));
        } catch {
          return false;
        }
      });
    } catch {
      return false;
    }
  };
  while (busy() && Date.now() - t0 < ms) spawnSync('sleep', ['0.5']);
}

/** Seconds until `prompt` shows on a terminal (script(1)), or undefined. */
function firstPrompt(
  argv: string[],
  prompt: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number | undefined> {
  return new Promise((res) => {
    const cmd = argv.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
    const t0 = performance.now();
    const p = spawn('script', ['-qfec', cmd, '/dev/null'], {
      env: { ...env, TERM: 'xterm-256color', COLUMNS: '120', LINES: '40' },
    });
    let seen = '';
    let done = false;
    const finish = (v: number | undefined) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      p.kill('SIGKILL');
      res(v);
    };
    const timer = setTimeout(() => finish(undefined), 60_000);
    p.stdout.on('data', (d: Buffer) => {
      seen += d.toString('latin1').replace(/\x1b\[[0-9;?]*[a-zA-Z]/g, '');
      if (seen.includes(prompt)) finish((performance.now() - t0) / 1000);
    });
    p.on('close', () => finish(undefined));
  });
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let runs = 3;
  const ri = args.indexOf('--runs');
  if (ri >= 0) {
    runs = Math.max(1, Number(args[ri + 1]) || 3);
    args.splice(ri, 2);
  }
  const V = args[0] ?? join(corpusCache, release, `vmlinux-${release}`);
  const D = args[1] ?? join(shared, 'corpus', 'cases', 'k61-sysrq-c', 'vmcore.kdump-zlib');
  const plain = join(shared, 'corpus', 'kernels', release, `vmlinux-${release}.nodwarf.gz`);
  if (!existsSync(V) || !existsSync(D)) {
    console.log(
      `start-up: skipped: no debug vmlinux ${V} or dump ${D} (../shared/corpus/fetch-debug-vmlinux.sh ${release})`,
    );
    return;
  }
  const [l1, l5] = loadavg();
  console.log(
    `start-up (whole process, median of ${runs}; s = wall, c = CPU user+sys); load average ${l1!.toFixed(2)} ${l5!.toFixed(2)}`,
  );
  console.log(`  ${V}\n  ${D}`);
  if (!havePeers)
    console.log('  (no peers chroot at ../shared/peers: crash-ts figures only; run ../shared/peers/setup-sid.sh)');
  console.log(
    `${'what'.padEnd(22)} ${'crash-ts'.padEnd(20)} ${'drgn 0.3'.padEnd(20)} ${'crash 9'.padEnd(20)} ${'ts/drgn'.padEnd(13)} ${'ts/crash'.padEnd(13)} goal`,
  );

  const xdgs: string[] = [];
  const freshEnv = (background = true): NodeJS.ProcessEnv => {
    const xdg = mkdtempSync(join(tmpdir(), 'crash-ts-bench-xdg-'));
    xdgs.push(xdg);
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_CACHE_HOME: xdg };
    delete env.CRASH_TS_CACHE_DIR;
    if (!background) env.CRASH_TS_BACKGROUND_INDEX = 'off';
    return env;
  };
  const ts = (vmlinux: string, cmd: string, env: NodeJS.ProcessEnv) => timed(bin, ['-s', vmlinux, D], `${cmd}\n`, env);
  const tsCold = (vmlinux: string, cmd: string) =>
    median(Array.from({ length: runs }, () => ts(vmlinux, cmd, freshEnv(false))));
  const tsWarm = (vmlinux: string, cmd: string) => {
    const env = freshEnv();
    ts(vmlinux, cmd, env);
    waitForBackground(env.XDG_CACHE_HOME!, 120_000);
    return median(Array.from({ length: runs }, () => ts(vmlinux, cmd, env)));
  };
  // the peers read a copy of the dump in a folder of its own: in-sid bind-mounts a file's folder once, and a
  // corpus folder replaced since (a refreshed corpus) stays mounted as the old, deleted one
  const peerDir = join(tmpdir(), 'crash-ts-bench-peers');
  const PD = join(peerDir, basename(D));
  if (havePeers) {
    mkdirSync(peerDir, { recursive: true });
    if (!existsSync(PD) || statSync(PD).size !== statSync(D).size) copyFileSync(D, PD);
  }
  const drgn = (expr: string) =>
    havePeers
      ? median(Array.from({ length: runs }, () => timed(inSid, ['drgn', '-q', '-s', V, '-c', PD, '-e', expr], '')))
      : undefined;
  const crash = (cmd: string) =>
    havePeers
      ? median(Array.from({ length: runs }, () => timed(inSid, ['crash', '-s', V, PD], `${cmd}\n`)))
      : undefined;

  try {
    const drgnSys = drgn('print(prog["init_uts_ns"].name.release.string_())');
    const crashSys = crash('sys');
    row('sys cold', tsCold(V, 'sys'), drgnSys, crashSys, '<=0.5x drgn, <=1/15 crash');
    row('sys warm', tsWarm(V, 'sys'), drgnSys, crashSys, '<=0.3 s, <=150 MB');
    if (existsSync(plain)) {
      row('sys cold (nodwarf.gz)', tsCold(plain, 'sys'));
      row('sys warm (nodwarf.gz)', tsWarm(plain, 'sys'));
    }
    const drgnJ = drgn('print(prog["jiffies"])');
    const crashJ = crash('p jiffies');
    row('p jiffies cold', tsCold(V, 'p jiffies'), drgnJ, crashJ, '<=1x drgn, <=250 MB');
    row('p jiffies warm', tsWarm(V, 'p jiffies'), drgnJ, crashJ, '<=0.5x drgn, <=1/10 crash');

    // log after open: the log run minus the q run (both warm)
    const env = freshEnv();
    ts(V, 'q', env);
    const q = median(Array.from({ length: runs }, () => ts(V, 'q', env)));
    const log = median(Array.from({ length: runs }, () => ts(V, 'log', env)));
    const lines = log.out.split('\n').length - 1;
    const minus = (a: Figure | undefined, b: Figure | undefined): Figure | undefined =>
      a && b
        ? { wall: Math.max(a.wall - b.wall, 0.01), cpu: Math.max(a.cpu - b.cpu, 0.01), rssMB: a.rssMB, out: '' }
        : undefined;
    const drgnLog = minus(
      drgn('from drgn.helpers.linux.printk import get_printk_records; print(len(get_printk_records(prog)))'),
      drgn('0'),
    );
    const crashLog = minus(crash('log'), crash('q'));
    row(`log after open (${lines} l)`, minus(log, q)!, drgnLog, crashLog, '<=0.2 s');
    fullRingLog(runs);

    // the first interactive prompt
    const tsPrompt = await firstPrompt([bin, V, D], 'crash>', env);
    const crashPrompt = havePeers ? await firstPrompt([inSid, 'crash', V, PD], 'crash>') : undefined;
    const drgnPrompt = havePeers ? await firstPrompt([inSid, 'drgn', '-q', '-s', V, '-c', PD], '>>>') : undefined;
    const p = (s: number | undefined) => (s === undefined ? '-' : `${s.toFixed(2)}s`);
    console.log(
      `${'first prompt (TUI)'.padEnd(22)} ${p(tsPrompt).padEnd(20)} ${p(drgnPrompt).padEnd(20)} ${p(crashPrompt).padEnd(20)} ${'(wall, terminal via script(1))'.padEnd(27)} <=0.5 s`,
    );
  } finally {
    for (const x of xdgs) rmSync(x, { recursive: true, force: true });
  }
}

/**
 * `log` on a dump whose ring is full (1 MB: make-scenario.sh with CT_APPEND='log_buf_len=1M printk.devkmsg=on
 * ct.fill-log=20000'), named by $CRASH_TS_FULL_LOG_DUMP (its vmlinux: $CRASH_TS_FULL_LOG_VMLINUX, else the 6.12
 * debug vmlinux): the first `log` of a session timed in process (scripts/bench-log.ts), CPU of that command alone.
 */
function fullRingLog(runs: number): void {
  const dump = process.env.CRASH_TS_FULL_LOG_DUMP;
  const rel = '6.12.107+deb12-cloud-amd64';
  const vmlinux = process.env.CRASH_TS_FULL_LOG_VMLINUX ?? join(corpusCache, rel, `vmlinux-${rel}`);
  if (!dump || !existsSync(dump) || !existsSync(vmlinux)) {
    console.log(`${'log, full 1 MB ring'.padEnd(22)} skipped: set CRASH_TS_FULL_LOG_DUMP to a dump with a full ring`);
    return;
  }
  const r = spawnSync(process.execPath, [join(here, 'bench-log.js'), vmlinux, dump, '--runs', String(runs)], {
    encoding: 'utf8',
  });
  console.log(`${'log, full 1 MB ring'.padEnd(22)} ${r.stdout.trim().split('\n').pop() ?? ''}   <=0.2 s`);
}

main().catch((e) => {
  console.error(`bench-startup: ${(e as Error).message}`);
  process.exit(1);
});
