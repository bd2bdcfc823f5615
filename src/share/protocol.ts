/**
 * The pairing protocol: newline-delimited JSON over a unix socket, one message a line, versioned. 64-bit values
 * (bigint) travel as {"$n":"<decimal>"}; a View travels as data (a table's formatted cells are computed on the
 * host, the layout is the client's), so every client renders it itself, at its own terminal's size.
 */
import { cellText } from '../render/text.js';
import type { Column, TableView, View } from '../render/view.js';

export const PROTOCOL_VERSION = 1;

/** A line longer than this is a broken or hostile peer: the connection is closed. */
export const MAX_LINE = 64 * 1024 * 1024;

export type Role = 'host' | 'driver' | 'participant' | 'observer';

export interface ParticipantInfo {
  name: string;
  role: Role;
  /** how the name was set: 'host', 'invite' (a forced command's --as, written by the host) or 'account' (what the
   * client said: its Unix account name, not checked) */
  identity: 'host' | 'invite' | 'account';
  cols: number;
  rows: number;
  following: boolean;
}

export interface CommandInfo {
  name: string;
  aliases?: string[];
  summary: string;
  help: string;
  keepQuotes?: boolean;
}

/** client → host */
export type ClientMessage =
  | {
      t: 'hello';
      v: number;
      name: string;
      invited: boolean;
      /**
       * an invited guest's proof that its client runs as the host's user (as a forced command in the host's
       * authorized_keys does): the token in the host's 0600 file beside the socket (paths.ts tokenPath)
       */
      token?: string;
      observe: boolean;
      cols: number;
      rows: number;
    }
  | {
      t: 'run';
      id: number;
      line: string;
      name: string;
      argv: string[];
      flags?: Record<string, string | boolean | number>;
    }
  /** Ctrl-C: stop the command `id` if it is still running */
  | { t: 'cancel'; id: number }
  | { t: 'resize'; cols: number; rows: number }
  | { t: 'bye' };

/** host → client */
export type HostMessage =
  | {
      t: 'welcome';
      v: number;
      you: ParticipantInfo;
      host: string;
      session: string;
      commands: CommandInfo[];
      banner: string[];
    }
  | { t: 'refused'; reason: string }
  | {
      t: 'result';
      id: number;
      view?: View;
      error?: string;
      settings: { radix: number; scroll: boolean; output: 'text' | 'json' };
    }
  /** a line for the transcript ("bob: ps", "alice says: look at CPU 1", "carol joined") */
  | { t: 'line'; text: string; style?: 'dim' | 'emphasis' | 'warning' }
  /** a command's output mirrored to a follower, or shared with everyone; header is its transcript line */
  | { t: 'view'; header: string; view: View }
  /** this client's queue overflowed: `count` transcript messages were dropped */
  | { t: 'missed'; count: number }
  | { t: 'end'; reason: string };

export type Message = ClientMessage | HostMessage;

function replacer(this: unknown, _key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? { $n: value.toString() } : value;
}

function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === '$n' && typeof o.$n === 'string' && /^-?\d+$/.test(o.$n)) return BigInt(o.$n);
  }
  return value;
}

/** One message as one line (newline included). Views are turned into their wire form first. */
export function encode(msg: Message): string {
  const m = 'view' in msg && msg.view ? { ...msg, view: toWire(msg.view) } : msg;
  return JSON.stringify(m, replacer) + '\n';
}

/** One line (without its newline) back into a message; throws on anything that is not a message. */
export function decode(line: string): Message {
  const m = JSON.parse(line, reviver) as Message;
  if (!m || typeof m !== 'object' || typeof (m as { t?: unknown }).t !== 'string')
    throw new Error('not a crash-ts share message');
  if ('view' in m && m.view) (m as { view: View }).view = fromWire(m.view as View);
  return m;
}

/** Key under which a formatted column's text travels beside its raw value. */
const textKey = (key: string) => `${key}\u0000text`;

interface WireColumn extends Omit<Column, 'format'> {
  /** the column had a formatter: each row carries its text under textKey(key) */
  formatted?: boolean;
}

/** A View with no functions in it: formatted table cells become text the host computed. */
export function toWire(view: View): View {
  switch (view.kind) {
    case 'table': {
      const formatted = view.columns.filter((c) => c.format);
      if (formatted.length === 0) return view;
      const rows = view.rows.map((row) => {
        const r: Record<string, unknown> = { ...row };
        for (const col of formatted) r[textKey(col.key)] = cellText(col, row);
        return r;
      });
      const columns: WireColumn[] = view.columns.map(({ format, ...rest }) =>
        format ? { ...rest, formatted: true } : rest,
      );
      return { ...view, columns: columns as Column[], rows };
    }
    case 'group':
      return { ...view, views: view.views.map(toWire) };
    default:
      return view;
  }
}

/** The wire form back into a View the renderers take (formatters that read the host's text). */
export function fromWire(view: View): View {
  switch (view.kind) {
    case 'table': {
      const columns = (view.columns as WireColumn[]).map(({ formatted, ...col }): Column => {
        if (!formatted) return col;
        const k = textKey(col.key);
        return { ...col, format: (_v, row) => String(row[k] ?? '') };
      });
      return { ...(view as TableView), columns };
    }
    case 'group':
      return { ...view, views: view.views.map(fromWire) };
    case 'text':
      // JSON turns a missing action in the list into null: back to "no action on this line"
      return view.lineActions ? { ...view, lineActions: view.lineActions.map((a) => a ?? undefined) } : view;
    default:
      return view;
  }
}

/**
 * Splits a byte stream into lines and decodes each. A line that is not a message is reported through onBad
 * (the caller closes the connection); a line over MAX_LINE too.
 */
export class LineDecoder {
  private buf = '';
  constructor(
    private readonly onMessage: (m: Message) => void,
    private readonly onBad: (why: string) => void,
  ) {}

  push(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      if (!line.trim()) continue;
      let m: Message;
      try {
        m = decode(line);
      } catch (err) {
        this.onBad(`bad message: ${(err as Error).message}`);
        return;
      }
      this.onMessage(m);
    }
    if (this.buf.length > MAX_LINE) {
      this.buf = '';
      this.onBad('message too long');
    }
  }
}
