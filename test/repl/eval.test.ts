import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import evalCommand, { evalLines, evaluate } from '../../commands/eval.js';
import { renderText } from '../../src/render/text.js';
import { Session } from '../../src/session.js';
import { corpusDir } from '../helpers/corpus.js';

const refDir = join(corpusDir, 'reference', 'crash-9');
const run = async (line: string) => {
  const raw = line.split(' ');
  return renderText(await evalCommand.run(new Session(), { flags: {}, positional: raw, raw }));
};

describe('eval arithmetic', () => {
  it('follows C precedence on 64-bit unsigned values', () => {
    expect(evaluate('0x10 + 10')).toBe(26n);
    expect(evaluate('1 + 2 * 3')).toBe(7n);
    expect(evaluate('(1 + 2) * 3')).toBe(9n);
    expect(evaluate('1 << 4 | 1')).toBe(17n);
    expect(evaluate('0xff & ~0xf ^ 1')).toBe(0xf1n);
    expect(evaluate('-1')).toBe(0xffffffffffffffffn);
    expect(evaluate('0 - 1 + 2')).toBe(1n);
    expect(evaluate('ffffffff81000000 + 0x1000')).toBe(0xffffffff81001000n);
    expect(evaluate('4g / 4k')).toBe(1048576n);
    expect(evaluate('17 % 5')).toBe(2n);
    expect(evaluate('1 << 64')).toBe(0n);
  });
  it('reports bad input in one line', () => {
    expect(() => evaluate('1 / 0')).toThrow('division by zero');
    expect(() => evaluate('(1 + 2')).toThrow('missing )');
    expect(() => evaluate('1 +')).toThrow(/ends too early/);
    expect(() => evaluate('zz')).toThrow('not a number: zz');
    expect(() => evaluate('1 ? 2')).toThrow(/cannot read the expression/);
    expect(() => evaluate('')).toThrow(/no expression/);
  });
  it('shows the signed value of a negative result and the set bits with -b', () => {
    expect(evalLines(0xffffffffffffffffn)[1]).toBe('    decimal: 18446744073709551615  (-1)');
    expect(evalLines(0x8000000000000001n, true)[4]).toBe('   bits set: 63 0');
  });
});

describe.skipIf(!existsSync(refDir))('eval layout against crash 9 reference output', () => {
  // crash's file names are the command with spaces as '_'
  for (const expr of ['0x10 + 10', '1024 * 1024']) {
    it(`eval ${expr} is byte-equal`, async () => {
      const ref = readFileSync(join(refDir, `eval_${expr.replace(/ /g, '_')}.out`), 'utf8');
      expect(await run(expr)).toBe(ref);
    });
  }
  it('eval (1 << 32) - 1: crash drops the "- 1" (it evaluates only the parenthesised part); we compute it', async () => {
    const ref = readFileSync(join(refDir, 'eval_(1_<<_32)_-_1.out'), 'utf8');
    expect(ref.split('\n')[0]).toBe('hexadecimal: 100000000  (4GB)');
    expect(await run('(1 << 32)')).toBe(ref);
    expect((await run('(1 << 32) - 1')).split('\n')[0]).toBe('hexadecimal: ffffffff  ');
  });
});
