/**
 * Which build is running. scripts/bundle.ts builds dist/bundle/ with esbuild, which replaces CRASH_TS_BUNDLE
 * by `true`; in dist/ (tsc) and the TypeScript sources (vitest) the name is not defined at all.
 */
declare const CRASH_TS_BUNDLE: boolean | undefined;

/** true inside the bundled build (dist/bundle/), where every module shares one file's instances */
export const inBundle: boolean = typeof CRASH_TS_BUNDLE !== 'undefined' && CRASH_TS_BUNDLE;
