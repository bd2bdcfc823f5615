/** eval: 64-bit integer arithmetic on hexadecimal and decimal numbers, shown in four bases (crash's layout). */
import { CommandError, type Command } from '../src/command.js';
import { text } from '../src/render/view.js';

const MASK = (1n << 64n) - 1n;

type Token = { kind: 'num'; value: bigint } | { kind: 'op'; op: string };

const UNITS: Record<string, bigint> = { k: 1n << 10n, m: 1n << 20n, g: 1n << 30n, t: 1n << 40n };

function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  const re = /\s*(?:(0x[0-9a-f]+|[0-9][0-9a-f]*[kmgt]?|[a-f][0-9a-f]*)\b|(<<|>>|[-+*/%&|^~()]))/iy;
  let pos = 0;
  while (pos < expr.length) {
    if (/^\s*$/.test(expr.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(expr);
    if (!m) throw new CommandError(`cannot read the expression at "${expr.slice(pos).trim()}"`);
    pos = re.lastIndex;
    if (m[2]) tokens.push({ kind: 'op', op: m[2] });
    else tokens.push({ kind: 'num', value: parseValue(m[1]!) });
  }
  return tokens;
}

/** 0x… is hex; all digits is decimal (optionally with a k/m/g/t size suffix); a word with a-f in it is hex. */
function parseValue(word: string): bigint {
  const w = word.toLowerCase();
  if (w.startsWith('0x')) return BigInt(w);
  const unit = /^([0-9]+)([kmgt])$/.exec(w);
  if (unit) return BigInt(unit[1]!) * UNITS[unit[2]!]!;
  if (/^[0-9]+$/.test(w)) return BigInt(w);
  if (/^[0-9a-f]+$/.test(w)) return BigInt('0x' + w);
  throw new CommandError(`not a number: ${word}`);
}

// binary operators, loosest first (C precedence)
const LEVELS: string[][] = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

function apply(op: string, a: bigint, b: bigint): bigint {
  switch (op) {
    case '|': return a | b;
    case '^': return a ^ b;
    case '&': return a & b;
    case '<<': return b >= 64n ? 0n : (a << b) & MASK;
    case '>>': return b >= 64n ? 0n : a >> b;
    case '+': return (a + b) & MASK;
    case '-': return (a - b) & MASK;
    case '*': return (a * b) & MASK;
    case '/':
    case '%':
      if (b === 0n) throw new CommandError('division by zero');
      return op === '/' ? a / b : a % b;
  }
  throw new CommandError(`unknown operator ${op}`);
}

/** Evaluate an expression as unsigned 64-bit arithmetic (wrapping like the machine does). */
export function evaluate(expr: string): bigint {
  const tokens = tokenize(expr);
  if (tokens.length === 0) throw new CommandError('no expression given');
  let i = 0;
  const peekOp = (): string | undefined => {
    const t = tokens[i];
    return t && t.kind === 'op' ? t.op : undefined;
  };
  const unary = (): bigint => {
    const t = tokens[i++];
    if (!t) throw new CommandError('the expression ends too early');
    if (t.kind === 'num') return t.value;
    if (t.op === '(') {
      const v = binary(0);
      if (peekOp() !== ')') throw new CommandError('missing )');
      i++;
      return v;
    }
    if (t.op === '-') return -unary() & MASK;
    if (t.op === '+') return unary();
    if (t.op === '~') return ~unary() & MASK;
    throw new CommandError(`unexpected ${t.op}`);
  };
  const binary = (level: number): bigint => {
    if (level === LEVELS.length) return unary();
    let v = binary(level + 1);
    for (let op = peekOp(); op && LEVELS[level]!.includes(op); op = peekOp()) {
      i++;
      v = apply(op, v, binary(level + 1));
    }
    return v;
  };
  const v = binary(0);
  if (i < tokens.length) {
    const t = tokens[i]!;
    throw new CommandError(`unexpected ${t.kind === 'op' ? t.op : '0x' + t.value.toString(16)} in the expression`);
  }
  return v & MASK;
}

/** "(4GB)" for exact multiples of a unit, else nothing. */
function sizeNote(v: bigint): string {
  if (v === 0n) return '';
  for (const [unit, size] of [['GB', 1n << 30n], ['MB', 1n << 20n], ['KB', 1n << 10n]] as const)
    if (v % size === 0n) return `(${v / size}${unit})`;
  return '';
}

/** The four-line eval layout (plus the bits that are set, with -b). */
export function evalLines(v: bigint, bits = false): string[] {
  const signed = v >> 63n ? v - (1n << 64n) : v;
  const lines = [
    `hexadecimal: ${v.toString(16)}  ${sizeNote(v)}`,
    `    decimal: ${v.toString(10)}  ${signed < 0n ? `(${signed})` : ''}`,
    `      octal: ${v.toString(8)}`,
    `     binary: ${v.toString(2).padStart(64, '0')}`,
  ];
  if (bits) {
    const set: number[] = [];
    for (let b = 63; b >= 0; b--) if ((v >> BigInt(b)) & 1n) set.push(b);
    lines.push(`   bits set: ${set.join(' ')}`);
  }
  return lines;
}

const evalCommand: Command = {
  name: 'eval',
  summary: 'evaluate an integer expression and show it in hex, decimal, octal and binary',
  help: `NAME
  eval - integer arithmetic in four bases

SYNOPSIS
  eval [-b] EXPRESSION

DESCRIPTION
  Works out EXPRESSION as unsigned 64-bit arithmetic (results wrap the way the
  machine's registers do) and prints the result as hexadecimal, decimal (with the
  signed value in parentheses when bit 63 is set), octal and 64-digit binary.
  A result that is a whole number of kilobytes, megabytes or gigabytes says so.

  Numbers: 0x1f or a word with a hex letter in it (ff00) is hexadecimal; plain
  digits are decimal; a k, m, g or t suffix multiplies by 2^10, 2^20, 2^30, 2^40.
  Operators, tightest first: unary - + ~, then * / %, + -, << >>, &, ^, |.
  Parentheses group. Put the expression in parentheses or quotes when it holds
  | or >, which would otherwise pipe or redirect the output.

OPTIONS
  -b  also list the numbers of the bits that are set, highest first

EXAMPLES
  crash> eval 0x10 + 10
  crash> eval (1 << 32) - 1
  crash> eval -b 0x8000000000000001
  crash> eval 4g / 4k`,
  run(_session, args) {
    let words = args.raw;
    let bits = false;
    if (words[0] === '-b') {
      bits = true;
      words = words.slice(1);
    }
    const v = evaluate(words.join(' '));
    return text(evalLines(v, bits), { value: v, hex: '0x' + v.toString(16), decimal: v.toString(10) });
  },
};

export default evalCommand;
