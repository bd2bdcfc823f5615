/**
 * The long-run fuzzer: `npm run fuzz -- [--count N] [--seed S] [--case I] [--jobs J] [--target NAME] [--dump NAME]
 * [--growth-mb M] [--rss-limit-mb M]`.
 * Cases (seed, 0..N-1) run in worker processes; a case that does not finish within the hang bound is a
 * hang: its worker is killed and replaced. Each case's peak RSS is measured in its own worker (a case
 * that grows its worker by more than --growth-mb, default 300, fails: an allocation in proportion to a
 * damaged header's claim), and so is each worker's RSS between cases (above --rss-limit-mb, a leak).
 * Prints cases/s as it goes, and every failure with the seed, case index and mutation, so
 * `--seed S --case I` reruns exactly that case. `--target dwarf` alone mutates only DWARF: a small real unit of
 * each cached debug vmlinux (src/fuzz/dwarf-target.ts), without loading any dump.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { reproduceHint, type CaseResult } from '../src/fuzz/engine.js';
import { DWARF_TARGET } from '../src/fuzz/dwarf-target.js';
import { defaultDebugVmlinuxes, defaultPairs } from '../src/fuzz/material.js';
import type { FromWorker, ToWorker, WorkerInit } from '../src/fuzz/worker.js';

interface Options {
  count: number;
  seed: number;
  only?: number;
  jobs: number;
  targets?: string[];
  dumps?: string[];
  hangMs: number;
  slowMs: number;
  rssLimitMb: number;
  growthMb: number;
}

function parse(argv: string[]): Options {
  const o: Options = {
    count: 1000,
    seed: 1,
    jobs: Math.max(1, Math.min(2, availableParallelism())),
    hangMs: 30000,
    slowMs: 10000,
    rssLimitMb: 1000,
    growthMb: 300,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--count') o.count = Number(next());
    else if (a === '--seed') o.seed = Number(next());
    else if (a === '--case') o.only = Number(next());
    else if (a === '--jobs') o.jobs = Number(next());
    else if (a === '--target') (o.targets ??= []).push(next());
    else if (a === '--dump') (o.dumps ??= []).push(next());
    else if (a === '--hang-ms') o.hangMs = Number(next());
    else if (a === '--slow-ms') o.slowMs = Number(next());
    else if (a === '--growth-mb') o.growthMb = Number(next());
    else if (a === '--rss-limit-mb') o.rssLimitMb = Number(next());
    else
      throw new Error(
        `unknown option ${a} (use --count N --seed S --case I --jobs J --target NAME --dump NAME --growth-mb M --rss-limit-mb M)`,
      );
  }
  return o;
}

const LINES = ['sys', 'ps', 'log', 'bt', 'bt -a', 'rd linux_banner 8'];

async function main(): Promise<void> {
  const o = parse(process.argv.slice(2));
  // --target dwarf alone needs no dumps (loading them is most of a worker's start)
  const dwarfOnly = o.targets?.every((t) => t === DWARF_TARGET) ?? false;
  const pairs = dwarfOnly ? [] : defaultPairs();
  const debugVmlinuxes = !o.targets || o.targets.includes(DWARF_TARGET) ? defaultDebugVmlinuxes() : [];
  if (!pairs.length && !debugVmlinuxes.length)
    throw new Error('no dumps found (sample-dumps/ or the corpus), and no debug vmlinux for --target dwarf');
  const scratch = mkdtempSync(join(tmpdir(), 'crash-ts-fuzz-'));
  const indexes = o.only !== undefined ? [o.only] : Array.from({ length: o.count }, (_, i) => i);
  const init: WorkerInit = {
    pairs,
    debugVmlinuxes,
    lines: LINES,
    scratchDir: scratch,
    timeBoundMs: o.slowMs,
    targets: o.targets,
    dumps: o.dumps,
    growthBoundBytes: o.growthMb * 1048576,
  };
  process.stdout.write(
    `fuzz: seed ${o.seed}, ${indexes.length} cases, ${o.jobs} workers, dumps: ${pairs.map((p) => p.name).join(', ')}${debugVmlinuxes.length ? `, DWARF units of ${debugVmlinuxes.length} debug vmlinux files` : ''}\n`,
  );

  let next = 0;
  let done = 0;
  const failures: CaseResult[] = [];
  const stages = { dump: 0, kernel: 0, session: 0 };
  const byTarget = new Map<string, number>();
  const t0 = Date.now();
  let lastReport = t0;
  let peakRss = 0;
  let biggest: CaseResult | undefined;
  const growth = (r: CaseResult) => (r.rssPeak ?? 0) - (r.rssBefore ?? 0);
  const workerRss = { first: 0, max: 0 };

  const record = (r: CaseResult, rss: number) => {
    done++;
    stages[r.stage]++;
    byTarget.set(r.target, (byTarget.get(r.target) ?? 0) + 1);
    peakRss = Math.max(peakRss, r.rssPeak ?? rss);
    if (r.rssPeak !== undefined && (!biggest || growth(r) > growth(biggest))) biggest = r;
    if (r.rssBefore !== undefined) {
      workerRss.first ||= r.rssBefore;
      workerRss.max = Math.max(workerRss.max, r.rssBefore);
    }
    // between cases (after garbage collection) a worker holds its material and nothing more
    if (rss > o.rssLimitMb * 1048576)
      r.defects.push(`worker RSS ${Math.round(rss / 1048576)} MB after this case, over ${o.rssLimitMb} MB: a leak?`);
    if (r.defects.length) {
      failures.push(r);
      process.stdout.write(`FAIL ${reproduceHint(r)}\n  ${r.defects.join('\n  ')}\n`);
    }
    if (o.only !== undefined)
      process.stdout.write(
        `case ${r.index}: ${r.target} on ${r.dump}: ${r.description}\n  stage ${r.stage}${r.refusal ? `, refused: ${r.refusal}` : ''}, ${r.commandErrors} command errors, ${Math.round(r.ms)} ms\n`,
      );
    const now = Date.now();
    if (now - lastReport > 10000) {
      lastReport = now;
      process.stdout.write(
        `  ${done}/${indexes.length} cases, ${(done / ((now - t0) / 1000)).toFixed(1)} cases/s, ${failures.length} failures\n`,
      );
    }
  };

  await new Promise<void>((allDone) => {
    let live = 0;
    const startWorker = () => {
      live++;
      const w: ChildProcess = fork(fileURLToPath(new URL('../src/fuzz/worker.js', import.meta.url)), [], {
        serialization: 'advanced',
        // a clean heap before each case (peak RSS is the case's own); a runaway allocation ends the worker
        execArgv: ['--expose-gc', '--max-old-space-size=2048'],
      });
      let current: number | undefined;
      let currentWhat = 'see --case';
      let timer: NodeJS.Timeout | undefined;
      const died = (why: string) => {
        if (current === undefined) return;
        record(
          {
            seed: o.seed,
            index: current,
            target: '?',
            dump: '?',
            description: currentWhat,
            stage: 'session',
            commandErrors: 0,
            defects: [why],
            ms: 0,
          },
          0,
        );
        current = undefined;
      };
      const feed = () => {
        if (next >= indexes.length) {
          w.send({ kind: 'stop' } satisfies ToWorker);
          return;
        }
        current = indexes[next++]!;
        currentWhat = 'see --case';
        clearTimeout(timer);
        timer = setTimeout(() => {
          // a hang: report it, replace the worker
          died(`hang: no answer in ${o.hangMs} ms`);
          w.kill('SIGKILL');
        }, o.hangMs);
        w.send({ kind: 'run', seed: o.seed, index: current } satisfies ToWorker);
      };
      w.on('message', (m: FromWorker) => {
        if (m.kind === 'ready') feed();
        else if (m.kind === 'start') currentWhat = m.description;
        else if (m.kind === 'result') {
          clearTimeout(timer);
          current = undefined;
          record(m.result, m.rss);
          feed();
        }
      });
      w.on('error', (err) => process.stdout.write(`worker error: ${err.message}\n`));
      w.on('exit', (code, signal) => {
        clearTimeout(timer);
        died(`worker died (${signal ?? `exit code ${code}`}): out of memory?`);
        live--;
        if (next < indexes.length) startWorker();
        else if (live === 0) allDone();
      });
      w.send({ kind: 'init', init } satisfies ToWorker);
    };
    for (let j = 0; j < Math.min(o.jobs, indexes.length); j++) startWorker();
  });
  rmSync(scratch, { recursive: true, force: true });

  const secs = (Date.now() - t0) / 1000;
  process.stdout.write(
    `fuzz: ${done} cases in ${secs.toFixed(1)} s (${(done / secs).toFixed(1)} cases/s), ${failures.length} failures; ` +
      `stopped at dump ${stages.dump}, kernel ${stages.kernel}, full sessions ${stages.session}; peak worker RSS ${Math.round(peakRss / 1048576)} MB\n` +
      `  worker RSS between cases: ${Math.round(workerRss.first / 1048576)} MB at the first case, at most ${Math.round(workerRss.max / 1048576)} MB` +
      (biggest
        ? `; the most one case grew its worker: ${Math.round(growth(biggest) / 1048576)} MB (${reproduceHint(biggest)})\n`
        : '\n') +
      `  targets: ${[...byTarget].map(([t, n]) => `${t} ${n}`).join(', ')}\n`,
  );
  process.exit(failures.length ? 1 : 0);
}

main().catch((err: unknown) => {
  process.stderr.write(`fuzz: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(2);
});
