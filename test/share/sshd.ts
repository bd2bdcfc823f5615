/**
 * A private OpenSSH server for the pairing test: Debian's /usr/sbin/sshd started on 127.0.0.1 and a free high
 * port, with its own host key, sshd_config and authorized_keys in a temp directory; never any other address.
 * Plus `ssh -t` command lines for its clients and tmux panes to run them in.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

export const SSHD = '/usr/sbin/sshd';
export const haveSshd = (): boolean => existsSync(SSHD) && spawnSync('ssh', ['-V']).status === 0;

/** A port nobody listens on now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export function keygen(path: string): string {
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'crash-ts-test', '-f', path]);
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

export class TestSshd {
  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly pidFile: string,
  ) {}

  /** Start sshd in the foreground-detached mode (-D in a child is simpler to stop: we keep its pid file). */
  static async start(dir: string, authorizedKeys: string, env: Record<string, string>): Promise<TestSshd> {
    const port = await freePort();
    const hostKey = join(dir, 'host_key');
    keygen(hostKey);
    const keys = join(dir, 'authorized_keys');
    writeFileSync(keys, authorizedKeys, { mode: 0o600 });
    const pidFile = join(dir, 'sshd.pid');
    const config = join(dir, 'sshd_config');
    writeFileSync(
      config,
      [
        `ListenAddress 127.0.0.1:${port}`,
        `HostKey ${hostKey}`,
        `PidFile ${pidFile}`,
        `AuthorizedKeysFile ${keys}`,
        `AllowUsers ${userInfo().username}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'UsePAM no',
        'StrictModes no',
        'PermitRootLogin prohibit-password',
        'PrintMotd no',
        'PrintLastLog no',
        'X11Forwarding no',
        'AllowTcpForwarding no',
        'LogLevel ERROR',
        `SetEnv ${Object.entries(env)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`,
        '',
      ].join('\n'),
    );
    // as root, sshd wants its privilege-separation directory (made by the service, which we do not run)
    if (process.getuid?.() === 0 && !existsSync('/run/sshd')) mkdirSync('/run/sshd', { mode: 0o755 });
    execFileSync(SSHD, ['-f', config, '-E', join(dir, 'sshd.log')]);
    const s = new TestSshd(dir, port, pidFile);
    for (let i = 0; i < 100 && !existsSync(pidFile); i++) await new Promise((r) => setTimeout(r, 50));
    if (!existsSync(pidFile)) throw new Error(`sshd did not start: ${s.log()}`);
    return s;
  }

  log(): string {
    const f = join(this.dir, 'sshd.log');
    return existsSync(f) ? readFileSync(f, 'utf8') : '';
  }

  /** `ssh -t` to this server with a key, running `command` (a forced command replaces it). */
  sshArgs(key: string, command: string[] = []): string[] {
    return [
      'ssh',
      '-t',
      '-F',
      '/dev/null',
      '-i',
      key,
      '-p',
      String(this.port),
      '-o',
      'IdentitiesOnly=yes',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=no',
      '-o',
      'UserKnownHostsFile=/dev/null',
      '-o',
      'LogLevel=ERROR',
      `${userInfo().username}@127.0.0.1`,
      ...command,
    ];
  }

  stop(): void {
    if (!existsSync(this.pidFile)) return;
    const pid = Number(readFileSync(this.pidFile, 'utf8').trim());
    try {
      if (pid > 1) process.kill(pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

let counter = 0;

/** A tmux pane of a fixed size running any command, on a private tmux server. */
export class Pane {
  readonly socket = `crash-ts-share-${process.pid}-${++counter}`;
  readonly statusFile: string;

  constructor(argv: string[], cols: number, rows: number, env: Record<string, string>) {
    this.statusFile = join(mkdtempSync(join(tmpdir(), 'crash-ts-pane-')), 'status');
    const q = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`;
    // no CI in the pane: under CI=true ink would draw nothing until it unmounts
    const cmd = [
      'env',
      '-u',
      'CI',
      '-u',
      'CONTINUOUS_INTEGRATION',
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      ...argv,
    ]
      .map(q)
      .join(' ');
    this.tmux(
      'new-session',
      '-d',
      '-s',
      'p',
      '-x',
      String(cols),
      '-y',
      String(rows),
      `${cmd}; echo $? > ${q(this.statusFile)}`,
    );
    this.tmux('set-option', '-t', 'p', 'remain-on-exit', 'on');
  }

  tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8', stdio: 'pipe' });
  }

  keys(...keys: string[]): void {
    this.tmux('send-keys', '-t', 'p', ...keys);
  }

  /** The screen and its scrollback. */
  text(): string {
    return this.tmux('capture-pane', '-p', '-J', '-S', '-2000', '-t', 'p');
  }

  /** The screen as drawn (lines as wide as the pane at most). */
  screen(): string {
    return this.tmux('capture-pane', '-p', '-S', '-2000', '-t', 'p');
  }

  size(): string {
    return this.tmux('display-message', '-p', '-t', 'p', '#{pane_width}x#{pane_height}').trim();
  }

  exitStatus(): number | undefined {
    if (!existsSync(this.statusFile)) return undefined;
    const t = readFileSync(this.statusFile, 'utf8').trim();
    return t ? Number(t) : undefined;
  }

  async waitFor(want: string | RegExp | ((text: string) => boolean), ms = 30_000): Promise<string> {
    const test =
      typeof want === 'function' ? want : (s: string) => (typeof want === 'string' ? s.includes(want) : want.test(s));
    const end = Date.now() + ms;
    for (;;) {
      const t = this.text();
      if (test(t)) return t;
      if (Date.now() > end) throw new Error(`timed out waiting for ${String(want)}; pane:\n${t}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // gone
    }
    rmSync(this.statusFile, { force: true });
  }
}
