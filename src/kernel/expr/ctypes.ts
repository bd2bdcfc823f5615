/**
 * The C types an expression makes by itself (literals, sizeof, comparisons, pointers to a type):
 * built here, not looked up, so expressions work the same whatever the BTF/DWARF of a kernel names.
 */
import type { Type } from '../types/type.js';

function int(name: string, size: number, signed: boolean): Type {
  return Object.freeze({ kind: 'int', name, size, signed }) as Type;
}

export const C_INT = int('int', 4, true);
export const C_UINT = int('unsigned int', 4, false);
export const C_LONG = int('long', 8, true);
export const C_ULONG = int('unsigned long', 8, false);
export const C_CHAR = Object.freeze({ kind: 'int', name: 'char', size: 1, signed: true, isChar: true }) as Type;
export const C_VOID = Object.freeze({ kind: 'void', name: 'void', size: 0 }) as Type;

const pointers = new WeakMap<Type, Type>();

/** `T *`, one object per target type. */
export function pointerTo(t: Type): Type {
  let p = pointers.get(t);
  if (!p) {
    p = Object.freeze({ kind: 'pointer', name: '', size: 8, target: t }) as Type;
    pointers.set(t, p);
  }
  return p;
}

/** `T [n]` */
export function arrayOf(t: Type, length: number): Type {
  return { kind: 'array', name: '', size: length * t.size, target: t, length };
}
