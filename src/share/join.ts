/**
 * `crash-ts join [NAME|SOCKET] [--observe] [--as LABEL[,observe]]`: a participant's own client of a shared
 * session. It draws its own terminal UI (its size, pager, history) or, without a terminal, reads lines and prints
 * plain text; commands run on the host. `--as` is what an invited guest's forced command says: that guest runs
 * under the host's account, so this client gives it no shell, no shell pipes and no files, only the built-in
 * filters.
 */
import { userInfo } from 'node:os';
import { Repl, firstLine } from '../repl/engine.js';
import { lineModeIO, readableLines, runLines } from '../repl/line.js';
import { renderText } from '../render/text.js';
import { Session } from '../session.js';
import { clientPairing, clientRegistry, ShareClient } from './client.js';
import type { PairingEvent } from './context.js';
import { findSocket } from './paths.js';

export const JOIN_USAGE = `usage: crash-ts join [NAME | SOCKET] [--observe] [--as LABEL[,observe]] [-s]

Join a dump someone shares with crash-ts --share NAME (default NAME: crash).
  --observe   join as an observer: run your own commands, never drive
  --as LABEL  the name an invited guest's forced command gives (no shell, no
              files, built-in filters only); ",observe" makes it an observer
  -s          no welcome lines
`;

export interface JoinOptions {
  target?: string;
  observe: boolean;
  as?: string;
  silent: boolean;
}

export function parseJoin(argv: string[]): JoinOptions | 'help' {
  const o: JoinOptions = { observe: false, silent: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--help' || a === '-h') return 'help';
    else if (a === '--observe') o.observe = true;
    else if (a === '-s') o.silent = true;
    else if (a === '--as') {
      const v = argv[++i];
      if (!v) throw new Error('--as needs a LABEL');
      const [label, ...mods] = v.split(',');
      if (!label) throw new Error('--as needs a LABEL');
      for (const m of mods) {
        if (m === 'observe') o.observe = true;
        else throw new Error(`--as ${v}: unknown modifier ${m} (only ,observe)`);
      }
      o.as = label;
    } else if (a.startsWith('-')) throw new Error(`join: unknown option ${a} (see crash-ts join --help)`);
    else if (o.target === undefined) o.target = a;
    else throw new Error('join: one NAME or SOCKET only');
  }
  return o;
}

function eventText(e: PairingEvent): string {
  switch (e.t) {
    case 'line':
      return e.text + '\n';
    case 'view':
      return e.header + '\n' + renderText(e.view);
    case 'missed':
      return `(${e.count} transcript message${e.count === 1 ? '' : 's'} missed: this client fell behind)\n`;
    case 'end':
      return e.reason + '\n';
  }
}

function fail(message: string): never {
  process.stderr.write(`crash-ts: ${message}\n`);
  process.exit(1);
}

export async function joinMain(argv: string[]): Promise<void> {
  let o: JoinOptions | 'help';
  try {
    o = parseJoin(argv);
  } catch (err) {
    fail(firstLine(err));
  }
  if (o === 'help') {
    process.stdout.write(JOIN_USAGE);
    return;
  }
  const invited = o.as !== undefined;
  const terminal = !!process.stdin.isTTY && !!process.stdout.isTTY;
  let client: ShareClient;
  try {
    const path = findSocket(o.target);
    client = await ShareClient.connect(path, {
      name: o.as ?? userInfo().username,
      invited,
      observe: o.observe,
      cols: process.stdout.columns || 80,
      rows: process.stdout.rows || 24,
    });
  } catch (err) {
    fail(firstLine(err));
  }
  process.stdout.on('resize', () => client.resize(process.stdout.columns || 80, process.stdout.rows || 24));

  const session = new Session(undefined);
  session.shellAllowed = !invited;
  session.pairing = clientPairing(client);
  const registry = await clientRegistry(client);
  if (!o.silent) process.stdout.write(client.welcome.banner.join('\n') + '\n');

  if (terminal) {
    const { importUiInteractive } = await import('../cli.js');
    const ui = await importUiInteractive();
    const { History, defaultHistoryFile } = await import('../ui/history.js');
    process.on('SIGHUP', () => {
      client.close();
      process.exit(0);
    });
    // an invited guest runs as the host: it keeps no history file in the host's home
    await ui.runTerminal({
      session,
      registry,
      silent: true,
      history: new History(invited ? undefined : defaultHistoryFile()),
    });
    client.close();
    await new Promise<void>((r) => process.stdout.write('', () => r()));
    process.exit(0);
  }

  const io = lineModeIO(process.stdout);
  const repl = new Repl(session, registry, io);
  session.pairing.listen((e) => {
    process.stdout.write(eventText(e), () => {
      if (e.t === 'end') process.exit(0);
    });
  });
  await runLines(repl, readableLines(process.stdin));
  client.close();
  await new Promise<void>((r) => process.stdout.write('', () => r()));
  process.exit(0);
}
