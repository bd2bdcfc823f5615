/**
 * Start-up without importing every command: importing all of commands/ (and what they import) costs
 * about as much CPU as opening a dump. The first run imports them all, as before, and writes what the
 * REPL needs to know of each command before running it (name, aliases, summary, help, options, flags)
 * to a manifest in the cache root; later runs make stand-ins from it whose run() imports the command's
 * file on first use. The manifest is keyed by the command files' names, sizes and mtimes (a rebuild
 * makes a new one); anything that does not check out means the eager load, never a wrong command.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from '../command.js';
import { defaultCacheDir } from '../cache/vmlinux-cache.js';
import { importFile } from '../import-file.js';
import { commandMeta, defaultCommands, once, standIn } from './bundled-commands.js';

const VERSION = 1;

/** What the manifest keeps of one command (everything but run), and the file that defines it. */
type CommandMeta = Omit<Command, 'run'> & { file: string };

interface Manifest {
  version: number;
  key: string;
  commands: CommandMeta[];
}

/** The key of a set of command files: their names, sizes and mtimes. */
export function manifestKey(files: string[]): string {
  const h = createHash('sha256');
  h.update(`v${VERSION}\n`);
  for (const f of files) {
    const st = statSync(f);
    h.update(`${f}\0${st.size}\0${Math.floor(st.mtimeMs)}\n`);
  }
  return h.digest('hex').slice(0, 32);
}

function manifestPath(root: string): string {
  return join(root, 'commands-manifest.json');
}

/** Stand-ins for the commands of `files`, from the manifest; undefined when it is absent or does not match. */
export function lazyCommands(files: string[], root = defaultCacheDir()): Command[] | undefined {
  if (process.env.CRASH_TS_CACHE_DIR === 'off') return undefined;
  let m: Manifest;
  try {
    m = JSON.parse(readFileSync(manifestPath(root), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
  if (!m || m.version !== VERSION || !Array.isArray(m.commands)) return undefined;
  try {
    if (m.key !== manifestKey(files)) return undefined;
  } catch {
    return undefined; // a file went away
  }
  const known = new Set(files);
  const out: Command[] = [];
  for (const meta of m.commands) {
    if (!validMeta(meta) || !known.has(meta.file)) return undefined;
    out.push(standInFor(meta));
  }
  return out;
}

function validMeta(x: CommandMeta): boolean {
  const strings = (a: unknown) => Array.isArray(a) && a.every((s) => typeof s === 'string');
  return (
    !!x &&
    typeof x.file === 'string' &&
    typeof x.name === 'string' &&
    x.name.length > 0 &&
    typeof x.summary === 'string' &&
    typeof x.help === 'string' &&
    (x.aliases === undefined || strings(x.aliases)) &&
    (x.options === undefined || (typeof x.options === 'object' && strings(Object.values(x.options)))) &&
    (x.foreach === undefined || x.foreach === 'each' || x.foreach === 'all')
  );
}

/** each command file's module, imported once (a file may define several commands: tour and answer) */
const loaded = new Map<string, () => Promise<Command[]>>();

/** A command whose run() imports its file (once) and runs the real one. */
function standInFor(meta: CommandMeta): Command {
  const { file, ...fields } = meta;
  let load = loaded.get(file);
  if (!load) {
    load = once(() => importFile(pathToFileURL(file).href).then(defaultCommands));
    loaded.set(file, load);
  }
  return standIn(fields, basename(file), load);
}

/** Write the manifest of commands loaded from their files (a temporary file renamed over; failures ignored). */
export function saveManifest(
  files: string[],
  commands: { file: string; command: Command }[],
  root = defaultCacheDir(),
): void {
  // CRASH_TS_CACHE_DIR=off turns every cache off: not a folder named "off" in the current directory
  if (process.env.CRASH_TS_CACHE_DIR === 'off') return;
  const m: Manifest = {
    version: VERSION,
    key: manifestKey(files),
    commands: commands.map(({ file, command: c }) => ({ file, ...commandMeta(c) })),
  };
  const path = manifestPath(root);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    mkdirSync(root, { recursive: true });
    writeFileSync(tmp, JSON.stringify(m));
    renameSync(tmp, path);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      // nothing written
    }
  }
}
