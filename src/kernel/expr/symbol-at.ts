/**
 * Which symbol gdb names after a pointer (`0xffffffff89c1aae8 <init_task+168>`): only addresses inside
 * the vmlinux image; the symbol at or below the address that has a size and covers it, else the
 * nearest zero-sized one (a label), which gdb then shows only if it is code. Absolute symbols never
 * count. That is why `stack = 0xffffffff89c00000` (init_stack, a zero-sized data label) prints bare.
 */
import type { Kernel } from '../kernel.js';

interface Sorted {
  addrs: bigint[];
  sizes: bigint[];
  kinds: string[];
  names: string[];
  lo: bigint;
  hi: bigint;
}

function sorted(k: Kernel): Sorted {
  const hit = k.cache.get('expr.symbolAt') as Sorted | undefined;
  if (hit) return hit;
  const s: Sorted = { addrs: [], sizes: [], kinds: [], names: [], lo: 0n, hi: 0n };
  for (const sym of k.symbols.inAddressOrder()) {
    if (sym.percpu || sym.module || sym.kind === 'A' || sym.kind === 'a') continue;
    if (sym.address < 0xffff800000000000n) continue;
    s.addrs.push(sym.address);
    s.sizes.push(sym.size);
    s.kinds.push(sym.kind);
    s.names.push(sym.name);
  }
  const text = k.symbols.lookup('_text') ?? k.symbols.lookup('_stext');
  const end = k.symbols.lookup('_end');
  s.lo = text?.address ?? s.addrs[0] ?? 0n;
  s.hi = end?.address ?? (s.addrs.length ? s.addrs[s.addrs.length - 1]! + 1n : 0n);
  k.cache.set('expr.symbolAt', s);
  return s;
}

const isText = (kind: string): boolean => kind === 'T' || kind === 't' || kind === 'W' || kind === 'w';

/** `name` or `name+OFF` (decimal) as gdb prints it inside `<...>`, or undefined. */
export function gdbSymbolAt(k: Kernel, addr: bigint): string | undefined {
  const s = sorted(k);
  if (addr < s.lo || addr >= s.hi || s.addrs.length === 0) return undefined;
  let lo = 0;
  let hi = s.addrs.length - 1;
  if (s.addrs[0]! > addr) return undefined;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (s.addrs[mid]! <= addr) lo = mid;
    else hi = mid - 1;
  }
  let zero = -1;
  let i = lo;
  for (; i >= 0; i--) {
    if (s.sizes[i] === 0n) {
      if (zero < 0) zero = i;
      continue;
    }
    break;
  }
  let pick = i;
  if (pick < 0 || (s.sizes[pick] !== 0n && addr >= s.addrs[pick]! + s.sizes[pick]!)) pick = zero;
  if (pick < 0) return undefined;
  if (s.sizes[pick] === 0n && !isText(s.kinds[pick]!)) return undefined;
  const off = addr - s.addrs[pick]!;
  return off === 0n ? s.names[pick] : `${s.names[pick]}+${off}`;
}
