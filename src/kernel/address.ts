/**
 * Addresses as users type them: `ffffffff81000000`, `0x1000`, `linux_banner`, `init_task+0x20`,
 * `(jiffies + 8)`, `schedule+16` — against the kernel's symbol table. Commands that take an address
 * (rd, dis, struct, sym...) share this, so every one reads the same syntax.
 *
 * Numbers: a whole argument that is a bare number is hexadecimal, as crash reads addresses
 * (`rd 1000` is 0x1000). Inside an expression, 0x.. and words with a hex letter are hexadecimal and
 * plain digits decimal, so `schedule+16` is sixteen bytes in, the way `sym` prints offsets.
 * Operators: + - * / % << >> & | ^ ~ and parentheses, unsigned 64-bit, wrapping; C's member access,
 * casts, `*` and `[]` too (`init_task.tasks.next`, `*(long *)jiffies`): src/kernel/expr does the work.
 */
import type { Kernel } from './kernel.js';
import { evaluateAddressExpression } from './expr/index.js';

const MASK = (1n << 64n) - 1n;

export class AddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddressError';
  }
}

/** Evaluate an address expression (symbols, numbers, operators); throws AddressError. */
export function evaluateAddress(k: Kernel | undefined, expr: string): bigint {
  return evaluateAddressExpression(
    k,
    expr,
    (message) => new AddressError(message.replace('no expression given', 'no address given')),
  );
}

/**
 * One address argument: a bare number is hexadecimal (`1000` = 0x1000, and `dead` is 0xdead even
 * if a symbol had that name, as in crash); a symbol name, or an
 * expression (`linux_banner+0x10`, `(init_task + 8)`), is evaluated against the symbol table.
 */
export function parseAddress(k: Kernel | undefined, word: string): bigint {
  const w = word.trim();
  if (/^(0x)?[0-9a-f]+$/i.test(w)) {
    const v = BigInt(w.toLowerCase().startsWith('0x') ? w : '0x' + w);
    if (v > MASK) throw new AddressError(`address too large: ${word}`);
    return v;
  }
  return evaluateAddress(k, w);
}

/** A count or size argument: 0x.. hex, digits decimal, a word with hex letters hex (crash's stol). */
export function parseCount(word: string): bigint {
  const w = word.trim().toLowerCase();
  if (/^0x[0-9a-f]+$/.test(w)) return BigInt(w);
  if (/^[0-9]+$/.test(w)) return BigInt(w);
  if (/^[0-9a-f]+$/.test(w)) return BigInt('0x' + w);
  throw new AddressError(`not a number: ${word}`);
}

/**
 * The lowest kernel address of x86_64 with 5-level paging (57-bit canonical split; the direct map
 * starts at 0xff11000000000000 there). With 4-level paging the kernel half starts higher, at
 * 0xffff800000000000; the addresses in between are non-canonical and fail to translate, so one bound
 * serves both modes as a "could be a kernel pointer" test.
 */
export const KERNEL_SPACE_START = 0xff00000000000000n;

/** Is this address in the kernel half of the x86_64 address space (4- or 5-level paging)? */
export function isKernelAddress(addr: bigint): boolean {
  return addr >= KERNEL_SPACE_START;
}

/** Is this a canonical user-space address (below the 47-bit hole, or the 56-bit one with 5-level paging)? */
export function isUserAddress(addr: bigint): boolean {
  return addr < 0x0100000000000000n;
}

/**
 * Sections of the vmlinux by runtime start address (relocated like symbols). crash's symbol table
 * includes the ELF section symbols, so a value that is exactly a section's start reads as the
 * section's name (init_stack, at the start of .data, shows as ".data").
 */
function sectionStarts(k: Kernel): Map<bigint, string> {
  let m = k.cache.get('address.sectionStarts') as Map<bigint, string> | undefined;
  if (m) return m;
  m = new Map();
  for (const s of k.image.sections()) {
    if (s.addr < 0xffffffff80000000n || s.size === 0n) continue;
    const at = s.addr + k.kaslrOffset;
    if (!m.has(at)) m.set(at, s.name);
  }
  k.cache.set('address.sectionStarts', m);
  return m;
}

/**
 * A kernel value as `symbol` or `symbol+offset` when it points into the kernel image (crash's
 * rd -s and bt -f show words this way); undefined otherwise. The offset is decimal unless
 * `radix` is 16.
 */
export function symbolizeValue(k: Kernel, value: bigint, radix: 10 | 16 = 10): string | undefined {
  if (!isKernelAddress(value)) return undefined;
  const n = k.symbols.nearest(value);
  if (!n) return undefined;
  if (n.offset === 0n) return sectionStarts(k).get(value) ?? n.symbol.name;
  return `${n.symbol.name}+${radix === 16 ? '0x' + n.offset.toString(16) : n.offset.toString()}`;
}
