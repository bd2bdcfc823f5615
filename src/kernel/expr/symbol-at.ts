/**
 * Which symbol gdb names after a pointer (`0xffffffff89c1aae8 <init_task+168>`): only addresses inside
 * the vmlinux image; the symbol at or below the address that has a size and covers it, else the
 * nearest zero-sized one (a label), which gdb then shows only if it is code. Absolute symbols never
 * count. That is why `stack = 0xffffffff89c00000` (init_stack, a zero-sized data label) prints bare.
 * The search runs on the symbol table's own address order (image symbols only: no per-CPU offsets,
 * no absolute values), so no object is made per symbol.
 */
import type { Kernel } from '../kernel.js';

interface Bounds {
  lo: bigint;
  hi: bigint;
}

function bounds(k: Kernel, addrs: BigUint64Array): Bounds {
  const hit = k.cache.get('expr.symbolAt') as Bounds | undefined;
  if (hit) return hit;
  const text = k.symbols.lookup('_text') ?? k.symbols.lookup('_stext');
  const end = k.symbols.lookup('_end');
  const b: Bounds = {
    lo: text?.address ?? addrs[0] ?? 0n,
    hi: end?.address ?? (addrs.length ? addrs[addrs.length - 1]! + 1n : 0n),
  };
  k.cache.set('expr.symbolAt', b);
  return b;
}

const isText = (kind: string): boolean => kind === 'T' || kind === 't' || kind === 'W' || kind === 'w';

/** `name` or `name+OFF` (decimal) as gdb prints it inside `<...>`, or undefined. */
export function gdbSymbolAt(k: Kernel, addr: bigint): string | undefined {
  const syms = k.symbols;
  const addrs = syms.orderedAddresses();
  const b = bounds(k, addrs);
  if (addr < b.lo || addr >= b.hi || addrs.length === 0) return undefined;
  if (addrs[0]! > addr) return undefined;
  let lo = 0;
  let hi = addrs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (addrs[mid]! <= addr) lo = mid;
    else hi = mid - 1;
  }
  // back over zero-sized labels to the nearest symbol with a size; remember the nearest label
  let zero = -1;
  let i = lo;
  for (; i >= 0; i--) {
    if (syms.orderedSize(i) === 0n) {
      if (zero < 0) zero = i;
      continue;
    }
    break;
  }
  let pick = i;
  if (pick < 0 || addr >= addrs[pick]! + syms.orderedSize(pick)) pick = zero;
  if (pick < 0) return undefined;
  const sym = syms.orderedSymbol(pick);
  if (sym.size === 0n && !isText(sym.kind)) return undefined;
  const off = addr - addrs[pick]!;
  return off === 0n ? sym.name : `${sym.name}+${off}`;
}
