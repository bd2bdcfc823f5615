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
}

const INDENT = '    ';
const MAX_DEPTH = 32; // nesting bound for anonymous members and declarators

/** The full declaration of a type: a struct/union/enum body, a typedef, or a plain type; then SIZE. */
export function formatTypeDecl(t: Type, opts: FormatOptions = {}): string[] {
  const lines: string[] = [];
  if (t.kind === 'struct' || t.kind === 'union') {
    lines.push(`${t.kind} ${t.name ? t.name + ' ' : ''}{`);
    bodyLines(t, 1, 0, opts, lines, 0, String(t.size).length + 2);
    lines.push('}');
  } else if (t.kind === 'enum') {
    lines.push(`${enumBody(t)}`);
  } else if (t.kind === 'typedef' && t.target) {
    lines.push(`typedef ${declare(t.target, t.name, 0)};`);
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
      return declare(t.target ?? voidType, `${inner}[${t.length ?? ''}]`, depth + 1);
    case 'function': {
      const params = t.params ?? [];
      const list = params.length ? params.map((p) => declare(p.type, '', depth + 1)).join(', ') : 'void';
      return declare(t.target ?? voidType, `${inner}(${list})`, depth + 1);
    }
    case 'const':
    case 'volatile':
    case 'restrict': {
      const target = t.target ?? voidType;
      // A qualified pointer puts the qualifier after the star: 'char * const p'.
      if (target.kind === 'pointer') return declare(target, `${t.kind} ${inner}`.trimEnd(), depth + 1);
      return `${t.kind} ${declare(target, inner, depth + 1)}`;
    }
    default:
      return inner ? `${baseName(t)} ${inner}` : baseName(t);
  }
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

/** Member lines at `level`; with offsets, a right-aligned `[off]` column comes before the indent. */
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
  const blank = opts.offsets ? ' '.repeat(width + 1) : '';
  for (const m of t.members ?? []) {
    const bits = baseBits + m.bitOffset;
    const col = opts.offsets ? `[${Math.floor(bits / 8)}]`.padStart(width) + ' ' : '';
    const inline = anonymousAggregate(m.type);
    if (inline && depth < MAX_DEPTH) {
      out.push(`${col}${pad}${inline.kind} {`);
      bodyLines(inline, level + 1, bits, opts, out, depth + 1, width);
      out.push(`${blank}${pad}}${m.name ? ' ' + m.name : ''};`);
    } else if (m.type.kind === 'enum' && !m.type.name) {
      out.push(`${col}${pad}${enumBody(m.type)} ${m.name};`);
    } else {
      out.push(`${col}${pad}${formatMemberDecl(m)}`);
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
