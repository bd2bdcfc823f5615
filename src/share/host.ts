/**
 * The host of a shared session: one open dump (the host's kernel model), a unix socket, the participants. Each
 * guest gets its own Session on the host's kernel (its own task context, radix, aliases) and its commands run
 * there, one at a time; their Views go back as data. A command's line goes to everyone's transcript; the
 * driver's output also to those who follow. Every guest has a bounded output queue: past the bound, transcript
 * messages are dropped and counted, and the guest is told how many it missed once its queue drains.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { Command } from '../command.js';
import { Repl, type Registry } from '../repl/engine.js';
import { error as errorView, text, type View } from '../render/view.js';
import { Session } from '../session.js';
import { PAIRING_COMMANDS, type Pairing, type PairingEvent } from './context.js';
import {
  encode,
  LineDecoder,
  PROTOCOL_VERSION,
  type ClientMessage,
  type HostMessage,
  type ParticipantInfo,
  type Role,
} from './protocol.js';
import { clearStaleSocket, prepareDir, tokenPath } from './paths.js';
import { dirname } from 'node:path';

/** Bytes a guest's socket may hold unsent before transcript messages to it are dropped. */
export const DEFAULT_QUEUE_BYTES = 4 * 1024 * 1024;

export interface HostOptions {
  /** the session's name (what `crash-ts join NAME` says) */
  name: string;
  /** the socket's path */
  path: string;
  /** --group: the group's id (directory 0750, socket 0660) */
  gid?: number;
  /** the host's own session (its kernel is everyone's) */
  session: Session;
  registry: Registry;
  /** the host's name in the transcript */
  hostName: string;
  queueBytes?: number;
}

interface Participant {
  id: number;
  name: string;
  identity: ParticipantInfo['identity'];
  observer: boolean;
  invited: boolean;
  cols: number;
  rows: number;
  following: boolean;
  /** undefined for the host itself */
  socket?: Socket;
  session: Session;
  repl?: Repl;
  /** errors the guest's last command printed */
  errors: string[];
  lastLine?: string;
  lastView?: View;
  /** transcript messages dropped since the queue last drained */
  missed: number;
  listeners: Set<(e: PairingEvent) => void>;
  /** a guest's hello has been accepted */
  joined: boolean;
  /** the id of the guest's command running now */
  running?: number;
  /** a command of this guest waits or runs */
  queued?: boolean;
}

export class ShareHost {
  private readonly server: Server;
  private readonly people = new Map<number, Participant>();
  private nextId = 1;
  private driverId = 0;
  /** commands (the host's and the guests') run one after another on the one kernel model */
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;
  readonly queueBytes: number;
  /** what an invited guest's client shows to prove it runs as our user (tokenPath) */
  private readonly token = randomBytes(24).toString('hex');

  constructor(readonly opts: HostOptions) {
    this.queueBytes = opts.queueBytes ?? DEFAULT_QUEUE_BYTES;
    const host: Participant = {
      id: 0,
      name: opts.hostName,
      identity: 'host',
      observer: false,
      invited: false,
      cols: process.stdout.columns || 80,
      rows: process.stdout.rows || 24,
      // when a guest drives, the host sees its output too
      following: true,
      session: opts.session,
      errors: [],
      missed: 0,
      listeners: new Set(),
      joined: true,
    };
    this.people.set(0, host);
    opts.session.pairing = this.pairingFor(host);
    this.server = createServer((socket) => this.accept(socket));
  }

  get path(): string {
    return this.opts.path;
  }

  /** Listen: a stale socket (a host that died) is replaced, a live one is an error. */
  async start(): Promise<void> {
    const { path, gid } = this.opts;
    prepareDir(dirname(path), gid);
    await clearStaleSocket(path);
    // the socket is made with the umask's mode: no moment where it is open wider than wanted
    const old = process.umask(gid !== undefined ? 0o117 : 0o177);
    try {
      await new Promise<void>((resolve, reject) => {
        this.server.once('error', reject);
        this.server.listen(path, () => {
          this.server.off('error', reject);
          resolve();
        });
      });
    } finally {
      process.umask(old);
    }
    if (gid !== undefined) chownSync(path, process.getuid?.() ?? 0, gid);
    chmodSync(path, gid !== undefined ? 0o660 : 0o600);
    writeFileSync(tokenPath(path), this.token + '\n', { mode: 0o600 });
  }

  /** End the session: tell everyone why, close every connection, remove the socket. */
  async stop(reason: string): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const p of this.people.values()) {
      if (!p.socket) continue;
      p.socket.end(encode({ t: 'end', reason }));
      setTimeout(() => p.socket?.destroy(), 2000).unref();
    }
    await new Promise<void>((r) => this.server.close(() => r()));
    this.removeSocket();
  }

  /** Synchronous last resort (process exit): the socket file goes. */
  removeSocket(): void {
    for (const f of [this.opts.path, tokenPath(this.opts.path)])
      try {
        unlinkSync(f);
      } catch {
        // already gone
      }
  }

  /** Everyone here, the host first. */
  participants(): ParticipantInfo[] {
    return [...this.people.values()].filter((p) => p.joined).map((p) => this.info(p));
  }

  private role(p: Participant): Role {
    if (p.id === 0) return 'host';
    if (p.id === this.driverId) return 'driver';
    return p.observer ? 'observer' : 'participant';
  }

  private info(p: Participant): ParticipantInfo {
    return {
      name: p.name,
      role: this.role(p),
      identity: p.identity,
      cols: p.cols,
      rows: p.rows,
      following: p.following,
    };
  }

  /** Send to one participant. Transcript messages (droppable) are dropped past the queue's bound. */
  private send(p: Participant, msg: HostMessage, droppable: boolean): void {
    if (!p.socket) {
      if (msg.t === 'line' || msg.t === 'view' || msg.t === 'missed' || msg.t === 'end')
        for (const l of p.listeners) l(msg);
      return;
    }
    if (p.socket.destroyed || !p.socket.writable) return;
    if (droppable && p.socket.writableLength > this.queueBytes) {
      p.missed++;
      return;
    }
    p.socket.write(encode(msg));
  }

  private others(p: Participant): Participant[] {
    return [...this.people.values()].filter((q) => q !== p && q.joined);
  }

  private broadcast(from: Participant | undefined, msg: HostMessage): void {
    for (const q of this.people.values()) if (q !== from && q.joined) this.send(q, msg, true);
  }

  /** A command line ran in `p`'s session: into the others' transcript; the driver's output to its followers. */
  private transcript(p: Participant, line: string, command: string, view: View | undefined): void {
    if (PAIRING_COMMANDS.has(command) || command === 'q') return;
    p.lastLine = line;
    p.lastView = view;
    // an observer's commands are its own
    if (p.observer) return;
    const header = `${p.name}: ${line}`;
    const driving = p.id === this.driverId;
    for (const q of this.others(p)) {
      if (driving && q.following && view) this.send(q, { t: 'view', header, view }, true);
      else this.send(q, { t: 'line', text: header, style: 'dim' }, true);
    }
  }

  private accept(socket: Socket): void {
    if (this.stopped) return void socket.destroy();
    const p: Participant = {
      id: this.nextId++,
      name: '?',
      identity: 'account',
      observer: false,
      invited: false,
      cols: 80,
      rows: 24,
      following: true,
      socket,
      session: new Session(this.opts.session.kernel),
      errors: [],
      missed: 0,
      listeners: new Set(),
      joined: false,
    };
    this.people.set(p.id, p);
    socket.setEncoding('utf8');
    const decoder = new LineDecoder(
      (m) => this.onMessage(p, m as ClientMessage),
      (why) => {
        this.send(p, { t: 'refused', reason: why }, false);
        socket.destroy();
      },
    );
    socket.on('data', (chunk: string) => decoder.push(chunk));
    socket.on('drain', () => {
      if (p.missed && socket.writableLength <= this.queueBytes) {
        const count = p.missed;
        p.missed = 0;
        this.send(p, { t: 'missed', count }, false);
      }
    });
    socket.on('error', () => {}); // a guest that vanished: 'close' follows
    socket.on('close', () => this.leave(p));
  }

  private leave(p: Participant): void {
    if (!this.people.delete(p.id) || !p.joined || this.stopped) return;
    this.broadcast(undefined, { t: 'line', text: `${p.name} left`, style: 'dim' });
    if (this.driverId === p.id) {
      this.driverId = 0;
      this.broadcast(undefined, { t: 'line', text: `${this.people.get(0)!.name} drives again`, style: 'dim' });
    }
  }

  private uniqueName(wanted: string): string {
    const taken = new Set([...this.people.values()].filter((q) => q.joined).map((q) => q.name));
    if (!taken.has(wanted)) return wanted;
    for (let n = 2; ; n++) if (!taken.has(`${wanted}-${n}`)) return `${wanted}-${n}`;
  }

  private onMessage(p: Participant, m: ClientMessage): void {
    if (!p.joined) {
      if (m.t !== 'hello') return this.refuse(p, 'say hello first');
      if (m.v !== PROTOCOL_VERSION)
        return this.refuse(p, `protocol version ${m.v} is not ${PROTOCOL_VERSION}: use the host's crash-ts`);
      if (m.invited && m.token !== this.token)
        return this.refuse(
          p,
          "--as is for invited guests, whose forced command runs as the host's user; from your own account, join without --as",
        );
      const name = String(m.name || 'guest')
        .replace(/[^\w.@-]/g, '_')
        .slice(0, 32);
      p.name = this.uniqueName(name);
      p.invited = !!m.invited;
      p.identity = m.invited ? 'invite' : 'account';
      p.observer = !!m.observe;
      p.cols = Number(m.cols) || 80;
      p.rows = Number(m.rows) || 24;
      p.session.pairing = this.pairingFor(p);
      p.repl = new Repl(p.session, this.opts.registry, {
        capture: true,
        display() {},
        error: (line) => void p.errors.push(line),
      });
      p.joined = true;
      const hostName = this.people.get(0)!.name;
      this.send(
        p,
        {
          t: 'welcome',
          v: PROTOCOL_VERSION,
          you: this.info(p),
          host: hostName,
          session: this.opts.name,
          commands: this.opts.registry.list().map((c) => ({
            name: c.name,
            aliases: c.aliases,
            summary: c.summary,
            help: c.help,
            keepQuotes: c.keepQuotes,
          })),
          banner: [
            `joined ${hostName}'s shared session "${this.opts.name}" as ${p.name} (${this.role(p)}${p.following ? ', following the driver' : ''})`,
            `"who" lists everyone, "help share" tells the rest; "q" leaves`,
          ],
        },
        false,
      );
      this.broadcast(p, {
        t: 'line',
        text: `${p.name} joined (${this.role(p)}, ${p.identity === 'invite' ? 'invited' : 'shell account'}, ${p.cols}x${p.rows})`,
        style: 'dim',
      });
      return;
    }
    switch (m.t) {
      case 'run':
        // one command at a time per guest (its client waits for each answer): a guest that floods gets refusals,
        // and the others' commands never queue behind a pile of its own
        if (p.queued) {
          this.send(
            p,
            { t: 'result', id: m.id, error: 'crash-ts: one command at a time', settings: this.settingsOf(p) },
            false,
          );
          return;
        }
        p.queued = true;
        void this.exclusive(() => this.run(p, m))
          .catch(() => {}) // run() answers every error it can; a broken connection has no one to tell
          .finally(() => (p.queued = false));
        return;
      case 'cancel':
        if (p.running === m.id) p.session.cancelled = true;
        return;
      case 'resize':
        p.cols = Number(m.cols) || p.cols;
        p.rows = Number(m.rows) || p.rows;
        return;
      case 'bye':
        p.socket?.end();
        return;
      default:
        return;
    }
  }

  private refuse(p: Participant, reason: string): void {
    this.send(p, { t: 'refused', reason }, false);
    p.socket?.end();
  }

  /** Why this guest may not run this: the host's files and its reading of the dump are the host's alone. */
  private refusal(p: Participant, cmd: Command, argv: string[]): string | undefined {
    if (cmd.name === 'extend')
      return "extend: plug-ins load only in the host's own session (they would run as the host)";
    if (cmd.name === 'set' && argv.some((a) => /^zero_excluded$/i.test(a)) && argv.length > 1)
      return 'set: zero_excluded changes how the dump is read for everyone: only the host sets it';
    // the tour keeps its progress in the host's files and loads lesson files by path
    if (cmd.name === 'tour')
      return "tour: runs in your own crash-ts (crash-ts --tour): here it would read and write the host's files";
    if (cmd.name === 'q') return undefined;
    if (p.observer && cmd.name === 'driver') return 'driver: observers cannot drive';
    return undefined;
  }

  private async run(p: Participant, m: Extract<ClientMessage, { t: 'run' }>): Promise<void> {
    if (!this.people.has(p.id) || this.stopped) return;
    const settings = () => this.settingsOf(p);
    const cmd = this.opts.registry.get(String(m.name));
    const argv = Array.isArray(m.argv) ? m.argv.map(String) : [];
    if (!cmd) {
      this.send(
        p,
        { t: 'result', id: m.id, error: `crash-ts: ${m.name}: no such command`, settings: settings() },
        false,
      );
      return;
    }
    const refused = this.refusal(p, cmd, argv);
    if (refused) {
      this.send(p, { t: 'result', id: m.id, error: refused, settings: settings() }, false);
      return;
    }
    p.errors = [];
    let view: View | undefined;
    p.running = m.id;
    try {
      view = await p.repl!.run(cmd, argv, m.flags);
    } catch (err) {
      p.errors.push(`${cmd.name}: ${(err as Error).message}`);
    } finally {
      p.running = undefined;
    }
    // a guest's q leaves the guest's own client, never the host's session
    p.session.quitRequested = false;
    this.send(p, { t: 'result', id: m.id, view, error: p.errors[0], settings: settings() }, false);
    this.transcript(p, String(m.line ?? cmd.name), cmd.name, view);
    // the tour (src/tour) watches a guest's commands as it does the host's
    const event = { line: String(m.line ?? cmd.name), name: cmd.name, argv, view, error: p.errors[0] };
    for (const reply of await p.repl!.observe(event)) this.aside(p, reply);
  }

  /** Output that follows `p`'s command (the tour's marks): to `p` when it is a guest, and to a driver's followers. */
  private aside(p: Participant, view: View): void {
    if (p.socket) this.send(p, { t: 'view', header: '(tour)', view }, false);
    if (p.id !== this.driverId || p.observer) return;
    for (const q of this.others(p))
      if (q.following) this.send(q, { t: 'view', header: `(${p.name}'s tour)`, view }, true);
  }

  private settingsOf(p: Participant): Extract<HostMessage, { t: 'result' }>['settings'] {
    const st = p.session.settings;
    return { radix: st.radix, scroll: st.scroll, output: st.output };
  }

  /** Run on the kernel model alone: the host's commands and the guests' take turns, in arrival order. */
  exclusive<T>(run: () => Promise<T>): Promise<T> {
    const turn = this.chain.then(run);
    // nothing may break the chain for the others: errors go to the caller only
    this.chain = turn.then(
      () => {},
      () => {},
    );
    return turn;
  }

  private byName(name: string): Participant | undefined {
    return [...this.people.values()].find((q) => q.joined && q.name === name);
  }

  /** The Pairing a participant's session sees (who, driver, follow, say, share). */
  private pairingFor(p: Participant): Pairing {
    const host = this;
    return {
      exclusive: (run) => host.exclusive(run),
      ran: (line, command, view) => host.transcript(p, line, command, view),
      aside: (view) => host.aside(p, view),
      listen(show) {
        p.listeners.add(show);
        return () => p.listeners.delete(show);
      },
      who(): View {
        const rows = host.participants().map((i) => ({
          me: i.name === p.name ? '*' : ' ',
          name: i.name,
          role: i.role,
          identity:
            i.identity === 'account' ? 'account (its own word)' : i.identity === 'invite' ? 'invited (key)' : 'host',
          size: `${i.cols}x${i.rows}`,
          follows: i.following ? 'yes' : 'no',
        }));
        return {
          kind: 'table',
          columns: [
            { key: 'me', header: ' ', align: 'left', width: 1, sep: '' },
            { key: 'name', header: 'NAME', align: 'left', width: 8 },
            { key: 'role', header: 'ROLE', align: 'left', width: 11 },
            { key: 'size', header: 'SIZE', align: 'right', width: 7 },
            { key: 'follows', header: 'FOLLOWS', align: 'left', width: 7 },
            { key: 'identity', header: 'IDENTITY', align: 'left', width: 8 },
          ],
          rows,
        };
      },
      driver(name): View {
        const current = host.people.get(host.driverId) ?? host.people.get(0)!;
        if (p.observer) return errorView('observers cannot drive');
        if (name === undefined) return text(`driver: ${current.name}`);
        if (p.id !== 0 && p.id !== host.driverId)
          return errorView(`only the host or the driver (${current.name}) can hand the wheel over`);
        const to = host.byName(name);
        if (!to) return errorView(`${name}: no such participant ("who" lists them)`);
        if (to.observer) return errorView(`${name} is an observer: observers cannot drive`);
        host.driverId = to.id;
        host.broadcast(p, { t: 'line', text: `${p.name} hands the wheel to ${to.name}`, style: 'emphasis' });
        return text(`driver: ${to.name}`);
      },
      follow(on): View {
        p.following = on;
        const d = (host.people.get(host.driverId) ?? host.people.get(0)!).name;
        return text(on ? `following ${d} (the driver): their commands and output show here` : 'not following');
      },
      say(words): View {
        if (!words.trim()) return errorView('say what?');
        host.broadcast(p, { t: 'line', text: `${p.name} says: ${words}`, style: 'emphasis' });
        return text(`${p.name} says: ${words}`);
      },
      share(): View {
        if (!p.lastView || p.lastLine === undefined) return errorView('nothing to share yet: run a command first');
        const header = `${p.name} shares: ${p.lastLine}`;
        const others = host.others(p);
        for (const q of others) host.send(q, { t: 'view', header, view: p.lastView }, true);
        return text(`shared "${p.lastLine}" with ${others.length} participant${others.length === 1 ? '' : 's'}`);
      },
    };
  }
}
