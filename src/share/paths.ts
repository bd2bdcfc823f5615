/**
 * Where a shared session's socket lives, and making its directory with the right owner and modes:
 * $XDG_RUNTIME_DIR/crash-ts/NAME.sock, else /tmp/crash-ts-$UID/NAME.sock; the directory 0700 and the socket 0600,
 * or 0750/0660 and the group GROUP with --group (then always under /tmp: $XDG_RUNTIME_DIR is its owner's alone).
 */
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { basename, dirname, join } from 'node:path';

import { DEFAULT_NAME, NAME_RE } from './names.js';

export { DEFAULT_NAME, NAME_RE };

const uid = (): number => process.getuid?.() ?? 0;

export function socketDir(opts: { group?: boolean; env?: NodeJS.ProcessEnv } = {}): string {
  const env = opts.env ?? process.env;
  if (!opts.group && env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'crash-ts');
  return join('/tmp', `crash-ts-${uid()}`);
}

export function socketPath(name: string, opts: { group?: boolean; env?: NodeJS.ProcessEnv } = {}): string {
  return join(socketDir(opts), `${name}.sock`);
}

/** The file beside the socket holding the token invited guests show (0600: the host's user alone reads it). */
export const tokenPath = (socket: string): string => join(dirname(socket), `.${basename(socket, '.sock')}.token`);

/** A group's id from /etc/group (a name or a number). */
export function groupId(group: string): number {
  if (/^\d+$/.test(group)) return Number(group);
  for (const line of readFileSync('/etc/group', 'utf8').split('\n')) {
    const f = line.split(':');
    if (f[0] === group && f[2]) return Number(f[2]);
  }
  throw new Error(`--group ${group}: no such group in /etc/group`);
}

/**
 * Make (or check) the socket's directory: ours, not a symlink, with the wanted mode and group. Refuses a directory
 * someone else owns (another user could have made /tmp/crash-ts-UID first to read our socket).
 */
export function prepareDir(dir: string, gid?: number): void {
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = lstatSync(dir);
  if (!st.isDirectory()) throw new Error(`${dir} is not a directory`);
  if (st.uid !== uid()) throw new Error(`${dir} belongs to user ${st.uid}, not to us: remove it or use another place`);
  if (gid !== undefined) chownSync(dir, uid(), gid);
  chmodSync(dir, gid !== undefined ? 0o750 : 0o700);
}

/** Is something listening on this unix socket? (false: nothing there, or a socket file left by a dead host) */
export function socketAlive(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (alive: boolean) => {
      clearTimeout(timer);
      s.destroy();
      resolve(alive);
    };
    const timer = setTimeout(() => done(true), timeoutMs); // a listener too busy to accept is still alive
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/**
 * Make way for a new socket at `path`: nothing there is fine; a socket nobody listens on (a host that crashed) is
 * removed; a live one, or anything that is not a socket, is an error naming it.
 */
export async function clearStaleSocket(path: string): Promise<'none' | 'stale'> {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return 'none';
  }
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket: not touching it`);
  if (await socketAlive(path))
    throw new Error(`a shared session named ${basename(path, '.sock')} is already running (${path})`);
  unlinkSync(path);
  return 'stale';
}

/**
 * The socket a `join` argument means: a path (has a '/'), else NAME's socket in our own places, else in another
 * user's /tmp/crash-ts-UID/ that we can read (a host sharing with its --group).
 */
export function findSocket(arg: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const name = arg ?? DEFAULT_NAME;
  if (name.includes('/')) return name;
  if (!NAME_RE.test(name)) throw new Error(`${name}: not a session name (letters, digits, . _ -)`);
  const mine = [socketPath(name, { env }), socketPath(name, { group: true, env })];
  for (const p of mine) if (existsSync(p)) return p;
  let others: string[] = [];
  try {
    others = readdirSync('/tmp')
      .filter((d) => /^crash-ts-\d+$/.test(d))
      .map((d) => join('/tmp', d, `${name}.sock`));
  } catch {
    // no /tmp listing: only our own places
  }
  for (const p of others) if (existsSync(p)) return p;
  return mine[0]!;
}
