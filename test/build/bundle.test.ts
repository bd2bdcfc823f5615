/**
 * The bundled build (scripts/bundle.ts → dist/bundle/): bin/crash-ts runs it when it is not older than tsc's
 * dist/src/cli.js, and it answers exactly as the unbundled dist/ does: on the bundled sample dump (commands
 * loaded from their chunks, iced-x86 imported for dis, help from the table made at build time) and on the 6.1
 * corpus dump with its debug vmlinux (the DWARF reader, require()d on first use inside the bundle).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { caseDir, caseInfo, corpusAvailable, describeCorpus, repoRoot } from '../helpers/corpus.js';
import { moduleTraceImport } from '../helpers/module-trace.js';

const work = mkdtempSync(join(tmpdir(), 'crash-ts-bundle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const cliJs = join(repoRoot, 'dist', 'src', 'cli.js');
const bundleJs = join(repoRoot, 'dist', 'bundle', 'crash-ts.js');

/** Build dist/ if absent, and the bundle if absent or older than dist/ (npm test builds both first). */
function ensureBundle(): void {
  if (!existsSync(cliJs)) execFileSync('npx', ['tsc', '-p', '.'], { cwd: repoRoot, stdio: 'inherit' });
  if (!existsSync(bundleJs) || statSync(bundleJs).mtimeMs < statSync(cliJs).mtimeMs)
    execFileSync(process.execPath, [join(repoRoot, 'dist', 'scripts', 'bundle.js')], { cwd: repoRoot });
}

interface Run {
  stdout: string;
  stderr: string;
  /** the repository's modules that were loaded, relative to dist/ */
  modules: string[];
}

/**
 * How bin/crash-ts runs: tsc's dist/, the ES bundle (crash-ts.js and its chunks), or line mode's CommonJS twin
 * (line.cjs with its code cache: what a piped session runs by default).
 */
type Build = 'dist' | 'esm' | 'line';
const BUNDLE_ENV: Record<Build, string | undefined> = { dist: 'off', esm: 'esm', line: undefined };

/** bin/crash-ts -s ARGS with `input` through one build; the warm-start caches in a folder of the test. */
function crashTs(args: string[], input: string, build: Build, env: NodeJS.ProcessEnv = {}): Run {
  const r = spawnSync(
    process.execPath,
    ['--import', moduleTraceImport(work), join(repoRoot, 'bin', 'crash-ts'), '-s', ...args],
    {
      input,
      encoding: 'utf8',
      cwd: repoRoot,
      env: {
        ...process.env,
        CRASH_TS_BUNDLE: BUNDLE_ENV[build],
        CRASH_TS_CACHE_DIR: join(work, 'cache'),
        CRASH_TS_BACKGROUND_INDEX: 'off',
        NO_COLOR: '',
        FORCE_COLOR: '',
        ...env,
      },
      timeout: 120_000,
    },
  );
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stderr.split('\n');
  const prefix = `MODULE ${pathToFileURL(join(repoRoot, 'dist')).href}/`;
  return {
    stdout: r.stdout,
    stderr: lines.filter((l) => !l.startsWith('MODULE ')).join('\n'),
    modules: lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length)),
  };
}

/**
 * The same session through dist/, the ES bundle and line.cjs: each really ran, and they said the same. Returns
 * the ES bundle's run.
 */
function everyWay(args: string[], input: string): Run {
  const dist = crashTs(args, input, 'dist');
  const bundled = crashTs(args, input, 'esm');
  // line.cjs is compiled by node:vm (no module resolved under dist/); it proves it ran by writing a code cache
  const written = join(mkdtempSync(join(work, 'line-')), 'written.cache');
  const line = crashTs(args, input, 'line', { CRASH_TS_CODE_CACHE_OUT: written });
  expect(dist.modules).toContain('src/cli.js');
  expect(dist.modules.filter((m) => m.startsWith('bundle/'))).toEqual([]);
  expect(bundled.modules).toContain('bundle/crash-ts.js');
  // nothing of dist/src or dist/commands beside the bundle: one copy of every module (one Kernel class, one registry)
  expect(bundled.modules.filter((m) => !m.startsWith('bundle/'))).toEqual([]);
  expect(line.modules).toEqual([]);
  expect(statSync(written).size).toBeGreaterThan(10_000);
  expect(bundled.stdout).toBe(dist.stdout);
  expect(bundled.stderr).toBe(dist.stderr);
  expect(line.stdout).toBe(dist.stdout);
  expect(line.stderr).toBe(dist.stderr);
  return bundled;
}

describe('the bundled build answers as dist/ does', () => {
  beforeAll(ensureBundle, 180_000);

  it('on the bundled sample dump: sys, ps, bt, log, kmem -i, dis, p, sym, help, a typo', () => {
    const sample = JSON.parse(readFileSync(join(repoRoot, 'sample-dumps', 'sample.json'), 'utf8')) as {
      panic: { pid: number; comm: string; message: string };
      memtotal: string;
      workload: { pid: number; comm: string }[];
    };
    const input = 'sys\nps\nbt\nlog\nkmem -i\ndis schedule 3\np jiffies\nsym schedule\nhelp\nhelp kmem\nnosuch\n';
    const { stdout, stderr, modules } = everyWay([], input);
    expect(stdout).toContain(`       PANIC: "${sample.panic.message}"`);
    expect(stdout).toMatch(
      new RegExp(
        `^PID: ${sample.panic.pid}\\s+TASK: [0-9a-f]{16}\\s+CPU: \\d+\\s+COMMAND: "${sample.panic.comm}"$`,
        'm',
      ),
    );
    for (const w of sample.workload) expect(stdout).toMatch(new RegExp(`^>? +${w.pid} .* ${w.comm}$`, 'm'));
    expect(stdout).toMatch(/^\[ +\d+\.\d{6}\] Linux version /m);
    // MemTotal 125048 kB: 31262 pages of 4 KB
    expect(Number(sample.memtotal.replace(/ kB$/, ''))).toBe(125048);
    expect(stdout).toMatch(/^ +TOTAL MEM +31262 +122\.1 MB/m);
    expect(stdout).toMatch(/^0x[0-9a-f]{16} <schedule>:\t/m);
    expect(stdout).toMatch(/^[0-9a-f]{16} \(T\) schedule$/m);
    expect(stdout).toMatch(/^kmem - kernel memory\n\nSYNOPSIS\n/m);
    expect(stdout + stderr).toContain('nosuch: no such command');
    // the commands came from their own chunks, loaded when run
    expect(modules.some((m) => /^bundle\/kmem-\w+\.js$/.test(m))).toBe(true);
    expect(modules.some((m) => /^bundle\/mount-\w+\.js$/.test(m))).toBe(false);
  }, 120_000);

  it('a sys session loads a few files, not one per module (the core chunk: scripts/bundle.ts)', () => {
    const { stdout, modules } = crashTs([], 'sys\n', 'esm');
    expect(stdout).toMatch(/^ +PANIC: "/m);
    expect(modules).toContain('bundle/crash-ts.js');
    const files = new Set(modules);
    expect(files.size).toBeGreaterThan(2);
    expect(files.size).toBeLessThanOrEqual(16); // 11 when written; tsc's dist/ loads ~76
  }, 60_000);

  it("line.cjs's code cache, made at build time, is one this Node accepts", () => {
    const file = join(repoRoot, 'dist', 'bundle', 'line.cjs');
    expect(statSync(`${file}.cache`).size).toBeGreaterThan(100_000);
    const { compileLineBundle } = createRequire(import.meta.url)(join(repoRoot, 'bin', 'line-bundle.js')) as {
      compileLineBundle: (f: string) => { cached: boolean };
    };
    expect(compileLineBundle(file).cached).toBe(true);
  });
});

const CASE = 'k61-sysrq-c';
const corpusCache = process.env.CRASH_TS_CORPUS_CACHE ?? join(homedir(), '.cache', 'crash-ts-corpus');
const release = corpusAvailable ? caseInfo(CASE).kernel_release : '';
const debugVmlinux = join(corpusCache, release, `vmlinux-${release}`);
const dump = corpusAvailable ? join(caseDir(CASE), 'vmcore.kdump-zlib') : '';

describeCorpus(`the bundled build loads DWARF on first use (${CASE}, debug vmlinux)`, () => {
  beforeAll(ensureBundle, 180_000);

  it.skipIf(!existsSync(debugVmlinux))(
    `p jiffies, whatis, dis -l: as dist/ (needs ${debugVmlinux})`,
    () => {
      const { stdout } = everyWay([debugVmlinux, dump], 'p jiffies\nwhatis jiffies\ndis -l schedule 2\n');
      expect(stdout).toMatch(/^jiffies = \$1 = \d+$/m);
      expect(stdout).toContain('volatile unsigned long jiffies;');
      expect(stdout).toMatch(/^\S+\/kernel\/sched\/core\.c: \d+$/m);
    },
    180_000,
  );
});

describe('bin/crash-ts runs the bundle only when it is not older than dist/src/cli.js', () => {
  /** A copy of bin/crash-ts beside stand-in builds whose main() says which one ran. */
  function tree(opts: { dist: boolean; bundle: boolean; line?: boolean }): {
    root: string;
    run: (env?: NodeJS.ProcessEnv) => string;
  } {
    const root = mkdtempSync(join(work, 'tree-'));
    mkdirSync(join(root, 'bin'));
    // bin/package.json makes the launcher's files CommonJS inside the ES package
    for (const f of ['crash-ts', 'line-bundle.js', 'package.json'])
      cpSync(join(repoRoot, 'bin', f), join(root, 'bin', f));
    writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
    const stub = (rel: string, name: string) => {
      mkdirSync(join(root, rel, '..'), { recursive: true });
      writeFileSync(join(root, rel), `export function main() { process.stdout.write(${JSON.stringify(name)}); }\n`);
    };
    if (opts.dist) stub('dist/src/cli.js', 'dist');
    if (opts.bundle) stub('dist/bundle/crash-ts.js', 'bundle');
    // line.cjs is a CommonJS module's function, wrapper and all, run by bin/line-bundle.js
    if (opts.line)
      writeFileSync(
        join(root, 'dist/bundle/line.cjs'),
        '(function (exports) {\nexports.main = () => process.stdout.write("line");\n})',
      );
    const run = (env: NodeJS.ProcessEnv = {}) => {
      const r = spawnSync(process.execPath, [join(root, 'bin', 'crash-ts')], {
        encoding: 'utf8',
        env: { ...process.env, CRASH_TS_BUNDLE: undefined, ...env },
      });
      return r.stdout + r.stderr;
    };
    return { root, run };
  }
  const touch = (path: string, secondsAgo: number) => {
    const t = new Date(Date.now() - secondsAgo * 1000);
    utimesSync(path, t, t);
  };

  it('a bundle made after tsc runs; CRASH_TS_BUNDLE=off or NODE_ENV=development runs dist/', () => {
    const t = tree({ dist: true, bundle: true });
    touch(join(t.root, 'dist/src/cli.js'), 60);
    touch(join(t.root, 'dist/bundle/crash-ts.js'), 30);
    expect(t.run()).toBe('bundle');
    expect(t.run({ CRASH_TS_BUNDLE: 'off' })).toBe('dist');
    // the bundle holds React's production build only: its development checks are dist/'s
    expect(t.run({ NODE_ENV: 'development' })).toBe('dist');
  });

  it('a bundle older than dist/src/cli.js (tsc ran again) never runs', () => {
    const t = tree({ dist: true, bundle: true });
    touch(join(t.root, 'dist/bundle/crash-ts.js'), 60);
    touch(join(t.root, 'dist/src/cli.js'), 30);
    expect(t.run()).toBe('dist');
  });

  it('stdin not a terminal: line.cjs runs, when the ES bundle would; CRASH_TS_BUNDLE=esm runs that', () => {
    const t = tree({ dist: true, bundle: true, line: true });
    touch(join(t.root, 'dist/src/cli.js'), 60);
    touch(join(t.root, 'dist/bundle/crash-ts.js'), 30);
    touch(join(t.root, 'dist/bundle/line.cjs'), 30);
    expect(t.run()).toBe('line');
    expect(t.run({ CRASH_TS_BUNDLE: 'esm' })).toBe('bundle');
    // line.cjs's names are minified: a debugging session's stack traces come from the ES bundle
    expect(t.run({ CRASH_TS_DEBUG: '1' })).toBe('bundle');
    expect(t.run({ CRASH_TS_BUNDLE: 'off' })).toBe('dist');
    // tsc ran after the bundle: dist/ (line.cjs is as stale as crash-ts.js)
    touch(join(t.root, 'dist/src/cli.js'), 10);
    expect(t.run()).toBe('dist');
  });

  it('without a bundle, dist/ runs; with neither, it says to build', () => {
    expect(tree({ dist: true, bundle: false }).run()).toBe('dist');
    expect(tree({ dist: false, bundle: true }).run()).toMatch(/not built yet/);
    expect(tree({ dist: false, bundle: false }).run()).toMatch(/not built yet/);
  });
});
