/** Line mode end to end: bin/crash-ts as a child process, commands on stdin, plain text out. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { corpusDir } from '../helpers/corpus.js';
import { bin, ensureBuilt, runCrash, scratch } from './helpers.js';

const refDir = join(corpusDir, 'reference', 'crash-9');
const ref = (name: string) => readFileSync(join(refDir, name), 'utf8');
const haveRef = existsSync(refDir);

beforeAll(() => ensureBuilt(), 300_000);

describe('line mode (no dump)', () => {
  it('runs help, eval, set, alias and stops at q with status 0, no prompt and no ANSI', () => {
    const r = runCrash(['--no-dump', '-s'], 'help\neval 0x10 + 10\nset radix 16\nalias\nq\neval 1\n');
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).not.toMatch(/\x1b|crash> /);
    const out = r.stdout;
    expect(out).toMatch(/^\nalias {10}/); // help list: a blank line, then 15-wide columns
    expect(out).toContain('For help on any command above, enter "help <command>".');
    expect(out).toContain('hexadecimal: 1a  \n    decimal: 26  \n      octal: 32\n');
    expect(out).toContain('output radix: 16 (hex)\n');
    expect(out).toContain('ORIGIN   ALIAS    COMMAND\nbuiltin  man      help \n');
    expect(out.match(/hexadecimal/g)).toHaveLength(1); // nothing after q ran
  });

  it.skipIf(!haveRef)('prints eval, set radix and the alias header byte-equal to crash 9', () => {
    const r = runCrash(['--no-dump', '-s'], 'eval 0x10 + 10\neval 1024 * 1024\nset radix 16\n');
    expect(r.stdout).toBe(ref('eval_0x10_+_10.out') + ref('eval_1024_*_1024.out') + ref('set_radix_16.out'));
    const a = runCrash(['--no-dump', '-s'], 'alias\n');
    const refLines = ref('alias.out').split('\n');
    expect(a.stdout.split('\n').slice(0, 4)).toEqual(refLines.slice(0, 4));
  });

  it('ends with status 0 at the end of input, and prints the same bytes every time', () => {
    const input = 'help\neval (1 << 32) - 1\nset -v\nalias\nhelp eval\n';
    const a = runCrash(['--no-dump', '-s'], input);
    const b = runCrash(['--no-dump', '-s'], input);
    expect(a.status).toBe(0);
    expect(a.stdout.length).toBeGreaterThan(500);
    expect(b.stdout).toBe(a.stdout);
  });

  it('names an unknown command in one line with a suggestion, and goes on', () => {
    const r = runCrash(['--no-dump', '-s'], 'evl 1\neval 2\n');
    const lines = r.stdout.split('\n');
    // the nearest command first; others as near may follow as commands are added (dev, vm)
    expect(lines[0]).toMatch(
      /^crash-ts: evl: no such command; did you mean "eval"( or "[a-z]+")*\? \("help" lists them\)$/,
    );
    expect(lines[1]).toBe('hexadecimal: 2  ');
  });

  it('prints command errors as "<cmd>: <message>" and goes on', () => {
    const r = runCrash(['--no-dump', '-s'], 'eval 1 / 0\nset radix 8\nset bogus 1\neval 3\n');
    expect(r.stdout.split('\n').slice(0, 3)).toEqual([
      'eval: division by zero',
      'set: radix: use 10 or 16, not "8"',
      'set: unknown setting "bogus" (radix, scroll, output, zero_excluded, explain, or a PID or task address)',
    ]);
    expect(r.stdout).toContain('hexadecimal: 3  ');
  });

  it('pipes through the shell, redirects to files, runs !commands', () => {
    const dirs = scratch();
    const r = runCrash(
      ['--no-dump', '-s'],
      'help eval | grep -c eval\neval 5 > out.txt\neval 6 >> out.txt\n!echo shell says hi\nalias | tail -1\n',
      dirs,
    );
    const lines = r.stdout.split('\n');
    expect(Number(lines[0])).toBeGreaterThan(3);
    expect(lines[1]).toBe('shell says hi');
    expect(lines[2]).toBe('builtin  last     ps -l ');
    const file = readFileSync(join(dirs.cwd, 'out.txt'), 'utf8');
    expect(file).toMatch(/^hexadecimal: 5 {2}\n[\s\S]*hexadecimal: 6 {2}\n/);
    expect(r.stdout).not.toContain('hexadecimal: 5');
  });

  it('survives a reader that stops early, inside (help | head -1) and outside (crash-ts | head -1)', () => {
    const many = 'help\n'.repeat(3000);
    const inner = runCrash(['--no-dump', '-s'], 'help | head -1\n'.repeat(30) + 'eval 7\n');
    expect(inner.status).toBe(0);
    expect(inner.stdout).toContain('hexadecimal: 7');
    const outer = spawnSync(
      'bash',
      ['-c', `set -o pipefail; "${process.execPath}" "${bin}" --no-dump -s | head -1; echo "status=\${PIPESTATUS[0]}"`],
      {
        input: many,
        encoding: 'utf8',
        env: { ...process.env, HOME: scratch().home },
      },
    );
    expect(outer.stdout).toBe('\nstatus=0\n');
    expect(outer.stderr).toBe('');
  });

  it('reads ~/.crashrc then ./.crashrc then -i FILE, and user aliases work', () => {
    const dirs = scratch();
    writeFileSync(join(dirs.home, '.crashrc'), 'alias k1 "eval 1k"\n');
    writeFileSync(join(dirs.cwd, '.crashrc'), 'set radix 16\n');
    writeFileSync(join(dirs.cwd, 'cmds'), '# a comment\nk1\n');
    const r = runCrash(['--no-dump', '-s', '-i', 'cmds'], 'alias k2 eval 2k\nk2\nalias\n', dirs);
    const out = r.stdout;
    expect(out.indexOf('output radix: 16')).toBeLessThan(out.indexOf('hexadecimal: 400  (1KB)'));
    expect(out).toContain('hexadecimal: 800  (2KB)');
    expect(out).toContain('resource k1       eval 1k \n');
    expect(out).toContain('runtime  k2       eval 2k \n');
  });

  it('--json prints one JSON document per command', () => {
    const r = runCrash(['--no-dump', '-s', '--json'], 'eval 0x10 + 10\n');
    expect(JSON.parse(r.stdout)).toEqual({ value: '0x1a', hex: '0x1a', decimal: '26' });
  });

  it('loads plug-ins from ~/.crash-ts/commands and with extend; a dump command without a dump says so', () => {
    const dirs = scratch();
    mkdirSync(join(dirs.home, '.crash-ts', 'commands'), { recursive: true });
    writeFileSync(
      join(dirs.home, '.crash-ts', 'commands', 'hello.js'),
      `export default { name: 'hello', summary: 'say hello', help: 'hello [NAME]', options: { l: 'loud' },
         run(s, a) { const w = 'hello ' + (a.positional[0] ?? 'world'); return { kind: 'text', lines: [a.flags.l ? w.toUpperCase() : w] }; } };\n`,
    );
    writeFileSync(
      join(dirs.cwd, 'more.js'),
      `export default [{ name: 'boom', summary: 'fails', help: '', run() { throw new Error('something broke\\nsecond line'); } },
         { name: 'needy', summary: 'needs a dump', help: '', needsDump: true, run() { return { kind: 'text', lines: ['no'] }; } }];\n`,
    );
    const r = runCrash(
      ['--no-dump', '-s'],
      'hello -l you\nboom\nextend more.js\nboom\nneedy\nhelp hello\nhello -z\n',
      dirs,
    );
    const lines = r.stdout.split('\n');
    expect(lines[1]).toMatch(/^crash-ts: boom: no such command/);
    lines.splice(1, 1);
    expect(lines).toEqual([
      'HELLO YOU',
      'more.js: boom, needy',
      'boom: something broke',
      'needy: no dump is open (start crash-ts with a VMLINUX and a VMCORE)',
      'hello [NAME]',
      'hello: invalid option: -z',
      '',
    ]);
  });
});

describe('command line', () => {
  it('--help and --version', () => {
    const h = runCrash(['--help'], '');
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/^usage: crash-ts \[-s\] \[-i FILE\] \[--json\]/);
    const v = runCrash(['--version'], '');
    expect(v.stdout).toMatch(/^crash-ts \d+\.\d+\.\d+\n$/);
  });
  it('files that are not a vmlinux/vmcore pair: one line on stderr, status 1', () => {
    const dirs = scratch();
    writeFileSync(join(dirs.cwd, 'notes.txt'), 'hello\n');
    const r = runCrash(['notes.txt', 'missing'], '', dirs);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(
      'crash-ts: notes.txt: not a vmlinux or a vmcore (neither an ELF file, a kdump file nor gzip)\n',
    );
    const u = runCrash(['-x'], '');
    expect(u.status).toBe(1);
    expect(u.stderr).toBe('crash-ts: unknown option -x (see crash-ts --help)\n');
  });
});
