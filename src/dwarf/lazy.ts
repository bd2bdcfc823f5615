/**
 * The DWARF reader (debug-info.js and the ~20 modules under it), loaded on its first use rather than at
 * start-up: with BTF for types, most commands (sys, ps, log) never ask DWARF anything, and importing it
 * costs every start ~30 ms of CPU. Kernel.debugInfo is synchronous, so the compiled build loads it with
 * require() (Node 20.19+ requires ES modules without top-level await). Run from the TypeScript sources
 * (vitest), require() cannot load .ts files: there it is imported up front, as before. The bundle
 * (dist/bundle/, scripts/bundle.ts) has it as an entry of its own, dwarf.js, in the one folder of every chunk:
 * required the same way, it imports the chunks the bundle already loaded, so it shares their modules.
 */
import { createRequire } from 'node:module';
import { inBundle } from '../bundle-flag.js';

type DebugInfoModule = typeof import('./debug-info.js');

const fromSource: DebugInfoModule | undefined = import.meta.url.endsWith('.ts')
  ? await import('./debug-info.js')
  : undefined;
const requireHere = createRequire(import.meta.url);
let loaded: DebugInfoModule | undefined = fromSource;

/** The debug-info module (loaded on the first call). */
export function debugInfoModule(): DebugInfoModule {
  return (loaded ??= requireHere(inBundle ? './dwarf.js' : './debug-info.js') as DebugInfoModule);
}
