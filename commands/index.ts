/**
 * The command registry. Built-in commands are discovered, not listed: every file in this directory except this
 * one is imported (in parallel) and its default export registered, so adding a command is adding a file.
 * User plug-ins load the same way from ~/.crash-ts/commands/*.js and with `extend FILE`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Command, CommandLookup } from '../src/command.js';
import { importFile } from '../src/import-file.js';
import {
  bundledCommands,
  bundledHelp,
  defaultCommands,
  once,
  standIn,
  type BundledCommandFile,
} from '../src/repl/bundled-commands.js';

const here = dirname(fileURLToPath(import.meta.url));

/** The commands a command module exports by default (one, or an array). */
export function commandsOf(mod: unknown): Command[] {
  const def = (mod as { default?: unknown }).default;
  const list = Array.isArray(def) ? def : [def];
  return list.filter(isCommand);
}

export function isCommand(x: unknown): x is Command {
  const c = x as Partial<Command> | undefined;
  return !!c && typeof c.name === 'string' && c.name.length > 0 && typeof c.run === 'function';
}

/** Command files in a directory: compiled .js (dist/commands) or, when run from source (vitest), .ts. */
export function commandFiles(dir: string, allowTs: boolean): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => {
      if (/^index\.(js|ts)$/.test(f) || f.endsWith('.d.ts')) return false;
      return f.endsWith('.js') || f.endsWith('.mjs') || (allowTs && f.endsWith('.ts'));
    })
    .sort()
    .map((f) => join(dir, f));
}

export class Registry implements CommandLookup {
  private readonly byName = new Map<string, Command>();
  private readonly byAlias = new Map<string, Command>();
  /** files that failed to load, with the reason (shown once on stderr by the REPL) */
  readonly problems: string[] = [];

  add(cmd: Command): void {
    this.byName.set(cmd.name, cmd);
    for (const a of cmd.aliases ?? []) this.byAlias.set(a, cmd);
  }

  get(name: string): Command | undefined {
    return this.byName.get(name) ?? this.byAlias.get(name);
  }

  list(): Command[] {
    return [...this.byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** every name a user may type (commands and their own aliases) */
  names(): string[] {
    return [...this.byName.keys(), ...this.byAlias.keys()];
  }

  /** Import one plug-in file and register what it exports; throws with a one-line message on failure. */
  async loadFile(path: string): Promise<string[]> {
    const full = resolve(path);
    if (!existsSync(full)) throw new Error(`${path}: no such file`);
    let mod: unknown;
    try {
      mod = await importFile(pathToFileURL(full).href);
    } catch (err) {
      throw new Error(`${path}: cannot load: ${(err as Error).message.split('\n')[0]}`);
    }
    const cmds = commandsOf(mod);
    if (cmds.length === 0) throw new Error(`${path}: its default export is not a command (name, summary, help, run)`);
    for (const c of cmds) this.add(c);
    return cmds.map((c) => c.name);
  }

  /** Load every file of a directory in parallel; failures are collected in `problems`, not thrown. */
  async loadDir(dir: string, allowTs = false): Promise<void> {
    const files = commandFiles(dir, allowTs);
    const results = await Promise.allSettled(files.map((f) => this.loadFile(f)));
    results.forEach((r) => {
      if (r.status === 'rejected') this.problems.push((r.reason as Error).message);
    });
  }
}

export const userPluginDir = (): string => join(homedir(), '.crash-ts', 'commands');

/**
 * The built-in commands plus the user's plug-ins. `lazy` (the command line): stand-ins from the command
 * manifest when it matches the files, each importing its file when first run (src/repl/command-manifest.ts).
 */
export async function loadRegistry(opts: { plugins?: boolean; lazy?: boolean } = {}): Promise<Registry> {
  const reg = new Registry();
  const fromSource = import.meta.url.endsWith('.ts');
  const bundled = bundledCommands();
  if (bundled) await loadBundledBuiltins(reg, bundled, !!opts.lazy);
  else if (opts.lazy && !fromSource) await loadBuiltinsLazily(reg);
  else await reg.loadDir(here, fromSource);
  if (opts.plugins !== false) await reg.loadDir(userPluginDir());
  return reg;
}

/** The bundled build's built-ins (src/repl/bundled-commands.ts): stand-ins when lazy, else every chunk loaded. */
async function loadBundledBuiltins(reg: Registry, files: BundledCommandFile[], lazy: boolean): Promise<void> {
  if (lazy) {
    for (const f of files) {
      const load = once(() => f.load().then(defaultCommands));
      for (const meta of f.commands) {
        const cmd = standIn({ ...meta, help: '' }, f.file, load);
        Object.defineProperty(cmd, 'help', { get: () => bundledHelp(meta.name), enumerable: true });
        reg.add(cmd);
      }
    }
    return;
  }
  const loaded = await Promise.allSettled(files.map((f) => f.load()));
  loaded.forEach((r, i) => {
    if (r.status === 'fulfilled') for (const c of commandsOf(r.value)) reg.add(c);
    else reg.problems.push(`${files[i]!.file}: cannot load: ${(r.reason as Error).message.split('\n')[0]}`);
  });
}

async function loadBuiltinsLazily(reg: Registry): Promise<void> {
  const { lazyCommands, saveManifest } = await import('../src/repl/command-manifest.js');
  const files = commandFiles(here, false);
  const standIns = lazyCommands(files);
  if (standIns) {
    for (const c of standIns) reg.add(c);
    return;
  }
  const loaded = await Promise.allSettled(
    files.map(async (file) => (await reg.loadFile(file)).map((name) => ({ file, command: reg.get(name)! }))),
  );
  const all: { file: string; command: Command }[] = [];
  for (const r of loaded) {
    if (r.status === 'fulfilled') all.push(...r.value);
    else reg.problems.push((r.reason as Error).message);
  }
  if (reg.problems.length === 0) saveManifest(files, all);
}
