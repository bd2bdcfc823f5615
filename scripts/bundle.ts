/**
 * The bundled build: dist/ (tsc's output) bundled by esbuild into dist/bundle/: the entry crash-ts.js, one
 * core chunk of what every session loads at start, and chunks loaded when first needed (each command, the
 * terminal UI with ink and React, the DWARF reader as dwarf.js...). A warm `sys` then loads 11 files instead of
 * tsc's ~76 modules (docs/performance.md, "The bundled build").
 *
 *   node dist/scripts/bundle.js [OUTDIR]        (npm run build / prepare, after tsc)
 *
 * The commands folder is not scanned in the bundle: this script imports every command file of dist/commands
 * once, and the bundle's entry hands the REPL a table of what each declares (name, options...; the help texts
 * are in help.json beside it, read by `help CMD`) and a loader, `() => import('./commands/x.js')`, that esbuild
 * splits into a chunk (src/repl/bundled-commands.ts).
 * bin/crash-ts runs the bundle only when it is not older than dist/src/cli.js. The new bundle is written beside
 * the old one and renamed in.
 */
import { build, type BuildOptions, type Plugin, type PluginBuild } from 'esbuild';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { commandFiles, commandsOf } from '../commands/index.js';
import { makeCodeCache } from './code-cache.js';
import { commandMeta, type CommandMeta } from '../src/repl/bundled-commands.js';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = 'crash-ts-bundle-entry';

/** Every command file of dist/commands with what its commands declare (run left out). */
async function commandTable(): Promise<{ file: string; commands: CommandMeta[] }[]> {
  const out: { file: string; commands: CommandMeta[] }[] = [];
  for (const path of commandFiles(join(dist, 'commands'), false)) {
    const list = commandsOf(await import(pathToFileURL(path).href));
    if (list.length === 0) throw new Error(`${path}: its default export is not a command`);
    const commands = list.map(commandMeta);
    out.push({ file: relative(dist, path), commands });
  }
  return out;
}

/** The bundle's entry: the core chunk, the command table handed to the REPL, the CLI's main. */
function entrySource(table: { file: string; commands: CommandMeta[] }[]): string {
  const rows = table.map(
    (f) =>
      `  { file: ${JSON.stringify(basename(f.file))}, ` +
      `commands: ${JSON.stringify(f.commands.map(({ help: _help, ...rest }) => rest))},\n` +
      `    load: () => import(${JSON.stringify(`./${f.file.split('\\').join('/')}`)}) },`,
  );
  return [
    `import '${CORE}';`,
    "import { useBundledCommands } from './src/repl/bundled-commands.js';",
    'useBundledCommands([',
    ...rows,
    "], new URL('./help.json', import.meta.url));",
    "export { main } from './src/cli.js';",
    '',
  ].join('\n');
}

const CORE = 'crash-ts-bundle-core';

/**
 * What every session loads at start (the CLI, opening a dump, the command registry) in one chunk: esbuild makes
 * a chunk per set of entry points that reach a module, and every import() is an entry point (each command,
 * the UI...), so the modules of a start were spread over ~40 files. Every dynamic import of our own files is
 * routed through a wrapper that also imports the core, as the main entry does: all of the core is then
 * reached by every entry, and lands in one chunk (or two: what the DWARF reader shares with it, apart).
 */
function coreChunk(b: PluginBuild): void {
  b.onResolve({ filter: new RegExp(`^${CORE}$`) }, () => ({ path: CORE, namespace: 'core' }));
  b.onLoad({ filter: /.*/, namespace: 'core' }, () => ({
    contents: ["import './src/cli.js';", "import './src/kernel/open.js';", "import './commands/index.js';"].join('\n'),
    resolveDir: dist,
    loader: 'js',
  }));
  b.onResolve({ filter: /^\.\.?\// }, async (args) => {
    if (args.kind !== 'dynamic-import' || args.importer.includes('/node_modules/')) return undefined;
    const r = await b.resolve(args.path, {
      kind: 'import-statement',
      resolveDir: args.resolveDir,
      importer: args.importer,
    });
    if (r.errors.length > 0 || r.external) return undefined;
    return { path: r.path, namespace: 'lazy' };
  });
  b.onLoad({ filter: /.*/, namespace: 'lazy' }, (args) => {
    const target = JSON.stringify(args.path);
    const hasDefault = /^export default |\bas default\b/m.test(readFileSync(args.path, 'utf8'));
    return {
      contents: [
        `import '${CORE}';`,
        `export * from ${target};`,
        hasDefault ? `export { default } from ${target};` : '',
      ].join('\n'),
      resolveDir: dirname(args.path),
      loader: 'js',
    };
  });
}

/** esbuild's options: the entry (`contents`), dwarf.js, the UI's packages in, the core chunk. */
function options(outdir: string, contents: string): BuildOptions {
  return {
    // the DWARF reader is required (synchronously) on its first use by src/dwarf/lazy.ts: an entry of its own,
    // dwarf.js, rather than part of what every start loads
    entryPoints: { 'crash-ts': ENTRY, dwarf: join(dist, 'src', 'dwarf', 'debug-info.js') },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir,
    // ink, React and the rest of the UI's packages go in (the UI's chunk): loaded as ~130 files of their own
    // (React as CommonJS), the terminal UI showed its banner ~1.5 s later at load ~10. These load apart, when
    // first needed, as files of their own (iced-x86 reads its .wasm beside it):
    external: ['iced-x86', 'snappyjs', 'fzstd'],
    // React's production build only (its development build stays out of the bundle: bin/crash-ts runs dist/
    // when NODE_ENV=development)
    define: { CRASH_TS_BUNDLE: 'true', 'process.env.NODE_ENV': '"production"' },
    // CommonJS packages inside require() Node's own modules (signal-exit: assert): an ES module has no require
    banner: {
      js: "import { createRequire as crashTsCreateRequire } from 'node:module'; const require = crashTsCreateRequire(import.meta.url);",
    },
    sourcemap: 'linked',
    // less source for V8 to scan at every start (Node 20 keeps no compile cache for ES modules): the core chunk
    // 283 -> 196 KB, ~4 ms CPU of a start. Names are kept (no identifier mangling): stack traces stay readable.
    minifyWhitespace: true,
    minifySyntax: true,
    logLevel: 'warning',
    plugins: [
      {
        name: 'entry',
        setup(b) {
          b.onResolve({ filter: new RegExp(`^${ENTRY}$`) }, () => ({ path: ENTRY, namespace: 'entry' }));
          b.onLoad({ filter: /.*/, namespace: 'entry' }, () => ({ contents, resolveDir: dist, loader: 'js' }));
          coreChunk(b);
          // ink imports React's devtools (not installed) only when DEV=true: fail there, as unbundled
          b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'devtools', namespace: 'entry-stub' }));
          b.onLoad({ filter: /.*/, namespace: 'entry-stub' }, () => ({
            contents: "throw new Error('react-devtools-core is not installed');",
            loader: 'js',
          }));
        },
      },
    ],
  };
}

/**
 * The line-mode build, line.cjs: the same entry as one CommonJS file, for a session whose stdin or stdout is not a
 * terminal (crash-ts -s with commands piped in, scripts, check.py). Node 20 keeps no compile cache for ES modules
 * (module.enableCompileCache is Node 22), but a CommonJS source compiled through node:vm takes V8's code cache:
 * bin/crash-ts compiles line.cjs with line.cjs.cache, made by scripts/code-cache.ts when the bundle is built, and
 * V8 then neither parses nor compiles what the cache holds (docs/performance.md, "A code cache for line mode").
 * Everything is in the one file (commands, DWARF reader; V8 compiles a function when first called), except the
 * terminal UI: ink has top-level await, which CommonJS cannot hold, and line mode never draws it; and a plug-in
 * (an ES module outside the build) is imported by bin/crash-ts for it.
 */
function lineOptions(outdir: string, contents: string): BuildOptions {
  const esm = options(outdir, contents);
  return {
    ...esm,
    entryPoints: { line: ENTRY },
    splitting: false,
    format: 'cjs',
    outExtension: { '.js': '.cjs' },
    // import() of our own modules becomes a lazy init in the file; of a package (iced-x86) or a node: module a
    // require(): a vm-compiled script has no loader for import()
    supported: { 'dynamic-import': false },
    define: { ...esm.define, 'import.meta.url': 'crashTsMetaUrl' },
    // the file is a CommonJS module's function, wrapper and all (bin/line-bundle.js compiles the file's text as
    // it is: no copy of 860 KB to wrap it), given crashTsImportModule too
    banner: {
      js:
        '(function (exports, require, module, __filename, __dirname, crashTsImportModule) {' +
        "'use strict';const crashTsMetaUrl=require('node:url').pathToFileURL(__filename).href;",
    },
    footer: { js: '})' },
    sourcemap: false,
    // local names shortened: 867 -> 694 KB to read and make a string of at every start (~15 ms of a cold sys
    // here, docs/performance.md); bin/crash-ts runs the ES bundle, names and all, under CRASH_TS_DEBUG
    minifyIdentifiers: true,
    plugins: [lineOnly(), ...(esm.plugins ?? [])],
  };
}

/** What differs in line.cjs: no terminal UI, and the DWARF reader required from inside the file. */
function lineOnly(): Plugin {
  return {
    name: 'line-only',
    setup(b) {
      b.onResolve({ filter: /\/ui\/App\.js$/ }, () => ({ path: 'no-ui', namespace: 'line-stub' }));
      b.onLoad({ filter: /.*/, namespace: 'line-stub' }, () => ({
        contents: "throw new Error('the terminal UI is not in line.cjs: bin/crash-ts runs it from crash-ts.js');",
        loader: 'js',
      }));
      // src/import-file.js: a file outside the build (a plug-in) is imported by the launcher, whose import() has
      // Node's loader (bin/crash-ts hands it to line.cjs as crashTsImportModule)
      b.onLoad({ filter: /[\\/]src[\\/]import-file\.js$/ }, () => ({
        contents: 'export function importFile(url) { return crashTsImportModule(url); }',
        loader: 'js',
      }));
      // src/dwarf/lazy.js: its top-level await (the TypeScript sources' path, never taken in a build) cannot be
      // CommonJS, and its require of the ES bundle's dwarf.js becomes a require of the bundled module
      b.onLoad({ filter: /[\\/]src[\\/]dwarf[\\/]lazy\.js$/ }, (args) => {
        const src = readFileSync(args.path, 'utf8');
        const out = src
          .replace(
            /import\.meta\.url\.endsWith\('\.ts'\)\s*\?\s*await import\('\.\/debug-info\.js'\)\s*:\s*undefined/,
            'undefined',
          )
          .replace(/requireHere\(inBundle \? '\.\/dwarf\.js' : '\.\/debug-info\.js'\)/, "require('./debug-info.js')");
        if ((out.match(/require\('\.\/debug-info\.js'\)/g) ?? []).length !== 1 || /await import/.test(out))
          throw new Error(`${args.path}: not as scripts/bundle.ts expects (lineOnly)`);
        return { contents: out, loader: 'js' };
      });
    },
  };
}

export async function bundle(outdir = join(dist, 'bundle')): Promise<void> {
  const table = await commandTable();
  const contents = entrySource(table);
  const tmp = `${outdir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  await Promise.all([build(options(tmp, contents)), build(lineOptions(tmp, contents))]).catch((err: unknown) => {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  });
  const help = Object.fromEntries(table.flatMap((f) => f.commands.map((c) => [c.name, c.help])));
  writeFileSync(join(tmp, 'help.json'), JSON.stringify(help));
  // swap in whole: a reader sees the old bundle or the new one (or, for a moment, none: then dist/ runs)
  const old = `${outdir}.${process.pid}.old`;
  if (existsSync(outdir)) renameSync(outdir, old);
  renameSync(tmp, outdir);
  rmSync(old, { recursive: true, force: true });
  // bin/crash-ts runs dist/bundle/: its line mode's code cache is made by running it
  if (outdir === join(dist, 'bundle')) {
    const note = makeCodeCache(outdir);
    if (note) process.stderr.write(`bundle: no code cache for line mode (${note}); it runs without\n`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  bundle(process.argv[2]).catch((err: unknown) => {
    process.stderr.write(`bundle: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
