/**
 * Loaded kernel modules, read from the dump itself (no .ko files needed): the `modules` list of
 * struct module, each module's memory, its symbols from the in-memory kallsyms copy the kernel keeps
 * for /proc/kallsyms (mod->kallsyms: Elf64_Sym symtab, strtab, and typetab with nm's letters) and its
 * ORC unwind table (mod->arch.orc_unwind_ip / orc_unwind, sorted by the kernel at load time).
 *
 * Layouts, all read by name through the type info:
 * - up to 6.3: mod->core_layout (struct module_layout: base, size, text_size ...), init_layout;
 * - 6.4+:      mod->mem[MOD_MEM_NUM_TYPES] (struct module_memory: base, size): text, data, rodata,
 *              ro_after_init, then the init_* areas (freed after load).
 */
import type { Kernel } from '../kernel.js';
import type { KSymbol } from '../symbols.js';
import { walkListBothWays } from './task-lists.js';

export interface KernelModule {
  /** struct module address (crash's MODULE column) */
  address: bigint;
  name: string;
  /** start of the module's core text (crash's BASE / TEXT_BASE) */
  base: bigint;
  /** core size: core_layout.size, or the sum of the core mem[] areas (6.4+) */
  size: bigint;
  /** every core memory area, to tell whether an address is in this module */
  areas: { base: bigint; size: bigint }[];
  /** 'core_layout' (up to 6.3) or 'mem' (6.4+) */
  layout: 'core_layout' | 'mem';
}

export interface ModuleList {
  modules: KernelModule[];
  /** why the list is incomplete, when it is */
  problem?: string;
}

const CACHE = 'objects/modules';
/** MODULE_NAME_LEN on 64-bit: 64 - sizeof(unsigned long) */
const NAME_MAX = 56;
/** more modules than any real system loads: a walk of a damaged list stops here */
const MAX_MODULES = 10_000;
/** the core (non-init) areas of struct module_memory mem[] (enum mod_mem_type, 6.4+) */
const CORE_MEM_TYPES = 4;

export function loadedModules(k: Kernel): ModuleList {
  const hit = k.cache.get(CACHE) as ModuleList | undefined;
  if (hit) return hit;
  const out: ModuleList = { modules: [] };
  k.cache.set(CACHE, out);
  if (!k.hasSymbol('modules') || !k.findType('struct module')) {
    out.problem = 'no module list in this kernel (no `modules` symbol or struct module type)';
    return out;
  }
  const listOff = BigInt(k.offsetOf('struct module', 'list'));
  const walk = walkListBothWays(k, k.sym('modules'), MAX_MODULES);
  if (walk.headUnreadable) out.problem = 'the module list head cannot be read';
  else if (walk.broken.length) out.problem = `${walk.broken.length} module list entries cannot be read`;
  for (const node of walk.nodes) {
    try {
      out.modules.push(readModule(k, node - listOff));
    } catch (e) {
      out.problem ??= `module at ${(node - listOff).toString(16)}: ${(e as Error).message}`;
    }
  }
  out.modules.sort((a, b) => (a.base < b.base ? -1 : a.base > b.base ? 1 : 0));
  return out;
}

function readModule(k: Kernel, address: bigint): KernelModule {
  const m = k.object('struct module', address);
  const name = m.field('name').cstring(NAME_MAX);
  if (k.hasMember('struct module', 'mem')) {
    const mem = m.field('mem');
    const areas: { base: bigint; size: bigint }[] = [];
    for (let i = 0; i < CORE_MEM_TYPES; i++) {
      const a = mem.index(i);
      const base = a.field('base').value();
      const size = BigInt(a.field('size').num());
      if (base !== 0n && size > 0n) areas.push({ base, size });
    }
    const size = areas.reduce((s, a) => s + a.size, 0n);
    return { address, name, base: areas[0]?.base ?? 0n, size, areas, layout: 'mem' };
  }
  const core = m.field('core_layout');
  const base = core.field('base').value();
  const size = BigInt(core.field('size').num());
  return { address, name, base, size, areas: [{ base, size }], layout: 'core_layout' };
}

/** The module whose core memory holds `addr`. */
export function moduleAt(k: Kernel, addr: bigint): KernelModule | undefined {
  return loadedModules(k).modules.find((m) => m.areas.some((a) => addr >= a.base && addr < a.base + a.size));
}

interface ModuleSymbols {
  /** address-sorted */
  symbols: KSymbol[];
}

/** ELF64 symbol entry (Elf64_Sym): st_name u32, st_info u8, st_other u8, st_shndx u16, st_value, st_size. */
const SYM_SIZE = 24;
/** more than any real module has (the largest have tens of thousands): a corrupted count stops here */
const MAX_SYMBOLS = 200_000;

/** A module's symbols from its kallsyms copy in memory (the core symbols /proc/kallsyms shows). */
export function moduleSymbols(k: Kernel, mod: KernelModule): ModuleSymbols {
  const key = `objects/modules/syms/${mod.address}`;
  const hit = k.cache.get(key) as ModuleSymbols | undefined;
  if (hit) return hit;
  const out: ModuleSymbols = { symbols: [] };
  k.cache.set(key, out);
  try {
    const ks = k.object('struct module', mod.address).field('kallsyms').value();
    if (ks === 0n) return out;
    const o = k.object('struct mod_kallsyms', ks);
    const n = o.field('num_symtab').num();
    if (n <= 0 || n > MAX_SYMBOLS) return out;
    const symtab = o.field('symtab').value();
    const strtab = o.field('strtab').value();
    const typetab = k.hasMember('struct mod_kallsyms', 'typetab') ? o.field('typetab').value() : 0n;
    const raw = k.read(symtab, n * SYM_SIZE);
    const types = typetab !== 0n ? k.read(typetab, n) : undefined;
    for (let i = 0; i < n; i++) {
      const off = i * SYM_SIZE;
      const value = raw.readBigUInt64LE(off + 8);
      const nameOff = raw.readUInt32LE(off);
      if (value === 0n || nameOff === 0) continue;
      let name: string;
      try {
        name = k.readCString(strtab + BigInt(nameOff), 256);
      } catch {
        continue;
      }
      if (!name) continue;
      const info = raw[off + 4]!;
      const kind = types ? String.fromCharCode(types[i]!) : (info & 0xf) === 2 ? 't' : 'd';
      out.symbols.push({
        name,
        address: value,
        size: raw.readBigUInt64LE(off + 16),
        kind,
        percpu: false,
        module: mod.name,
        elfInfo: info,
      });
    }
  } catch {
    // kallsyms unreadable: the module's addresses stay unnamed
  }
  out.symbols.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return out;
}

/** The module symbol at or before `addr`, within the module holding it. */
export function nearestModuleSymbol(k: Kernel, addr: bigint): { symbol: KSymbol; offset: bigint } | undefined {
  const mod = moduleAt(k, addr);
  if (!mod) return undefined;
  const syms = moduleSymbols(k, mod).symbols;
  let lo = 0;
  let hi = syms.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (syms[mid]!.address <= addr) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0) return undefined;
  // several symbols at one address: prefer a function
  let i = found;
  while (i > 0 && syms[i - 1]!.address === syms[found]!.address) i--;
  const run = syms.slice(i, found + 1);
  const symbol = run.find((s) => 'Tt'.includes(s.kind)) ?? run[0]!;
  return { symbol, offset: addr - symbol.address };
}

/** A module symbol by name ("name" or "module:name"). */
export function lookupModuleSymbol(k: Kernel, name: string): KSymbol | undefined {
  const colon = name.indexOf(':');
  const modName = colon > 0 ? name.slice(0, colon) : undefined;
  const sym = colon > 0 ? name.slice(colon + 1) : name;
  for (const m of loadedModules(k).modules) {
    if (modName && m.name !== modName) continue;
    const s = moduleSymbols(k, m).symbols.find((x) => x.name === sym);
    if (s) return s;
  }
  return undefined;
}

/**
 * The taint letters of one module (struct module.taints: the taints it brought, e.g. O for out of tree, E for
 * unsigned), each bit named by the kernel's own taint_flags[] table, keeping the flags that table marks as
 * module taints (taint_flag.module), in bit order. Undefined where the kernel has no such table (before 4.10).
 */
export function moduleTaints(k: Kernel, mod: KernelModule): string | undefined {
  if (!k.hasSymbol('taint_flags') || !k.findType('struct taint_flag') || !k.hasMember('struct module', 'taints'))
    return undefined;
  const taints = k.object('struct module', mod.address).field('taints').value();
  const size = BigInt(k.sizeOf('struct taint_flag'));
  // c_true since 5.x; "true" before
  const letterAt = BigInt(
    k.offsetOf('struct taint_flag', k.hasMember('struct taint_flag', 'c_true') ? 'c_true' : 'true'),
  );
  const moduleAt = BigInt(k.offsetOf('struct taint_flag', 'module'));
  let letters = '';
  for (let bit = 0n; bit < 64n; bit++) {
    if (!((taints >> bit) & 1n)) continue;
    const flag = k.sym('taint_flags') + bit * size;
    if (k.read(flag + moduleAt, 1)[0] === 0) continue;
    letters += String.fromCharCode(k.read(flag + letterAt, 1)[0]!);
  }
  return letters;
}
