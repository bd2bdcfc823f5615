/**
 * C declarations of types, laid out the way crash's `struct`/`union`/`whatis` (gdb's ptype) print them:
 * four-space indents, anonymous structs/unions expanded in place, base types in their C spelling
 * ('unsigned long' for gcc's 'long unsigned int'), bitfields as `type name : width;`.
 */
import { canonicalBaseName } from './btf.js';
import type { Member, Type } from './type.js';

export interface FormatOptions {
  /** prefix each member with its byte offset, `[off]`, as crash's `struct -o` does */
  offsets?: boolean;
  /** with offsets: an object's address, to show each member's address (hex) instead of its offset */
  base?: bigint;
}

const INDENT = '    ';
const MAX_DEPTH = 32; // nesting bound for anonymous members and declarators

/** The full declaration of a type: a struct/union/enum body, a typedef, or a plain type; then SIZE. */
export function formatTypeDecl(t: Type, opts: FormatOptions = {}): string[] {
  const lines: string[] = [];
  if (t.kind === 'struct' || t.kind === 'union') {
    lines.push(`${t.kind} ${t.name ? t.name + ' ' : ''}{`);
    bodyLines(t, 1, 0, opts, lines, 0, String(t.size).length + 4);
    lines.push('}');
  } else if (t.kind === 'enum') {
    // crash's enum layout: one enumerator a line with its value, no commas, no SIZE
    lines.push(`enum ${t.name ? t.name + ' ' : ''}{`);
    for (const e of t.enumerators ?? []) lines.push(`  ${e.name} = ${e.value}`);
    lines.push('};');
    return lines;
  } else if (t.kind === 'typedef' && t.target) {
    // crash shows what a typedef finally stands for (pid_t: int, not __kernel_pid_t)
    let target = t.target;
    for (let i = 0; i < MAX_DEPTH && target.kind === 'typedef' && target.target; i++) target = target.target;
    if ((target.kind === 'struct' || target.kind === 'union') && !target.name) {
      lines.push(`typedef ${target.kind} {`);
      bodyLines(target, 1, 0, opts, lines, 0, String(target.size).length + 4);
      lines.push(`} ${t.name};`);
    } else lines.push(`typedef ${declare(target, t.name, 0)};`);
  } else {
    lines.push(declare(t, '', 0));
  }
  lines.push(`SIZE: ${t.size}`);
  return lines;
}

/** One member's declaration, as `struct foo.member` shows it (e.g. `struct list_head *next;`). */
export function formatMemberDecl(m: Member): string {
  const d = declare(m.type, m.name, 0);
  return m.bitSize ? `${d} : ${m.bitSize};` : `${d};`;
}

/**
 * A C declarator: `declare(ptr-to-fn, 'fn')` gives 'void (*fn)(struct rcu_head *)',
 * `declare(char[16], 'comm')` gives 'char comm[16]'. Anonymous struct/union/enum types print as
 * `struct {...}` here; formatTypeDecl expands them.
 */
export function declare(t: Type, inner: string, depth: number): string {
  if (depth > MAX_DEPTH) return `? ${inner}`.trimEnd();
  switch (t.kind) {
    case 'pointer': {
      const target = t.target;
      if (!target || target.kind === 'void') return `void *${inner}`;
      const wrap = target.kind === 'array' || target.kind === 'function';
      return declare(target, wrap ? `(*${inner})` : `*${inner}`, depth + 1);
    }
    case 'array':
      return declare(t.target ?? voidType, `${inner}[${t.unbounded ? '' : (t.length ?? '')}]`, depth + 1);
    case 'function': {
      const params = t.params ?? [];
      // a variadic function's last parameter is named '...' (BTF and DWARF readers agree on that)
      const list = params.length
        ? params.map((p) => (p.name === '...' ? '...' : declare(p.type, '', depth + 1))).join(', ')
        : 'void';
      return declare(t.target ?? voidType, `${inner}(${list})`, depth + 1);
    }
    case 'const':
    case 'volatile':
    case 'restrict': {
      const target = t.target ?? voidType;
      // A qualified pointer puts the qualifier after the star: 'char * const p'.
      if (target.kind === 'pointer') return declare(target, `${t.kind} ${inner}`.trimEnd(), depth + 1);
      // A qualified array qualifies its elements: gcc writes `const unsigned long x[65][128]` (elements
      // already const) as const -> array -> array -> const unsigned long; C, and gdb, say `const` once.
      if (target.kind === 'array' && elementOf(target).kind === t.kind) return declare(target, inner, depth + 1);
      return `${t.kind} ${declare(target, inner, depth + 1)}`;
    }
    default:
      return inner ? `${baseName(t)} ${inner}` : baseName(t);
  }
}

/** The element type under every dimension of an array (`x[2][3]`: what each x[i][j] is). */
function elementOf(t: Type): Type {
  let cur = t;
  for (let i = 0; i < MAX_DEPTH && cur.kind === 'array' && cur.target; i++) cur = cur.target;
  return cur;
}

/** The name of a non-derived type: 'struct list_head', 'unsigned long', 'pid_t', 'void'. */
export function baseName(t: Type): string {
  switch (t.kind) {
    case 'struct':
    case 'union':
    case 'enum':
      return `${t.kind} ${t.name || '{...}'}`;
    case 'int':
    case 'float':
      return cSpelling(t.name);
    case 'void':
      return 'void';
    default:
      return t.name || '?';
  }
}

/** gcc base-type names in the spelling C programmers (and gdb) use: 'long unsigned int' -> 'unsigned long'. */
export function cSpelling(name: string): string {
  const canon = canonicalBaseName(name);
  if (!canon) return name;
  return canon.endsWith(' int') && canon !== 'unsigned int' ? canon.slice(0, -4) : canon;
}

/**
 * Member lines at `level` (four spaces a level, as gdb's ptype). With offsets, crash's `struct -o` column:
 * a member line gets `  [OFF]` right-aligned in a field as wide as the struct's size in digits plus four,
 * and then the line less three of its indent; lines without an offset (an anonymous `union {`, a closing
 * brace) are shifted right by the size's digits plus one. A named member whose type is an anonymous
 * struct carries its offset on its closing `} name;` line, as crash prints it.
 */
function bodyLines(
  t: Type,
  level: number,
  baseBits: number,
  opts: FormatOptions,
  out: string[],
  depth: number,
  width: number,
): void {
  const pad = INDENT.repeat(level);
  const at = (bits: number): string | undefined =>
    opts.offsets
      ? opts.base !== undefined
        ? (opts.base + BigInt(Math.floor(bits / 8))).toString(16)
        : String(Math.floor(bits / 8))
      : undefined;
  const line = (text: string, off: string | undefined): void => {
    if (!opts.offsets) out.push(text);
    else if (off === undefined) out.push(' '.repeat(width - 3) + text);
    else out.push(`  [${off}]`.padStart(width) + text.slice(3));
  };
  for (const m of t.members ?? []) {
    const bits = baseBits + m.bitOffset;
    const inline = anonymousAggregate(m.type);
    if (inline && depth < MAX_DEPTH) {
      line(`${pad}${inline.kind} {`, undefined);
      bodyLines(inline, level + 1, bits, opts, out, depth + 1, width);
      line(`${pad}}${m.name ? ' ' + m.name : ''};`, m.name ? at(bits) : undefined);
    } else if (m.type.kind === 'enum' && !m.type.name) {
      line(`${pad}${enumBody(m.type)} ${m.name};`, at(bits));
    } else {
      line(`${pad}${formatMemberDecl(m)}`, at(bits));
    }
  }
}

/** A struct/union without a name (possibly behind qualifiers) that must be printed in place. */
function anonymousAggregate(t: Type): Type | undefined {
  let cur = t;
  for (let i = 0; i < MAX_DEPTH && (cur.kind === 'const' || cur.kind === 'volatile') && cur.target; i++)
    cur = cur.target;
  return (cur.kind === 'struct' || cur.kind === 'union') && !cur.name ? cur : undefined;
}

function enumBody(t: Type): string {
  const names = (t.enumerators ?? []).map((e) => e.name).join(', ');
  return `enum ${t.name ? t.name + ' ' : ''}{${names}}`;
}

const voidType: Type = { kind: 'void', name: 'void', size: 0 };
