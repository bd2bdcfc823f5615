/**
 * The kernel's complete symbol list in the order crash keeps it (what `sym -l` prints, what `sym ADDRESS`
 * and `dis` name addresses with): every vmlinux symbol from the kernel image on, plus the per-CPU
 * symbols, then each loaded module's symbols from the kallsyms copy in the dump.
 *
 * It differs from SymbolTable (symbols.ts, the lookups bt, rd and the rest use) on purpose:
 * - every symbol of .symtab is listed, compiler labels (.LC0) and section symbols (.rodata) too, and a
 *   section symbol is named after its section, as BFD (and so crash and nm) name it;
 * - order is (link-time value, name) with names compared bytewise, the sort crash applies; the names
 *   shown drop the .isra./.part./.llvm. suffixes of GCC/LLVM clones, as crash does;
 * - below the image (symbols sorted before `_text`/`_stext`) only the per-CPU area is kept:
 *   `__per_cpu_start` and the data symbols after it (per-CPU offsets, printed unrelocated);
 * - the type letter is nm's (BFD's): from the symbol's binding and its section's flags.
 * Addresses: a value inside the image's sections moves by the KASLR offset; others (per-CPU offsets,
 * absolute values outside the image) are kept as linked.
 */
import type { Kernel } from './kernel.js';
import type { KSymbol } from './symbols.js';
import { loadedModules, moduleSymbols, type KernelModule } from './objects/modules.js';

export interface ListedSymbol {
  /** as crash shows it (clone suffixes removed) */
  name: string;
  /** runtime address (relocated), or the per-CPU offset */
  value: bigint;
  /** nm's letter: T t D d B b R r A a W V ?; for module symbols crash's (t, T or ?) */
  type: string;
  /** link-time symbol size from the vmlinux (0 when unknown, and for module symbols) */
  size: bigint;
  /** the loaded module, for module symbols */
  module?: string;
  /**
   * a pseudo-symbol marking where a module (up to 6.3) or one of its memory areas (6.4+: TEXT, DATA,
   * RODATA, RO_AFTER_INIT) starts or ends: crash's `MODULE START` / `MODULE TEXT END` lines
   */
  marker?: 'start' | 'end';
  /** the area a marker belongs to (6.4+), e.g. 'TEXT' */
  area?: string;
  /** an ELF section symbol (named after its section) */
  section?: boolean;
}

/** One loaded module's part of the list: its pseudo start/end markers and its symbols in between. */
export interface ModuleSymbolList {
  module: KernelModule;
  /** address-ordered, starting with the `start` marker and ending with the `end` marker */
  symbols: ListedSymbol[];
}

const STT_SECTION = 3;
const STT_FILE = 4;
const STT_GNU_IFUNC = 10;
const STB_LOCAL = 0;
const STB_GLOBAL = 1;
const STB_WEAK = 2;
const STB_GNU_UNIQUE = 10;
const SHN_UNDEF = 0;
const SHN_ABS = 0xfff1;
const SHN_COMMON = 0xfff2;
const SHT_NOBITS = 8;
const SHF_WRITE = 1n;
const SHF_ALLOC = 2n;
const SHF_EXECINSTR = 4n;

/** GCC/LLVM clone suffixes crash cuts from names (`foo.isra.0` is shown as `foo`) */
const CLONE_SUFFIXES = ['.isra.', '.part.', '.llvm.'];

function displayName(name: string): string {
  for (const s of CLONE_SUFFIXES) {
    const i = name.indexOf(s);
    if (i >= 0) return name.slice(0, i);
  }
  return name;
}

/** Bytewise comparison (C's strcmp) of two names. */
function strcmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The vmlinux's symbols in crash's order (cached per session). */
export function kernelSymbolList(k: Kernel): ListedSymbol[] {
  const hit = k.cache.get('symbol-list/kernel') as ListedSymbol[] | undefined;
  if (hit) return hit;
  const list = buildKernelList(k);
  k.cache.set('symbol-list/kernel', list);
  return list;
}

function buildKernelList(k: Kernel): ListedSymbol[] {
  if (!k.elf) return listFromSymbolTable(k);
  const tab = k.elf.symbolTable();
  if (!tab) return [];
  const sections = k.elf.sections;
  // sort keys without a bigint per comparison: the value as two 32-bit halves, then the name
  const n = tab.count;
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  const names: string[] = new Array<string>(n);
  const letters: string[] = new Array<string>(n);
  const isSection = new Uint8Array(n);
  const order: number[] = [];
  for (let i = 1; i < n; i++) {
    const shndx = tab.shndx(i);
    if (shndx === SHN_UNDEF) continue; // undefined symbols sort before everything and are never kept
    const type = tab.type(i);
    if (type === STT_FILE) continue; // source file names: absolute zeros, never kept either
    const sec = shndx < 0xff00 ? sections[shndx] : undefined;
    const name = type === STT_SECTION ? (sec?.name ?? '') : tab.name(i);
    if (!name) continue;
    const v = tab.value(i);
    hi[i] = Number(v >> 32n);
    lo[i] = Number(v & 0xffffffffn);
    names[i] = name;
    letters[i] = nmLetter(type, tab.bind(i), shndx, sec);
    if (type === STT_SECTION) isSection[i] = 1;
    order.push(i);
  }
  order.sort((a, b) => hi[a]! - hi[b]! || lo[a]! - lo[b]! || strcmp(names[a]!, names[b]!));

  const { start, end } = imageRange(k);
  const out: ListedSymbol[] = [];
  let inImage = false;
  let perCpu = false;
  for (const i of order) {
    const name = names[i]!;
    const letter = letters[i]!;
    if (!inImage) {
      // below the kernel image only the per-CPU area (from __per_cpu_start on) is listed
      if (name === '_text' || name === '_stext') inImage = true;
      else if (name === '__per_cpu_start') perCpu = true;
      else if (!perCpu) continue;
      else if (!(name.startsWith('per_cpu') || name === '__per_cpu_end' || 'VdD'.includes(letter))) continue;
    }
    const link = tab.value(i);
    const value = link >= start && link <= end ? BigInt.asUintN(64, link + k.kaslrOffset) : link;
    const entry: ListedSymbol = { name: displayName(name), value, type: letter, size: tab.size(i) };
    if (isSection[i]) entry.section = true;
    out.push(entry);
  }
  return out;
}

/**
 * Without a vmlinux (a vmcore opened alone) the list is the kernel's kallsyms: no section symbols or
 * compiler labels, sizes up to the next symbol. Per-CPU symbols first, then the image, as above.
 */
function listFromSymbolTable(k: Kernel): ListedSymbol[] {
  const entry = (s: KSymbol): ListedSymbol => ({
    name: displayName(s.name),
    value: s.address,
    type: s.kind,
    size: s.size,
  });
  const byValueName = (a: ListedSymbol, b: ListedSymbol): number =>
    a.value < b.value ? -1 : a.value > b.value ? 1 : strcmp(a.name, b.name);
  const perCpu = [...k.symbols.perCpuSymbols()].map(entry).sort(byValueName);
  // names sharing an address in name order, as a vmlinux's list has them (kallsyms keeps its own tie order);
  // the image starts at _text/_stext, as above: a name sorting before it at its address (6.12's
  // __pfx_sev_es_terminate) is left out
  const image = [...k.symbols.inAddressOrder()].map(entry).sort(byValueName);
  const first = image.findIndex((s) => s.name === '_text' || s.name === '_stext');
  return [...perCpu, ...image.slice(Math.max(first, 0))];
}

/** Link-time [start of .text, end of the last section after it]: the values KASLR moves. */
function imageRange(k: Kernel): { start: bigint; end: bigint } {
  if (!k.elf) return { start: 1n, end: 0n };
  const sections = k.elf.sections;
  const text = sections.findIndex((s) => s.name === '.text');
  if (text < 0) return { start: 1n, end: 0n };
  let end = 0n;
  for (let i = text; i < sections.length; i++) {
    const e = sections[i]!.addr + sections[i]!.size;
    if (e > end) end = e;
  }
  return { start: sections[text]!.addr, end };
}

/** nm's type letter for an ELF symbol (BFD's rules: binding, then the section's flags). */
function nmLetter(type: number, bind: number, shndx: number, sec: { flags: bigint; type: number } | undefined): string {
  if (shndx === SHN_COMMON) return 'C';
  if (type === STT_GNU_IFUNC) return 'i';
  if (bind === STB_WEAK) return type === 1 /* STT_OBJECT */ ? 'V' : 'W';
  if (bind === STB_GNU_UNIQUE) return 'u';
  if (bind !== STB_LOCAL && bind !== STB_GLOBAL) return '?';
  let c: string;
  if (shndx === SHN_ABS) c = 'a';
  else if (!sec) c = '?';
  else if (sec.flags & SHF_EXECINSTR) c = 't';
  else if (sec.flags & SHF_ALLOC) {
    if (sec.type === SHT_NOBITS) c = 'b';
    else c = sec.flags & SHF_WRITE ? 'd' : 'r';
  } else c = 'n';
  return bind === STB_GLOBAL && type !== STT_SECTION ? c.toUpperCase() : c;
}

/**
 * The core memory areas of a 6.4+ module, in enum mod_mem_type order (MOD_TEXT, MOD_DATA, MOD_RODATA,
 * MOD_RO_AFTER_INIT); the init areas after them are freed once the module is loaded.
 */
const MODULE_AREAS = ['TEXT', 'DATA', 'RODATA', 'RO_AFTER_INIT'];

interface Area {
  /** '' for a module up to 6.3 (one core area) */
  label: string;
  base: bigint;
  size: bigint;
}

/** A module's areas as crash lists them: mod->mem[] (6.4+) or the one core_layout. */
function moduleAreas(k: Kernel, m: KernelModule): Area[] {
  if (m.layout !== 'mem') return [{ label: '', base: m.base, size: m.size }];
  const out: Area[] = [];
  try {
    const mem = k.object('struct module', m.address).field('mem');
    MODULE_AREAS.forEach((label, i) => {
      const a = mem.index(i);
      const base = a.field('base').value();
      const size = BigInt(a.field('size').num());
      if (base !== 0n && size > 0n) out.push({ label, base, size });
    });
  } catch {
    return m.areas.map((a, i) => ({ label: MODULE_AREAS[i] ?? '', base: a.base, size: a.size }));
  }
  return out;
}

/**
 * Each loaded module's symbols as crash lists them, lowest base first: per area a start marker, the
 * kallsyms symbols inside it (crash's letter: t/T for local/global functions, ? for anything else)
 * in address order, and an end marker — at base + size up to 6.3, at the area's last byte from 6.4.
 */
export function moduleSymbolLists(k: Kernel): ModuleSymbolList[] {
  const hit = k.cache.get('symbol-list/modules') as ModuleSymbolList[] | undefined;
  if (hit) return hit;
  const out: ModuleSymbolList[] = [];
  for (const m of loadedModules(k).modules) {
    const all = moduleSymbols(k, m).symbols;
    const symbols: ListedSymbol[] = [];
    for (const area of moduleAreas(k, m)) {
      const seen = new Set<string>();
      const marker = (kind: 'start' | 'end', value: bigint): ListedSymbol => ({
        name: m.name,
        value,
        type: '',
        size: 0n,
        module: m.name,
        marker: kind,
        ...(area.label ? { area: area.label } : {}),
      });
      symbols.push(marker('start', area.base));
      // moduleSymbols is address-sorted (stable): ties keep the kallsyms order, as crash's sort does
      for (const s of all) {
        if (s.address < area.base || s.address >= area.base + area.size) continue;
        const name = displayName(s.name);
        const key = `${s.address}:${name}`;
        if (seen.has(key)) continue;
        seen.add(key);
        symbols.push({ name, value: s.address, type: moduleLetter(s.elfInfo), size: 0n, module: m.name });
      }
      symbols.push(marker('end', area.base + area.size - (area.label ? 1n : 0n)));
    }
    out.push({ module: m, symbols });
  }
  k.cache.set('symbol-list/modules', out);
  return out;
}

/** crash's letter for a module symbol: st_info itself when printable, t/T for local/global functions, else ?. */
function moduleLetter(info: number | undefined): string {
  if (info === undefined) return '?';
  if (info >= 0x20 && info < 0x7f) return String.fromCharCode(info);
  if (info === 0x02) return 't';
  if (info === 0x12) return 'T';
  return '?';
}

/** Index of the last entry with value <= addr (binary search), or -1. */
function lastAtOrBelow(list: ListedSymbol[], addr: bigint): number {
  let lo = 0;
  let hi = list.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.value <= addr) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** Is `addr` within the kernel's listed symbols (image part) — crash's "in symbol range" test? */
function inKernelRange(k: Kernel, list: ListedSymbol[], addr: bigint): boolean {
  let first = k.cache.get('symbol-list/first-image') as number | undefined;
  if (first === undefined) {
    first = list.findIndex((s) => s.name === '_text' || s.name === '_stext');
    k.cache.set('symbol-list/first-image', first);
  }
  if (first < 0 || list.length === 0) return false;
  return addr >= list[first]!.value && addr <= list[list.length - 1]!.value;
}

/**
 * Among symbols sharing an address, the one crash names it by: the first in name order, except that a
 * `.text.` section symbol, a syscall alias (`SyS_`, `compat_SyS_`) or a region marker
 * (`__cpuidle_text_start`) gives way to the next symbol at the same address.
 */
function preferredAt(list: ListedSymbol[], j: number): ListedSymbol {
  const value = list[j]!.value;
  const nextAt = (i: number): boolean => list[i + 1]?.value === value;
  if (list[j]!.name.startsWith('.text.') && nextAt(j)) j++;
  if ((list[j]!.name.startsWith('SyS_') || list[j]!.name.startsWith('compat_SyS_')) && nextAt(j)) j++;
  if (list[j]!.name.includes('_text_start') && nextAt(j)) j++;
  return list[j]!;
}

export interface SymbolHit {
  symbol: ListedSymbol;
  offset: bigint;
}

/**
 * The symbol an address belongs to, as crash's `sym ADDRESS` and `dis` name it: at an exact symbol
 * value the first symbol of that value (in name order), between symbols the last one below. Module
 * addresses are looked up in the module holding them; addresses past the last kernel symbol and
 * outside every module have no symbol.
 */
export function symbolAt(k: Kernel, addr: bigint): SymbolHit | undefined {
  const list = kernelSymbolList(k);
  if (inKernelRange(k, list, addr)) {
    const i = lastAtOrBelow(list, addr);
    if (i < 0) return undefined;
    const s = list[i]!;
    if (s.value === addr) {
      let j = i;
      while (j > 0 && list[j - 1]!.value === addr) j--;
      return { symbol: preferredAt(list, j), offset: 0n };
    }
    return { symbol: s, offset: addr - s.value };
  }
  for (const m of moduleSymbolLists(k)) {
    if (!m.module.areas.some((a) => addr >= a.base && addr < a.base + a.size)) continue;
    const syms = m.symbols;
    let i = -1;
    for (let j = 0; j < syms.length; j++) if (!syms[j]!.marker && syms[j]!.value <= addr) i = j;
    if (i < 0) return undefined;
    const v = syms[i]!.value;
    if (v === addr) while (i > 0 && syms[i - 1]!.value === addr && !syms[i - 1]!.marker) i--;
    return { symbol: syms[i]!, offset: addr - syms[i]!.value };
  }
  return undefined;
}

/**
 * Would gdb name this kernel address in an instruction (`# 0x... <sym>`)? gdb knows the vmlinux's
 * symbols without section symbols and `.L` compiler labels; it looks back for the nearest symbol with
 * a size and takes it when the address lies inside it, else the nearest zero-sized symbol — but only
 * a code label: a zero-sized data label names nothing (a string literal after `kallsyms_token_index`
 * stays a bare address). crash then prints its own name for the address (symbolAt). Module addresses
 * are always named.
 */
export function gdbNamesAddress(k: Kernel, addr: bigint): boolean {
  const list = kernelSymbolList(k);
  if (!inKernelRange(k, list, addr)) return symbolAt(k, addr) !== undefined;
  const known = (s: ListedSymbol): boolean => !s.section && !s.name.startsWith('.L');
  let zeroSized: ListedSymbol | undefined;
  for (let i = lastAtOrBelow(list, addr), n = 0; i >= 0 && n < 100_000; i--, n++) {
    const s = list[i]!;
    if (!known(s)) continue;
    if (s.size === 0n) {
      zeroSized ??= s;
      continue;
    }
    if (addr < s.value + s.size) return true;
    break;
  }
  return zeroSized !== undefined && isTextSymbol(zeroSized);
}

/** Every symbol with this name: the kernel's (address order), then the modules'. */
export function symbolsNamed(k: Kernel, name: string): ListedSymbol[] {
  const out = kernelSymbolList(k).filter((s) => s.name === name);
  for (const m of moduleSymbolLists(k)) for (const s of m.symbols) if (!s.marker && s.name === name) out.push(s);
  return out;
}

/** Every symbol whose name contains `part` (kernel first, then modules), for `sym -q`. */
export function symbolsContaining(k: Kernel, part: string): ListedSymbol[] {
  const out = kernelSymbolList(k).filter((s) => s.name.includes(part));
  for (const m of moduleSymbolLists(k)) for (const s of m.symbols) if (!s.marker && s.name.includes(part)) out.push(s);
  return out;
}

/** The neighbour of a listed symbol in its list (kernel or its module): -1 before, +1 after. */
export function neighbourSymbol(k: Kernel, sym: ListedSymbol, step: -1 | 1): ListedSymbol | undefined {
  const list = sym.module
    ? moduleSymbolLists(k).find((m) => m.module.name === sym.module)?.symbols
    : kernelSymbolList(k);
  if (!list) return undefined;
  const i = list.indexOf(sym);
  if (i < 0) return undefined;
  const n = list[i + step];
  return n && !n.marker ? n : undefined;
}

/** Is this a code symbol (nm letter t/T/W, or a module function)? */
export function isTextSymbol(s: ListedSymbol): boolean {
  return s.type === 't' || s.type === 'T' || s.type === 'W' || s.type === 'w';
}
