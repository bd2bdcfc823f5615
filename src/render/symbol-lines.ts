/**
 * crash's text forms of symbols: the `sym` line (`ffffffff8e1cc3a0 (T) panic+5 kernel/panic.c: 276`),
 * the MODULE START/END lines of `sym -l`, and `name+offset` as `dis` and `sym` write it (decimal
 * offsets, hexadecimal under `set radix 16`).
 */
import type { ListedSymbol } from '../kernel/symbol-list.js';
import type { SourceLine } from '../kernel/debuginfo/types.js';

export interface SymbolLineOptions {
  /** offset radix: 10 (+16) or 16 (+0x10) */
  radix: 10 | 16;
  /** append " [module]" to a module symbol */
  showModule?: boolean;
  /** source position to append (text symbols, with DWARF) */
  line?: SourceLine;
  /** section name to append as " [.text]" (sym -s) */
  section?: string;
}

/** `+16` / `+0x10`, or '' at offset 0. */
export function offsetText(offset: bigint, radix: 10 | 16): string {
  if (offset === 0n) return '';
  return radix === 16 ? `+0x${offset.toString(16)}` : `+${offset.toString(10)}`;
}

/** `name+offset` (crash's value_to_symstr). */
export function symbolOffsetText(s: ListedSymbol, offset: bigint, radix: 10 | 16): string {
  return s.name + offsetText(offset, radix);
}

/** The file:line text crash appends (`kernel/sched/core.c: 6654`). */
export function sourceLineText(l: SourceLine): string {
  return `${l.file}: ${l.line}`;
}

/** One `sym` line: address, (type), name+offset, [module], file: line. */
export function symbolLine(s: ListedSymbol, offset: bigint, o: SymbolLineOptions): string {
  let out = `${(s.value + offset).toString(16)} (${s.type}) ${symbolOffsetText(s, offset, o.radix)}`;
  if (o.showModule && s.module) out += ` [${s.module}]`;
  if (o.line) out += ' ' + sourceLineText(o.line);
  if (o.section !== undefined) out += ` [${o.section}]`;
  return out;
}

/** A module's pseudo-symbol line in `sym -l` / `sym -m`: `ffffffffc03fb000 MODULE START: virtio_blk`. */
export function moduleMarkerLine(s: ListedSymbol): string {
  const what = `${s.area ? s.area + ' ' : ''}${s.marker === 'start' ? 'START' : 'END'}`;
  return `${s.value.toString(16)} MODULE ${what}: ${s.name}`;
}
