/**
 * A fuzz worker process: loads the material once, then runs the cases the fuzz script hands it and
 * sends each result. A child process, not a thread: each case's peak RSS is then its own process's
 * (src/fuzz/peak-rss.ts). The script's watchdog kills a worker stuck in one case (a hang), and a
 * worker that dies (out of memory) is reported and replaced.
 */
import { loadRegistry } from '../../commands/index.js';
import { FuzzEngine } from './engine.js';
import { loadMaterial, type Pair } from './material.js';

export interface WorkerInit {
  pairs: Pair[];
  lines: string[];
  scratchDir: string;
  timeBoundMs: number;
  targets?: string[];
  dumps?: string[];
  /** a case that grows the worker by more than this (bytes) is a defect */
  growthBoundBytes?: number;
  /** debug vmlinux files whose small units the DWARF target mutates */
  debugVmlinuxes?: string[];
}

export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'start'; index: number; description: string }
  | { kind: 'result'; result: import('./engine.js').CaseResult; rss: number };

export type ToWorker =
  | { kind: 'init'; init: WorkerInit }
  | { kind: 'run'; seed: number; index: number }
  | { kind: 'stop' };

function send(m: FromWorker): void {
  process.send!(m);
}

async function start(init: WorkerInit): Promise<FuzzEngine> {
  const registry = await loadRegistry({ plugins: false });
  const commands = { lines: init.lines, get: (n: string) => registry.get(n) };
  const material = await loadMaterial(init.pairs, commands, init.scratchDir, init.debugVmlinuxes);
  return new FuzzEngine(material, commands, {
    timeBoundMs: init.timeBoundMs,
    targets: init.targets,
    dumps: init.dumps,
    growthBoundBytes: init.growthBoundBytes,
  });
}

function main(): void {
  if (!process.send) throw new Error('the fuzz worker runs as a child process of scripts/fuzz.ts');
  let engine: Promise<FuzzEngine> | undefined;
  process.on('message', (msg: ToWorker) => {
    if (msg.kind === 'init') {
      engine = start(msg.init);
      void engine.then(() => send({ kind: 'ready' }));
      return;
    }
    void engine!.then(async (e) => {
      if (msg.kind === 'stop') {
        e.close();
        process.disconnect();
        return;
      }
      let description = '?';
      try {
        const p = e.planAny(msg.seed, msg.index);
        description =
          'dwarf' in p
            ? `--target dwarf   # ${p.dwarf.description}`
            : `--dump ${p.dumpName} --target ${p.target.name}   # ${p.mutant.description}`;
      } catch {
        // runCase reports it
      }
      send({ kind: 'start', index: msg.index, description });
      const result = await e.runCase(msg.seed, msg.index);
      send({ kind: 'result', result, rss: process.memoryUsage().rss });
    });
  });
}

main();
