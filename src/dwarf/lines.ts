/**
 * Line number programs (.debug_line, DWARF 5 section 6.2; versions 2–5): the header's directory and
 * file tables, and the state machine run into rows sorted by address. One unit's table is decoded when an
 * address in it is first asked about.
 */
import * as C from './constants.js';
import { lastAtOrBelow } from './sorted.js';
import { Cursor } from './cursor.js';
import type { Dwarf } from './dwarf.js';

export interface LineRow {
  address: bigint;
  file: number;
  line: number;
  endSequence: boolean;
}

export interface LineTable {
  /** full path per file index (as the unit's DWARF version numbers them) */
  files: string[];
  /** rows sorted by address; within one address, an end_sequence row comes first */
  addrs: BigUint64Array;
  fileIdx: Uint32Array;
  lines: Uint32Array;
  ends: Uint8Array;
  /** 1 where the row is a recommended breakpoint location (is_stmt) */
  stmts: Uint8Array;
}

function join(dir: string, name: string): string {
  if (!dir || name.startsWith('/')) return name;
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

interface EntryFormat {
  type: number;
  form: number;
}

/**
 * Decode the line program at `offset` of .debug_line for a unit with this compilation directory and
 * primary file name (DWARF 2–4 number the comp dir 0 implicitly).
 */
export function readLineTable(dwarf: Dwarf, offset: number, compDir: string, addrSizeOfUnit: number): LineTable {
  const sec = dwarf.sections.need('.debug_line');
  const headLen = Math.min(16, sec.size - offset);
  const head = new Cursor(sec.read(offset, headLen), '.debug_line', offset);
  let length = head.u32();
  let offsetSize = 4;
  if (length === 0xffffffff) {
    length = head.u64n();
    offsetSize = 8;
  }
  const total = head.pos + length;
  const c = new Cursor(sec.read(offset, total), '.debug_line', offset, head.pos);
  const version = c.u16();
  if (version < 2 || version > 5) c.fail(`unsupported line table version ${version}`, c.pos - 2);
  let addrSize = addrSizeOfUnit;
  if (version >= 5) {
    addrSize = c.u8();
    c.u8(); // segment selector size
  }
  const headerLength = c.uN(offsetSize);
  const programStart = c.pos + headerLength;
  const minInst = c.u8();
  if (version >= 4) c.u8(); // maximum_operations_per_instruction (VLIW only)
  const defaultIsStmt = c.u8() !== 0;
  const lineBase = c.i8();
  const lineRange = c.u8();
  const opcodeBase = c.u8();
  if (lineRange === 0) c.fail('line_range is 0');
  const stdLengths: number[] = [0];
  for (let i = 1; i < opcodeBase; i++) stdLengths.push(c.u8());

  const dirs: string[] = [];
  const files: string[] = [];
  if (version >= 5) {
    const dirFormats = readFormats(c);
    const nDirs = entryCount(c, dirFormats);
    for (let i = 0; i < nDirs; i++) {
      const e = readEntry(c, dirFormats, dwarf, offsetSize);
      dirs.push(i === 0 ? e.path : join(dirs[0] ?? '', e.path));
    }
    const fileFormats = readFormats(c);
    const nFiles = entryCount(c, fileFormats);
    for (let i = 0; i < nFiles; i++) {
      const e = readEntry(c, fileFormats, dwarf, offsetSize);
      files.push(join(dirs[e.dir] ?? '', e.path));
    }
  } else {
    dirs.push(compDir);
    for (;;) {
      const d = c.cstring();
      if (!d) break;
      dirs.push(join(compDir, d));
    }
    files.push(''); // file numbers start at 1
    for (;;) {
      const name = c.cstring();
      if (!name) break;
      const dir = c.uleb();
      c.uleb();
      c.uleb();
      files.push(join(dirs[dir] ?? '', name));
    }
  }

  // the state machine
  c.pos = programStart;
  const addrs: bigint[] = [];
  const fileIdx: number[] = [];
  const lines: number[] = [];
  const ends: number[] = [];
  const stmts: number[] = [];
  let address = 0n;
  let file = 1;
  let line = 1;
  let isStmt = defaultIsStmt;
  const emit = (end: boolean) => {
    addrs.push(address);
    fileIdx.push(file);
    lines.push(line);
    ends.push(end ? 1 : 0);
    stmts.push(isStmt ? 1 : 0);
  };
  const reset = () => {
    address = 0n;
    file = 1;
    line = 1;
    isStmt = defaultIsStmt;
  };
  const end = c.end;
  while (c.pos < end) {
    const op = c.u8();
    if (op >= opcodeBase) {
      const adj = op - opcodeBase;
      address += BigInt(Math.floor(adj / lineRange) * minInst);
      line += lineBase + (adj % lineRange);
      emit(false);
      continue;
    }
    switch (op) {
      case 0: {
        const len = c.uleb();
        const next = c.pos + len;
        if (len === 0) break;
        const ext = c.u8();
        if (ext === C.DW_LNE_end_sequence) {
          emit(true);
          reset();
        } else if (ext === C.DW_LNE_set_address) {
          address = c.addr(len - 1 === 4 ? 4 : len - 1 === 8 ? 8 : addrSize);
        }
        c.pos = next;
        break;
      }
      case C.DW_LNS_copy:
        emit(false);
        break;
      case C.DW_LNS_advance_pc:
        address += BigInt(c.uleb() * minInst);
        break;
      case C.DW_LNS_advance_line:
        line += c.sleb();
        break;
      case C.DW_LNS_set_file:
        file = c.uleb();
        break;
      case C.DW_LNS_set_column:
        c.uleb();
        break;
      case C.DW_LNS_negate_stmt:
        isStmt = !isStmt;
        break;
      case C.DW_LNS_set_basic_block:
      case C.DW_LNS_set_prologue_end:
      case C.DW_LNS_set_epilogue_begin:
        break;
      case C.DW_LNS_const_add_pc:
        address += BigInt(Math.floor((255 - opcodeBase) / lineRange) * minInst);
        break;
      case C.DW_LNS_fixed_advance_pc:
        address += BigInt(c.u16());
        break;
      default:
        // an unknown standard opcode: skip its ULEB operands
        for (let i = 0; i < (stdLengths[op] ?? 0); i++) c.uleb();
    }
    address = BigInt.asUintN(64, address);
  }

  // sort the rows by address, keeping program order within an address and end_sequence rows first
  const order = addrs.map((_, i) => i);
  order.sort((a, b) => {
    const x = addrs[a]!,
      y = addrs[b]!;
    if (x !== y) return x < y ? -1 : 1;
    if (ends[a] !== ends[b]) return ends[b]! - ends[a]!;
    return a - b;
  });
  const t: LineTable = {
    files,
    addrs: new BigUint64Array(order.length),
    fileIdx: new Uint32Array(order.length),
    lines: new Uint32Array(order.length),
    ends: new Uint8Array(order.length),
    stmts: new Uint8Array(order.length),
  };
  order.forEach((i, k) => {
    t.addrs[k] = addrs[i]!;
    t.fileIdx[k] = fileIdx[i]!;
    t.lines[k] = lines[i]!;
    t.ends[k] = ends[i]!;
    t.stmts[k] = stmts[i]!;
  });
  return t;
}

/** A directory or file count, bounded: every entry takes at least one byte, so no more than the bytes left. */
function entryCount(c: Cursor, formats: EntryFormat[]): number {
  const at = c.pos;
  const n = c.uleb();
  if (n > 0 && (formats.length === 0 || n > c.end - c.pos)) c.fail(`line table header: ${n} entries cannot fit`, at);
  return n;
}

function readFormats(c: Cursor): EntryFormat[] {
  const n = c.u8();
  const out: EntryFormat[] = [];
  for (let i = 0; i < n; i++) out.push({ type: c.uleb(), form: c.uleb() });
  return out;
}

function readEntry(c: Cursor, formats: EntryFormat[], dwarf: Dwarf, offsetSize: number): { path: string; dir: number } {
  let path = '';
  let dir = 0;
  for (const f of formats) {
    let v: number | string | undefined;
    switch (f.form) {
      case C.DW_FORM_string:
        v = c.cstring();
        break;
      case C.DW_FORM_line_strp:
        v = dwarf.lineStr(c.uN(offsetSize));
        break;
      case C.DW_FORM_strp:
        v = dwarf.str(c.uN(offsetSize));
        break;
      case C.DW_FORM_udata:
        v = c.uleb();
        break;
      case C.DW_FORM_data1:
        v = c.u8();
        break;
      case C.DW_FORM_data2:
        v = c.u16();
        break;
      case C.DW_FORM_data4:
        v = c.u32();
        break;
      case C.DW_FORM_data8:
        c.skip(8);
        break;
      case C.DW_FORM_data16:
        c.skip(16);
        break;
      case C.DW_FORM_block:
        c.skip(c.uleb());
        break;
      default:
        c.fail(`unsupported form 0x${f.form.toString(16)} in a line table entry`);
    }
    if (f.type === C.DW_LNCT_path && typeof v === 'string') path = v;
    else if (f.type === C.DW_LNCT_directory_index && typeof v === 'number') dir = v;
  }
  return { path, dir };
}

/**
 * The row for `pc`: the last row at or below pc, unless it ends a sequence. When that row is not a
 * statement (is_stmt false) and an earlier row at the same address is, that one: gdb's choice, and so
 * crash's (addr2line takes the last row: `do_group_exit+0x10d` is exit.c:1011 for crash, 1012 for it).
 */
export function lookupRow(t: LineTable, pc: bigint): { file: string; line: number } | undefined {
  const a = t.addrs;
  let found = lastAtOrBelow(a, pc);
  if (found < 0 || t.ends[found]) return undefined;
  if (!t.stmts[found]) {
    for (let i = found - 1; i >= 0 && a[i] === a[found] && !t.ends[i]; i--)
      if (t.stmts[i]) {
        found = i;
        break;
      }
  }
  const file = t.files[t.fileIdx[found]!];
  if (file === undefined) return undefined;
  return { file, line: t.lines[found]! };
}

/** Every row at the address lookupRow settles on for `pc` (to explain a choice among several). */
export function rowsAt(t: LineTable, pc: bigint): { file: string; line: number; stmt: boolean }[] {
  const a = t.addrs;
  const found = lastAtOrBelow(a, pc);
  const out: { file: string; line: number; stmt: boolean }[] = [];
  for (let i = found; i >= 0 && a[i] === a[found] && !t.ends[i]; i--)
    out.unshift({ file: t.files[t.fileIdx[i]!] ?? '', line: t.lines[i]!, stmt: t.stmts[i] === 1 });
  return out;
}
