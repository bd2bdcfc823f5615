/** The expression parser and the address dialect without a dump: precedence, casts, dotted symbols, errors. */
import { describe, expect, it } from 'vitest';
import { evaluateAddressExpression, parseExpression, parseTypeName, ExprError } from '../../src/kernel/expr/index.js';

const fail = (m: string) => new ExprError(m);
const c = (text: string, types: string[] = [], symbols: string[] = []) =>
  parseExpression(text, {
    dialect: 'c',
    fail,
    isTypeName: (n) => types.includes(n),
    isSymbol: (n) => symbols.includes(n),
  });

describe('C expressions', () => {
  it('binds postfix tighter than unary, unary tighter than binary', () => {
    expect(c('*p->next')).toEqual({
      k: 'unary',
      op: '*',
      arg: { k: 'member', arrow: true, name: 'next', arg: { k: 'name', name: 'p' } },
    });
    expect(c('&init_task.comm[3]')).toMatchObject({
      k: 'unary',
      op: '&',
      arg: { k: 'index', arg: { k: 'member', name: 'comm' } },
    });
    expect(c('1 + 2 * 3')).toMatchObject({ k: 'binary', op: '+', right: { k: 'binary', op: '*' } });
    expect(c('a << 1 + 2')).toMatchObject({ k: 'binary', op: '<<', right: { k: 'binary', op: '+' } });
    expect(c('*comm@3')).toMatchObject({ k: 'binary', op: '@', left: { k: 'unary', op: '*' } });
  });
  it('tells a cast from a parenthesised expression by what names a type', () => {
    expect(c('(struct task_struct *)0xffff8e71824c3000')).toMatchObject({
      k: 'cast',
      type: { base: 'struct task_struct', pointers: 1, arrays: [] },
      arg: { k: 'num', value: 0xffff8e71824c3000n },
    });
    // a pointer to an array: the parenthesized star applies after the dimensions
    expect(c('*(char (*)[16])&x')).toMatchObject({
      k: 'unary',
      op: '*',
      arg: { k: 'cast', type: { base: 'char', pointers: 0, arrays: [16], outerPointers: 1 } },
    });
    expect(c('(unsigned long *(*)[2][3])p')).toMatchObject({
      k: 'cast',
      type: { base: 'unsigned long', pointers: 1, arrays: [2, 3], outerPointers: 1 },
    });
    expect(c('(pid_t)-1', ['pid_t'])).toMatchObject({
      k: 'cast',
      type: { base: 'pid_t' },
      arg: { k: 'unary', op: '-' },
    });
    expect(c('(jiffies)')).toEqual({ k: 'name', name: 'jiffies' });
    expect(c('(unsigned long)x')).toMatchObject({ k: 'cast', type: { base: 'unsigned long', pointers: 0 } });
    expect(c('sizeof(struct page)')).toMatchObject({ k: 'sizeof', type: { base: 'struct page' } });
    expect(c('sizeof x')).toMatchObject({ k: 'sizeof', arg: { k: 'name', name: 'x' } });
    expect(parseTypeName('const struct cred *', { dialect: 'c', fail })).toEqual({
      base: 'struct cred',
      pointers: 1,
      arrays: [],
    });
  });
  it('reads C numbers: hex, octal, decimal with suffixes, character constants, history', () => {
    expect(c('0x1f')).toMatchObject({ value: 31n });
    expect(c('017')).toMatchObject({ value: 15n });
    expect(c('10UL')).toMatchObject({ value: 10n, unsigned: true, long: true });
    expect(c("'A'")).toMatchObject({ value: 65n });
    expect(c("'\\n'")).toMatchObject({ value: 10n });
    expect(c('$$2')).toEqual({ k: 'history', back: true, index: 2 });
  });
  it('keeps a dotted kernel symbol whole, else reads member access', () => {
    expect(c('sysrq_handle_crash.cold', [], ['sysrq_handle_crash.cold'])).toEqual({
      k: 'name',
      name: 'sysrq_handle_crash.cold',
    });
    expect(c('init_task.tasks.next')).toMatchObject({ k: 'member', name: 'next', arg: { k: 'member', name: 'tasks' } });
  });
  it('says what is wrong in one line', () => {
    expect(() => c('1 +')).toThrow(/ends too early/);
    expect(() => c('(1')).toThrow(/missing \)/);
    expect(() => c('1 2')).toThrow(/unexpected 2/);
    expect(() => c('09')).toThrow(/Invalid number/);
    expect(() => c('p->')).toThrow(/member name must follow/);
  });
});

describe('the address dialect without a dump', () => {
  const a = (t: string) => evaluateAddressExpression(undefined, t, fail);
  it('reads numbers as crash does, wraps at 64 bits', () => {
    expect(a('1f00 + 16')).toBe(0x1f10n);
    expect(a('dead')).toBe(0xdeadn);
    expect(a('4k * 2')).toBe(8192n);
    expect(a('0 - 1')).toBe((1n << 64n) - 1n);
    expect(a('(1 << 63) >> 63')).toBe(1n);
  });
  it('has no ?:, comma or @ (crash uses : for CPUs)', () => {
    expect(() => a('1 ? 2 : 3')).toThrow(/cannot read the expression/);
    expect(() => a('x@3')).toThrow();
  });
});
