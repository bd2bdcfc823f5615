/**
 * A fuzz worker thread: loads the material once, then runs the cases the main thread hands it and
 * posts each result. The main thread's watchdog terminates a worker stuck in one case (a hang).
 */
import { parentPort, workerData } from 'node:worker_threads';
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
}

export type FromWorker =
  | { kind: 'ready' }
  | { kind: 'start'; index: number; description: string }
  | { kind: 'result'; result: import('./engine.js').CaseResult; rss: number };

export type ToWorker = { kind: 'run'; seed: number; index: number } | { kind: 'stop' };

async function main(): Promise<void> {
  const init = workerData as WorkerInit;
  const registry = await loadRegistry({ plugins: false });
  const commands = { lines: init.lines, get: (n: string) => registry.get(n) };
  const material = await loadMaterial(init.pairs, commands, init.scratchDir);
  const engine = new FuzzEngine(material, commands, {
    timeBoundMs: init.timeBoundMs,
    targets: init.targets,
    dumps: init.dumps,
  });
  const port = parentPort!;
  port.on('message', (msg: ToWorker) => {
    if (msg.kind === 'stop') {
      engine.close();
      port.close();
      return;
    }
    let description = '?';
    try {
      const p = engine.plan(msg.seed, msg.index);
      description = `--dump ${p.dumpName} --target ${p.target.name}   # ${p.mutant.description}`;
    } catch {
      // runCase reports it
    }
    port.postMessage({ kind: 'start', index: msg.index, description } satisfies FromWorker);
    void engine.runCase(msg.seed, msg.index).then((result) => {
      port.postMessage({ kind: 'result', result, rss: process.memoryUsage().rss } satisfies FromWorker);
    });
  });
  port.postMessage({ kind: 'ready' } satisfies FromWorker);
}

void main();
