/**
 * `npm run bench`: how fast crash-ts opens a dump and answers, and how much memory it takes.
 *
 *   npm run bench -- [VMLINUX VMCORE]
 *
 * Without arguments: the corpus's k61-sysrq-c kdump-zlib with the full debug vmlinux when
 * fetch-debug-vmlinux.sh has cached it (590 MB), else the nodwarf vmlinux. Prints open time,
 * first-read time, BTF parse time, symbol count, a `ps`/`log` walk time and peak RSS.
 * Each figure is one run in a fresh process (no warm JIT); run it twice to see the file cache effect.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { openKernelSync } from '../src/kernel/open.js';
import { memInfo } from '../src/kernel/objects/meminfo.js';
import { countSlabCache, readSlabCache, slabCacheAddresses } from '../src/kernel/objects/slab.js';
import { possibleCpus } from '../src/kernel/objects/vmstat.js';

function defaultPair(): [string, string] {
  const corpus = resolve(process.env.CRASH_TS_CORPUS ?? join(process.cwd(), '..', 'shared', 'corpus'));
  const cache = process.env.CRASH_TS_CORPUS_CACHE ?? join(homedir(), '.cache', 'crash-ts-corpus');
  const rel = '6.1.0-56-cloud-amd64';
  const debug = join(cache, rel, `vmlinux-${rel}`);
  const nodwarf = join(corpus, 'kernels', rel, `vmlinux-${rel}.nodwarf.gz`);
  return [existsSync(debug) ? debug : nodwarf, join(corpus, 'cases', 'k61-sysrq-c', 'vmcore.kdump-zlib')];
}

function mb(n: number): string {
  return (n / 1048576).toFixed(1) + ' MB';
}

// imported by name at run time: the task model is optional for this benchmark
const tasksModule = '../src/kernel/objects/tasks.js';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const [vmlinux, vmcore] = args.length >= 2 ? [args[0]!, args[1]!] : defaultPair();
  let peak = process.memoryUsage().rss;
  const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
  const timer = setInterval(sample, 5);

  const t0 = performance.now();
  const k = openKernelSync(vmlinux, vmcore);
  const t1 = performance.now();
  const banner = k.readCString(k.sym('linux_banner'), 256);
  const t2 = performance.now();
  const types = k.types;
  const ts = k.type('struct task_struct');
  const t3 = performance.now();
  sample();

  let tasks = -1;
  let walk = NaN;
  try {
    const { allTasks } = (await import(tasksModule)) as unknown as {
      allTasks: (k: unknown) => { tasks: unknown[] } | unknown[];
    };
    const w0 = performance.now();
    const r = allTasks(k);
    tasks = Array.isArray(r) ? r.length : r.tasks.length;
    walk = performance.now() - w0;
  } catch {
    /* the task model may not exist yet */
  }
  sample();

  // kmem -i and kmem -s: the memory summary, and every slab cache counted (per-CPU free lists followed)
  const m0 = performance.now();
  const mem = memInfo(k);
  const m1 = performance.now();
  const cpus = possibleCpus(k);
  const caches = slabCacheAddresses(k).map((a) => countSlabCache(k, readSlabCache(k, a), cpus));
  const m2 = performance.now();
  sample();
  clearInterval(timer);

  console.log(`vmlinux        ${vmlinux}`);
  console.log(`vmcore         ${vmcore}`);
  console.log(`open           ${(t1 - t0).toFixed(1)} ms   (ELF headers, symbols, VMCOREINFO, KASLR, page tables)`);
  console.log(`first read     ${(t2 - t1).toFixed(1)} ms   (linux_banner: "${banner.slice(0, 40)}...")`);
  console.log(`BTF            ${(t3 - t2).toFixed(1)} ms   (${types.count} types; sizeof(task_struct) = ${ts.size})`);
  console.log(`symbols        ${k.symbols.count}`);
  if (tasks >= 0) console.log(`task walk      ${walk.toFixed(1)} ms   (${tasks} tasks)`);
  console.log(`kmem -i        ${(m1 - m0).toFixed(1)} ms   (${mem.totalPages} pages)`);
  console.log(`kmem -s        ${(m2 - m1).toFixed(1)} ms   (${caches.length} slab caches)`);
  console.log(`open to answer ${(t2 - t0).toFixed(1)} ms`);
  console.log(`peak RSS       ${mb(peak)}`);
  if (k.debugInfo) benchDwarf(vmlinux);
}

/**
 * DWARF, each figure a fresh process (scripts/bench-dwarf.ts): `jiffies`'s type with no index (cold), the
 * whole index walked and cached, `jiffies` again from the cache (warm). (Whole-process `p jiffies` against
 * drgn and crash 9: npm run bench:peers.)
 */
function benchDwarf(vmlinux: string): void {
  const cache = mkdtempSync(join(tmpdir(), 'crash-ts-bench-'));
  const here = dirname(fileURLToPath(import.meta.url));
  const run = (mode: string) => {
    const r = spawnSync(process.execPath, [join(here, 'bench-dwarf.js'), mode, vmlinux, cache], { encoding: 'utf8' });
    return r.status === 0 ? (JSON.parse(r.stdout) as Record<string, unknown>) : { error: r.stderr.trim() };
  };
  const line = (label: string, r: Record<string, unknown>) =>
    console.log(
      r.error
        ? `${label} ${String(r.error)}`
        : `${label} ${r.ms} ms (${r.cpuMs} ms CPU, ${r.unitsWalked}/${r.units} units, ${r.index}), peak RSS ${r.rssMB} MB: ${r.answer}`,
    );
  try {
    line('DWARF jiffies cold ', run('lookup'));
    line('DWARF index build  ', run('full'));
    line('DWARF jiffies warm ', run('lookup'));
    line('DWARF index warm   ', run('full'));
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(`bench: ${(e as Error).message}`);
  process.exit(1);
});
