/**
 * The Type object both readers (BTF, DWARF) build: kind, name and size at once; target, members,
 * parameters and enumerators decoded by the source on first read and kept. Looking up task_struct
 * thus does not build the whole type graph.
 */
import type { Enumerator, Member, Type, TypeKind } from './type.js';

/** What a type source decodes on demand for one of its types. */
export interface LazyParts<T extends Type> {
  targetOf(t: T): Type | undefined;
  membersOf(t: T): Member[];
  paramsOf(t: T): { name: string; type: Type }[];
  enumeratorsOf(t: T): Enumerator[];
}

export class LazyType implements Type {
  declare signed?: boolean;
  declare isChar?: boolean;
  declare isBool?: boolean;
  declare length?: number;
  declare unbounded?: boolean;
  #target?: Type | null;
  #members?: Member[];
  #params?: { name: string; type: Type }[];
  #enumerators?: Enumerator[];

  constructor(
    readonly kind: TypeKind,
    readonly name: string,
    readonly size: number,
    private readonly parts: LazyParts<LazyType>,
  ) {
    // the source is not part of the type's data (JSON, inspection)
    Object.defineProperty(this, 'parts', { enumerable: false });
  }

  get target(): Type | undefined {
    if (this.#target === undefined) this.#target = this.parts.targetOf(this) ?? null;
    return this.#target ?? undefined;
  }
  get members(): Member[] | undefined {
    if (this.kind !== 'struct' && this.kind !== 'union') return undefined;
    return (this.#members ??= this.parts.membersOf(this));
  }
  get params(): { name: string; type: Type }[] | undefined {
    if (this.kind !== 'function') return undefined;
    return (this.#params ??= this.parts.paramsOf(this));
  }
  get enumerators(): Enumerator[] | undefined {
    if (this.kind !== 'enum') return undefined;
    return (this.#enumerators ??= this.parts.enumeratorsOf(this));
  }
}

export const VOID: Type = Object.freeze({ kind: 'void', name: 'void', size: 0 }) as Type;

/**
 * The type names every source reads alike — `T *`, `void`, `const T`, `volatile T` — around the names
 * the source itself knows; the pointer and qualified types are made once per target.
 */
export class DerivedTypes {
  private readonly pointers = new WeakMap<Type, Type>();
  private readonly consts = new WeakMap<Type, Type>();
  private readonly volatiles = new WeakMap<Type, Type>();

  constructor(private readonly pointerSize: number) {}

  /** `name` normalised and resolved; `named` answers a plain name (struct/union/enum X, typedefs, base types). */
  find(name: string, named: (q: string) => Type | undefined): Type | undefined {
    const q = name.trim().replace(/\s+/g, ' ');
    if (q.endsWith('*')) {
      const inner = this.find(q.slice(0, -1), named);
      return inner ? this.pointerTo(inner) : undefined;
    }
    if (q === 'void') return VOID;
    const qual = /^(const|volatile) (.+)$/.exec(q);
    if (qual) {
      const inner = this.find(qual[2]!, named);
      return inner ? this.qualified(qual[1] as 'const' | 'volatile', inner) : undefined;
    }
    return named(q);
  }

  pointerTo(t: Type): Type {
    let ptr = this.pointers.get(t);
    if (!ptr) {
      ptr = { kind: 'pointer', name: '', size: this.pointerSize, target: t };
      this.pointers.set(t, ptr);
    }
    return ptr;
  }

  qualified(kind: 'const' | 'volatile', t: Type): Type {
    const cache = kind === 'const' ? this.consts : this.volatiles;
    let q = cache.get(t);
    if (!q) {
      q = { kind, name: '', size: t.size, target: t };
      cache.set(t, q);
    }
    return q;
  }
}
