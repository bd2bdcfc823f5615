import { describe, expect, it } from 'vitest';
import { expandAliases, parseLine, ParseError, splitWords } from '../../src/repl/parse.js';

const aliases: Record<string, string> = {
  kt: 'ps -k',
  sl: 'log | tail -2',
  loop: 'loop2',
  loop2: 'loop',
  dmesg: 'log',
};
const resolve = (n: string) => aliases[n];

describe('splitWords', () => {
  it('splits on blanks and honours quotes and backslashes', () => {
    expect(splitWords(`rd -8  ffff "a b" 'c | d' e\\ f`)).toEqual(['rd', '-8', 'ffff', 'a b', "'c | d'", 'e f']);
    // a wholly single-quoted word keeps its quotes (crash's 'regex' arguments); a partly quoted one does not
    expect(splitWords(`ps 'sh.*' x'y z'`)).toEqual(['ps', "'sh.*'", 'xy z']);
    expect(splitWords(`say "x\\"y"`)).toEqual(['say', 'x"y']);
    expect(splitWords(`a "" b`)).toEqual(['a', '', 'b']);
  });
  it('stops at a # that starts a word', () => {
    expect(splitWords('bt -a # all cpus')).toEqual(['bt', '-a']);
    expect(splitWords('p a#b')).toEqual(['p', 'a#b']);
  });
  it('rejects an unbalanced quote', () => {
    expect(() => splitWords('echo "abc')).toThrow(ParseError);
  });
});

describe('parseLine', () => {
  it('empty lines and comments do nothing', () => {
    expect(parseLine('')).toEqual({ kind: 'empty' });
    expect(parseLine('   # just a note')).toEqual({ kind: 'empty' });
  });
  it('a plain command goes to the display', () => {
    expect(parseLine('  ps -k  1 ')).toEqual({
      kind: 'command',
      name: 'ps',
      argv: ['-k', '1'],
      sink: { kind: 'display' },
      text: 'ps -k  1',
    });
  });
  it('| hands the rest of the line to the shell, raw', () => {
    const p = parseLine(`log | grep -i "oops|panic" | head -3`);
    expect(p).toMatchObject({
      kind: 'command',
      name: 'log',
      argv: [],
      sink: { kind: 'pipe', command: `grep -i "oops|panic" | head -3` },
    });
  });
  it('> and >> write to a file', () => {
    expect(parseLine('sys > /tmp/out.txt')).toMatchObject({
      name: 'sys',
      sink: { kind: 'file', path: '/tmp/out.txt', append: false },
    });
    expect(parseLine('sys >> "my file"')).toMatchObject({
      name: 'sys',
      sink: { kind: 'file', path: 'my file', append: true },
    });
    expect(() => parseLine('sys >')).toThrow(/missing file/);
    expect(() => parseLine('| grep x')).toThrow(/missing command/);
  });
  it('| and > inside quotes or parentheses are not special', () => {
    expect(parseLine(`eval ((1 << 4) | (2 >> 1))`)).toMatchObject({
      argv: ['((1', '<<', '4)', '|', '(2', '>>', '1))'],
      sink: { kind: 'display' },
    });
    expect(parseLine(`eval (1 << 4) | cat`)).toMatchObject({
      argv: ['(1', '<<', '4)'],
      sink: { kind: 'pipe', command: 'cat' },
    });
    expect(parseLine(`alias sl "log | tail"`)).toMatchObject({ argv: ['sl', 'log | tail'], sink: { kind: 'display' } });
  });
  it('a comment after the command is dropped', () => {
    expect(parseLine('bt -a # every cpu')).toMatchObject({ name: 'bt', argv: ['-a'], sink: { kind: 'display' } });
  });
  it('! runs a shell command', () => {
    expect(parseLine('!ls -l | wc -l')).toEqual({ kind: 'shell', command: 'ls -l | wc -l' });
  });
  it('expands aliases in the first word only, keeping the rest', () => {
    expect(parseLine('kt 1 2', resolve)).toMatchObject({ name: 'ps', argv: ['-k', '1', '2'] });
    expect(parseLine('ps kt', resolve)).toMatchObject({ name: 'ps', argv: ['kt'] });
    expect(parseLine('dmesg | head', resolve)).toMatchObject({ name: 'log', sink: { kind: 'pipe', command: 'head' } });
  });
  it('an alias can carry a pipeline', () => {
    expect(parseLine('sl', resolve)).toMatchObject({ name: 'log', sink: { kind: 'pipe', command: 'tail -2' } });
  });
  it('alias cycles stop', () => {
    expect(expandAliases('loop x', resolve)).toBe('loop x');
  });
});
