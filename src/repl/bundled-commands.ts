/**
 * The built-in commands as the bundled build knows them (scripts/bundle.ts). There no commands/ folder is
 * scanned: the bundle's entry hands over a table, made when the bundle was built, of each command file's
 * commands (everything but run) and a loader of the chunk that holds it. The REPL registers stand-ins whose
 * run() loads that chunk on first use, so a lazily loaded command shares the bundle's module instances (one
 * Kernel class, one set of caches). The unbundled build never calls useBundledCommands.
 */
import { readFileSync } from 'node:fs';
import type { Command } from '../command.js';

/** What the REPL knows of a command before loading it: everything but run. */
export type CommandMeta = Omit<Command, 'run'>;

/** What a command declares, without its run(): what the manifest and the bundle's table keep of it. */
export function commandMeta(c: Command): CommandMeta {
  return {
    name: c.name,
    aliases: c.aliases,
    summary: c.summary,
    help: c.help,
    options: c.options,
    keepQuotes: c.keepQuotes,
    needsDump: c.needsDump,
    foreach: c.foreach,
  };
}

/** One command file of the bundle: its commands (their help texts apart: help.json) and its module's loader. */
export interface BundledCommandFile {
  file: string;
  commands: Omit<CommandMeta, 'help'>[];
  load: () => Promise<{ default?: unknown }>;
}

let table: BundledCommandFile[] | undefined;
let helpFile: URL | undefined;
let helpTexts: Record<string, string> | undefined;

/**
 * Called once by the bundle's entry, before main(). The help texts (most of the table's bytes, read only by
 * `help CMD`) are in a JSON file beside the bundle, read on first use.
 */
export function useBundledCommands(files: BundledCommandFile[], help: URL): void {
  table = files;
  helpFile = help;
}

/** A bundled built-in's help text. */
export function bundledHelp(name: string): string {
  if (!helpTexts) {
    try {
      helpTexts = JSON.parse(readFileSync(helpFile!, 'utf8')) as Record<string, string>;
    } catch (err) {
      return `${name}: its help text is unreadable (${(err as Error).message.split('\n')[0]})`;
    }
  }
  return helpTexts[name] ?? `${name}: no help text`;
}

/** The bundle's table of built-in commands; undefined when running the unbundled build (dist/ or sources). */
export function bundledCommands(): BundledCommandFile[] | undefined {
  return table;
}

/** The commands a module exports as its default (one command or a list). */
export function defaultCommands(mod: { default?: unknown }): Command[] {
  return (Array.isArray(mod.default) ? mod.default : [mod.default]) as Command[];
}

/** A command whose run() loads its module (once, shared by the module's commands) and runs the real one. */
export function standIn(meta: CommandMeta, file: string, load: () => Promise<Command[]>): Command {
  return {
    ...meta,
    async run(session, args) {
      const real = (await load()).find((c) => c && c.name === meta.name);
      if (!real) throw new Error(`${file} no longer defines ${meta.name}`);
      return await real.run(session, args);
    },
  };
}

/** `load` run once: every call gets the first call's promise. */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= load());
}
