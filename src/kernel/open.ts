/**
 * Open a vmlinux + vmcore pair into a Kernel: find the kernel in the dump (VMCOREINFO), check the
 * vmlinux matches it, compute the KASLR offset and phys_base, set up address translation.
 */
import { lookupModuleSymbol, nearestModuleSymbol } from './objects/modules.js';
import { openDumps } from '../dump/open.js';
import type { DumpFile } from '../dump/types.js';
import { ElfFile, elfMachineName, EM_X86_64, SHT_NOBITS, type SectionHeader } from '../elf/index.js';
import { directMapEnd, START_KERNEL_MAP, X86_64Translator } from './arch/x86_64/translate.js';
import { Kernel } from './kernel.js';
import { Memory } from './memory.js';
import { ElfImage } from './image.js';
import type { SymbolTable } from './symbols.js';
import { symbolArena, vmlinuxSymbolTable } from './vmlinux-symbols.js';
import type { Arena } from '../dump/zeroed.js';
import { openBtf, parseBtf } from './types/btf.js';
import type { GuardedDebugInfo } from '../dwarf/debug-info.js';
import { debugInfoModule } from '../dwarf/lazy.js';
import { hasDwarf } from '../dwarf/present.js';
import type { TypeSource } from './types/type.js';
import { VmcoreInfo } from './vmcoreinfo.js';
import { discoverKernel } from './discover.js';
import { defaultCacheDir, VmlinuxCache, vmlinuxStamp } from '../cache/vmlinux-cache.js';
import { cachedSymbolTable, SYMBOL_PART } from './symbol-cache.js';
import { BTF_INDEX_PART, btfIndexStore } from './types/btf-cache.js';
import { existsSync } from 'node:fs';
import { basename } from 'node:path';

/** Opening failed: one line for the user, naming the file and the reason. */
export class OpenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OpenError';
  }
}

/**
 * Open a vmlinux and its dump, as openKernelSync, with the vmlinux sections a cold start reads whole (the symbol
 * table and its names, .BTF, each when its warm-start cache part is absent) read on libuv's thread pool while
 * this thread opens the dump and builds the symbol table.
 */
export async function openKernel(vmlinuxPath: string, dumpPaths: string | string[]): Promise<Kernel> {
  const paths = typeof dumpPaths === 'string' ? [dumpPaths] : dumpPaths;
  const elf = ElfFile.open(vmlinuxPath);
  let dump: DumpFile | undefined;
  try {
    const cache = vmlinuxCache(vmlinuxPath, elf);
    const cold = (part: string) => {
      const file = cache.file(part);
      return !file || !existsSync(file);
    };
    // .BTF first (this thread parses it while the pool reads on), then the symbol table's sections and zeroed
    // memory to build it in (src/dump/zeroed.ts)
    const btf = elf.section('.BTF');
    const btfCold = !!btf && cold(BTF_INDEX_PART);
    const btfRead = elf.readAhead(btf && btfCold ? [btf] : []);
    const symbolsCold = cold(SYMBOL_PART);
    const symbolsRead = btfRead.then(() => elf.readAhead(symbolsCold ? elf.symbolTableSections() : []));
    const arena = symbolsCold ? btfRead.then(() => symbolArena(elf)) : undefined;
    dump = openDumps(paths);
    checkPair(vmlinuxPath, paths[0]!, elf, dump, false);
    const reuse: KernelReuse = { cache };
    if (btf && btfCold) {
      await btfRead;
      const types = earlyTypes(elf, btf, cache);
      if (types) reuse.loadTypes = () => types;
    }
    await symbolsRead;
    reuse.symbols = vmlinuxSymbols(vmlinuxPath, elf, cache, await arena);
    return build(vmlinuxPath, paths[0]!, elf, dump, reuse, paths);
  } catch (e) {
    elf.close();
    dump?.close();
    throw e;
  }
}

/**
 * The BTF types of a cold start with their name index (nearly every first command needs them), made while the
 * pool reads the symbol table; undefined when .BTF was not read ahead or does not parse (loadTypes then
 * decides, on first use, as without this).
 */
function earlyTypes(elf: ElfFile, btf: SectionHeader, cache: VmlinuxCache): TypeSource | undefined {
  if (!elf.hasReadAhead(btf)) return undefined;
  try {
    const types = parseBtf(elf.readSection(btf), '.BTF', btfIndexStore(cache));
    types.find('struct task_struct');
    return types;
  } catch {
    return undefined;
  }
}

/** The symbol table of a vmlinux: from the warm-start cache, else built from .symtab (and cached). */
function vmlinuxSymbols(vmlinuxPath: string, elf: ElfFile, cache: VmlinuxCache, arena?: Arena): SymbolTable {
  return cachedSymbolTable(cache, () => {
    const table = vmlinuxSymbolTable(elf, arena);
    if (!table) throw new OpenError(`${vmlinuxPath}: no symbol table (.symtab): a stripped vmlinux cannot be used`);
    return table;
  });
}

/** Open a vmlinux and its dump: one file, or every file of a makedumpfile --split dump. */
export function openKernelSync(vmlinuxPath: string, dumpPaths: string | string[]): Kernel {
  const paths = typeof dumpPaths === 'string' ? [dumpPaths] : dumpPaths;
  const dumpPath = paths[0]!;
  const elf = ElfFile.open(vmlinuxPath);
  let dump: DumpFile;
  try {
    dump = openDumps(paths);
  } catch (e) {
    elf.close();
    throw e;
  }
  try {
    return build(vmlinuxPath, dumpPath, elf, dump, {}, paths);
  } catch (e) {
    elf.close();
    dump.close();
    throw e;
  }
}

/** Parts of an open vmlinux that many kernels may share (tests and the fuzzer open many dumps on one vmlinux). */
export interface KernelReuse {
  /** a symbol table built from this same vmlinux; it is relocated for the new dump (so: one live kernel at a time) */
  symbols?: SymbolTable;
  /** the type source of this same vmlinux */
  loadTypes?: () => TypeSource;
  /** the DWARF reader of this same vmlinux (null: none) */
  debugInfo?: GuardedDebugInfo | null;
  /** the warm-start cache of this same vmlinux */
  cache?: VmlinuxCache;
}

/** The warm-start cache of a vmlinux ($CRASH_TS_CACHE_DIR=off: none). */
export function vmlinuxCache(vmlinuxPath: string, elf: ElfFile): VmlinuxCache {
  const gnu = elf.notes().find((n) => n.name === 'GNU' && n.type === 3);
  const root = process.env.CRASH_TS_CACHE_DIR === 'off' ? null : defaultCacheDir();
  return new VmlinuxCache(vmlinuxStamp(vmlinuxPath, gnu?.desc, elf.file.size), root);
}

/** The vmlinux's DWARF reader, when it has DWARF (nothing is read until a question is asked). */
export function openDebugInfo(vmlinuxPath: string, elf: ElfFile, cache?: VmlinuxCache): GuardedDebugInfo | undefined {
  if (!hasDwarf(elf)) return undefined;
  // the full name index is built for later sessions in the background, except under tests
  const backgroundIndex = !process.env.VITEST && process.env.CRASH_TS_BACKGROUND_INDEX !== 'off';
  const { DwarfDebugInfo, GuardedDebugInfo } = debugInfoModule();
  return new GuardedDebugInfo(new DwarfDebugInfo(elf, { label: basename(vmlinuxPath), cache, backgroundIndex }));
}

/** The DWARF reader made on first use (its modules load then: see src/dwarf/lazy.ts); undefined without DWARF. */
function lazyDebugInfo(vmlinuxPath: string, elf: ElfFile, cache?: VmlinuxCache): (() => GuardedDebugInfo) | undefined {
  if (!hasDwarf(elf)) return undefined;
  let made: GuardedDebugInfo | undefined;
  return () => (made ??= openDebugInfo(vmlinuxPath, elf, cache)!);
}

/**
 * The kernel's types: BTF (.BTF) first; without BTF, DWARF's (a kernel before 5.2 or built without
 * CONFIG_DEBUG_INFO_BTF). An unreadable BTF with DWARF present also falls back to DWARF, with a warning.
 */
function loadTypes(
  vmlinuxPath: string,
  elf: ElfFile,
  debugInfo: (() => GuardedDebugInfo) | undefined,
  warnings: string[],
  cache?: VmlinuxCache,
): TypeSource {
  const name = basename(vmlinuxPath);
  const btf = elf.section('.BTF');
  if (btf) {
    try {
      // read ahead (openKernel: a cold start), or not worth reading at offsets
      if (
        !cache ||
        elf.hasReadAhead(btf) ||
        btf.type === SHT_NOBITS ||
        btf.offset + btf.size > BigInt(elf.file.size) ||
        btf.size === 0n
      )
        return parseBtf(elf.readSection(btf), '.BTF', cache && btfIndexStore(cache));
      // a warm start reads the pages of .BTF it uses (the record starts and indexes come from the cache)
      const at = Number(btf.offset);
      const section = {
        size: Number(btf.size),
        read: (off: number, len: number, into: Buffer, to: number) => {
          elf.file.readInto(at + off, len, into.subarray(to, to + len));
        },
      };
      return openBtf(section, '.BTF', btfIndexStore(cache));
    } catch (e) {
      if (!debugInfo) throw e;
      warnings.push(`${name}: .BTF unreadable (${(e as Error).message}); types from DWARF`);
    }
  }
  if (debugInfo) {
    const dwarf = debugInfo();
    // reading a name index is the first DWARF question: a broken .debug_info says so here, in one line
    void dwarf.types.count;
    if (dwarf.problem) throw new OpenError(dwarf.problem.replace(/; types from BTF$/, '; no type information'));
    return dwarf.types;
  }
  throw new OpenError(`${name}: no .BTF section and no DWARF (.debug_info): type information unavailable`);
}

/**
 * Build a Kernel on an already open vmlinux and dump. Nothing is closed on failure: the caller owns
 * both files. openKernelSync is this plus opening and closing the files.
 */
export function openKernelOn(
  vmlinuxPath: string,
  dumpPath: string,
  elf: ElfFile,
  dump: DumpFile,
  reuse: KernelReuse = {},
): Kernel {
  return build(vmlinuxPath, dumpPath, elf, dump, reuse);
}

function build(
  vmlinuxPath: string,
  dumpPath: string,
  elf: ElfFile,
  dump: DumpFile,
  reuse: KernelReuse = {},
  dumpFiles?: string[],
): Kernel {
  const warnings: string[] = [...dump.meta.warnings];
  checkPair(vmlinuxPath, dumpPath, elf, dump, !!reuse.loadTypes || reuse.debugInfo !== undefined);
  warnings.push(...featureWarnings(vmlinuxPath, elf));
  const info = new VmcoreInfo(dump.vmcoreinfo ?? '');

  const cache = reuse.cache ?? vmlinuxCache(vmlinuxPath, elf);
  const symbols = reuse.symbols ?? vmlinuxSymbols(vmlinuxPath, elf, cache);
  const linkOf = (name: string) => symbols.linkValue(name);
  const linkStext = linkOf('_stext');
  if (linkStext === undefined) throw new OpenError(`${vmlinuxPath}: no _stext symbol: not a Linux kernel`);

  let kaslr: bigint;
  let physBase: bigint;
  let kernelPgdPhys: bigint;
  let fiveLevel: boolean;
  const kernelImageSize = info.number('KERNEL_IMAGE_SIZE');
  const smeMask = info.number('sme_mask');
  const physBaseInfo = info.number('phys_base');
  if (dump.vmcoreinfo && physBaseInfo !== undefined) {
    // KASLR: where the kernel says _stext ended up, minus where the vmlinux linked it
    const runStext = info.symbol('_stext');
    if (runStext !== undefined) kaslr = runStext - linkStext;
    else kaslr = info.kernelOffset ?? 0n;
    checkRelease(vmlinuxPath, dumpPath, elf, info);
    physBase = physBaseInfo;
    const pgdVirt = info.symbol('init_top_pgt') ?? add(linkOf('init_top_pgt') ?? linkOf('swapper_pg_dir'), kaslr);
    if (pgdVirt === undefined) throw new OpenError(`${vmlinuxPath}: no init_top_pgt/swapper_pg_dir symbol`);
    kernelPgdPhys = pgdVirt - START_KERNEL_MAP + physBase;
    fiveLevel = (info.number('pgtable_l5_enabled') ?? 0n) !== 0n;
  } else {
    // no VMCOREINFO (e.g. QEMU dump-guest-memory without -device vmcoreinfo): find the kernel by its banner
    const found = discoverKernel(dump, elf, linkOf);
    if (!found) {
      throw new OpenError(
        `${basename(dumpPath)} carries no VMCOREINFO and the kernel of ${basename(vmlinuxPath)} was not found in its memory` +
          (dump.meta.warnings.length ? `: the dump is damaged (${dump.meta.warnings[0]})` : ' (wrong vmlinux?)'),
      );
    }
    ({ kaslrOffset: kaslr, physBase, kernelPgdPhys, fiveLevel } = found);
    warnings.push(
      `the dump carries no VMCOREINFO: kernel located by its banner (KASLR offset ${kaslr.toString(16)}, phys_base ${physBase.toString(16)})`,
    );
  }
  symbols.relocate(kaslr);
  if (linkOf('prb') === undefined && info.symbol('prb') === undefined) warnings.push(logWarning(linkOf('log_buf')));
  const mem = kernelMemory(dump, symbols, warnings, {
    physBase,
    kernelPgdPhys,
    fiveLevel,
    kernelImageSize,
    smeMask,
  });

  const given = reuse.debugInfo;
  const debugInfo = given !== undefined ? (given ? () => given : undefined) : lazyDebugInfo(vmlinuxPath, elf, cache);
  const kernel = new Kernel({
    vmlinuxPath,
    dumpPath,
    dumpFiles,
    elf,
    image: new ElfImage(vmlinuxPath, elf),
    dump,
    vmcoreinfo: info,
    kaslrOffset: kaslr,
    physBase,
    symbols,
    mem,
    loadTypes: reuse.loadTypes ?? (() => loadTypes(vmlinuxPath, elf, debugInfo, warnings, cache)),
    loadDebugInfo: debugInfo,
    warnings,
  });
  checkBanner(kernel, elf, vmlinuxPath, dumpPath);
  withModuleSymbols(kernel);
  return kernel;
}

/** Loaded modules' symbols (from the dump's kallsyms copies), read on the first lookup that needs them. */
export function withModuleSymbols(kernel: Kernel): void {
  kernel.symbols.setExtra({
    nearest: (addr) => nearestModuleSymbol(kernel, addr),
    lookup: (name) => lookupModuleSymbol(kernel, name),
  });
}

/** Why log cannot work on a kernel without the printk ring buffer (prb); `logBuf`: its log_buf symbol. */
export function logWarning(logBuf: bigint | undefined): string {
  return logBuf !== undefined
    ? 'the kernel keeps its log in the pre-5.10 log_buf layout, which crash-ts does not read: log and the panic message are unavailable'
    : 'the kernel has no printk ring buffer (prb): log and the panic message are unavailable';
}

/** Where the kernel's page tables and image are, as VMCOREINFO (or the banner search) gave them. */
export interface KernelPlacement {
  physBase: bigint;
  kernelPgdPhys: bigint;
  fiveLevel: boolean;
  kernelImageSize?: bigint;
  smeMask?: bigint;
}

/**
 * Kernel virtual memory of the dump: the image map from phys_base, the direct map from
 * page_offset_base (a variable of the image, read through the image map first), page tables for the rest.
 */
export function kernelMemory(dump: DumpFile, symbols: SymbolTable, warnings: string[], p: KernelPlacement): Memory {
  const bootstrap = new X86_64Translator(dump, { ...p, pageOffsetBase: 0xffff888000000000n });
  // an unsigned long variable of the kernel image, or undefined when the kernel lacks it or it is unreadable
  const imageWord = (name: string, otherwise = ''): bigint | undefined => {
    const sym = symbols.lookup(name);
    if (!sym) return undefined;
    try {
      return dump.readPhys(bootstrap.kvtop(sym.address), 8).readBigUInt64LE(0);
    } catch (e) {
      warnings.push(`cannot read ${name} (${(e as Error).message})${otherwise}`);
      return undefined;
    }
  };
  const defaultPob = p.fiveLevel ? 0xff11000000000000n : 0xffff888000000000n;
  const pageOffsetBase = imageWord('page_offset_base', `; assuming ${defaultPob.toString(16)}`) ?? defaultPob;
  // the direct map is linear up to the end of RAM, and never reaches the (KASLR-placed) regions after it
  const directEnd = directMapEnd(pageOffsetBase, p.fiveLevel, imageWord('max_pfn'), [
    imageWord('vmalloc_base'),
    imageWord('vmemmap_base'),
  ]);
  return new Memory(dump, new X86_64Translator(dump, { ...p, pageOffsetBase, directMapEnd: directEnd }));
}

/** What build() refuses before it reads anything, in its order: not a kernel, not x86_64, no types, no symbols. */
function checkPair(vmlinuxPath: string, dumpPath: string, elf: ElfFile, dump: DumpFile, typesGiven: boolean): void {
  if (elf.header.type !== 2) {
    throw new OpenError(`${vmlinuxPath}: not a kernel image (ELF type ${elf.header.type}, want an executable vmlinux)`);
  }
  checkSupported(vmlinuxPath, dumpPath, elf, dump, typesGiven);
  if (!elf.section('.symtab'))
    throw new OpenError(`${vmlinuxPath}: no symbol table (.symtab): a stripped vmlinux cannot be used`);
}

/**
 * What crash-ts cannot read at all, refused at open in one line rather than answered wrongly: a dump
 * or vmlinux of another architecture (page tables, registers and unwinding here are x86_64's), and a
 * vmlinux with no type information (neither BTF nor DWARF: no structure could be read by name).
 */
function checkSupported(
  vmlinuxPath: string,
  dumpPath: string,
  elf: ElfFile,
  dump: DumpFile,
  typesGiven: boolean,
): void {
  const dumpMachine = dump.meta.machine ?? dump.meta.utsname?.machine;
  if (dumpMachine && dumpMachine !== 'x86_64')
    throw new OpenError(
      `${basename(dumpPath)} is a dump of an ${printable(dumpMachine)} machine: crash-ts reads x86_64 dumps only`,
    );
  if (elf.header.machine !== EM_X86_64)
    throw new OpenError(
      `${basename(vmlinuxPath)} is an ${elfMachineName(elf.header.machine)} kernel: crash-ts reads x86_64 kernels only`,
    );
  if (!typesGiven && !elf.section('.BTF') && !hasDwarf(elf))
    throw new OpenError(
      `${basename(vmlinuxPath)}: no .BTF section and no DWARF (.debug_info): type information unavailable (use the kernel's debug vmlinux)`,
    );
}

/**
 * Features a vmlinux or kernel may lack while the rest still works, decided one by one as crash does:
 * without ORC tables bt cannot unwind (sys, ps, log, rd are unaffected); a kernel before 5.10 keeps
 * its log in log_buf, which log does not read.
 */
function featureWarnings(vmlinuxPath: string, elf: ElfFile): string[] {
  const out: string[] = [];
  const name = basename(vmlinuxPath);
  if (!elf.section('.orc_unwind') || !elf.section('.orc_unwind_ip'))
    out.push(`${name} has no ORC unwind tables (CONFIG_UNWINDER_ORC): bt is unavailable; sys, ps, log and rd work`);
  return out;
}

/** OSRELEASE and BUILD-ID of the dump against the vmlinux's own banner and build-id note. */
function checkRelease(vmlinuxPath: string, dumpPath: string, elf: ElfFile, info: VmcoreInfo): void {
  const wantId = info.buildId?.toLowerCase();
  if (wantId) {
    const gnu = elf.notes().find((n) => n.name === 'GNU' && n.type === 3);
    const haveId = gnu?.desc.toString('hex');
    if (haveId && !haveId.startsWith(wantId) && !wantId.startsWith(haveId)) {
      throw new OpenError(
        `${basename(vmlinuxPath)} does not match ${basename(dumpPath)}: build-id ${haveId.slice(0, 12)}... vs the dump's ${wantId.slice(0, 12)}...` +
          (info.osrelease ? ` (the dump is of kernel ${printable(info.osrelease)})` : ''),
      );
    }
  }
}

/** The linux_banner string in the vmlinux file must equal the one in the dump's memory. */
function checkBanner(k: Kernel, elf: ElfFile, vmlinuxPath: string, dumpPath: string): void {
  const s = k.symbols.lookup('linux_banner');
  if (!s) return;
  const fileBanner = elf.readVirtual(s.address - k.kaslrOffset, 160);
  let memBanner: string;
  try {
    memBanner = k.readCString(s.address, 512);
  } catch (e) {
    k.warnings.push(`cannot read linux_banner from the dump: ${(e as Error).message}`);
    return;
  }
  if (!fileBanner) return;
  const nul = fileBanner.indexOf(0);
  const fb = fileBanner.toString('latin1', 0, nul < 0 ? fileBanner.length : nul);
  if (!memBanner.startsWith(fb.slice(0, Math.min(fb.length, 150)))) {
    const rel = printable(k.vmcoreinfo.osrelease ?? '?');
    throw new OpenError(
      `${basename(vmlinuxPath)} does not match ${basename(dumpPath)}: the dump's kernel is ${rel} ("${printable(memBanner.slice(0, 60)).trim()}..."), the vmlinux is "${printable(fb.slice(0, 60)).trim()}..."`,
    );
  }
}

/** Bytes from a damaged dump may hold anything: keep messages on one printable line. */
function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '.');
}

function add(a: bigint | undefined, b: bigint): bigint | undefined {
  return a === undefined ? undefined : a + b;
}
