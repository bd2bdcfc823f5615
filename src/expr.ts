/**
 * Integer expressions as crash reads them in `eval` and in address arguments: + - * / % << >> & | ^ ~
 * and parentheses with C precedence, unsigned 64-bit and wrapping like the machine.
 *
 * Numbers: 0x.. is hexadecimal; plain digits are decimal (with an optional k/m/g/t size suffix);
 * a digit-led word with hex letters (1f00) is hexadecimal. Any other word (a symbol name, or a
 * hex word like `dead`) goes to the caller's `word` resolver.
 */

export const MASK64 = (1n << 64n) - 1n;

export interface ExprOptions {
  /** the value of a word that is not a number (a symbol; `dead` as hex when no symbol has that name) */
  word(name: string): bigint;
  /** builds the error to throw (each caller has its own one-line error class) */
  fail(message: string): Error;
}

type Token = { kind: 'num'; value: bigint } | { kind: 'word'; name: string } | { kind: 'op'; op: string };

const TOKEN = /\s*(?:(0x[0-9a-f]+)\b|([0-9][0-9a-z]*)|([A-Za-z_.$][A-Za-z0-9_.$]*)|(<<|>>|[-+*/%&|^~()]))/iy;
const UNITS: Record<string, bigint> = { k: 1n << 10n, m: 1n << 20n, g: 1n << 30n, t: 1n << 40n };

function tokenize(expr: string, o: ExprOptions): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  while (pos < expr.length) {
    if (/^\s*$/.test(expr.slice(pos))) break;
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(expr);
    if (!m) throw o.fail(`cannot read the expression at "${expr.slice(pos).trim()}"`);
    pos = TOKEN.lastIndex;
    if (m[1]) tokens.push({ kind: 'num', value: BigInt(m[1]) });
    else if (m[2]) tokens.push({ kind: 'num', value: digitWord(m[2], o) });
    else if (m[3]) tokens.push({ kind: 'word', name: m[3] });
    else tokens.push({ kind: 'op', op: m[4]! });
  }
  return tokens;
}

function digitWord(word: string, o: ExprOptions): bigint {
  const w = word.toLowerCase();
  if (/^[0-9]+$/.test(w)) return BigInt(w);
  const unit = /^([0-9]+)([kmgt])$/.exec(w);
  if (unit) return BigInt(unit[1]!) * UNITS[unit[2]!]!;
  if (/^[0-9a-f]+$/.test(w)) return BigInt('0x' + w);
  throw o.fail(`not a number: ${word}`);
}

// binary operators, loosest first (C precedence)
const LEVELS: string[][] = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

function apply(op: string, a: bigint, b: bigint, o: ExprOptions): bigint {
  switch (op) {
    case '|':
      return a | b;
    case '^':
      return a ^ b;
    case '&':
      return a & b;
    case '<<':
      return b >= 64n ? 0n : (a << b) & MASK64;
    case '>>':
      return b >= 64n ? 0n : a >> b;
    case '+':
      return (a + b) & MASK64;
    case '-':
      return (a - b) & MASK64;
    case '*':
      return (a * b) & MASK64;
    case '/':
    case '%':
      if (b === 0n) throw o.fail('division by zero');
      return op === '/' ? a / b : a % b;
  }
  throw o.fail(`unknown operator ${op}`);
}

/** Evaluate an expression; throws o.fail(...) with a one-line message. */
export function evaluateExpression(expr: string, o: ExprOptions): bigint {
  const tokens = tokenize(expr, o);
  if (tokens.length === 0) throw o.fail('no expression given');
  let i = 0;
  const peekOp = (): string | undefined => {
    const t = tokens[i];
    return t && t.kind === 'op' ? t.op : undefined;
  };
  const unary = (): bigint => {
    const t = tokens[i++];
    if (!t) throw o.fail(`the expression "${expr}" ends too early`);
    if (t.kind === 'num') return t.value;
    if (t.kind === 'word') return o.word(t.name);
    if (t.op === '(') {
      const v = binary(0);
      if (peekOp() !== ')') throw o.fail(`missing ) in "${expr}"`);
      i++;
      return v;
    }
    if (t.op === '-') return -unary() & MASK64;
    if (t.op === '+') return unary();
    if (t.op === '~') return ~unary() & MASK64;
    throw o.fail(`unexpected ${t.op} in "${expr}"`);
  };
  const binary = (level: number): bigint => {
    if (level === LEVELS.length) return unary();
    let v = binary(level + 1);
    for (let op = peekOp(); op && LEVELS[level]!.includes(op); op = peekOp()) {
      i++;
      v = apply(op, v, binary(level + 1), o);
    }
    return v;
  };
  const v = binary(0);
  if (i < tokens.length) {
    const t = tokens[i]!;
    const what = t.kind === 'op' ? t.op : t.kind === 'word' ? t.name : '0x' + t.value.toString(16);
    throw o.fail(`unexpected ${what} in the expression "${expr}"`);
  }
  return v & MASK64;
}
