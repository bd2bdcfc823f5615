/**
 * DWARF type DIEs → the project's Type model (src/kernel/types/type.ts), so the code that formats and
 * reads BTF types reads DWARF ones the same way. Types are built on first use and cached by DIE offset;
 * members, targets, parameters and enumerators are decoded only when read. A named struct, union or enum
 * is redirected to the one DIE the name index keeps for that name (every unit repeats the kernel's
 * types: task_struct is defined in 1,667 of them), which also completes declarations (`struct foo;`).
 */
import { canonicalBaseName } from '../kernel/types/btf.js';
import { DerivedTypes, LazyType, VOID, type LazyParts } from '../kernel/types/lazy-type.js';
import type { Enumerator, Member, Type, TypeKind, TypeSource } from '../kernel/types/type.js';
import * as C from './constants.js';
import type { Die } from './die.js';
import type { Dwarf } from './dwarf.js';
import { DwarfError } from './errors.js';
import { Kind } from './name-index.js';
import type { NameLookup } from './names.js';

const MAX_CHAIN = 64;
/** gcc's names of the C base types (DW_AT_name of DW_TAG_base_type) */
const GCC_BASE_NAMES = [
  'char',
  'signed char',
  'unsigned char',
  'short int',
  'short unsigned int',
  'int',
  'unsigned int',
  'long int',
  'long unsigned int',
  'long long int',
  'long long unsigned int',
  '_Bool',
  '__int128',
  '__int128 unsigned',
  'float',
  'double',
  'long double',
];

class DwarfType extends LazyType {
  constructor(
    kind: TypeKind,
    name: string,
    size: number,
    parts: LazyParts<LazyType>,
    /** the DIE this type was built from */
    readonly dieOffset: number,
  ) {
    super(kind, name, size, parts);
  }
}

/** The type source over one vmlinux's DWARF. */
export class DwarfTypes implements TypeSource {
  private readonly cache = new Map<number, Type>();
  /** `T *`, `const T`, `volatile T` and void around the names DWARF has */
  private readonly derived = new DerivedTypes(8);
  /**
   * Where a DWARF error met while decoding a type's lazy parts (members, target...) goes: those are read
   * long after the question that returned the type, outside any guard. Without a handler it is thrown.
   */
  onProblem: ((e: unknown) => void) | undefined;
  /** types being built right now (a size needs the target's size): bounds a corrupt reference cycle */
  private building = 0;
  /** what DwarfType's getters call: the type's DIE decoded, a DWARF error going to onProblem */
  private readonly parts: LazyParts<LazyType> = {
    targetOf: (t) => this.lazy(() => this.targetOf(t as DwarfType), undefined),
    membersOf: (t) => this.lazy(() => this.membersOf(t as DwarfType), []),
    paramsOf: (t) => this.lazy(() => this.paramsOf(t as DwarfType), []),
    enumeratorsOf: (t) => this.lazy(() => this.enumeratorsOf(t as DwarfType), []),
  };

  constructor(
    readonly dwarf: Dwarf,
    private readonly names: NameLookup,
  ) {}

  get count(): number {
    const ix = this.names.full();
    let n = 0;
    for (const k of [Kind.Struct, Kind.Union, Kind.Enum, Kind.Typedef, Kind.Base]) n += ix.count(k);
    return n;
  }

  find(name: string): Type | undefined {
    return this.derived.find(name, (q) => this.findNamed(q));
  }

  /** A plain name: struct/union/enum X, a typedef, a base type. */
  private findNamed(q: string): Type | undefined {
    const names = this.names;
    const tag = /^(struct|union|enum) (.+)$/.exec(q);
    if (tag) {
      const kind = tag[1] === 'struct' ? Kind.Struct : tag[1] === 'union' ? Kind.Union : Kind.Enum;
      const e = names.lookup(kind, tag[2]!);
      return e ? this.typeAt(e.die) : undefined;
    }
    for (const kind of [Kind.Struct, Kind.Union, Kind.Typedef, Kind.Enum, Kind.Base]) {
      const e = names.lookup(kind, q);
      if (e) return this.typeAt(e.die);
    }
    // 'unsigned long' is gcc's 'long unsigned int'
    const canon = canonicalBaseName(q);
    if (canon) {
      for (const gcc of GCC_BASE_NAMES) {
        if (gcc === q || canonicalBaseName(gcc) !== canon) continue;
        const e = names.lookup(Kind.Base, gcc);
        if (e) return this.typeAt(e.die);
      }
    }
    return undefined;
  }

  /** The type of a global variable: from its definition, else a declaration (`jiffies` has only those). */
  variableType(name: string): Type | undefined {
    // a declaration will do unless it leaves an array's size out (`extern char x[];`): then find the definition
    const e = this.names.lookup(Kind.Variable, name, (d) => !this.incompleteArray(d.die));
    if (!e) return undefined;
    const die = this.dwarf.die(e.die);
    // A definition that completes `extern T x[];` (DW_AT_specification) may carry the sized type (5.10's
    // linux_banner: const char[192]). gdb, and so crash's whatis and p, take a global's type from the first
    // unit naming it: where an earlier unit only declares it (linux_banner, declared in init/main.c before
    // init/version.c defines it) that is the declaration's `x[]` (p prints such a char array as
    // `0xADDR <x> "..."`); where the defining unit comes first (5.10's linux_proc_banner), the sized type.
    const spec = die.ref(C.DW_AT_specification);
    if (spec !== undefined && this.incompleteArray(spec)) {
      const sized = die.has(C.DW_AT_type);
      if (!sized || this.names.namedInEarlierUnit?.(Kind.Variable, name, e.die) !== false)
        return this.declaredType(this.dwarf.die(spec));
    }
    return this.declaredType(die);
  }

  /** A function's prototype (kind 'function', params named) from its DIE. */
  functionType(name: string): Type | undefined {
    const e = this.names.lookup(Kind.Function, name, () => true);
    if (!e) return undefined;
    let die = this.dwarf.die(e.die);
    // an out-of-line definition may carry only DW_AT_specification / abstract_origin: the prototype is there
    for (let i = 0; i < 4 && !die.has(C.DW_AT_type) && !die.hasChildren; i++) {
      const ref = die.ref(C.DW_AT_specification) ?? die.ref(C.DW_AT_abstract_origin);
      if (ref === undefined) break;
      die = this.dwarf.die(ref);
    }
    return this.functionFrom(die);
  }

  enumValue(name: string, _inEnum?: string): bigint | undefined {
    const e = this.names.lookup(Kind.Enumerator, name);
    if (!e) return undefined;
    const t = this.typeAt(e.die);
    return t.enumerators?.find((x) => x.name === name)?.value;
  }

  /** The Type of the DIE at a .debug_info offset. */
  typeAt(offset: number): Type {
    const hit = this.cache.get(offset);
    if (hit) return hit;
    if (this.building > MAX_CHAIN)
      throw new DwarfError('.debug_info', offset, 'type chain too long (a cycle of type references?)');
    this.building++;
    try {
      const t = this.build(this.dwarf.die(offset));
      this.cache.set(offset, t);
      return t;
    } finally {
      this.building--;
    }
  }

  // ---- lazy parts (called through `parts` by DwarfType's getters) ----

  /** @internal run a lazy part; a DWARF error goes to onProblem (when set) and gives `otherwise` */
  lazy<T>(fn: () => T, otherwise: T): T {
    try {
      return fn();
    } catch (e) {
      if (!this.onProblem || !(e instanceof DwarfError || e instanceof RangeError)) throw e;
      this.onProblem(e);
      return otherwise;
    }
  }

  /** @internal */
  targetOf(t: DwarfType): Type | undefined {
    const die = this.dwarf.die(t.dieOffset);
    if (t.kind === 'array') return this.arrayElement(die, t.dieOffset);
    return this.typeRefOf(die);
  }

  /** @internal */
  membersOf(t: DwarfType): Member[] {
    const die = this.dwarf.die(t.dieOffset);
    const out: Member[] = [];
    for (const m of die.unit.children(die)) {
      if (m.tag !== C.DW_TAG_member) continue;
      const type = this.typeRefOf(m) ?? VOID;
      let bitOffset = 0;
      const loc = m.get(C.DW_AT_data_member_location);
      if (typeof loc === 'number') bitOffset = loc * 8;
      else if (typeof loc === 'bigint') bitOffset = Number(loc) * 8;
      else if (Buffer.isBuffer(loc)) bitOffset = memberLocation(loc, m) * 8;
      const bitSize = m.num(C.DW_AT_bit_size) ?? 0;
      const dataBit = m.num(C.DW_AT_data_bit_offset);
      if (dataBit !== undefined) bitOffset = dataBit;
      else if (bitSize && m.has(C.DW_AT_bit_offset)) {
        // DWARF 2/3: bits from the most significant bit of the containing storage unit (little-endian here)
        const storage = (m.num(C.DW_AT_byte_size) ?? type.size) * 8;
        bitOffset += storage - (m.num(C.DW_AT_bit_offset) ?? 0) - bitSize;
      }
      out.push({ name: m.name ?? '', type, bitOffset, bitSize });
    }
    return out;
  }

  /** @internal */
  paramsOf(t: DwarfType): { name: string; type: Type }[] {
    return this.paramsFrom(this.dwarf.die(t.dieOffset));
  }

  /** @internal */
  enumeratorsOf(t: DwarfType): Enumerator[] {
    const die = this.dwarf.die(t.dieOffset);
    const out: Enumerator[] = [];
    const unsigned = t.signed === false;
    for (const e of die.unit.children(die)) {
      if (e.tag !== C.DW_TAG_enumerator) continue;
      const v = e.get(C.DW_AT_const_value);
      let value: bigint;
      if (typeof v === 'number') value = BigInt(v);
      else if (typeof v === 'bigint') value = v;
      else if (typeof v === 'boolean') value = v ? 1n : 0n;
      else value = 0n;
      // data1/2/4 forms are unsigned bit patterns: sign-extend them for a signed enum of that size
      const form = e.form(C.DW_AT_const_value);
      if (
        !unsigned &&
        typeof v === 'number' &&
        form !== undefined &&
        form !== C.DW_FORM_sdata &&
        form !== C.DW_FORM_udata
      ) {
        const bits = form === C.DW_FORM_data1 ? 8 : form === C.DW_FORM_data2 ? 16 : form === C.DW_FORM_data4 ? 32 : 0;
        if (bits && t.size * 8 === bits) value = BigInt.asIntN(bits, value);
      }
      if (typeof v === 'bigint' && !unsigned) value = BigInt.asIntN(64, v);
      out.push({ name: e.name ?? '', value });
    }
    return out;
  }

  // ---- internals ----

  private incompleteArray(die: number): boolean {
    const t = this.declaredType(this.dwarf.die(die));
    let cur = t;
    for (
      let i = 0;
      cur && i < MAX_CHAIN && (cur.kind === 'typedef' || cur.kind === 'const' || cur.kind === 'volatile');
      i++
    )
      cur = cur.target;
    return cur?.kind === 'array' && !cur.length;
  }

  /** The type a variable DIE declares, through DW_AT_specification when the definition leaves it out. */
  private declaredType(die: Die): Type | undefined {
    for (let i = 0; i < 4; i++) {
      if (die.has(C.DW_AT_type)) return this.typeRefOf(die);
      const spec = die.ref(C.DW_AT_specification) ?? die.ref(C.DW_AT_abstract_origin);
      if (spec === undefined) return undefined;
      die = this.dwarf.die(spec);
    }
    return undefined;
  }

  private typeRefOf(die: Die): Type | undefined {
    const ref = die.ref(C.DW_AT_type);
    return ref === undefined ? undefined : this.typeAt(ref);
  }

  private functionFrom(die: Die): Type {
    return new DwarfType('function', '', 0, this.parts, die.offset);
  }

  private paramsFrom(die: Die): { name: string; type: Type }[] {
    const out: { name: string; type: Type }[] = [];
    for (const p of die.unit.children(die)) {
      if (p.tag === C.DW_TAG_formal_parameter) {
        let src = p;
        if (!p.has(C.DW_AT_type)) {
          const origin = p.ref(C.DW_AT_abstract_origin);
          if (origin !== undefined) src = this.dwarf.die(origin);
        }
        out.push({ name: src.name ?? '', type: this.typeRefOf(src) ?? VOID });
      } else if (p.tag === C.DW_TAG_unspecified_parameters) out.push({ name: '...', type: VOID });
    }
    return out;
  }

  /** For a (possibly multi-dimensional) array DIE: the element type of the outermost dimension. */
  private arrayElement(die: Die, offset: number): Type {
    const dims = this.dimensions(die);
    const elem = this.typeRefOf(die) ?? VOID;
    if (dims.length <= 1) return elem;
    // int a[2][3]: an array of 2 arrays of 3; the inner arrays are made here, keyed by dimension
    let inner = elem;
    for (let i = dims.length - 1; i >= 1; i--) {
      const a = new DwarfType('array', '', dims[i]! * inner.size, this.parts, offset);
      a.length = dims[i]!;
      const fixed = inner;
      Object.defineProperty(a, 'target', { value: fixed });
      inner = a;
    }
    return inner;
  }

  /** The outermost dimension has no count and no upper bound (`x[]`). */
  private unboundedFirst(die: Die): boolean {
    for (const s of die.unit.children(die)) {
      if (s.tag !== C.DW_TAG_subrange_type && s.tag !== 0x04) continue;
      return s.num(C.DW_AT_count) === undefined && s.num(C.DW_AT_upper_bound) === undefined;
    }
    return false;
  }

  private dimensions(die: Die): number[] {
    const dims: number[] = [];
    for (const s of die.unit.children(die)) {
      if (s.tag !== C.DW_TAG_subrange_type && s.tag !== 0x04 /* enumeration_type as an index */) continue;
      const count = s.num(C.DW_AT_count);
      const upper = s.num(C.DW_AT_upper_bound);
      const lower = s.num(C.DW_AT_lower_bound) ?? 0;
      let n = 0;
      if (count !== undefined && s.form(C.DW_AT_count) !== C.DW_FORM_exprloc) n = count;
      else if (upper !== undefined && s.form(C.DW_AT_upper_bound) !== C.DW_FORM_exprloc) n = upper - lower + 1;
      dims.push(Math.max(0, n));
    }
    return dims;
  }

  private build(die: Die): Type {
    const name = die.name ?? '';
    const size = die.num(C.DW_AT_byte_size);
    switch (die.tag) {
      case C.DW_TAG_base_type: {
        const enc = die.num(C.DW_AT_encoding) ?? C.DW_ATE_signed;
        const isFloat = enc === C.DW_ATE_float || enc === C.DW_ATE_complex_float;
        const t = new DwarfType(isFloat ? 'float' : 'int', name, size ?? 0, this.parts, die.offset);
        if (!isFloat) {
          t.signed = enc === C.DW_ATE_signed || enc === C.DW_ATE_signed_char;
          t.isChar = enc === C.DW_ATE_signed_char || enc === C.DW_ATE_unsigned_char || /\bchar\b/.test(name);
          t.isBool = enc === C.DW_ATE_boolean;
        }
        return t;
      }
      case C.DW_TAG_unspecified_type:
        return VOID;
      case C.DW_TAG_pointer_type:
      case C.DW_TAG_reference_type:
        return new DwarfType('pointer', '', size ?? die.unit.header.addrSize, this.parts, die.offset);
      case C.DW_TAG_structure_type:
      case C.DW_TAG_union_type:
      case C.DW_TAG_enumeration_type: {
        const kind =
          die.tag === C.DW_TAG_structure_type ? 'struct' : die.tag === C.DW_TAG_union_type ? 'union' : 'enum';
        if (name) {
          const e = this.names.peek(kind === 'struct' ? Kind.Struct : kind === 'union' ? Kind.Union : Kind.Enum, name);
          if (e && e.die !== die.offset) {
            const decl = die.flag(C.DW_AT_declaration);
            // the canonical copy, when this one is a declaration or the same layout
            if (decl || !e.declaration) {
              const canon = this.typeAt(e.die);
              if (decl || canon.size === (size ?? 0)) return canon;
            }
          }
        }
        const t = new DwarfType(kind, name, size ?? 0, this.parts, die.offset);
        if (kind === 'enum') {
          const under = this.typeRefOf(die);
          t.signed = under ? (resolveSigned(under) ?? false) : this.anyNegative(die);
        }
        return t;
      }
      case C.DW_TAG_typedef:
        return new DwarfType('typedef', name, this.sizeOf(die), this.parts, die.offset);
      case C.DW_TAG_const_type:
      case C.DW_TAG_volatile_type: {
        // C qualifies an array's elements, not the array: gcc writes `const (const char)[]`; keep the array
        const kind = die.tag === C.DW_TAG_const_type ? 'const' : 'volatile';
        const target = this.typeRefOf(die);
        if (target?.kind === 'array' && target.target?.kind === kind) return target;
        return new DwarfType(kind, '', target?.size ?? 0, this.parts, die.offset);
      }
      case C.DW_TAG_restrict_type:
        return new DwarfType('restrict', '', this.sizeOf(die), this.parts, die.offset);
      case C.DW_TAG_atomic_type: // _Atomic T: same layout as T
        return this.typeRefOf(die) ?? VOID;
      case C.DW_TAG_array_type: {
        const dims = this.dimensions(die);
        const elemSize = this.sizeOf(die);
        const t = new DwarfType('array', '', dims.reduce((a, b) => a * b, 1) * elemSize, this.parts, die.offset);
        if (size !== undefined) Object.defineProperty(t, 'size', { value: size });
        t.length = dims[0] ?? 0;
        if (this.unboundedFirst(die)) t.unbounded = true;
        return t;
      }
      case C.DW_TAG_subroutine_type:
      case C.DW_TAG_subprogram:
        return new DwarfType('function', '', 0, this.parts, die.offset);
      default:
        return new DwarfType('unknown', name, size ?? 0, this.parts, die.offset);
    }
  }

  private anyNegative(die: Die): boolean {
    for (const e of die.unit.children(die)) {
      const v = e.get(C.DW_AT_const_value);
      if ((typeof v === 'number' || typeof v === 'bigint') && v < 0 && e.form(C.DW_AT_const_value) === C.DW_FORM_sdata)
        return true;
    }
    return false;
  }

  /** Byte size of the type a DIE refers to through DW_AT_type (that type is built, so sizes chain). */
  private sizeOf(die: Die): number {
    const ref = die.ref(C.DW_AT_type);
    return ref === undefined ? 0 : this.typeAt(ref).size;
  }
}

function resolveSigned(t: Type): boolean | undefined {
  let cur: Type | undefined = t;
  for (let i = 0; cur && i < MAX_CHAIN; i++) {
    if (cur.kind === 'int' || cur.kind === 'enum') return cur.signed;
    cur = cur.target;
  }
  return undefined;
}

/** A member location given as an expression: gcc writes DW_OP_plus_uconst N (older compilers). */
function memberLocation(expr: Buffer, m: Die): number {
  if (expr.length >= 2 && expr[0] === 0x23 /* DW_OP_plus_uconst */) {
    let v = 0,
      mul = 1;
    for (let i = 1; i < expr.length; i++) {
      v += (expr[i]! & 0x7f) * mul;
      if (expr[i]! < 0x80) return v;
      mul *= 128;
    }
  }
  if (expr.length >= 2 && expr[0]! >= 0x30 && expr[0]! <= 0x4f && expr[1] === 0x22) return expr[0]! - 0x30; // DW_OP_litN; plus
  throw new DwarfError('.debug_info', m.offset, 'member location expression not understood');
}
