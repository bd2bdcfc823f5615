/**
 * A shared session in one process (no dump needed): the socket's modes, a stale socket replaced and a live one
 * refused, the transcript and following, who, the observer's and invited guest's refusals, the built-in filters
 * through the client, a slow guest that never reads, and the host's quit.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadRegistry } from '../../commands/index.js';
import type { Command } from '../../src/command.js';
import { Session } from '../../src/session.js';
import { clearStaleSocket, tokenPath } from '../../src/share/paths.js';
import { ShareHost } from '../../src/share/host.js';
import { encode, LineDecoder, PROTOCOL_VERSION, type Message } from '../../src/share/protocol.js';
import { joinGuest as joinAs, startHost, tempSocket, until } from './helpers.js';

const hosts: ShareHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop('test over');
});
const mode = (p: string) => statSync(p).mode & 0o777;

describe('shared session: the socket', () => {
  it('is 0600 in a 0700 directory by default, and removed when the host quits', async () => {
    const { host } = await startHost();
    expect(mode(host.path)).toBe(0o600);
    expect(mode(dirname(host.path))).toBe(0o700);
    expect(statSync(host.path).isSocket()).toBe(true);
    expect(mode(tokenPath(host.path))).toBe(0o600);
    await host.stop('bye');
    expect(existsSync(host.path)).toBe(false);
    expect(existsSync(tokenPath(host.path))).toBe(false);
  });

  const root = process.getuid?.() === 0;
  it.skipIf(!root)(
    'with --group: 0660 in a 0750 directory of that group; a user outside it cannot connect',
    async () => {
      const base = mkdtempSync(join(tmpdir(), 'crash-ts-share-'));
      chmodSync(base, 0o755);
      const gid = 1; // daemon
      const { host } = await startHost(undefined, { path: join(base, 'g', 'team.sock'), gid });
      hosts.push(host);
      expect(mode(host.path)).toBe(0o660);
      expect(mode(dirname(host.path))).toBe(0o750);
      expect(statSync(host.path).gid).toBe(gid);
      const tryAs = (g: number) =>
        spawnSync(
          'setpriv',
          [
            '--reuid=65534',
            `--regid=${g}`,
            '--clear-groups',
            process.execPath,
            '-e',
            `require('net').connect(${JSON.stringify(host.path)}).on('connect',()=>{console.log('connected');process.exit(0)}).on('error',e=>{console.log(e.code);process.exit(0)})`,
          ],
          { encoding: 'utf8', timeout: 10_000 },
        ).stdout.trim();
      expect(tryAs(65534)).toBe('EACCES'); // nobody, group nogroup
      expect(tryAs(gid)).toBe('connected'); // nobody, in the host's group
      expect(mode(tokenPath(host.path))).toBe(0o600); // the group cannot read the invited guests' token
    },
  );

  it('replaces a stale socket left by a host that died, and refuses to start beside a live one', async () => {
    const path = tempSocket('stale');
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // a host killed with SIGKILL leaves its socket file behind
    const child = spawn(process.execPath, [
      '-e',
      `require('net').createServer().listen(${JSON.stringify(path)}, () => console.log('up'))`,
    ]);
    await new Promise<void>((r) => child.stdout.once('data', () => r()));
    await expect(clearStaleSocket(path)).rejects.toThrow(/already running/);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(statSync(path).isSocket()).toBe(true);
    const { host } = await startHost(undefined, { path });
    hosts.push(host);
    const g = await joinAs(path, 'bob');
    expect(g.client.welcome.you.name).toBe('bob');
    g.client.close();
    const registry = await loadRegistry({ plugins: false });
    const second = new ShareHost({ name: 'stale', path, session: new Session(), registry, hostName: 'carol' });
    await expect(second.start()).rejects.toThrow(/a shared session named stale is already running/);
  });
});

describe('shared session: participants', () => {
  it("puts each command in the others' transcript, mirrors the driver to followers, lists everyone", async () => {
    const { host, repl, events } = await startHost();
    hosts.push(host);
    const bob = await joinAs(host.path, 'bob', { cols: 120 });
    const carol = await joinAs(host.path, 'carol', { invited: true, observe: true, cols: 80 });

    await repl.execute('eval 0x10 + 2');
    await until(() => bob.events.some((e) => e.t === 'view'));
    const mirrored = bob.events.find((e) => e.t === 'view')!;
    expect(mirrored.t === 'view' && mirrored.header).toBe('alice: eval 0x10 + 2');
    await until(() => carol.events.some((e) => e.t === 'view'));

    await bob.repl.execute('eval 3');
    expect(bob.text()).toContain('decimal: 3');
    await until(() => events.some((e) => e.t === 'line' && e.text === 'bob: eval 3'));
    // an observer's own commands are private
    await carol.repl.execute('eval 4');
    expect(carol.text()).toContain('decimal: 4');
    await new Promise((r) => setTimeout(r, 100));
    expect(events.some((e) => e.t === 'line' && e.text.includes('eval 4'))).toBe(false);

    await bob.repl.execute('who');
    const who = bob.text();
    expect(who).toMatch(/^ {2}alice +host +\d+x\d+ yes +host$/m);
    expect(who).toMatch(/^\* bob +participant +120x24 yes +account \(its own word\)$/m);
    expect(who).toMatch(/^ {2}carol +observer +80x24 yes +invited \(key\)$/m);

    await bob.repl.execute('say look at CPU 1');
    await until(() => events.some((e) => e.t === 'line' && e.text === 'bob says: look at CPU 1'));

    // handing the wheel over: the host can, bob cannot take it; then bob's output is mirrored
    await bob.repl.execute('driver carol');
    expect(bob.text()).toContain('driver: only the host or the driver (alice) can hand the wheel over');
    await repl.execute('driver bob');
    await until(() => bob.events.some((e) => e.t === 'line' && e.text === 'alice hands the wheel to bob'));
    await bob.repl.execute('eval 5');
    await until(() => carol.events.some((e) => e.t === 'view' && e.header === 'bob: eval 5'));
    await until(() => events.some((e) => e.t === 'view' && e.header === 'bob: eval 5')); // the host follows too
    await carol.repl.execute('unfollow');
    await bob.repl.execute('eval 6');
    await until(() => carol.events.some((e) => e.t === 'line' && e.text === 'bob: eval 6'));
    bob.client.close();
    await until(() => carol.events.some((e) => e.t === 'line' && e.text === 'alice drives again'));
    carol.client.close();
  });

  it("refuses an observer's driver, a guest's extend and zero_excluded, an invited guest's shell and files", async () => {
    const { host } = await startHost();
    hosts.push(host);
    const carol = await joinAs(host.path, 'carol', { invited: true, observe: true });
    const file = join(mkdtempSync(join(tmpdir(), 'crash-ts-share-')), 'x');
    const lines = [
      'driver',
      'driver carol',
      '!id',
      `help > ${file}`,
      'help | sort',
      'extend /tmp/x.js',
      'tour load /etc/passwd',
      'set zero_excluded on',
    ];
    for (const l of lines) await carol.repl.execute(l);
    expect(carol.out).toEqual([
      'driver: observers cannot drive\n',
      'driver: observers cannot drive\n',
      "crash-ts: !: no shell here (this session runs under the host's account)\n",
      `crash-ts: > ${file}: no files here (this session runs under the host's account)\n`,
      'crash-ts: | sort: not a built-in filter (| grep [-v] [-i] PATTERN, | head [-n N], | tail [-n N], | wc -l); no shell here, only | grep [-v] [-i] PATTERN, | head [-n N], | tail [-n N], | wc -l\n',
      "extend: plug-ins load only in the host's own session (they would run as the host)\n",
      "tour: runs in your own crash-ts (crash-ts --tour): here it would read and write the host's files\n",
      'set: zero_excluded changes how the dump is read for everyone: only the host sets it\n',
    ]);
    expect(existsSync(file)).toBe(false);
    // a client that says it is invited but cannot read the host's token (another user's --as) is refused
    const hello = { name: 'mallory', invited: true, observe: false, cols: 80, rows: 24 };
    const raw = connect(host.path);
    const answers: Message[] = [];
    raw.setEncoding('utf8');
    const d = new LineDecoder(
      (m) => answers.push(m),
      () => {},
    );
    raw.on('data', (c: string) => d.push(c));
    raw.write(encode({ t: 'hello', v: PROTOCOL_VERSION, ...hello, token: 'guessed' }));
    await until(() => answers.length > 0);
    expect(answers[0]).toEqual({
      t: 'refused',
      reason:
        "--as is for invited guests, whose forced command runs as the host's user; from your own account, join without --as",
    });
    raw.destroy();
    carol.out.length = 0;
    await carol.repl.execute('help bt | grep -i ^synopsis');
    expect(carol.text()).toBe('SYNOPSIS\n');
    carol.out.length = 0;
    await carol.repl.execute('help | wc -l');
    expect(Number(carol.text())).toBeGreaterThan(5);
    carol.client.close();
  });

  it('a guest that stops reading is told what it missed, and never holds the host up', async () => {
    const { host, repl } = await startHost(undefined, { queueBytes: 64 * 1024 });
    hosts.push(host);
    const fast = await joinAs(host.path, 'fast');
    const slow = connect(host.path);
    const got: Message[] = [];
    slow.setEncoding('utf8');
    const d = new LineDecoder(
      (m) => got.push(m),
      () => {},
    );
    slow.on('data', (c: string) => d.push(c));
    slow.write(
      encode({ t: 'hello', v: PROTOCOL_VERSION, name: 'slow', invited: false, observe: false, cols: 80, rows: 24 }),
    );
    await until(() => got.some((m) => m.t === 'welcome'));
    slow.pause();
    // 60 outputs of ~30 KB each, mirrored to both guests: 1.8 MB, more than the kernel's socket buffer and the bound
    const N = 60;
    let slowest = 0;
    for (let i = 0; i < N; i++) {
      const t0 = Date.now();
      host.opts.session.pairing!.ran(`big ${i}`, 'eval', {
        kind: 'text',
        lines: Array(600).fill(`line ${i} `.padEnd(50, '.')),
      });
      slowest = Math.max(slowest, Date.now() - t0);
      // the fast guest reads each one before the next
      await until(() => fast.events.filter((e) => e.t === 'view').length === i + 1);
    }
    expect(slowest).toBeLessThan(1000);
    await repl.execute('eval 1'); // the host goes on
    await until(() => fast.events.filter((e) => e.t === 'view').length === N + 1);
    slow.resume();
    await until(() => got.some((m) => m.t === 'missed'), 20_000);
    const views = got.filter((m) => m.t === 'view').length;
    const missed = got.find((m) => m.t === 'missed') as Extract<Message, { t: 'missed' }>;
    expect(views).toBeLessThan(N);
    expect(views + missed.count).toBe(N + 1);
    expect(fast.events.some((e) => e.t === 'missed')).toBe(false);
    slow.destroy();
    fast.client.close();
  }, 60_000);

  it("a guest's Ctrl-C stops its command on the host", async () => {
    const { host } = await startHost();
    hosts.push(host);
    (host.opts.registry as unknown as { add(c: Command): void }).add({
      name: 'spin',
      summary: 'runs until stopped',
      help: 'spin',
      async run(s) {
        for (;;) await s.yieldAndCheck();
      },
    });
    const bob = await joinAs(host.path, 'bob');
    const running = bob.repl.execute('spin');
    await new Promise((r) => setTimeout(r, 300));
    bob.session.cancelled = true; // what the prompt's Ctrl-C does
    await running;
    expect(bob.text()).toBe('spin: interrupted\n');
    await bob.repl.execute('eval 2');
    expect(bob.text()).toContain('decimal: 2');
    bob.client.close();
  });

  it('share sends my last output to everyone; a guest flooding run requests gets refusals, the others go on', async () => {
    const { host, events } = await startHost();
    hosts.push(host);
    const bob = await joinAs(host.path, 'bob');
    const carol = await joinAs(host.path, 'carol');
    await carol.repl.execute('unfollow');
    await bob.repl.execute('share');
    expect(bob.text()).toBe('share: nothing to share yet: run a command first\n');
    await bob.repl.execute('eval 0x20');
    await bob.repl.execute('share');
    expect(bob.text()).toContain('shared "eval 0x20" with 2 participants');
    await until(() => carol.events.some((e) => e.t === 'view' && e.header === 'bob shares: eval 0x20'));
    expect(events.some((e) => e.t === 'view' && e.header === 'bob shares: eval 0x20')).toBe(true);

    // a raw client sends 200 run requests without waiting: one runs, the rest are refused at once
    const flood = connect(host.path);
    const got: Message[] = [];
    flood.setEncoding('utf8');
    const d = new LineDecoder(
      (m) => got.push(m),
      () => {},
    );
    flood.on('data', (c: string) => d.push(c));
    flood.write(
      encode({ t: 'hello', v: PROTOCOL_VERSION, name: 'flood', invited: false, observe: false, cols: 80, rows: 24 }),
    );
    await until(() => got.some((m) => m.t === 'welcome'));
    let burst = '';
    for (let id = 1; id <= 200; id++) burst += encode({ t: 'run', id, line: 'eval 1', name: 'eval', argv: ['1'] });
    flood.write(burst);
    await carol.repl.execute('eval 7');
    expect(carol.text()).toContain('decimal: 7');
    await until(() => got.filter((m) => m.t === 'result').length === 200);
    const refused = got.filter((m) => m.t === 'result' && m.error === 'crash-ts: one command at a time').length;
    expect(refused).toBeGreaterThan(150);
    flood.destroy();
    bob.client.close();
    carol.client.close();
  });

  it("the host's quit ends every guest with a message and removes the socket", async () => {
    const { host } = await startHost();
    const bob = await joinAs(host.path, 'bob');
    await host.stop('alice ended the shared session');
    await until(() => bob.events.some((e) => e.t === 'end'));
    expect(bob.events.find((e) => e.t === 'end')).toEqual({ t: 'end', reason: 'alice ended the shared session' });
    expect(existsSync(host.path)).toBe(false);
    await bob.repl.execute('eval 1');
    expect(bob.text()).toContain('the session has ended');
  });
});
