/**
 * The DWARF reader (debug-info.js and the ~20 modules under it), loaded on its first use rather than at
 * start-up: with BTF for types, most commands (sys, ps, log) never ask DWARF anything, and importing it
 * costs every start ~30 ms of CPU. Kernel.debugInfo is synchronous, so the compiled build loads it with
 * require() (Node 20.19+ requires ES modules without top-level await). Run from the TypeScript sources
 * (vitest), require() cannot load .ts files: there it is imported up front, as before. In the bundle
 * (dist/bundle/, scripts/bundle.ts) a plain require() names it: esbuild turns that into the lazy start of
 * the bundle's own copy, so the DWARF reader shares the bundle's modules.
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
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (loaded ??= (inBundle ? require('./debug-info.js') : requireHere('./debug-info.js')) as DebugInfoModule);
}
