/**
 * The type model every type source produces (BTF now, DWARF later). Types are plain objects;
 * a source builds them lazily and caches them, so the same name gives the same object.
 */

export type TypeKind =
  | 'void'
  | 'int' // integers, chars, bool
  | 'float'
  | 'pointer'
  | 'array'
  | 'struct'
  | 'union'
  | 'enum'
  | 'typedef'
  | 'const'
  | 'volatile'
  | 'restrict'
  | 'function' // a function prototype (BTF FUNC_PROTO)
  | 'unknown';

export interface Member {
  /** '' for an anonymous struct/union member */
  name: string;
  type: Type;
  /** offset from the start of the enclosing struct, in bits */
  bitOffset: number;
  /** 0 for a normal member, the width for a bitfield */
  bitSize: number;
}

export interface Enumerator {
  name: string;
  value: bigint;
}

export interface Type {
  kind: TypeKind;
  /** 'task_struct' for struct task_struct, 'u64' for a typedef, '' when anonymous */
  name: string;
  /** size in bytes (0 for void/function; for typedef/const/volatile, the size of the target) */
  size: number;
  /** int: signedness; enum: whether any value is negative */
  signed?: boolean;
  /** int: true for char types (crash/gdb print them as characters) */
  isChar?: boolean;
  /** int: true for _Bool */
  isBool?: boolean;
  /** pointer / array / typedef / const / volatile / restrict: what it refers to */
  target?: Type;
  /** array: number of elements (0 for a flexible array member) */
  length?: number;
  /** array: declared without a size (`x[]`: a flexible array member, an incomplete `extern` array); gdb writes `[]` */
  unbounded?: boolean;
  /** struct / union */
  members?: Member[];
  /** enum */
  enumerators?: Enumerator[];
  /** function: return type (target) and parameters */
  params?: { name: string; type: Type }[];
}

/** A source of types: BTF today, DWARF later (both can be consulted, first hit wins). */
export interface TypeSource {
  /**
   * Look a type up by C name: 'struct task_struct', 'union thread_union', 'enum pid_type',
   * a typedef name ('pid_t', 'u64'), or a base type ('int', 'unsigned long', 'char').
   * A bare name without a keyword finds a struct, then a union, typedef, enum or base type of that name.
   */
  find(name: string): Type | undefined;
  /** The type of a global variable (BTF VAR / DWARF), when the source knows it. */
  variableType?(name: string): Type | undefined;
  /**
   * The value of an enumerator by name (e.g. 'PIDTYPE_PID'), searching every enum; `inEnum` (e.g. 'pid_type')
   * names the enum it is in, when the caller knows: BTF then looks there first, with no index of every
   * enumerator to build.
   */
  enumValue?(name: string, inEnum?: string): bigint | undefined;
  /** Number of types, for statistics and benchmarks. */
  readonly count: number;
}

/** Strip typedefs and qualifiers down to the type that has a layout. */
export function resolve(t: Type): Type {
  let cur = t;
  for (let i = 0; i < 64; i++) {
    if (cur.kind === 'typedef' || cur.kind === 'const' || cur.kind === 'volatile' || cur.kind === 'restrict') {
      if (!cur.target) return cur;
      cur = cur.target;
    } else return cur;
  }
  return cur;
}

/** A member found by name, with its offset from the outer struct (anonymous members searched through). */
export interface FoundMember {
  member: Member;
  /** bit offset from the start of the outermost struct */
  bitOffset: number;
}

/**
 * Find a member by name, descending into anonymous struct/union members (the kernel uses many,
 * e.g. task_struct's randomized layout wraps fields in an anonymous struct).
 */
export function findMember(t: Type, name: string): FoundMember | undefined {
  const s = resolve(t);
  if (!s.members) return undefined;
  for (const m of s.members) {
    if (m.name === name) return { member: m, bitOffset: m.bitOffset };
  }
  for (const m of s.members) {
    if (m.name === '') {
      const inner = findMember(m.type, name);
      if (inner) return { member: inner.member, bitOffset: m.bitOffset + inner.bitOffset };
    }
  }
  return undefined;
}

/**
 * Follow a dotted member path ('se.sum_exec_runtime', 'signal.thread_head' only through embedded
 * structs, not pointers). Returns the final member and its byte-level bit offset.
 */
export function findMemberPath(t: Type, path: string): FoundMember | undefined {
  // hot: readers ask the same struct for the same member once per object (10,000 tasks): remember answers
  let memo = memberMemo.get(t);
  if (!memo) memberMemo.set(t, (memo = new Map()));
  let found = memo.get(path);
  if (found === undefined) {
    found = findMemberPathUncached(t, path) ?? null;
    memo.set(path, found);
  }
  return found ?? undefined;
}

/** Member lookups by type object (types are immutable once built; a type dropped with its source is forgotten). */
const memberMemo = new WeakMap<Type, Map<string, FoundMember | null>>();

function findMemberPathUncached(t: Type, path: string): FoundMember | undefined {
  let cur = t;
  let bits = 0;
  let last: Member | undefined;
  for (const part of path.split('.')) {
    const f = findMember(cur, part);
    if (!f) return undefined;
    bits += f.bitOffset;
    last = f.member;
    cur = f.member.type;
  }
  return last ? { member: last, bitOffset: bits } : undefined;
}

/** C spelling of a type, as crash/gdb would print it in a declaration ('struct list_head *'). */
export function typeName(t: Type): string {
  switch (t.kind) {
    case 'struct':
    case 'union':
    case 'enum':
      return `${t.kind} ${t.name || '{...}'}`;
    case 'pointer':
      return t.target ? `${typeName(t.target)} *` : 'void *';
    case 'array':
      return `${t.target ? typeName(t.target) : '?'} [${t.length ?? ''}]`;
    case 'const':
      return `const ${t.target ? typeName(t.target) : 'void'}`;
    case 'volatile':
      return `volatile ${t.target ? typeName(t.target) : 'void'}`;
    case 'function':
      return `${t.target ? typeName(t.target) : 'void'} (*)()`;
    case 'void':
      return 'void';
    default:
      return t.name || '?';
  }
}
