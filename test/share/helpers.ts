/** A host and clients of a shared session in this process, on a socket in a private temp directory. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRegistry } from '../../commands/index.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { Repl, type ReplIO } from '../../src/repl/engine.js';
import { Session } from '../../src/session.js';
import { clientPairing, clientRegistry, ShareClient } from '../../src/share/client.js';
import type { PairingEvent } from '../../src/share/context.js';
import { ShareHost, type HostOptions } from '../../src/share/host.js';

export function tempSocket(name = 'test'): string {
  return join(mkdtempSync(join(tmpdir(), 'crash-ts-share-')), 'sock', `${name}.sock`);
}

export async function startHost(
  kernel?: Kernel,
  more: Partial<HostOptions> = {},
): Promise<{ host: ShareHost; session: Session; repl: Repl; out: string[]; events: PairingEvent[] }> {
  const registry = await loadRegistry({ plugins: false });
  const session = new Session(kernel);
  const out: string[] = [];
  const io: ReplIO = { capture: true, display: (t) => void out.push(t), error: (l) => void out.push(l + '\n') };
  const repl = new Repl(session, registry, io);
  const host = new ShareHost({ name: 'test', path: tempSocket(), session, registry, hostName: 'alice', ...more });
  await host.start();
  const events: PairingEvent[] = [];
  session.pairing!.listen((e) => events.push(e));
  return { host, session, repl, out, events };
}

export interface Guest {
  client: ShareClient;
  repl: Repl;
  session: Session;
  /** what the guest's screen got: command output, errors, transcript */
  out: string[];
  events: PairingEvent[];
  text(): string;
}

/** A join client as `crash-ts join` makes one (its REPL, its filters and refusals), collecting its output. */
export async function joinGuest(
  path: string,
  name: string,
  opts: { invited?: boolean; observe?: boolean; cols?: number } = {},
): Promise<Guest> {
  const client = await ShareClient.connect(path, {
    name,
    invited: !!opts.invited,
    observe: !!opts.observe,
    cols: opts.cols ?? 80,
    rows: 24,
  });
  const session = new Session(undefined);
  session.shellAllowed = !opts.invited;
  session.pairing = clientPairing(client);
  const out: string[] = [];
  const events: PairingEvent[] = [];
  const repl = new Repl(session, await clientRegistry(client), {
    capture: true,
    display: (t) => void out.push(t),
    error: (l) => void out.push(l + '\n'),
  });
  session.pairing.listen((e) => events.push(e));
  return { client, repl, session, out, events, text: () => out.join('') };
}

export async function until(test: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
