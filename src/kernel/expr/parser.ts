/**
 * C expressions → a small syntax tree, with C's precedence: postfix `.` `->` `[]`; unary `- + ~ ! * &`,
 * casts `(type)` (also to a pointer to an array, `(char (*)[8])`), `sizeof`; then * / %, + -, gdb's `@`, << >>, < > <= >=, == !=, &, ^, |, &&, ||, ?:.
 * Nothing here knows the kernel: names stay names, type names stay text until evaluation.
 */
import { tokenize, type LexOptions, type Token } from './lexer.js';

/** A type as written in a cast or sizeof: `struct task_struct *`, `unsigned long`, `pid_t`, `char [16]`. */
export interface TypeSpec {
  /** the base type as written, e.g. 'struct task_struct', 'unsigned long', 'pid_t' */
  base: string;
  /** number of `*` */
  pointers: number;
  /** array dimensions after the pointers, outermost first */
  arrays: number[];
  /** `*` in an abstract declarator's parentheses: `char (*)[8]` is a pointer to the array type (default 0) */
  outerPointers?: number;
}

export type Expr =
  | { k: 'num'; value: bigint; unsigned: boolean; long: boolean }
  | { k: 'name'; name: string }
  | { k: 'history'; back: boolean; index: number | undefined }
  | { k: 'unary'; op: string; arg: Expr }
  | { k: 'binary'; op: string; left: Expr; right: Expr }
  | { k: 'cond'; test: Expr; then: Expr; else: Expr }
  | { k: 'member'; arg: Expr; name: string; arrow: boolean }
  | { k: 'index'; arg: Expr; index: Expr }
  | { k: 'cast'; type: TypeSpec; arg: Expr }
  | { k: 'sizeof'; type?: TypeSpec; arg?: Expr };

export interface ParseOptions extends LexOptions {
  /** true when a bare name is a type (a typedef such as pid_t or u64) rather than a variable */
  isTypeName?(name: string): boolean;
}

const BASE_WORDS = new Set([
  'unsigned',
  'signed',
  'int',
  'long',
  'short',
  'char',
  'void',
  '_Bool',
  'bool',
  'float',
  'double',
  '__int128',
]);
const QUALIFIERS = new Set(['const', 'volatile']);

const BINARY: string[][] = [
  ['||'],
  ['&&'],
  ['|'],
  ['^'],
  ['&'],
  ['==', '!='],
  ['<', '>', '<=', '>='],
  ['<<', '>>'],
  ['@'], // gdb's artificial array: *ptr@3
  ['+', '-'],
  ['*', '/', '%'],
];

/** Parse a whole expression; throws o.fail(...) with a one-line message. */
export function parseExpression(text: string, o: ParseOptions): Expr {
  const tokens = tokenize(text, o);
  if (tokens.length === 0) throw o.fail('no expression given');
  const p = new Parser(tokens, text, o);
  const e = p.conditional();
  if (p.i < tokens.length) throw o.fail(`unexpected ${show(tokens[p.i]!)} in "${text.trim()}"`);
  return e;
}

/** Parse a type name alone ('struct task_struct *', 'unsigned long'); undefined if it is not one. */
export function parseTypeName(text: string, o: ParseOptions): TypeSpec | undefined {
  const tokens = tokenize(text, o);
  const p = new Parser(tokens, text, o);
  if (!p.startsType()) return undefined;
  const t = p.typeSpec();
  return p.i === tokens.length ? t : undefined;
}

function show(t: Token): string {
  switch (t.kind) {
    case 'op':
      return t.op;
    case 'name':
      return t.name;
    case 'num':
      return t.text;
    default:
      return '$';
  }
}

class Parser {
  i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly text: string,
    private readonly o: ParseOptions,
  ) {}

  private peek(n = 0): Token | undefined {
    return this.tokens[this.i + n];
  }
  private isOp(op: string, n = 0): boolean {
    const t = this.peek(n);
    return !!t && t.kind === 'op' && t.op === op;
  }
  private expect(op: string): void {
    if (!this.isOp(op)) {
      const t = this.peek();
      throw this.o.fail(
        t ? `expected ${op} before ${show(t)} in "${this.text.trim()}"` : `missing ${op} in "${this.text.trim()}"`,
      );
    }
    this.i++;
  }

  conditional(): Expr {
    const test = this.binary(0);
    if (!this.isOp('?')) return test;
    this.i++;
    const then = this.conditional();
    this.expect(':');
    return { k: 'cond', test, then, else: this.conditional() };
  }

  private binary(level: number): Expr {
    if (level === BINARY.length) return this.unary();
    let left = this.binary(level + 1);
    for (;;) {
      const t = this.peek();
      if (!t || t.kind !== 'op' || !BINARY[level]!.includes(t.op)) return left;
      this.i++;
      left = { k: 'binary', op: t.op, left, right: this.binary(level + 1) };
    }
  }

  /** Does a type name start here (after a '(' or sizeof's '(')? */
  startsType(n = 0): boolean {
    const t = this.peek(n);
    if (!t || t.kind !== 'name') return false;
    if (t.name === 'struct' || t.name === 'union' || t.name === 'enum') return true;
    if (BASE_WORDS.has(t.name) || QUALIFIERS.has(t.name)) return true;
    return !!this.o.isTypeName?.(t.name);
  }

  typeSpec(): TypeSpec {
    const words: string[] = [];
    for (;;) {
      const t = this.peek();
      if (!t || t.kind !== 'name') break;
      if (QUALIFIERS.has(t.name)) {
        this.i++;
        continue; // qualifiers change nothing we read
      }
      if (t.name === 'struct' || t.name === 'union' || t.name === 'enum') {
        const tag = this.peek(1);
        if (!tag || tag.kind !== 'name') throw this.o.fail(`${t.name} needs a name`);
        words.push(t.name, tag.name);
        this.i += 2;
        break;
      }
      if (BASE_WORDS.has(t.name)) {
        words.push(t.name);
        this.i++;
        continue;
      }
      if (words.length === 0) {
        words.push(t.name); // a typedef name
        this.i++;
      }
      break;
    }
    if (words.length === 0) throw this.o.fail(`a type name was expected in "${this.text.trim()}"`);
    let pointers = 0;
    for (;;) {
      if (this.isOp('*')) {
        pointers++;
        this.i++;
      } else if (this.peek()?.kind === 'name' && QUALIFIERS.has((this.peek() as { name: string }).name)) this.i++;
      else break;
    }
    // `char (*)[8]`: the parenthesized stars point at the array type that the dimensions after them make
    let outerPointers = 0;
    if (this.isOp('(') && this.isOp('*', 1)) {
      this.i++;
      while (this.isOp('*')) {
        outerPointers++;
        this.i++;
      }
      this.expect(')');
    }
    const arrays: number[] = [];
    while (this.isOp('[')) {
      this.i++;
      const n = this.peek();
      if (!n || n.kind !== 'num') throw this.o.fail('an array size must be a number');
      this.i++;
      this.expect(']');
      arrays.push(Number(n.value));
    }
    return outerPointers
      ? { base: words.join(' '), pointers, arrays, outerPointers }
      : { base: words.join(' '), pointers, arrays };
  }

  private unary(): Expr {
    const t = this.peek();
    if (!t) throw this.o.fail(`the expression "${this.text.trim()}" ends too early`);
    if (t.kind === 'op' && ['-', '+', '~', '!', '*', '&'].includes(t.op)) {
      this.i++;
      return { k: 'unary', op: t.op, arg: this.unary() };
    }
    if (t.kind === 'name' && t.name === 'sizeof') {
      this.i++;
      if (this.isOp('(') && this.startsType(1)) {
        this.i++;
        const type = this.typeSpec();
        this.expect(')');
        return { k: 'sizeof', type };
      }
      return { k: 'sizeof', arg: this.unary() };
    }
    if (t.kind === 'op' && t.op === '(' && this.startsType(1)) {
      this.i++;
      const type = this.typeSpec();
      this.expect(')');
      return { k: 'cast', type, arg: this.unary() };
    }
    return this.postfix(this.primary());
  }

  private primary(): Expr {
    const t = this.peek();
    if (!t) throw this.o.fail(`the expression "${this.text.trim()}" ends too early`);
    this.i++;
    switch (t.kind) {
      case 'num':
        return { k: 'num', value: t.value, unsigned: t.unsigned, long: t.long };
      case 'name':
        return { k: 'name', name: t.name };
      case 'history':
        return { k: 'history', back: t.back, index: t.index };
      case 'op':
        if (t.op === '(') {
          const e = this.conditional();
          this.expect(')');
          return e;
        }
    }
    throw this.o.fail(`unexpected ${show(t)} in "${this.text.trim()}"`);
  }

  private postfix(e: Expr): Expr {
    for (;;) {
      if (this.isOp('.') || this.isOp('->')) {
        const arrow = this.isOp('->');
        this.i++;
        const n = this.peek();
        if (!n || n.kind !== 'name') throw this.o.fail(`a member name must follow ${arrow ? '->' : '.'}`);
        this.i++;
        e = { k: 'member', arg: e, name: n.name, arrow };
      } else if (this.isOp('[')) {
        this.i++;
        const index = this.conditional();
        this.expect(']');
        e = { k: 'index', arg: e, index };
      } else return e;
    }
  }
}
