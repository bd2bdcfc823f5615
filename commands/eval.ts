/** eval: 64-bit integer arithmetic on hexadecimal and decimal numbers, shown in four bases (crash's layout). */
import { CommandError, type Command } from '../src/command.js';
import { text } from '../src/render/view.js';
import { evaluateAddressExpression } from '../src/kernel/expr/index.js';
import type { Session } from '../src/session.js';

/**
 * Evaluate an expression as unsigned 64-bit arithmetic (src/kernel/expr, crash's address dialect).
 * Words that are not numbers are kernel symbols when a dump is open (crash's eval takes symbols),
 * else hex words like `dead`; member access and casts work as in address arguments.
 */
export function evaluate(expr: string, session?: Session): bigint {
  return evaluateAddressExpression(session?.kernel, expr, (message) => new CommandError(message));
}

/** "(4GB)" for exact multiples of a unit, else nothing. */
function sizeNote(v: bigint): string {
  if (v === 0n) return '';
  for (const [unit, size] of [
    ['GB', 1n << 30n],
    ['MB', 1n << 20n],
    ['KB', 1n << 10n],
  ] as const)
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
  run(session, args) {
    let words = args.raw;
    let bits = false;
    if (words[0] === '-b') {
      bits = true;
      words = words.slice(1);
    }
    const v = evaluate(words.join(' '), session);
    return text(evalLines(v, bits), { value: v, hex: '0x' + v.toString(16), decimal: v.toString(10) });
  },
};

export default evalCommand;
