/**
 * Tokens of a C expression as crash-ts reads them, in two dialects:
 *
 * - 'c' (the `p` command, gdb's reading): 0x1f hex, 017 octal, 42 decimal (u/l suffixes allowed),
 *   'c' character constants, `$`, `$N`, `$$N` value-history references; every other word is a name.
 * - 'address' (crash's address arguments, `eval`, `rd`): 0x1f hex, plain digits decimal with an
 *   optional k/m/g/t size suffix, a digit-led word with a hex letter (1f00) hex; a word that is not
 *   a symbol but is all hex digits (`dead`) is hexadecimal. The caller decides the last case.
 *
 * Kernel symbols may contain dots (`sysrq_handle_crash.cold`, `__key.12`): a dotted word is one name
 * when the symbol table has it (the `isSymbol` callback), otherwise the dots are member accesses.
 */

export type Dialect = 'c' | 'address';

export type Token =
  | { kind: 'num'; value: bigint; text: string; unsigned: boolean; long: boolean }
  | { kind: 'name'; name: string }
  | { kind: 'history'; back: boolean; index: number | undefined }
  | { kind: 'op'; op: string };

export interface LexOptions {
  dialect: Dialect;
  /** true when `name` is a symbol (decides dotted names) */
  isSymbol?(name: string): boolean;
  fail(message: string): Error;
}

const OPS = [
  '->',
  '<<',
  '>>',
  '<=',
  '>=',
  '==',
  '!=',
  '&&',
  '||',
  '+',
  '-',
  '*',
  '/',
  '%',
  '&',
  '|',
  '^',
  '~',
  '!',
  '<',
  '>',
  '(',
  ')',
  '[',
  ']',
  '.',
  '?',
  ':',
  ',',
  '@',
];
/** operators only `p` reads: in crash's address arguments `:` selects CPUs and `,` separates words */
const C_ONLY = new Set(['?', ':', ',', '@']);
const UNITS: Record<string, bigint> = { k: 1n << 10n, m: 1n << 20n, g: 1n << 30n, t: 1n << 40n };
const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const DIGITS = /[0-9][0-9A-Za-z]*/y;

/** Split an expression into tokens; throws o.fail(...) naming where it cannot read on. */
export function tokenize(text: string, o: LexOptions): Token[] {
  const out: Token[] = [];
  let pos = 0;
  while (pos < text.length) {
    const c = text[pos]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      pos++;
      continue;
    }
    if (c >= '0' && c <= '9') {
      DIGITS.lastIndex = pos;
      const m = DIGITS.exec(text)!;
      pos = DIGITS.lastIndex;
      out.push(number(m[0], o));
      continue;
    }
    if (c === '$') {
      const m = /\$(\$?)([0-9]*)/y;
      m.lastIndex = pos;
      const r = m.exec(text)!;
      pos = m.lastIndex;
      out.push({ kind: 'history', back: r[1] === '$', index: r[2] ? Number(r[2]) : undefined });
      continue;
    }
    if (c === "'" && o.dialect === 'c') {
      const m = /'(\\[0-7]{1,3}|\\x[0-9a-fA-F]+|\\.|[^'\\])'/y;
      m.lastIndex = pos;
      const r = m.exec(text);
      if (!r) throw o.fail(`cannot read the character constant at "${text.slice(pos)}"`);
      pos = m.lastIndex;
      out.push({ kind: 'num', value: charValue(r[1]!), text: r[0], unsigned: false, long: false });
      continue;
    }
    NAME.lastIndex = pos;
    const nm = NAME.exec(text);
    if (nm) {
      pos = NAME.lastIndex;
      let name = nm[0];
      // longest dotted run that is a symbol: `foo.cold.1`, else the first part
      const dotted = /(?:\.[A-Za-z0-9_]+)+/y;
      dotted.lastIndex = pos;
      const dm = dotted.exec(text);
      if (dm && o.isSymbol) {
        const parts = dm[0].split('.').slice(1);
        for (let n = parts.length; n > 0; n--) {
          const candidate = `${name}.${parts.slice(0, n).join('.')}`;
          if (o.isSymbol(candidate)) {
            name = candidate;
            pos += candidate.length - nm[0].length;
            break;
          }
        }
      }
      out.push({ kind: 'name', name });
      continue;
    }
    const op = OPS.find((s) => text.startsWith(s, pos) && (o.dialect === 'c' || !C_ONLY.has(s)));
    if (!op) throw o.fail(`cannot read the expression at "${text.slice(pos).trim()}"`);
    pos += op.length;
    out.push({ kind: 'op', op });
  }
  return out;
}

function number(word: string, o: LexOptions): Token {
  const w = word.toLowerCase();
  if (o.dialect === 'address') {
    const make = (value: bigint): Token => ({ kind: 'num', value, text: word, unsigned: true, long: true });
    if (/^0x[0-9a-f]+$/.test(w)) return make(BigInt(w));
    if (/^[0-9]+$/.test(w)) return make(BigInt(w));
    const unit = /^([0-9]+)([kmgt])$/.exec(w);
    if (unit) return make(BigInt(unit[1]!) * UNITS[unit[2]!]!);
    if (/^[0-9a-f]+$/.test(w)) return make(BigInt('0x' + w));
    throw o.fail(`not a number: ${word}`);
  }
  const m = /^(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)(u?l{0,2}|l{1,2}u)$/.exec(w);
  if (!m) throw o.fail(`Invalid number "${word}".`);
  const digits = m[1]!;
  const value = digits.startsWith('0x')
    ? BigInt(digits)
    : digits.length > 1 && digits.startsWith('0')
      ? BigInt('0o' + digits.slice(1))
      : BigInt(digits);
  return { kind: 'num', value, text: word, unsigned: m[2]!.includes('u'), long: m[2]!.includes('l') };
}

function charValue(body: string): bigint {
  if (!body.startsWith('\\')) return BigInt(body.charCodeAt(0));
  const rest = body.slice(1);
  if (/^[0-7]+$/.test(rest)) return BigInt('0o' + rest) & 0xffn;
  if (rest.startsWith('x')) return BigInt('0x' + rest.slice(1)) & 0xffn;
  const named: Record<string, number> = { n: 10, t: 9, r: 13, a: 7, b: 8, f: 12, v: 11, e: 27, '0': 0 };
  return BigInt(named[rest] ?? rest.charCodeAt(0));
}
