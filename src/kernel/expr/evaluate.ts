/**
 * Evaluating a parsed expression against the kernel: names are symbols (typed by DWARF, or BTF for
 * per-CPU variables and functions), members and array elements are read through the types, casts
 * reinterpret, and arithmetic follows C's rules (pointer arithmetic scales; results wrap to their type).
 * The answer is a typed Value: an object in memory (an lvalue) or a computed scalar. Nothing here
 * formats text: commands and src/render print Values.
 */
import type { Kernel } from '../kernel.js';
import { KObject } from '../value.js';
import { findMember, resolve, typeName, type Type } from '../types/type.js';
import { arrayOf, C_INT, C_LONG, C_UINT, C_ULONG, C_VOID, pointerTo } from './ctypes.js';
import type { Dialect } from './lexer.js';
import { parseExpression, type Expr, type TypeSpec } from './parser.js';

/** The result of an expression. */
export interface Value {
  type: Type;
  /** where the value lives (an lvalue), when it is in memory */
  address?: bigint;
  /** a bitfield's bit position within the storage at `address` and its width */
  bits?: { offset: number; size: number };
  /** the value, when it was computed rather than read (an rvalue) */
  scalar?: bigint;
  /** the symbol this value is, when the expression was a bare symbol */
  symbol?: string;
}

/** A one-line error of an expression ("no symbol jiffies2", "struct list_head has no member nex"). */
export class ExprError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExprError';
  }
}

/** A symbol whose type is unknown (no DWARF for an ordinary global): the caller may still show its bytes. */
export class UnknownTypeError extends ExprError {
  constructor(
    readonly symbol: string,
    readonly address: bigint,
    lacker = 'this vmlinux',
  ) {
    super(`the type of ${symbol} is not known: ordinary global variables are typed by DWARF, which ${lacker} lacks`);
    this.name = 'UnknownTypeError';
  }
}

export interface EvalOptions {
  /** 'c' for gdb's reading (p), 'address' for crash's (rd, eval, address arguments): default 'c' */
  dialect?: Dialect;
  /** `$`, `$N`, `$$N`: the value history (the p command keeps it) */
  history?(back: boolean, index: number | undefined): Value;
  /** builds the error to throw (default ExprError) */
  fail?(message: string): Error;
}

const MASK64 = (1n << 64n) - 1n;

/** Parse and evaluate an expression. */
export function evaluate(k: Kernel | undefined, text: string, o: EvalOptions = {}): Value {
  const dialect = o.dialect ?? 'c';
  const fail = o.fail ?? ((m: string) => new ExprError(m));
  const expr = parseExpression(text, {
    dialect,
    fail,
    isSymbol: (n) => !!k?.symbols.lookupAny(n),
    isTypeName: (n) => !!k && !k.symbols.lookupAny(n) && isTypedefName(k, n),
  });
  return new Evaluator(k, dialect, o, fail).value(expr);
}

/**
 * An address argument's value, crash's way: symbols are their addresses, plain numbers and hex words
 * work, and C's member access, casts and `*` are there when wanted (`init_task.tasks.next`).
 */
export function evaluateAddressExpression(k: Kernel | undefined, text: string, fail?: (m: string) => Error): bigint {
  const v = evaluate(k, text, { dialect: 'address', fail });
  return integerOf(k, v) & MASK64;
}

/** The integer a Value stands for: a scalar's value; an array's, function's or struct's address. */
export function integerOf(k: Kernel | undefined, v: Value): bigint {
  if (v.scalar !== undefined) return v.scalar;
  const t = resolve(v.type);
  if (v.address === undefined) throw new ExprError(`${typeName(v.type)} has no value`);
  if (t.kind === 'int' || t.kind === 'enum' || t.kind === 'pointer') {
    if (!k) throw new ExprError('no dump is open to read memory from');
    return new KObject(k, v.type, v.address, v.bits).value();
  }
  return v.address;
}

/** Is `name` a typedef or base type (so `(name)x` is a cast)? */
function isTypedefName(k: Kernel, name: string): boolean {
  const t = k.findType(name) ?? k.debugInfo?.types.find(name);
  return !!t && (t.kind === 'typedef' || t.kind === 'int' || t.kind === 'float');
}

/** A type named in a cast or sizeof: BTF first, then DWARF; pointers and arrays applied. */
export function typeFromSpec(
  k: Kernel | undefined,
  spec: TypeSpec,
  fail: (m: string) => Error = (m) => new ExprError(m),
): Type {
  let base: Type | undefined;
  const name = spec.base === 'bool' ? '_Bool' : spec.base;
  if (name === 'void') base = C_VOID;
  else if (k) base = k.findType(name) ?? k.debugInfo?.types.find(name);
  if (!base) base = builtin(name);
  if (!base)
    throw fail(
      `No ${/^(struct|union|enum) /.test(name) ? name.replace(' ', ' type named ') : `symbol "${name}" in current context`}.`,
    );
  let t = base;
  for (let i = 0; i < spec.pointers; i++) t = pointerTo(t);
  for (let i = spec.arrays.length - 1; i >= 0; i--) t = arrayOf(t, spec.arrays[i]!);
  for (let i = 0; i < (spec.outerPointers ?? 0); i++) t = pointerTo(t);
  return t;
}

function builtin(name: string): Type | undefined {
  switch (name.replace(/\s+int$/, '').trim()) {
    case 'int':
    case 'signed':
      return C_INT;
    case 'unsigned':
      return C_UINT;
    case 'long':
    case 'long long':
      return C_LONG;
    case 'unsigned long':
    case 'unsigned long long':
      return C_ULONG;
  }
  return undefined;
}

function isInteger(t: Type): boolean {
  return t.kind === 'int' || t.kind === 'enum';
}

/** C's usual arithmetic conversions, reduced to the four types kernels use. */
function arithmeticType(a: Type, b: Type): Type {
  const rank = (t: Type): number =>
    t.size > 4
      ? t.signed === false || t.kind === 'pointer'
        ? 3
        : 2
      : t.size === 4 && t.signed === false && t.kind !== 'enum'
        ? 1
        : 0;
  const r = Math.max(rank(a), rank(b));
  return [C_INT, C_UINT, C_LONG, C_ULONG][r]!;
}

function wrap(v: bigint, t: Type): bigint {
  const size = t.kind === 'pointer' ? 8 : Math.max(1, Math.min(t.size || 8, 8));
  return t.signed && t.kind !== 'pointer' ? BigInt.asIntN(size * 8, v) : BigInt.asUintN(size * 8, v);
}

class Evaluator {
  constructor(
    private readonly k: Kernel | undefined,
    private readonly dialect: Dialect,
    private readonly o: EvalOptions,
    private readonly fail: (m: string) => Error,
  ) {}

  private kernel(): Kernel {
    if (!this.k) throw this.fail('no dump is open: symbols and memory need one');
    return this.k;
  }

  private int(v: Value): bigint {
    try {
      return integerOf(this.k, v);
    } catch (err) {
      if (err instanceof ExprError) throw this.fail(err.message);
      throw err;
    }
  }

  private scalar(type: Type, value: bigint): Value {
    return { type, scalar: wrap(value, type) };
  }

  value(e: Expr): Value {
    switch (e.k) {
      case 'num': {
        if (this.dialect === 'address') return { type: C_ULONG, scalar: e.value & MASK64 };
        const fitsInt = e.value <= 0x7fffffffn;
        const type = e.unsigned
          ? e.long || e.value > 0xffffffffn
            ? C_ULONG
            : C_UINT
          : e.long || !fitsInt
            ? e.value > 0x7fffffffffffffffn
              ? C_ULONG
              : C_LONG
            : C_INT;
        return { type, scalar: e.value };
      }
      case 'name':
        return this.dialect === 'address' ? this.addressName(e.name) : this.symbolObject(e.name);
      case 'history':
        if (!this.o.history) throw this.fail('History is empty.');
        return this.o.history(e.back, e.index);
      case 'member':
        return this.member(this.object(e.arg), e.name);
      case 'index':
        return this.index(this.object(e.arg), this.int(this.value(e.index)));
      case 'unary':
        return this.unary(e.op, e.arg);
      case 'binary':
        if (e.op === '@') return this.artificialArray(this.object(e.left), this.int(this.value(e.right)));
        return this.binary(e.op, this.value(e.left), this.value(e.right));
      case 'cond':
        return this.int(this.value(e.test)) !== 0n ? this.value(e.then) : this.value(e.else);
      case 'cast':
        return this.cast(typeFromSpec(this.k, e.type, this.fail), this.value(e.arg));
      case 'sizeof': {
        const t = e.type ? typeFromSpec(this.k, e.type, this.fail) : this.typeOnly(e.arg!);
        return { type: C_ULONG, scalar: BigInt(resolve(t).kind === 'pointer' ? 8 : t.size) };
      }
    }
  }

  /** An operand of `.`, `->`, `[]`, `&`: a name is the object, whatever the dialect. */
  private object(e: Expr): Value {
    if (e.k === 'name') return this.symbolObject(e.name);
    return this.value(e);
  }

  /** sizeof EXPR: the type, without reading memory where it can be avoided. */
  private typeOnly(e: Expr): Type {
    if (e.k === 'name') return this.symbolObject(e.name).type;
    return this.value(e).type;
  }

  /** crash's reading of a bare word: a symbol's address, or a hex number. */
  private addressName(name: string): Value {
    const s = this.k?.symbols.lookupAny(name);
    if (s) return { type: C_ULONG, scalar: s.address, symbol: name };
    if (/^[0-9a-f]+$/i.test(name)) return { type: C_ULONG, scalar: BigInt('0x' + name) };
    throw this.fail(this.k ? `symbol not found: ${name}` : `not a number: ${name}`);
  }

  /** A symbol as a typed object (gdb's reading). */
  private symbolObject(name: string): Value {
    const k = this.kernel();
    const s = k.symbols.lookupAny(name);
    if (!s) {
      const ev = k.types.enumValue?.(name);
      if (ev !== undefined) return { type: C_INT, scalar: ev };
      // an address as crash prints them (no 0x): gdb would refuse it, crash users type it anyway
      if (/^[0-9a-f]+$/i.test(name)) return { type: C_ULONG, scalar: BigInt('0x' + name) };
      throw this.fail(`No symbol "${name}" in current context.`);
    }
    const t = variableType(k, name);
    if (!t) throw new UnknownTypeError(name, s.address, k.dwarfLacker);
    return { type: t, address: s.address, symbol: name };
  }

  private member(base: Value, name: string): Value {
    let v = base;
    // gdb follows pointers for both . and ->
    for (let i = 0; i < 8 && resolve(v.type).kind === 'pointer'; i++) v = this.deref(v);
    const st = resolve(v.type);
    if (st.kind !== 'struct' && st.kind !== 'union')
      throw this.fail(
        `Attempt to extract a component of a value that is not a structure${v.type.kind === 'pointer' ? ' pointer' : ''}.`,
      );
    const f = findMember(st, name);
    if (!f) throw this.fail(`There is no member named ${name}.`);
    if (v.address === undefined) throw this.fail(`${typeName(v.type)} is not in memory`);
    const address = v.address + BigInt(Math.floor(f.bitOffset / 8));
    const out: Value = { type: f.member.type, address };
    if (f.member.bitSize) out.bits = { offset: f.bitOffset % 8, size: f.member.bitSize };
    return out;
  }

  private deref(v: Value): Value {
    const t = resolve(v.type);
    if (t.kind === 'array') return { type: t.target ?? C_VOID, address: this.arrayAddress(v) };
    if (t.kind === 'pointer') {
      const target = t.target ?? C_VOID;
      if (target.kind === 'void') throw this.fail('Attempt to take contents of a non-pointer value.');
      return { type: target, address: this.int(v) };
    }
    if (isInteger(t)) return { type: C_INT, address: this.int(v) };
    throw this.fail('Attempt to take contents of a non-pointer value.');
  }

  private arrayAddress(v: Value): bigint {
    if (v.address === undefined) throw this.fail('array not in memory');
    return v.address;
  }

  private index(base: Value, i: bigint): Value {
    const t = resolve(base.type);
    const idx = BigInt.asIntN(64, i);
    if (t.kind === 'array' || t.kind === 'pointer') {
      const el = t.target ?? C_VOID;
      const size = BigInt(resolve(el).kind === 'pointer' ? 8 : el.size);
      const start = t.kind === 'array' ? this.arrayAddress(base) : this.int(base);
      return { type: el, address: (start + idx * size) & MASK64 };
    }
    throw this.fail('cannot subscript something of a type that is not an array or pointer');
  }

  /** gdb's `x@n`: n objects of x's type one after another from x's address. */
  private artificialArray(first: Value, n: bigint): Value {
    if (first.address === undefined || first.bits) throw this.fail("Only values in memory can be extended with '@'.");
    if (n <= 0n || n > 1_000_000n) throw this.fail(`Invalid number ${n} of repetitions.`);
    return { type: arrayOf(first.type, Number(n)), address: first.address };
  }

  private unary(op: string, arg: Expr): Value {
    if (op === '&') {
      // a symbol without a known type still has an address (gdb: `<data variable, no debug info> *`)
      if (arg.k === 'name') {
        const s = this.kernel().symbols.lookupAny(arg.name);
        if (s && !variableType(this.kernel(), arg.name)) return { type: pointerTo(C_VOID), scalar: s.address };
      }
      const v = this.object(arg);
      if (v.bits) throw this.fail('Attempt to take address of value not located in memory.');
      if (v.address === undefined) throw this.fail('Attempt to take address of value not located in memory.');
      return { type: pointerTo(v.type), scalar: v.address };
    }
    if (op === '*') return this.deref(this.value(arg));
    const v = this.value(arg);
    const t = resolve(v.type);
    if (t.kind === 'pointer' && op !== '!')
      throw this.fail(`Argument to arithmetic operation not a number or boolean.`);
    const x = this.int(v);
    const rt = t.kind === 'pointer' ? C_INT : arithmeticType(t, C_INT);
    switch (op) {
      case '-':
        return this.scalar(rt, -x);
      case '+':
        return this.scalar(rt, x);
      case '~':
        return this.scalar(rt, ~x);
      default:
        return { type: C_INT, scalar: x === 0n ? 1n : 0n };
    }
  }

  private binary(op: string, a0: Value, b0: Value): Value {
    const a = decayFunction(a0);
    const b = decayFunction(b0);
    const ta = resolve(a.type);
    const tb = resolve(b.type);
    const ptrA = ta.kind === 'pointer' || ta.kind === 'array';
    const ptrB = tb.kind === 'pointer' || tb.kind === 'array';
    if (op === '&&' || op === '||') {
      const x = this.int(a) !== 0n;
      const y = this.int(b) !== 0n;
      return { type: C_INT, scalar: (op === '&&' ? x && y : x || y) ? 1n : 0n };
    }
    if (this.dialect === 'c' && (op === '+' || op === '-') && (ptrA || ptrB))
      return this.pointerArithmetic(op, a, b, ptrA, ptrB);
    const x = this.int(a);
    const y = this.int(b);
    const rt = this.dialect === 'address' ? C_ULONG : arithmeticType(ptrA ? C_ULONG : ta, ptrB ? C_ULONG : tb);
    const signed = !!rt.signed;
    const sx = signed ? BigInt.asIntN(64, x) : BigInt.asUintN(64, x);
    const sy = signed ? BigInt.asIntN(64, y) : BigInt.asUintN(64, y);
    switch (op) {
      case '+':
        return this.scalar(rt, sx + sy);
      case '-':
        return this.scalar(rt, sx - sy);
      case '*':
        return this.scalar(rt, sx * sy);
      case '/':
      case '%':
        if (sy === 0n) throw this.fail('division by zero');
        return this.scalar(rt, op === '/' ? sx / sy : sx % sy);
      case '<<':
        return this.scalar(rt, sy >= 64n ? 0n : sx << sy);
      case '>>':
        return this.scalar(rt, sy >= 64n ? (sx < 0n ? -1n : 0n) : sx >> sy);
      case '&':
        return this.scalar(rt, sx & sy);
      case '|':
        return this.scalar(rt, sx | sy);
      case '^':
        return this.scalar(rt, sx ^ sy);
    }
    const truth = (c: boolean): Value => ({ type: C_INT, scalar: c ? 1n : 0n });
    switch (op) {
      case '<':
        return truth(sx < sy);
      case '>':
        return truth(sx > sy);
      case '<=':
        return truth(sx <= sy);
      case '>=':
        return truth(sx >= sy);
      case '==':
        return truth(sx === sy);
      case '!=':
        return truth(sx !== sy);
    }
    throw this.fail(`unknown operator ${op}`);
  }

  private pointerArithmetic(op: string, a: Value, b: Value, ptrA: boolean, ptrB: boolean): Value {
    const elemSize = (v: Value): bigint => {
      const t = resolve(v.type).target ?? C_VOID;
      const s = resolve(t).kind === 'pointer' ? 8 : t.size;
      return BigInt(s || 1);
    };
    const ptrType = (v: Value): Type => {
      const t = resolve(v.type);
      return t.kind === 'array' ? pointerTo(t.target ?? C_VOID) : v.type;
    };
    if (ptrA && ptrB) {
      if (op === '+') throw this.fail('cannot add two pointers');
      return { type: C_LONG, scalar: BigInt.asIntN(64, this.int(a) - this.int(b)) / elemSize(a) };
    }
    const [p, n] = ptrA ? [a, b] : [b, a];
    if (op === '-' && !ptrA) throw this.fail('cannot subtract a pointer from a number');
    const delta = BigInt.asIntN(64, this.int(n)) * elemSize(p);
    return { type: ptrType(p), scalar: (this.int(p) + (op === '+' ? delta : -delta)) & MASK64 };
  }

  private cast(t: Type, v: Value): Value {
    const r = resolve(t);
    if (r.kind === 'struct' || r.kind === 'union' || r.kind === 'array') {
      if (v.address === undefined) throw this.fail(`Invalid cast.`);
      return { type: t, address: v.address };
    }
    return { type: t, scalar: wrap(this.int(v), r) };
  }
}

/** A function used as a value is a pointer to it (C's function-to-pointer conversion). */
function decayFunction(v: Value): Value {
  if (resolve(v.type).kind !== 'function' || v.address === undefined) return v;
  return { type: pointerTo(v.type), scalar: v.address };
}

/** A global's type: DWARF's for ordinary variables, BTF's VAR for per-CPU ones, a function's prototype. */
export function variableType(k: Kernel, name: string): Type | undefined {
  const di = k.debugInfo;
  const fromDwarf = di?.variableType(name);
  if (fromDwarf) return fromDwarf;
  const fromBtf = k.types.variableType?.(name);
  if (fromBtf) return fromBtf;
  const fn = di?.functionType(name) ?? (k.types as { functionType?(n: string): Type | undefined }).functionType?.(name);
  return fn;
}
