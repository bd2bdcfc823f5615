/**
 * The DWARF fuzz target's material: one small real compile unit of a debug vmlinux, copied into an ELF file
 * of its own so that a mutant is cheap to open and every question reads the mutated bytes. The unit's
 * .debug_info bytes, its abbreviation table and its line program are copied with the two offsets that
 * point into other sections (the header's abbreviation offset, the root's DW_AT_stmt_list) set to 0; the
 * string sections and .debug_rnglists are copied whole (offsets into them stay valid); .debug_aranges is
 * written anew for the unit's one address range.
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DwarfDebugInfo, GuardedDebugInfo } from '../dwarf/debug-info.js';
import * as C from '../dwarf/constants.js';
import { Cursor } from '../dwarf/cursor.js';
import { readValue } from '../dwarf/die.js';
import type { Unit } from '../dwarf/unit.js';
import { buildElf, type SecSpec } from '../elf/build.js';
import { ElfFile } from '../elf/index.js';
import type { Region } from './mutate.js';

/** What each case asks of the (mutated) unit: names and addresses the unmutated unit answers. */
export interface UnitQuestions {
  structs: string[];
  variables: string[];
  functions: string[];
  pcs: bigint[];
}

export interface DwarfUnitSample {
  /** the one-unit ELF file */
  path: string;
  /** the vmlinux's name, as problem lines name it */
  label: string;
  /** the unit's primary source file */
  unitName: string;
  /** file offsets in `path` worth mutating: the unit, its abbreviations, its line program, strings it names */
  regions: Region[];
  /** file offsets of the sh_size fields of the DWARF sections (a truncated section) */
  sizeFields: { section: string; at: number; size: number }[];
  questions: UnitQuestions;
}

/** sections copied whole: offsets into them stay valid */
const WHOLE = ['.debug_str', '.debug_line_str', '.debug_rnglists', '.debug_str_offsets', '.debug_addr'];
const MUTATED = ['.debug_info', '.debug_abbrev', '.debug_line', '.debug_str'];

/**
 * Copy a small unit of `vmlinux` (between minBytes and maxBytes of .debug_info, with a line program, one
 * address range, structs and functions) to `outPath`. The first unit in section order that fits and whose
 * copy answers every question without a problem is taken.
 */
export function extractDwarfUnit(
  vmlinux: string,
  outPath: string,
  minBytes = 12_000,
  maxBytes = 80_000,
): DwarfUnitSample {
  const elf = ElfFile.open(vmlinux);
  try {
    const di = new DwarfDebugInfo(elf, { cacheDir: null });
    const label = basename(vmlinux);
    let tried = 0;
    for (const u of di.dwarf.units) {
      const h = u.header;
      const size = h.end - h.offset;
      if (size < minBytes || size > maxBytes || h.offsetSize !== 4 || h.version < 4) continue;
      const root = u.root;
      if (root.tag !== C.DW_TAG_compile_unit || root.num(C.DW_AT_stmt_list) === undefined) continue;
      const low = root.addr(C.DW_AT_low_pc);
      const highForm = root.form(C.DW_AT_high_pc);
      const high = root.addr(C.DW_AT_high_pc);
      if (low === undefined || high === undefined || highForm === undefined || root.has(C.DW_AT_ranges)) continue;
      const end = highForm === C.DW_FORM_addr ? high : low + high;
      const questions = questionsOf(u, low, end);
      if (questions.structs.length < 2 || questions.functions.length < 2) continue;
      if (++tried > 30) break;
      const sample = writeUnit(di, u, low, end, questions, outPath, label);
      if (answersCleanly(sample)) return sample;
    }
    throw new Error(`${label}: no small unit with types, functions and a line program copies cleanly`);
  } finally {
    elf.close();
  }
}

/** Struct, variable and function names defined at the top of the unit, and code addresses in it. */
function questionsOf(u: Unit, low: bigint, end: bigint): UnitQuestions {
  const q: UnitQuestions = { structs: [], variables: [], functions: [], pcs: [] };
  for (const d of u.children(u.root)) {
    const name = d.name;
    if (!name || d.flag(C.DW_AT_declaration)) continue;
    if (d.tag === C.DW_TAG_structure_type && d.hasChildren && q.structs.length < 6) q.structs.push(name);
    else if (d.tag === C.DW_TAG_variable && q.variables.length < 4) q.variables.push(name);
    else if (d.tag === C.DW_TAG_subprogram && q.functions.length < 4) {
      const pc = d.addr(C.DW_AT_low_pc);
      if (pc === undefined || pc < low || pc >= end) continue;
      q.functions.push(name);
      q.pcs.push(pc, pc + 4n);
    }
  }
  return q;
}

function writeUnit(
  di: DwarfDebugInfo,
  u: Unit,
  low: bigint,
  end: bigint,
  questions: UnitQuestions,
  outPath: string,
  label: string,
): DwarfUnitSample {
  const s = di.dwarf.sections;
  const h = u.header;
  const info = Buffer.from(u.bytes());
  // the abbreviation offset: after length (4), version (2) and, in DWARF 5, unit type and address size
  info.writeUInt32LE(0, h.version >= 5 ? 8 : 6);
  const abbrevAll = s.need('.debug_abbrev').all();
  const abbrev = Buffer.from(abbrevAll.subarray(h.abbrevOffset, abbrevTableEnd(abbrevAll, h.abbrevOffset)));
  const stmtList = u.root.num(C.DW_AT_stmt_list)!;
  const lineSec = s.need('.debug_line');
  const line = lineSec.read(stmtList, 4 + lineSec.read(stmtList, 4).readUInt32LE(0));
  info.writeUInt32LE(0, stmtListAt(u) - h.offset);

  const refs = outsideRefs(u);
  if (refs.refAddr) throw new Error('the unit refers into other units (DW_FORM_ref_addr)');
  const sections: SecSpec[] = [
    { name: '.debug_info', type: 1, data: info, addralign: 1n },
    { name: '.debug_abbrev', type: 1, data: abbrev, addralign: 1n },
    { name: '.debug_line', type: 1, data: Buffer.from(line), addralign: 1n },
    { name: '.debug_aranges', type: 1, data: aranges(low, end), addralign: 1n },
  ];
  const copied = new Set<string>();
  const put = (name: string, data: Buffer) => {
    sections.push({ name, type: 1, data, addralign: 1n });
    copied.add(name);
  };
  if (!refs.indexedStrings) put('.debug_str', compactStrings(info, h.offset, refs.strp, s.need('.debug_str').all()));
  const lists = s.get('.debug_rnglists');
  if (lists && refs.rangeLists.length && h.version >= 5) {
    const one = rangeListContribution(info, h.offset, refs.rangeLists, lists.all());
    if (one) put('.debug_rnglists', one);
  }
  for (const name of WHOLE) {
    const sec = s.get(name);
    if (sec && !copied.has(name)) put(name, Buffer.from(sec.all()));
  }
  writeFileSync(outPath, buildElf({ is64: true, le: true, sections }));

  const out = ElfFile.open(outPath);
  try {
    const at = (name: string) => {
      const sh = out.section(name)!;
      return { offset: Number(sh.offset), length: Number(sh.size) };
    };
    const regions: Region[] = ['.debug_info', '.debug_abbrev', '.debug_line'].map((name) => ({ name, ...at(name) }));
    const str = at('.debug_str');
    // a compacted string section is mutated anywhere; a whole one around the names the questions use
    if (str.length < 1 << 16) regions.push({ name: '.debug_str', ...str });
    else {
      const strBytes = out.read(BigInt(str.offset), str.length);
      for (const name of [...questions.structs, ...questions.functions].slice(0, 12)) {
        const i = strBytes.indexOf(Buffer.from(`\0${name}\0`, 'latin1'));
        if (i >= 0) regions.push({ name: '.debug_str', offset: str.offset + i + 1, length: name.length + 1 });
      }
    }
    const sh = out.header;
    const sizeFields = out.sections
      .map((sec, i) => ({ section: sec.name, at: Number(sh.shoff) + i * sh.shentsize + 32, size: Number(sec.size) }))
      .filter((f) => MUTATED.includes(f.section));
    return { path: outPath, label, unitName: u.name, regions, sizeFields, questions };
  } finally {
    out.close();
  }
}

interface OutsideRefs {
  /** section offsets (in .debug_info) of DW_FORM_strp values */
  strp: number[];
  /** section offsets of DW_AT_ranges (sec_offset) and DW_AT_rnglists_base values */
  rangeLists: number[];
  /** strings through .debug_str_offsets (the string section is then copied whole) */
  indexedStrings: boolean;
  refAddr: boolean;
}

/** Every value of the unit that is an offset into another section, found by reading each DIE in order. */
function outsideRefs(u: Unit): OutsideRefs {
  const r: OutsideRefs = { strp: [], rangeLists: [], indexedStrings: false, refAddr: false };
  const c = u.cursorAt(u.header.dieOffset);
  while (!c.atEnd) {
    const code = c.uleb();
    if (code === 0) continue;
    const ab = u.abbrevs.byCode[code];
    if (!ab) throw new Error(`abbreviation code ${code} missing`);
    for (let i = 0; i < ab.names.length; i++) {
      let form = ab.forms[i]!;
      while (form === C.DW_FORM_indirect) form = c.uleb();
      const at = ab.names[i]!;
      if (form === C.DW_FORM_strp) r.strp.push(c.offset);
      else if (form === C.DW_FORM_ref_addr) r.refAddr = true;
      else if ((form >= C.DW_FORM_strx1 && form <= C.DW_FORM_strx4) || form === C.DW_FORM_strx) r.indexedStrings = true;
      else if (form === C.DW_FORM_sec_offset && (at === C.DW_AT_ranges || at === C.DW_AT_rnglists_base))
        r.rangeLists.push(c.offset);
      readValue(c, form, u, ab.implicit[i]!);
    }
  }
  return r;
}

/** The strings `strp` values name, in a section of their own; the values in `info` are rewritten to it. */
function compactStrings(info: Buffer, infoBase: number, strp: number[], all: Buffer): Buffer {
  const parts: Buffer[] = [];
  const moved = new Map<number, number>();
  let size = 0;
  for (const at of strp) {
    const old = info.readUInt32LE(at - infoBase);
    let now = moved.get(old);
    if (now === undefined) {
      const end = all.indexOf(0, old);
      const bytes = all.subarray(old, end < 0 ? all.length : end + 1);
      moved.set(old, (now = size));
      parts.push(bytes);
      size += bytes.length;
    }
    info.writeUInt32LE(now, at - infoBase);
  }
  return Buffer.concat(parts);
}

/**
 * The one .debug_rnglists contribution (header and lists) holding every range list the unit names, with
 * the unit's offsets into it rewritten; undefined when they span several (the section is then copied whole).
 */
function rangeListContribution(info: Buffer, infoBase: number, refs: number[], all: Buffer): Buffer | undefined {
  const values = refs.map((at) => info.readUInt32LE(at - infoBase));
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  for (let start = 0; start + 4 <= all.length; ) {
    const end = start + 4 + all.readUInt32LE(start);
    if (end <= start + 4 || end > all.length) return undefined;
    if (lo >= start && lo < end) {
      if (hi >= end) return undefined;
      refs.forEach((at, i) => info.writeUInt32LE(values[i]! - start, at - infoBase));
      return Buffer.from(all.subarray(start, end));
    }
    start = end;
  }
  return undefined;
}

/** Where an abbreviation table ends (just past its terminating 0 code). */
function abbrevTableEnd(buf: Buffer, offset: number): number {
  const c = new Cursor(buf, '.debug_abbrev', 0, offset);
  for (;;) {
    if (c.uleb() === 0) return c.pos;
    c.uleb(); // tag
    c.u8(); // children
    for (;;) {
      const at = c.uleb();
      const form = c.uleb();
      if (form === C.DW_FORM_implicit_const) c.sleb();
      if (at === 0 && form === 0) break;
    }
  }
}

/** The section offset of the root DIE's DW_AT_stmt_list value. */
function stmtListAt(u: Unit): number {
  const c = u.cursorAt(u.header.dieOffset);
  const ab = u.abbrevs.byCode[c.uleb()]!;
  for (let i = 0; i < ab.names.length; i++) {
    if (ab.names[i] === C.DW_AT_stmt_list) {
      if (ab.forms[i] !== C.DW_FORM_sec_offset && ab.forms[i] !== C.DW_FORM_data4)
        throw new Error(`DW_AT_stmt_list in form 0x${ab.forms[i]!.toString(16)}`);
      return c.offset;
    }
    readValue(c, ab.forms[i]!, u, ab.implicit[i]!);
  }
  throw new Error('no DW_AT_stmt_list');
}

/** A .debug_aranges set (version 2) for unit 0 with one range. */
function aranges(low: bigint, end: bigint): Buffer {
  const b = Buffer.alloc(48);
  b.writeUInt32LE(44, 0); // unit length
  b.writeUInt16LE(2, 4); // version
  b.writeUInt32LE(0, 6); // .debug_info offset
  b.writeUInt8(8, 10); // address size
  b.writeUInt8(0, 11); // segment selector size; tuples start at 16 (a multiple of twice the address size)
  b.writeBigUInt64LE(low, 16);
  b.writeBigUInt64LE(end - low, 24);
  return b; // the closing (0, 0) tuple is the zeros at 32..47
}

/** What a (possibly mutated) unit answered. */
export interface UnitAnswers {
  /** the guard's one problem line, if DWARF was found unreadable */
  problem: string | undefined;
  /** structs found with members, variables and functions typed, addresses with a source line */
  answered: number;
}

/**
 * Ask every question of a (possibly mutated) one-unit file through the guard the kernel model uses.
 * Anything thrown out of here escaped the guard.
 */
export function askUnit(label: string, q: UnitQuestions, elf: ElfFile): UnitAnswers {
  try {
    const g = new GuardedDebugInfo(new DwarfDebugInfo(elf, { cacheDir: null, label }));
    let answered = 0;
    for (const name of q.structs) {
      const t = g.types.find(`struct ${name}`);
      if (t?.members?.length) answered++;
      for (const m of t?.members ?? []) {
        void m.type.size;
        for (let x = m.type.target, n = 0; x && n < 4; x = x.target, n++) void x.members?.length;
      }
    }
    for (const v of q.variables) if (g.variableType(v)?.size !== undefined) answered++;
    for (const f of q.functions) if (g.functionType(f)?.params?.map((p) => p.type.name)) answered++;
    for (const pc of q.pcs) {
      if (g.lineAt(pc)) answered++;
      g.inlineFramesAt(pc);
    }
    g.types.find('struct no_such_struct_in_this_unit');
    return { problem: g.problem, answered };
  } finally {
    elf.close();
  }
}

function answersCleanly(s: DwarfUnitSample): boolean {
  try {
    const a = askUnit(s.label, s.questions, ElfFile.open(s.path));
    return a.problem === undefined && a.answered >= s.questions.structs.length + s.questions.functions.length;
  } catch {
    return false;
  }
}
