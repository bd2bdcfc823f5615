/**
 * The command line: `crash-ts [-s] [-i FILE] [--json] [--help] [--version] [VMLINUX] [VMCORE]`.
 * Opens the dump (files in either order, told apart by content), loads the commands, and runs the terminal UI
 * when stdin and stdout are both terminals, line mode otherwise. Line mode never loads ink.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Kernel } from './kernel/kernel.js';
import { Repl, firstLine, kernelWarnings, type ReplIO } from './repl/engine.js';
import { lineModeIO, runLines } from './repl/line.js';
import { orderDumpFiles, sniffFile } from './repl/sniff.js';
import { Session } from './session.js';
import { packageRoot, version } from './version.js';

export const USAGE = `usage: crash-ts [-s] [-i FILE] [--json] [--no-dump] [VMLINUX VMCORE [VMCORE...]]

Open a Linux kernel crash dump (VMCORE) with the kernel it came from (VMLINUX, plain
or .gz) and answer crash's questions: sys, bt, ps, log, rd, ... The files may be
given in any order; a makedumpfile --split dump is given as all of its files. With
no files, the bundled sample dump is opened.

  -s         silent: no banner at start-up
  -i FILE    run the commands in FILE first (after ~/.crashrc and ./.crashrc)
  --json     print every command's result as JSON (same as "set output json")
  --no-dump  start without a dump (help, eval, set, alias ... work; dump commands say why not)
  --help     this text
  --version  the version

Without a terminal on both stdin and stdout (a pipe, a script), crash-ts reads
commands line by line and prints plain text. Type "help" for the commands.
`;

export interface CliOptions {
  silent: boolean;
  inputFiles: string[];
  json: boolean;
  files: string[];
  help: boolean;
  version: boolean;
  noDump: boolean;
}

class UsageError extends Error {}

export function parseCli(argv: string[]): CliOptions {
  const o: CliOptions = {
    silent: false,
    inputFiles: [],
    json: false,
    files: [],
    help: false,
    version: false,
    noDump: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      o.files.push(...argv.slice(i + 1));
      break;
    } else if (a === '-s') o.silent = true;
    else if (a === '-i') {
      if (i + 1 >= argv.length) throw new UsageError('-i needs a file name');
      o.inputFiles.push(argv[++i]!);
    } else if (a === '--json') o.json = true;
    else if (a === '--no-dump') o.noDump = true;
    else if (a === '--help' || a === '-h') o.help = true;
    else if (a === '--version' || a === '-v') o.version = true;
    else if (a.startsWith('-') && a !== '-') throw new UsageError(`unknown option ${a} (see crash-ts --help)`);
    else o.files.push(a);
  }
  return o;
}

/** The bundled sample pair in sample-dumps/, if it is there. */
export function findSample(dir = join(packageRoot(), 'sample-dumps')): string[] | undefined {
  if (!existsSync(dir)) return undefined;
  const found: Partial<Record<'vmlinux' | 'vmcore', string>> = {};
  for (const f of readdirSync(dir).sort()) {
    const p = join(dir, f);
    if (/\.(md|txt|json|sh|py|ts|js|sha256)$/i.test(f) || !statSync(p).isFile()) continue;
    try {
      const kind = sniffFile(p);
      found[kind] ??= p;
    } catch {
      // not a dump file: skip
    }
  }
  return found.vmlinux && found.vmcore ? [found.vmlinux, found.vmcore] : undefined;
}

type OpenKernel = (vmlinux: string, vmcore: string | string[]) => Kernel | Promise<Kernel>;

/** The kernel engine's entry point, loaded only when a dump is opened; undefined while it does not exist yet. */
async function loadOpenKernel(): Promise<OpenKernel | undefined> {
  const url = new URL('./kernel/open.js', import.meta.url);
  try {
    const mod = (await import(url.href)) as { openKernel?: OpenKernel };
    return mod.openKernel;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_MODULE_NOT_FOUND' && e.message.includes('open.js')) return undefined;
    throw err;
  }
}

async function openDump(files: string[]): Promise<Kernel> {
  // a vmcore alone (or every file of a --split dump, and nothing else): symbols, types and ORC from the dump
  if (files.every((f) => sniffFile(f) === 'vmcore')) {
    const { openVmcoreAlone } = await import('./kernel/open-alone.js');
    return openVmcoreAlone(files.length === 1 ? resolve(files[0]!) : files.map((f) => resolve(f)));
  }
  const { vmlinux, vmcores } = orderDumpFiles(files);
  const open = await loadOpenKernel();
  if (!open) throw new Error('opening dumps is not available yet in this build (the kernel model is not there)');
  return await open(resolve(vmlinux), vmcores.length === 1 ? resolve(vmcores[0]!) : vmcores.map((f) => resolve(f)));
}

function fail(message: string): never {
  process.stderr.write(`crash-ts: ${message}\n`);
  process.exit(1);
}

/** Run the start-up files: ~/.crashrc, then ./.crashrc, then each -i FILE. */
async function runStartupFiles(repl: Repl, inputFiles: string[]): Promise<void> {
  const home = join(homedir(), '.crashrc');
  const local = resolve('.crashrc');
  for (const rc of home === local ? [home] : [home, local]) if (existsSync(rc)) await repl.runFile(rc, true);
  for (const f of inputFiles) {
    if (!existsSync(f)) fail(`-i ${f}: no such file`);
    await repl.runFile(f, true);
  }
}

export async function main(argv: string[]): Promise<void> {
  let opts: CliOptions;
  try {
    opts = parseCli(argv);
  } catch (err) {
    fail(firstLine(err));
  }
  if (opts.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (opts.version) {
    process.stdout.write(`crash-ts ${version()}\n`);
    return;
  }
  let files = opts.files;
  if (opts.noDump && files.length) fail('--no-dump and dump files do not go together');
  const bannerNotes: string[] = [];
  if (files.length === 0 && !opts.noDump) {
    const sample = findSample();
    if (!sample)
      fail(
        'no dump given and no bundled sample found in sample-dumps/: run crash-ts VMLINUX VMCORE (see crash-ts --help)',
      );
    files = sample;
    bannerNotes.push(
      "This is the bundled sample dump: a real panic of Debian's 6.1 kernel (echo c > /proc/sysrq-trigger),",
      'captured by kdump + makedumpfile in QEMU (sample-dumps/README.md). Open your own: crash-ts VMLINUX VMCORE',
      '',
    );
  }

  // the commands (and, on a terminal, the UI) load while the dump opens
  const terminal = !!process.stdin.isTTY && !!process.stdout.isTTY;
  const uiPromise = terminal ? importUiInteractive() : undefined;
  const registryPromise = import('../commands/index.js').then((m) => m.loadRegistry());
  let kernel: Kernel | undefined;
  try {
    if (!opts.noDump) kernel = await openDump(files);
  } catch (err) {
    fail(firstLine(err));
  }
  const registry = await registryPromise;
  const session = new Session(kernel);
  session.bannerNotes = bannerNotes;
  if (opts.json) session.settings.output = 'json';
  for (const p of registry.problems) process.stderr.write(`crash-ts: warning: ${p}\n`);

  if (uiPromise) {
    const ui = await uiPromise;
    await ui.runTerminal({
      session,
      registry,
      silent: opts.silent,
      startup: (repl) => runStartupFiles(repl, opts.inputFiles),
    });
    process.exit(0);
  }

  const io: ReplIO = lineModeIO(process.stdout);
  const repl = new Repl(session, registry, io);
  if (!opts.silent) {
    if (session.bannerNotes.length) process.stdout.write(session.bannerNotes.join('\n') + '\n');
    await repl.runNamed('sys', { banner: true });
  }
  // on stderr, so that piped output stays the commands' own
  for (const w of kernelWarnings(session)) process.stderr.write(`crash-ts: WARNING: ${w}\n`);
  await runStartupFiles(repl, opts.inputFiles);
  await runLines(repl, process.stdin);
  await new Promise<void>((r) => process.stdout.write('', () => r()));
  process.exit(0);
}

/**
 * Load the ink UI. ink reads CI / CONTINUOUS_INTEGRATION once, when it loads (the is-in-ci package), and then
 * draws only the final frame: no prompt ever shows. Both ends being terminals means a person is typing, so hide
 * those two variables while ink loads and give them back afterwards (to `!command` children).
 */
async function importUiInteractive(): Promise<typeof import('./ui/App.js')> {
  const saved = { CI: process.env.CI, CONTINUOUS_INTEGRATION: process.env.CONTINUOUS_INTEGRATION };
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  try {
    return await import('./ui/App.js');
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
  }
}
