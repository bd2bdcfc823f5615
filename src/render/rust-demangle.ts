/**
 * Rust symbol names as people read them, for `log -R`: the v0 mangling rustc uses for the kernel's Rust code
 * (`_R` + a path: crate roots, nested names, impls, generic arguments, back-references; RFC 2603) and the
 * legacy one (`_ZN` + length-prefixed names + `17h<hash>E`). A string that is not wholly one symbol gives
 * undefined, so text that merely contains "_R" is left as it is.
 */

const BASIC: Record<string, string> = {
  a: 'i8',
  b: 'bool',
  c: 'char',
  d: 'f64',
  e: 'str',
  f: 'f32',
  h: 'u8',
  i: 'isize',
  j: 'usize',
  l: 'i32',
  m: 'u32',
  n: 'i128',
  o: 'u128',
  s: 'i16',
  t: 'u16',
  u: '()',
  v: '...',
  x: 'i64',
  y: 'u64',
  z: '!',
  p: '_',
};

class Fail extends Error {}

/** A v0 parser over the text after "_R"; back-references are offsets into that text. */
class V0 {
  private depth = 0;
  constructor(
    private readonly s: string,
    public pos = 0,
  ) {}

  private peek(): string {
    return this.s[this.pos] ?? '';
  }
  private next(): string {
    const c = this.s[this.pos++];
    if (c === undefined) throw new Fail();
    return c;
  }
  private eat(c: string): boolean {
    if (this.peek() !== c) return false;
    this.pos++;
    return true;
  }

  /** base-62 digits ending in "_"; "_" alone is 0, otherwise the digits' value + 1 */
  private base62(): number {
    if (this.eat('_')) return 0;
    let v = 0;
    for (;;) {
      const c = this.next();
      if (c === '_') return v + 1;
      const d = /[0-9]/.test(c)
        ? c.charCodeAt(0) - 48
        : /[a-z]/.test(c)
          ? c.charCodeAt(0) - 87
          : /[A-Z]/.test(c)
            ? c.charCodeAt(0) - 29
            : -1;
      if (d < 0) throw new Fail();
      // a crate's disambiguator is a 64-bit hash (inexact here, and never shown); back-references are small
      v = v * 62 + d;
    }
  }

  private decimal(): number {
    const m = /^(0|[1-9][0-9]*)/.exec(this.s.slice(this.pos));
    if (!m) throw new Fail();
    this.pos += m[0].length;
    return Number(m[0]);
  }

  private disambiguator(): void {
    if (this.eat('s')) this.base62();
  }

  private identifier(): string {
    this.disambiguator();
    const punycode = this.eat('u');
    const len = this.decimal();
    this.eat('_');
    if (this.pos + len > this.s.length) throw new Fail();
    const name = this.s.slice(this.pos, this.pos + len);
    this.pos += len;
    if (punycode) throw new Fail(); // non-ASCII names: not in the kernel
    return name;
  }

  /** run `f` at a back-reference's target, then come back */
  private backref<T>(f: () => T): T {
    const target = this.base62();
    if (target >= this.pos - 1) throw new Fail();
    const saved = this.pos;
    this.pos = target;
    try {
      return f();
    } finally {
      this.pos = saved;
    }
  }

  private guard<T>(f: () => T): T {
    if (++this.depth > 200) throw new Fail();
    try {
      return f();
    } finally {
      this.depth--;
    }
  }

  path(): string {
    return this.guard(() => {
      const c = this.next();
      switch (c) {
        case 'C':
          return this.identifier();
        case 'N': {
          const ns = this.next();
          if (!/[a-zA-Z]/.test(ns)) throw new Fail();
          const parent = this.path();
          const dis = this.peek() === 's' ? (this.pos++, this.base62()) : 0;
          const len = this.decimal();
          this.eat('_');
          const name = this.s.slice(this.pos, this.pos + len);
          if (this.pos + len > this.s.length) throw new Fail();
          this.pos += len;
          if (ns === 'C') return `${parent}::{closure${name ? `:${name}` : ''}#${dis}}`;
          if (ns === 'S') return `${parent}::{shim${name ? `:${name}` : ''}#${dis}}`;
          if (/[A-Z]/.test(ns)) return `${parent}::{${ns}${name ? `:${name}` : ''}#${dis}}`;
          return name ? `${parent}::${name}` : parent;
        }
        case 'M': {
          this.disambiguator();
          this.path();
          return `<${this.type()}>`;
        }
        case 'X': {
          this.disambiguator();
          this.path();
          const self = this.type();
          return `<${self} as ${this.path()}>`;
        }
        case 'Y': {
          const self = this.type();
          return `<${self} as ${this.path()}>`;
        }
        case 'I': {
          const base = this.path();
          const args: string[] = [];
          while (!this.eat('E')) args.push(this.genericArg());
          return `${base}::<${args.join(', ')}>`;
        }
        case 'B':
          return this.backref(() => this.path());
        default:
          throw new Fail();
      }
    });
  }

  private genericArg(): string {
    if (this.eat('L')) {
      const n = this.base62();
      return n === 0 ? "'_" : `'${n}`;
    }
    if (this.eat('K')) return this.constant();
    return this.type();
  }

  private constant(): string {
    if (this.eat('p')) return '_';
    if (this.eat('B')) return this.backref(() => this.constant());
    const t = this.next();
    if (!BASIC[t]) throw new Fail();
    const neg = this.eat('n');
    let hex = '';
    while (!this.eat('_')) {
      const c = this.next();
      if (!/[0-9a-f]/.test(c)) throw new Fail();
      hex += c;
    }
    const v = BigInt('0x' + (hex || '0'));
    if (t === 'b') return v === 0n ? 'false' : 'true';
    if (t === 'c') return `'${String.fromCodePoint(Number(v))}'`;
    return `${neg ? '-' : ''}${v}`;
  }

  type(): string {
    return this.guard(() => {
      const c = this.peek();
      if (BASIC[c]) {
        this.pos++;
        return BASIC[c]!;
      }
      this.pos++;
      switch (c) {
        case 'A': {
          const t = this.type();
          return `[${t}; ${this.constant()}]`;
        }
        case 'S':
          return `[${this.type()}]`;
        case 'T': {
          const ts: string[] = [];
          while (!this.eat('E')) ts.push(this.type());
          return ts.length === 1 ? `(${ts[0]},)` : `(${ts.join(', ')})`;
        }
        case 'R':
        case 'Q': {
          const life = this.eat('L') ? this.base62() : 0;
          const t = this.type();
          return `&${life ? `'${life} ` : ''}${c === 'Q' ? 'mut ' : ''}${t}`;
        }
        case 'P':
          return `*const ${this.type()}`;
        case 'O':
          return `*mut ${this.type()}`;
        case 'B':
          return this.backref(() => this.type());
        case 'C':
        case 'N':
        case 'M':
        case 'X':
        case 'Y':
        case 'I':
          this.pos--;
          return this.path();
        default:
          throw new Fail(); // fn pointers and dyn types: not attempted
      }
    });
  }
}

function demangleV0(sym: string): string | undefined {
  let rest = sym.slice(2);
  if (/^[0-9]/.test(rest)) return undefined; // an encoding version this reader does not know
  const p = new V0(rest);
  try {
    const out = p.path();
    // an instantiating crate may follow; nothing else
    if (p.pos < rest.length) {
      p.path();
      rest = rest.slice(p.pos);
      if (rest && !rest.startsWith('.')) return undefined;
    }
    return out;
  } catch (e) {
    if (e instanceof Fail) return undefined;
    throw e;
  }
}

/** legacy: _ZN <len><name>... 17h<16 hex> E; the hash part is dropped */
function demangleLegacy(sym: string): string | undefined {
  let i = 3;
  const parts: string[] = [];
  while (i < sym.length && sym[i] !== 'E') {
    const m = /^[1-9][0-9]*/.exec(sym.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    const len = Number(m[0]);
    if (i + len > sym.length) return undefined;
    parts.push(sym.slice(i, i + len));
    i += len;
  }
  if (sym[i] !== 'E' || i + 1 !== sym.length || !parts.length) return undefined;
  if (/^h[0-9a-f]{16}$/.test(parts.at(-1)!)) parts.pop();
  const unescape = (s: string): string =>
    s
      .replace(/^_\$/, '$')
      .replace(/\$LT\$/g, '<')
      .replace(/\$GT\$/g, '>')
      .replace(/\$RF\$/g, '&')
      .replace(/\$BP\$/g, '*')
      .replace(/\$LP\$/g, '(')
      .replace(/\$RP\$/g, ')')
      .replace(/\$C\$/g, ',')
      .replace(/\$u7e\$/g, '~')
      .replace(/\$u20\$/g, ' ')
      .replace(/\$u27\$/g, "'")
      .replace(/\$u5b\$/g, '[')
      .replace(/\$u5d\$/g, ']')
      .replace(/\$u7b\$/g, '{')
      .replace(/\$u7d\$/g, '}')
      .replace(/\$u3b\$/g, ';')
      .replace(/\$u2b\$/g, '+')
      .replace(/\$u22\$/g, '"')
      .replace(/\.\./g, '::');
  return parts.map(unescape).join('::');
}

/** The readable name of a mangled Rust symbol, or undefined when `sym` is not exactly one. */
export function demangleRust(sym: string): string | undefined {
  if (sym.startsWith('_R')) return demangleV0(sym);
  if (sym.startsWith('_ZN')) return demangleLegacy(sym);
  return undefined;
}

/**
 * A log line with the Rust symbol in it made readable (the form of a call-trace line: "... _RNv...+0x1f/0x40"):
 * the symbol runs from "_R" (else "_ZN") to the line's last "+". The line is unchanged when there is none.
 */
export function demangleLogLine(line: string): string {
  let at = line.indexOf('_R');
  if (at < 0) at = line.indexOf('_ZN');
  const plus = line.lastIndexOf('+');
  if (at < 0 || plus <= at) return line;
  const name = demangleRust(line.slice(at, plus));
  return name === undefined ? line : line.slice(0, at) + name + line.slice(plus);
}
