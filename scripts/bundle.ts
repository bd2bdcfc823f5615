/**
 * The bundled build: dist/ (tsc's output) as one file, dist/bundle/crash-ts.js, plus chunks that load when
 * first needed (each command, the UI, the DWARF reader's users...). Node then resolves and reads a handful of
 * files at start-up instead of ~76 modules (docs/performance.md, "One bundled file").
 *
 *   node dist/scripts/bundle.js        (npm run build / prepare, after tsc)
 *
 * The commands folder is not scanned in the bundle: this script imports every command file of dist/commands
 * once, and the bundle's entry hands the REPL a table of what each declares (name, help, options...) and a
 * loader, `() => import('./commands/x.js')`, that esbuild splits into a chunk (src/repl/bundled-commands.ts).
 * The UI's packages (ink, React) are bundled too. bin/crash-ts runs the bundle only when it is not older than
 * dist/src/cli.js. The new bundle is written beside the old one and renamed in.
 */
import { build } from 'esbuild';
import { existsSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { commandFiles, isCommand } from '../commands/index.js';
import type { CommandMeta } from '../src/repl/bundled-commands.js';

const dist = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = 'crash-ts-bundle-entry';

/** Every command file of dist/commands with what its commands declare (run left out). */
async function commandTable(): Promise<{ file: string; commands: CommandMeta[] }[]> {
  const out: { file: string; commands: CommandMeta[] }[] = [];
  for (const path of commandFiles(join(dist, 'commands'), false)) {
    const mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
    const list = (Array.isArray(mod.default) ? mod.default : [mod.default]).filter(isCommand);
    if (list.length === 0) throw new Error(`${path}: its default export is not a command`);
    const commands = list.map((c) => ({
      name: c.name,
      aliases: c.aliases,
      summary: c.summary,
      help: c.help,
      options: c.options,
      keepQuotes: c.keepQuotes,
      needsDump: c.needsDump,
      foreach: c.foreach,
    }));
    out.push({ file: relative(dist, path), commands });
  }
  return out;
}

/** The bundle's entry: hand the REPL the command table, then export the CLI's main. */
function entrySource(table: { file: string; commands: CommandMeta[] }[]): string {
  const rows = table.map(
    (f) =>
      `  { file: ${JSON.stringify(basename(f.file))}, commands: ${JSON.stringify(f.commands)},\n` +
      `    load: () => import(${JSON.stringify(`./${f.file.split('\\').join('/')}`)}) },`,
  );
  return [
    "import { useBundledCommands } from './src/repl/bundled-commands.js';",
    'useBundledCommands([',
    ...rows,
    ']);',
    "export { main } from './src/cli.js';",
    '',
  ].join('\n');
}

export async function bundle(outdir = join(dist, 'bundle')): Promise<void> {
  const contents = entrySource(await commandTable());
  const tmp = `${outdir}.${process.pid}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  await build({
    entryPoints: { 'crash-ts': ENTRY },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outdir: tmp,
    // ink, React and the rest of the UI's packages go in (the UI's chunk): loading React as CommonJS modules,
    // one file each, cost the terminal UI ~0.8 s (load ~10) before its first frame. These load apart, when
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
    logLevel: 'warning',
    plugins: [
      {
        name: 'entry',
        setup(b) {
          b.onResolve({ filter: new RegExp(`^${ENTRY}$`) }, () => ({ path: ENTRY, namespace: 'entry' }));
          b.onLoad({ filter: /.*/, namespace: 'entry' }, () => ({ contents, resolveDir: dist, loader: 'js' }));
          // ink imports React's devtools (not installed) only when DEV=true: fail there, as unbundled
          b.onResolve({ filter: /^react-devtools-core$/ }, () => ({ path: 'devtools', namespace: 'entry-stub' }));
          b.onLoad({ filter: /.*/, namespace: 'entry-stub' }, () => ({
            contents: "throw new Error('react-devtools-core is not installed');",
            loader: 'js',
          }));
        },
      },
    ],
  });
  // swap in whole: a reader sees the old bundle or the new one (or, for a moment, none: then dist/ runs)
  const old = `${outdir}.${process.pid}.old`;
  if (existsSync(outdir)) renameSync(outdir, old);
  renameSync(tmp, outdir);
  rmSync(old, { recursive: true, force: true });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  bundle(process.argv[2]).catch((err: unknown) => {
    process.stderr.write(`bundle: ${(err as Error).message}\n`);
    process.exit(1);
  });
}
