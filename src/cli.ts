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
import { lineModeIO, runLines, stdinLines } from './repl/line.js';
import { orderDumpFiles, sniffFile } from './repl/sniff.js';
import { settleBackgroundWork } from './background-work.js';
import { cacheWrites } from './cache/vmlinux-cache.js';
import { Session } from './session.js';
import { DEFAULT_NAME, NAME_RE } from './share/names.js';
import { packageRoot, version } from './version.js';

export const USAGE = `usage: crash-ts [-s] [-i FILE] [--json] [--no-dump] [--tour] [VMLINUX] [VMCORE [VMCORE...]]
       crash-ts --share [NAME] [--group GROUP] [--as LABEL] [VMLINUX VMCORE...]
       crash-ts --share NAME --invite LABEL[,observe] [--key PUBKEY-FILE]
       crash-ts join [NAME | SOCKET] [--observe]

Open a Linux kernel crash dump (VMCORE) with the kernel it came from (VMLINUX, plain
or .gz) and answer crash's questions: sys, bt, ps, log, rd, ... The files may be
given in any order; a makedumpfile --split dump is given as all of its files. A
VMCORE alone (Linux 6.0+) is opened with the symbols, BTF types and ORC tables in its
own memory (no line numbers, no types of global variables: those need the debug
vmlinux). With no files, the bundled sample dump is opened.

  -s         silent: no banner at start-up
  -i FILE    run the commands in FILE first (after ~/.crashrc and ./.crashrc)
  --json     print every command's result as JSON (same as "set output json")
  --no-dump  start without a dump (help, eval, set, alias ... work; dump commands say why not)
  --tour     start the guided tour for learners (the same as typing "tour")
  --share [NAME]  open the dump once and let others join it over a unix socket
                  ("help share": --group, --invite, crash-ts join)
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
  tour: boolean;
  /** --share [NAME]: the session's name */
  share?: string;
  group?: string;
  invite?: string;
  key?: string;
  as?: string;
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
    tour: false,
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
    else if (a === '--tour') o.tour = true;
    else if (a === '--share') {
      // NAME is optional: the next word is a name if it looks like one and is not a file
      const next = argv[i + 1];
      o.share = next !== undefined && NAME_RE.test(next) && !existsSync(next) ? argv[++i]! : DEFAULT_NAME;
    } else if (a === '--group' || a === '--invite' || a === '--key' || a === '--as') {
      if (i + 1 >= argv.length) throw new UsageError(`${a} needs a value`);
      o[a.slice(2) as 'group' | 'invite' | 'key' | 'as'] = argv[++i]!;
    } else if (a === '--help' || a === '-h') o.help = true;
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
  try {
    const mod = (await import('./kernel/open.js')) as { openKernel?: OpenKernel };
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
  // warm-start cache files are written while the session answers (and waited for before it exits)
  cacheWrites.background = true;
  if (argv[0] === 'join') return (await import('./share/join.js')).joinMain(argv.slice(1));
  let opts: CliOptions;
  try {
    opts = parseCli(argv);
    if ((opts.group || opts.invite || opts.as) && opts.share === undefined)
      throw new UsageError('--group, --invite and --as go with --share');
    if (opts.key && !opts.invite) throw new UsageError('--key goes with --invite');
  } catch (err) {
    fail(firstLine(err));
  }
  if (opts.invite !== undefined) {
    const { inviteLine } = await import('./share/invite.js');
    try {
      process.stdout.write(inviteLine(opts.share!, opts.invite, opts.key));
    } catch (err) {
      fail(firstLine(err));
    }
    return;
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
      'New to kernel crash dumps? Type "tour" for a guided course through this one.',
      '',
    );
  }

  // the commands (and, on a terminal, the UI) load while the dump opens. On a terminal the prompt comes
  // first: drawn at once, then ink loads (~0.6 s) and takes it over, then the dump opens behind it (keys
  // typed meanwhile wait in the terminal, raw: not echoed, and run once the dump is open)
  // stdout first: process.stdin's getter makes the stream (a net.Socket of a pipe: Node's net module loads), which
  // line mode does not read (stdinLines), and stdout is most often a file or a pipe there
  const terminal = !!process.stdout.isTTY && !!process.stdin.isTTY;
  const openBehindPrompt = terminal && !opts.noDump && opts.share === undefined;
  if (openBehindPrompt) drawEarlyPrompt();
  const uiPromise = terminal ? importUiInteractive() : undefined;
  const registryPromise = import('../commands/index.js').then((m) => m.loadRegistry({ lazy: true }));
  let kernel: Kernel | undefined;
  try {
    if (!opts.noDump && !openBehindPrompt) kernel = await openDump(files);
  } catch (err) {
    fail(firstLine(err));
  }
  const registry = await registryPromise;
  const session = new Session(kernel);
  session.bannerNotes = bannerNotes;
  if (opts.json) session.settings.output = 'json';
  for (const p of registry.problems) process.stderr.write(`crash-ts: warning: ${p}\n`);
  const host = opts.share !== undefined ? await startSharing(opts, session, registry) : undefined;
  const leave = async () => {
    await host?.stop(`${host.opts.hostName} ended the shared session`);
  };

  if (uiPromise) {
    const ui = await uiPromise;
    let openError: string | undefined;
    await ui.runTerminal({
      session,
      registry,
      silent: opts.silent,
      earlyPrompt: openBehindPrompt,
      open: openBehindPrompt
        ? async () => {
            try {
              session.kernel = await openDump(files);
            } catch (err) {
              openError = firstLine(err);
              session.quitRequested = true;
            }
          }
        : undefined,
      startup: async (repl) => {
        await runStartupFiles(repl, opts.inputFiles);
        if (opts.tour) await repl.execute('tour');
      },
    });
    if (openError) fail(openError);
    await leave();
    await settleBackgroundWork();
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
  if (opts.tour) await repl.execute('tour');
  if (host)
    session.pairing!.listen((e) =>
      process.stdout.write(
        e.t === 'view'
          ? `${e.header}\n${repl.render(e.view)}`
          : e.t === 'missed'
            ? ''
            : `${'text' in e ? e.text : e.reason}\n`,
      ),
    );
  await runLines(repl, stdinLines());
  await leave();
  await new Promise<void>((r) => process.stdout.write('', () => r()));
  await settleBackgroundWork();
  process.exit(0);
}

/** --share: listen for guests, say how to join; the socket goes when the host leaves or is killed. */
async function startSharing(
  opts: CliOptions,
  session: Session,
  registry: import('./repl/engine.js').Registry,
): Promise<import('./share/host.js').ShareHost> {
  const { ShareHost } = await import('./share/host.js');
  const { groupId, socketPath } = await import('./share/paths.js');
  const { userInfo } = await import('node:os');
  const name = opts.share!;
  let host: import('./share/host.js').ShareHost;
  try {
    const gid = opts.group !== undefined ? groupId(opts.group) : undefined;
    const path = socketPath(name, { group: gid !== undefined });
    host = new ShareHost({ name, path, gid, session, registry, hostName: opts.as ?? userInfo().username });
    await host.start();
  } catch (err) {
    fail(`--share: ${firstLine(err)}`);
  }
  const me = process.argv[1] ? resolve(process.argv[1]) : 'crash-ts';
  process.stderr.write(
    [
      `crash-ts: sharing this dump as "${name}" on ${host.path}${opts.group ? ` (group ${opts.group} may join)` : ' (only you may join)'}`,
      `  join from a shell on this machine:  ${me} join ${opts.group ? host.path : name}`,
      `  over SSH:                           ssh -t THIS-HOST ${me} join ${opts.group ? host.path : name}`,
      `  invite someone without an account:  ${me} --share ${name} --invite LABEL --key THEIR-KEY.pub`,
      '',
    ].join('\n'),
  );
  process.on('exit', () => host.removeSocket());
  for (const sig of ['SIGTERM', 'SIGHUP'] as const)
    process.on(sig, () => {
      void host.stop(`${host.opts.hostName}'s crash-ts was stopped`).finally(() => process.exit(0));
    });
  return host;
}

/**
 * The prompt, drawn before ink has loaded (ink draws it again in the same place when it takes over). The
 * terminal goes raw at once, so that keys typed meanwhile are neither echoed nor lost: they wait for ink.
 */
function drawEarlyPrompt(): void {
  process.stdout.write('crash> ');
  try {
    process.stdin.setRawMode(true);
  } catch {
    // not a terminal after all: ink says so
  }
}

/**
 * Load the ink UI. ink reads CI / CONTINUOUS_INTEGRATION once, when it loads (the is-in-ci package), and then
 * draws only the final frame: no prompt ever shows. Both ends being terminals means a person is typing, so hide
 * those two variables while ink loads and give them back afterwards (to `!command` children).
 */
export async function importUiInteractive(): Promise<typeof import('./ui/App.js')> {
  const saved = { CI: process.env.CI, CONTINUOUS_INTEGRATION: process.env.CONTINUOUS_INTEGRATION };
  delete process.env.CI;
  delete process.env.CONTINUOUS_INTEGRATION;
  try {
    return await import('./ui/App.js');
  } finally {
    for (const [k, v] of Object.entries(saved)) if (v !== undefined) process.env[k] = v;
  }
}
