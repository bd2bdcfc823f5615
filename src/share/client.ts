/**
 * The join client's end of the socket: say hello, run commands on the host (one answer per request, by id), and
 * hand transcript events to whoever listens. Also the registry a join client's REPL uses: every host command as a
 * proxy that runs on the host and returns its View, but `q` and `alias`, which are the client's own.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { Args, Command } from '../command.js';
import type { Registry } from '../repl/engine.js';
import { error as errorView, text, type View } from '../render/view.js';
import type { Session } from '../session.js';
import type { Pairing, PairingEvent } from './context.js';
import {
  encode,
  LineDecoder,
  PROTOCOL_VERSION,
  type ClientMessage,
  type HostMessage,
  type Message,
} from './protocol.js';
import { tokenPath } from './paths.js';

type Welcome = Extract<HostMessage, { t: 'welcome' }>;
type Result = Extract<HostMessage, { t: 'result' }>;

export interface Hello {
  name: string;
  invited: boolean;
  observe: boolean;
  cols: number;
  rows: number;
}

export class ShareClient {
  private nextId = 1;
  private readonly pending = new Map<number, (r: Result) => void>();
  private readonly listeners = new Set<(e: PairingEvent) => void>();
  /** events that came before anyone listened (the UI starts after the welcome) */
  private early: PairingEvent[] = [];
  private ended: PairingEvent | undefined;
  welcome!: Welcome;

  private constructor(private readonly socket: Socket) {}

  /** Connect and say hello; resolves on the host's welcome, rejects with a one-line reason. */
  static connect(path: string, hello: Hello, timeoutMs = 10_000): Promise<ShareClient> {
    return new Promise((resolve, reject) => {
      const socket = connect(path);
      const c = new ShareClient(socket);
      let settled = false;
      const fail = (why: string) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        reject(new Error(why));
      };
      const timer = setTimeout(() => fail(`${path}: the host did not answer`), timeoutMs);
      socket.setEncoding('utf8');
      const decoder = new LineDecoder(
        (m) => {
          if (!settled) {
            if (m.t === 'welcome') {
              settled = true;
              clearTimeout(timer);
              c.welcome = m;
              resolve(c);
            } else if (m.t === 'refused') fail(`the host refused: ${m.reason}`);
            else if (m.t === 'end') fail(`the session has ended: ${m.reason}`);
            return;
          }
          c.onMessage(m);
        },
        (why) => fail(why),
      );
      socket.on('data', (chunk: string) => decoder.push(chunk));
      socket.on('error', (err: NodeJS.ErrnoException) => {
        const why =
          err.code === 'ENOENT'
            ? `${path}: no such shared session (is the host running? crash-ts --share NAME ...)`
            : err.code === 'ECONNREFUSED'
              ? `${path}: nobody is listening there (the host has gone)`
              : err.code === 'EACCES'
                ? `${path}: permission denied (not in the host's --group?)`
                : `${path}: ${err.message}`;
        fail(why);
      });
      socket.on('close', () => {
        if (!settled) fail(`${path}: the host closed the connection`);
        else c.closed();
      });
      socket.once('connect', () => c.write({ t: 'hello', v: PROTOCOL_VERSION, ...hello, ...invitation(path, hello) }));
    });
  }

  private write(m: ClientMessage): void {
    if (!this.socket.destroyed) this.socket.write(encode(m));
  }

  private onMessage(m: Message): void {
    switch (m.t) {
      case 'result': {
        const done = this.pending.get(m.id);
        this.pending.delete(m.id);
        done?.(m);
        return;
      }
      case 'line':
      case 'view':
      case 'missed':
        return this.emit(m);
      case 'end':
        this.ended = m;
        return this.emit(m);
      default:
        return;
    }
  }

  private emit(e: PairingEvent): void {
    if (this.listeners.size === 0) this.early.push(e);
    else for (const l of this.listeners) l(e);
  }

  private closed(): void {
    for (const [id, done] of this.pending) done({ t: 'result', id, error: 'the host has gone', settings: DEFAULTS });
    this.pending.clear();
    if (!this.ended) {
      this.ended = { t: 'end', reason: 'the connection to the host was lost' };
      this.emit(this.ended);
    }
  }

  /** Run a command on the host; while it runs, `cancelled()` is asked (Ctrl-C) and, once true, the host told. */
  run(line: string, name: string, argv: string[], flags?: Args['flags'], cancelled?: () => boolean): Promise<Result> {
    if (this.ended) return Promise.resolve({ t: 'result', id: 0, error: 'the session has ended', settings: DEFAULTS });
    const id = this.nextId++;
    return new Promise((resolve) => {
      const poll = cancelled
        ? setInterval(() => {
            if (!cancelled()) return;
            clearInterval(poll);
            this.write({ t: 'cancel', id });
          }, 100)
        : undefined;
      this.pending.set(id, (r) => {
        clearInterval(poll);
        resolve(r);
      });
      this.write({ t: 'run', id, line, name, argv, ...(flags && Object.keys(flags).length ? { flags } : {}) });
    });
  }

  resize(cols: number, rows: number): void {
    this.write({ t: 'resize', cols, rows });
  }

  listen(show: (e: PairingEvent) => void): () => void {
    this.listeners.add(show);
    const early = this.early;
    this.early = [];
    for (const e of early) show(e);
    return () => this.listeners.delete(show);
  }

  get hasEnded(): boolean {
    return !!this.ended;
  }

  close(): void {
    this.write({ t: 'bye' });
    this.socket.end();
  }
}

/** An invited guest runs as the host's user: it can read the host's token, which proves it. */
function invitation(path: string, hello: Hello): { token?: string } {
  if (!hello.invited) return {};
  try {
    return { token: readFileSync(tokenPath(path), 'utf8').trim() };
  } catch {
    return {};
  }
}

const DEFAULTS = { radix: 10, scroll: true, output: 'text' as const };

/** What a join client's session knows of the sharing: the transcript. The commands themselves run on the host. */
export function clientPairing(client: ShareClient): Pairing {
  const onHost = (): View => errorView('runs on the host');
  return {
    exclusive: (run) => run(),
    ran() {},
    listen: (show) => client.listen(show),
    who: onHost,
    driver: onHost,
    follow: onHost,
    say: onHost,
    share: onHost,
  };
}

/** A host command as the client sees it: it runs on the host, in this guest's session there. */
function proxy(client: ShareClient, info: Welcome['commands'][number]): Command {
  return {
    name: info.name,
    aliases: info.aliases,
    summary: info.summary,
    help: info.help,
    // the host parses the words (its command's options and quoting): pass them as typed
    keepQuotes: true,
    async run(session: Session, args: Args): Promise<View> {
      const r = await client.run(
        [info.name, ...args.raw].join(' '),
        info.name,
        args.raw,
        args.flags,
        () => session.cancelled,
      );
      session.settings.scroll = r.settings.scroll;
      session.settings.output = r.settings.output;
      session.settings.radix = r.settings.radix === 16 ? 16 : 10;
      if (r.error) return errorView(r.error);
      return r.view ?? text([]);
    },
  };
}

/** The join client's commands: the host's, but `q` and `alias` (the client's own: its aliases expand here). */
export async function clientRegistry(client: ShareClient): Promise<Registry> {
  const byName = new Map<string, Command>();
  const byAlias = new Map<string, Command>();
  const add = (c: Command) => {
    byName.set(c.name, c);
    for (const a of c.aliases ?? []) byAlias.set(a, c);
  };
  for (const info of client.welcome.commands) add(proxy(client, info));
  for (const m of [await import('../../commands/quit.js'), await import('../../commands/alias.js')]) add(m.default);
  return {
    get: (name) => byName.get(name) ?? byAlias.get(name),
    list: () => [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    names: () => [...byName.keys(), ...byAlias.keys()],
  };
}
