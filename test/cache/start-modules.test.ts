/**
 * The warm-start floor (issue 16): what a start imports. With BTF for types, `sys` never asks DWARF a question,
 * so the DWARF reader, the explainers and the snappy/zstd decompressors must not load; `bt -l` does ask (source
 * lines), so there the DWARF reader loads on first use and answers. Runs bin/crash-ts (the built dist/, unbundled) with a
 * module hook that lists every file module resolved, on the 6.1 corpus dump with its debug vmlinux.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { caseDir, caseInfo, corpusAvailable, describeCorpus, repoRoot } from '../helpers/corpus.js';
import { moduleTraceImport } from '../helpers/module-trace.js';

const CASE = 'k61-sysrq-c';
const work = mkdtempSync(join(tmpdir(), 'crash-ts-start-modules-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const corpusCache = process.env.CRASH_TS_CORPUS_CACHE ?? join(homedir(), '.cache', 'crash-ts-corpus');
const release = corpusAvailable ? caseInfo(CASE).kernel_release : '';
const debugVmlinux = join(corpusCache, release, `vmlinux-${release}`);
const dump = corpusAvailable ? join(caseDir(CASE), 'vmcore.kdump-zlib') : '';
const haveFiles = corpusAvailable && existsSync(debugVmlinux) && existsSync(dump);

/** Run bin/crash-ts on the pair; the modules it resolved (paths under the repo) and its output. */
function run(input: string): { modules: string[]; stdout: string } {
  const r = spawnSync(
    process.execPath,
    ['--import', moduleTraceImport(work), join(repoRoot, 'bin', 'crash-ts'), '-s', debugVmlinux, dump],
    {
      input,
      encoding: 'utf8',
      cwd: repoRoot,
      env: {
        ...process.env,
        CRASH_TS_CACHE_DIR: undefined,
        XDG_CACHE_HOME: join(work, 'cache'),
        CRASH_TS_BACKGROUND_INDEX: 'off',
        // the unbundled dist/, module by module (test/build/bundle.test.ts runs the bundle)
        CRASH_TS_BUNDLE: 'off',
      },
    },
  );
  expect(r.status, r.stderr).toBe(0);
  const modules = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('MODULE '))
    .map((l) => l.slice('MODULE '.length));
  return { modules, stdout: r.stdout };
}

describeCorpus(`what a warm start imports (${CASE}, debug vmlinux)`, () => {
  it.skipIf(!haveFiles)(`sys loads no DWARF reader, explainer or snappy/zstd (needs ${debugVmlinux})`, () => {
    run('sys\n'); // the first run writes the caches and the command manifest
    const { modules, stdout } = run('sys\n');
    expect(stdout).toContain(`       PANIC: "${caseInfo(CASE).panic.message}"`);
    expect(modules.some((m) => m.endsWith('/dist/commands/sys.js'))).toBe(true);
    const unwanted = modules.filter((m) =>
      /\/dwarf\/debug-info\.js$|\/explain\/index\.js$|\/node_modules\/(snappyjs|fzstd)\//.test(m),
    );
    expect(unwanted).toEqual([]);
  });

  it.skipIf(!haveFiles)('bt -l loads the DWARF reader on first use: source lines', () => {
    // (require() of the reader does not pass the hook, which sees only imports: the lines prove it loaded)
    const { stdout } = run('bt -l\n');
    expect(stdout).toMatch(/^ #\d+ \[[0-9a-f]{16}\] panic at [0-9a-f]{16}$/m);
    expect(stdout).toMatch(/^ {4}\S+\.[ch]: \d+$/m);
  });
});
