/**
 * Driving the real terminal UI in tmux: start bin/crash-ts in a detached session of a fixed size on a private
 * server socket, type with send-keys, read the screen with capture-pane, poll until something shows.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..', '..');

export const tmuxAvailable = (): boolean => spawnSync('tmux', ['-V'], { encoding: 'utf8' }).status === 0;

let counter = 0;

export class TmuxSession {
  private constructor(
    readonly socket: string,
    readonly name: string,
    /** where the shell wrapper writes the program's exit status */
    readonly statusFile: string,
  ) {}

  /** Start `bin/crash-ts ARGS` in a cols×rows terminal; env adds to (or overrides) ours. */
  static start(
    args: string[],
    opts: { cols?: number; rows?: number; env?: Record<string, string>; cwd?: string } = {},
  ): TmuxSession {
    const socket = `crash-ts-test-${process.pid}-${++counter}`;
    const s = new TmuxSession(socket, 'crash', join(tmpdir(), `${socket}.status`));
    rmSync(s.statusFile, { force: true });
    // CI=true as CI machines set it: ink would draw no live frame under it, and crash-ts must still show its prompt
    const env = { TERM: 'xterm-256color', CI: 'true', ...opts.env };
    const q = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`;
    const cmd = [
      'env',
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      process.execPath,
      join(root, 'bin', 'crash-ts'),
      ...args,
    ]
      .map(q)
      .join(' ');
    // the status goes to a file: tmux marks a pane dead when its terminal closes and does not always
    // learn the status of the program before that (tmux 3.3a, under load)
    const wrapped = `${cmd}; echo $? > ${q(s.statusFile)}`;
    s.tmux(
      'new-session',
      '-d',
      '-s',
      s.name,
      '-x',
      String(opts.cols ?? 100),
      '-y',
      String(opts.rows ?? 30),
      '-c',
      opts.cwd ?? root,
      wrapped,
    );
    s.tmux('set-option', '-t', s.name, 'remain-on-exit', 'on');
    return s;
  }

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  }

  /** Key names as tmux knows them ('Enter', 'Tab', 'C-c', 'Up', 'PageDown'...) or text. */
  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', this.name, ...keys);
  }

  /** Literal text, sent as one chunk (a paste): "\r" inside it is a carriage return. */
  paste(text: string): void {
    this.tmux('send-keys', '-t', this.name, '-l', text);
  }

  screen(): string {
    return this.tmux('capture-pane', '-p', '-t', this.name);
  }

  /** The screen with up to `lines` lines of scrollback above it. */
  history(lines = 500): string {
    return this.tmux('capture-pane', '-p', '-S', `-${lines}`, '-t', this.name);
  }

  resize(cols: number, rows: number): void {
    this.tmux('resize-window', '-t', this.name, '-x', String(cols), '-y', String(rows));
  }

  /** The exit status once the program has ended, else undefined. */
  exitStatus(): number | undefined {
    if (!existsSync(this.statusFile)) return undefined;
    const text = readFileSync(this.statusFile, 'utf8').trim();
    return text ? Number(text) : undefined;
  }

  /** Poll the screen until `want` matches; returns the screen, or throws with the last screen. */
  async waitFor(want: string | RegExp | ((screen: string) => boolean), timeoutMs = 15_000): Promise<string> {
    const test =
      typeof want === 'function' ? want : (s: string) => (typeof want === 'string' ? s.includes(want) : want.test(s));
    const end = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = this.screen();
      if (test(last)) return last;
      if (Date.now() > end) throw new Error(`tmux: timed out waiting for ${String(want)}; screen:\n${last}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}
