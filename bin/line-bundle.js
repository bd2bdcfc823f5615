// The line-mode bundle's loader (bin/crash-ts runs it when stdin or stdout is not a terminal): dist/bundle/line.cjs,
// the bundle's CommonJS twin (scripts/bundle.ts), compiled through node:vm with V8's code cache beside it,
// line.cjs.cache (scripts/code-cache.ts makes it when the bundle is built). Node 20 keeps no compiled code for ES
// modules (module.enableCompileCache is Node 22): without the cache a start parses and compiles again what it
// ran the time before (docs/performance.md, "A code cache for line mode").
// V8 rejects a cache made by another V8 (a Node upgrade: `npm run build` makes a new one) or with other V8 flags
// (--cpu-prof): the file then compiles as it goes, as an ES module would.
'use strict';
const { readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname } = require('node:path');
const { Script } = require('node:vm');

/** line.cjs compiled as a CommonJS module's function, with its code cache when there is one. */
function compileLineBundle(file) {
  let cachedData;
  try {
    cachedData = readFileSync(`${file}.cache`);
  } catch {
    // no cache: V8 compiles as it goes
  }
  // the file is the module's function (exports, require, module, __filename, __dirname, crashTsImportModule),
  // wrapper and all (scripts/bundle.ts); ASCII (esbuild escapes the rest): read as latin1, it becomes a one-byte
  // string, not decoded
  const script = new Script(readFileSync(file, 'latin1'), { filename: file, cachedData });
  return { script, cached: cachedData !== undefined && !script.cachedDataRejected };
}

/** Run line.cjs; its exports (main). CRASH_TS_CODE_CACHE_OUT=FILE writes the session's code cache there at exit. */
function runLineBundle(file) {
  const { script } = compileLineBundle(file);
  const out = process.env.CRASH_TS_CODE_CACHE_OUT;
  if (out) process.on('exit', () => writeCache(script, out));
  const module = { exports: {} };
  // plug-ins are ES modules outside the build: line.cjs imports them with this module's import()
  const importModule = (url) => import(url);
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file), importModule);
  return module.exports;
}

/** Write the cache whole (renamed in), or not at all. */
function writeCache(script, out) {
  const tmp = `${out}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, script.createCachedData());
    renameSync(tmp, out);
  } catch {
    rmSync(tmp, { force: true });
  }
}

module.exports = { compileLineBundle, runLineBundle };
