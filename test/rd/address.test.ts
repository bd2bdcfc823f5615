/** Address syntax without a dump: numbers, operators, parentheses, errors. */
import { describe, expect, it } from 'vitest';
import { AddressError, evaluateAddress, parseAddress, parseCount } from '../../src/kernel/address.js';
import { joinParenthesized } from '../../commands/rd.js';

describe('parseAddress', () => {
  it('a bare number is hexadecimal, as crash reads addresses', () => {
    expect(parseAddress(undefined, '1000')).toBe(0x1000n);
    expect(parseAddress(undefined, '0x1000')).toBe(0x1000n);
    expect(parseAddress(undefined, 'ffffffff81000000')).toBe(0xffffffff81000000n);
    expect(parseAddress(undefined, 'dead')).toBe(0xdeadn);
  });
  it('expressions: plain digits decimal, 0x and hex letters hexadecimal, C precedence, wrapping', () => {
    expect(parseAddress(undefined, '(0x10 + 16)')).toBe(0x20n);
    expect(evaluateAddress(undefined, '0x1000 + 2 * 8')).toBe(0x1010n);
    expect(evaluateAddress(undefined, '(1 << 12) | 0xff')).toBe(0x10ffn);
    expect(evaluateAddress(undefined, '0 - 1')).toBe((1n << 64n) - 1n);
    expect(evaluateAddress(undefined, '1f + 1')).toBe(0x20n);
  });
  it('one-line errors', () => {
    expect(() => parseAddress(undefined, 'linux_banner')).toThrow(AddressError);
    expect(() => evaluateAddress(undefined, '(1 + 2')).toThrow(/missing \)/);
    expect(() => evaluateAddress(undefined, '1 / 0')).toThrow(/division by zero/);
    expect(() => evaluateAddress(undefined, '')).toThrow(/no address/);
    expect(() => parseAddress(undefined, '12zz')).toThrow(AddressError);
  });
  it('counts: decimal unless 0x or hex letters', () => {
    expect(parseCount('16')).toBe(16n);
    expect(parseCount('0x10')).toBe(16n);
    expect(parseCount('1f')).toBe(31n);
    expect(() => parseCount('x')).toThrow(AddressError);
  });
  it('rejoins a parenthesized expression the line parser split', () => {
    expect(joinParenthesized(['(init_task', '+', '8)', '4'])).toEqual(['(init_task + 8)', '4']);
    expect(joinParenthesized(['linux_banner', '8'])).toEqual(['linux_banner', '8']);
  });
});
