import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/repl/options.js';
import { CommandError } from '../../src/command.js';

const rdOptions = {
  '8': '8-bit',
  '16': '16-bit',
  '32': '32-bit',
  '64': '64-bit',
  s: 'symbols',
  S: 'symbols+slab',
  o: '=offset',
  x: 'no ascii',
  l: 'l',
  t: 't',
};

describe('parseArgs', () => {
  it('reads single, combined and repeated flags', () => {
    expect(parseArgs(['-s', 'ffff'], rdOptions)).toEqual({
      flags: { s: true },
      positional: ['ffff'],
      raw: ['-s', 'ffff'],
    });
    expect(parseArgs(['-lt'], rdOptions).flags).toEqual({ l: true, t: true });
    expect(parseArgs(['-SS'], rdOptions).flags).toEqual({ S: 2 });
    expect(parseArgs(['-S', '-S', '-S'], rdOptions).flags).toEqual({ S: 3 });
  });
  it('reads digit-named options as a whole word', () => {
    expect(parseArgs(['-64', 'addr'], rdOptions)).toMatchObject({ flags: { '64': true }, positional: ['addr'] });
    expect(parseArgs(['-8'], rdOptions).flags).toEqual({ '8': true });
  });
  it('takes option values from the next word or the same word', () => {
    expect(parseArgs(['-o', '0x10', 'a'], rdOptions)).toMatchObject({ flags: { o: '0x10' }, positional: ['a'] });
    expect(parseArgs(['-o16'], rdOptions).flags).toEqual({ o: '16' });
    expect(parseArgs(['-xo', '8'], rdOptions).flags).toEqual({ x: true, o: '8' });
    expect(() => parseArgs(['-o'], rdOptions)).toThrow(/needs a value/);
  });
  it('keeps negative numbers positional and stops at --', () => {
    expect(parseArgs(['-1', '-0x10'], rdOptions).positional).toEqual(['-1', '-0x10']);
    expect(parseArgs(['-s', '--', '-x', 'y'], rdOptions)).toMatchObject({
      flags: { s: true },
      positional: ['-x', 'y'],
    });
  });
  it('rejects an unknown letter with a one-line CommandError', () => {
    expect(() => parseArgs(['-q'], rdOptions)).toThrow(CommandError);
    expect(() => parseArgs(['-q'], rdOptions)).toThrow('invalid option: -q');
  });
  it('long options', () => {
    expect(parseArgs(['--json'], { json: 'as json' }).flags).toEqual({ json: true });
    expect(parseArgs(['--cpu=3'], { cpu: '=n' }).flags).toEqual({ cpu: '3' });
  });
  it('a command without declared options gets every word positional', () => {
    expect(parseArgs(['-1', '+', '2'], undefined)).toEqual({
      flags: {},
      positional: ['-1', '+', '2'],
      raw: ['-1', '+', '2'],
    });
  });
});
