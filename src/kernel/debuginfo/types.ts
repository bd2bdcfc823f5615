/**
 * What the vmlinux's DWARF adds to the kernel model (src/dwarf/ reads it; no command reads DWARF
 * directly). Everything here takes and returns link-time addresses of the vmlinux; the Kernel's
 * wrappers (Kernel.sourceLine, ...) add or subtract the KASLR offset.
 */
import type { Type, TypeSource } from '../types/type.js';

/** A source position, as the DWARF line table names it (crash prints the file's full path). */
export interface SourceLine {
  file: string;
  line: number;
}

/** One inlined call a code address lies in, innermost first. */
export interface InlineFrame {
  /** the inlined function's name */
  function: string;
  /** where it was inlined into its caller */
  callSite: SourceLine;
}

export interface DebugInfo {
  /** the type of a global variable (`jiffies` → volatile unsigned long), from a definition or a declaration */
  variableType(name: string): Type | undefined;
  /** a function's prototype: kind 'function', target = return type, params named */
  functionType(name: string): Type | undefined;
  /** the source line of a link-time code address (the innermost inline's line, as crash and addr2line print) */
  lineAt(pc: bigint): SourceLine | undefined;
  /** the inlined calls a link-time code address lies in, innermost first (empty when none) */
  inlineFramesAt(pc: bigint): InlineFrame[];
  /**
   * the compilation directory of the unit holding a link-time code address (DW_AT_comp_dir): line-table
   * paths start with it; gdb's `list`, so crash's dis -s, names files relative to it
   */
  compDirAt?(pc: bigint): string | undefined;
  /** the types DWARF describes (used where BTF lacks a type, or the kernel has no BTF) */
  readonly types: TypeSource;
  /**
   * Set once the DWARF turned out unreadable (truncated, corrupt): one line naming the file and offset,
   * e.g. "DWARF of vmlinux-6.1 unreadable at .debug_info offset 0x1234: ...; types from BTF". From then
   * on every answer is "unknown".
   */
  readonly problem?: string;
}
