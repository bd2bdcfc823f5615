/**
 * Open a vmcore with no vmlinux: everything a vmlinux would give is read from the dump itself.
 * - where the kernel is: VMCOREINFO's KERNELOFFSET (KASLR), phys_base and init_top_pgt;
 * - symbols: the kernel's kallsyms tables, whose addresses VMCOREINFO gives since Linux 6.0 (kallsyms.ts);
 * - types: the kernel's own BTF, loaded with the image between __start_BTF and __stop_BTF (CONFIG_DEBUG_INFO_BTF);
 * - unwinding: the ORC tables of the image (__start_orc_unwind_ip ...);
 * - code and data: the image's pages, which makedumpfile keeps at every dump level.
 * What only a vmlinux has is DWARF: no line numbers, no inlined frames, no types of global variables
 * (BTF describes per-CPU variables only). Where the dump lacks what it needs, opening fails in one line
 * that names the package with the vmlinux to fetch.
 */
import { openDumps } from '../dump/open.js';
import type { DumpFile } from '../dump/types.js';
import { START_KERNEL_MAP } from './arch/x86_64/translate.js';
import { DumpImage } from './image.js';
import { KALLSYMS_EXPORTS, kallsymsLocation, readKallsyms, type KallsymsLocation } from './kallsyms.js';
import { KALLSYMS_SECTIONS, KallsymsSource } from './kallsyms-source.js';
import { Kernel } from './kernel.js';
import type { Memory } from './memory.js';
import { kernelMemory, logWarning, OpenError, withModuleSymbols } from './open.js';
import { SymbolTable } from './symbols.js';
import { parseBtf } from './types/btf.js';
import { VmcoreInfo } from './vmcoreinfo.js';
import { defaultCacheDir, VmlinuxCache } from '../cache/vmlinux-cache.js';
import { cachedSymbolTable } from './symbol-cache.js';
import { btfIndexStore } from './types/btf-cache.js';
import { basename } from 'node:path';

/** What sys shows in place of the vmlinux's name. */
export const NO_VMLINUX_LABEL = '(no vmlinux: kallsyms, BTF and ORC from the dump)';

const PAGE = 4096n;
/** x86_64's __START_KERNEL (__START_KERNEL_map + 16 MiB): where _stext is linked, for a VMCOREINFO without KERNELOFFSET */
const DEFAULT_LINK_STEXT = 0xffffffff81000000n;

/** Open a dump (one file, or every file of a makedumpfile --split dump) without its vmlinux. */
export function openVmcoreAlone(dumpPaths: string | string[]): Kernel {
  const paths = typeof dumpPaths === 'string' ? [dumpPaths] : dumpPaths;
  const dump = openDumps(paths);
  try {
    return openVmcoreAloneOn(paths, dump);
  } catch (e) {
    dump.close();
    throw e;
  }
}

/** openVmcoreAlone on an already open dump (`paths`: its files); the caller closes it on failure. */
export function openVmcoreAloneOn(paths: string[], dump: DumpFile): Kernel {
  const dumpPath = paths[0]!;
  const name = basename(dumpPath);
  const machine = dump.meta.machine ?? dump.meta.utsname?.machine;
  if (machine && machine !== 'x86_64')
    throw new OpenError(
      `${name} is a dump of an ${machine.replace(/[^\x20-\x7e]/g, '.')} machine: crash-ts reads x86_64 dumps only`,
    );
  const info = new VmcoreInfo(dump.vmcoreinfo ?? '');
  const release = info.osrelease ?? dump.meta.utsname?.release;
  // every refusal ends by naming what would open the dump after all
  const need = (why: string): OpenError =>
    new OpenError(
      `${name}: ${why}; open it with its vmlinux: crash-ts VMLINUX VMCORE` +
        (release ? ` (the debug vmlinux of ${printable(release)}; Debian: linux-image-${printable(release)}-dbg)` : ''),
    );
  if (!dump.vmcoreinfo) throw need('the dump carries no VMCOREINFO (where the kernel and its symbols are)');
  const physBase = info.number('phys_base');
  if (physBase === undefined) throw need('VMCOREINFO has no NUMBER(phys_base)');
  const loc = kallsymsLocation(info);
  if ('missing' in loc)
    throw need(
      `VMCOREINFO does not say where the kernel's kallsyms tables are (no SYMBOL(${loc.missing[0]})` +
        (loc.missing.length > 1 ? ` and ${loc.missing.length - 1} more` : '') +
        '): a kernel before 6.0, or built without CONFIG_KALLSYMS',
    );
  // the image map is linear: an image address is phys_base away from its physical one
  const readImage = (addr: bigint, length: number): Buffer => dump.readPhys(addr - START_KERNEL_MAP + physBase, length);
  const stext = info.symbol('_stext');
  const kaslr = info.kernelOffset ?? (stext !== undefined ? stext - DEFAULT_LINK_STEXT : 0n);
  const cache = dumpCache(info);
  const decode = (): SymbolTable => {
    try {
      const ks = readKallsyms(readImage, loc, stext);
      return new SymbolTable(new KallsymsSource(ks, kaslr, tableSymbols(info, loc)), KALLSYMS_SECTIONS);
    } catch (e) {
      throw need(`its kallsyms tables are unreadable (${(e as Error).message})`);
    }
  };
  // link-time values are the same in every dump of one build: a warm start reuses the decoded table
  const symbols = cache ? cachedSymbolTable(cache, decode) : decode();
  symbols.relocate(kaslr);
  const haveStext = symbols.lookup('_stext')?.address;
  if (stext !== undefined && haveStext !== stext)
    throw need(
      `its kallsyms tables do not agree with VMCOREINFO (_stext at ${haveStext?.toString(16) ?? 'no address'}, VMCOREINFO says ${stext.toString(16)})`,
    );

  const btf = range(symbols, '__start_BTF', '__stop_BTF');
  if (!btf)
    throw need('the kernel has no BTF in memory (no __start_BTF/__stop_BTF: built without CONFIG_DEBUG_INFO_BTF)');
  const missingPage = firstMissingPage(dump, btf.start - START_KERNEL_MAP + physBase, btf.size);
  if (missingPage !== undefined)
    throw need(
      `the kernel's BTF type information is not in the dump (page at physical ${missingPage.toString(16)} excluded)`,
    );

  const warnings: string[] = [...dump.meta.warnings];
  const pgdVirt = info.symbol('init_top_pgt') ?? symbols.lookup('init_top_pgt')?.address;
  if (pgdVirt === undefined) throw need('neither VMCOREINFO nor kallsyms gives init_top_pgt (the kernel page tables)');
  if (info.symbol('prb') === undefined && !symbols.lookup('prb'))
    warnings.push(logWarning(symbols.lookup('log_buf')?.address));
  const mem = kernelMemory(dump, symbols, warnings, {
    physBase,
    kernelPgdPhys: pgdVirt - START_KERNEL_MAP + physBase,
    fiveLevel: (info.number('pgtable_l5_enabled') ?? 0n) !== 0n,
    kernelImageSize: info.number('KERNEL_IMAGE_SIZE'),
    smeMask: info.number('sme_mask'),
  });
  const image = new DumpImage(NO_VMLINUX_LABEL, symbols, (a, n) => mem.read(a, n));
  if (!image.hasOrc)
    warnings.push('the kernel in the dump has no ORC unwind tables (CONFIG_UNWINDER_ORC): bt is unavailable');
  warnings.push(
    "no vmlinux: symbols from the dump's kallsyms, types from its BTF; without DWARF there are no line numbers (bt -l) " +
      'and no types of global variables' +
      (release ? ` (for those: linux-image-${printable(release)}-dbg's vmlinux)` : ''),
  );
  const kernel = new Kernel({
    vmlinuxPath: undefined,
    dumpPath,
    dumpFiles: paths.length > 1 ? paths : undefined,
    elf: undefined,
    image,
    dump,
    vmcoreinfo: info,
    kaslrOffset: kaslr,
    physBase,
    symbols,
    mem,
    loadTypes: () => parseBtf(btfBytes(mem, btf, cache), 'the BTF in the dump', cache && btfIndexStore(cache)),
    warnings,
  });
  withModuleSymbols(kernel);
  return kernel;
}

/**
 * The warm-start cache of what is costly to rebuild from a dump (the decoded kallsyms table, BTF's name
 * indexes), kept per kernel build (VMCOREINFO's BUILD-ID) apart from any vmlinux's; none without a
 * build-id or with $CRASH_TS_CACHE_DIR=off. Its entries are range-checked on load like a vmlinux's.
 */
/** What KallsymsSource builds (the cached table is rebuilt when it changes); 2: sizes end at the kallsyms tables. */
const KALLSYMS_TABLE_VERSION = 2;

function dumpCache(info: VmcoreInfo): VmlinuxCache | undefined {
  const id = info.buildId?.toLowerCase();
  if (!id || !/^[0-9a-f]{16,80}$/.test(id) || process.env.CRASH_TS_CACHE_DIR === 'off') return undefined;
  const label = `the kallsyms and BTF of ${printable(info.osrelease ?? id)}`;
  return new VmlinuxCache(
    { key: `kallsyms${KALLSYMS_TABLE_VERSION}-${id}`.slice(0, 80), size: 0, mtimeMs: 0, label },
    defaultCacheDir(),
  );
}

const BTF_PART = 'btf-bytes';
const BTF_PART_VERSION = 1;

/**
 * The kernel's BTF, read from the dump (a few MB: a thousand compressed pages), or on a warm start from the
 * cache when the copy there has the same size and starts with the same page as the dump's.
 */
function btfBytes(mem: Memory, btf: { start: bigint; size: bigint }, cache: VmlinuxCache | undefined): Buffer {
  const size = Number(btf.size);
  const cached = cache?.load(BTF_PART, BTF_PART_VERSION);
  if (cached) {
    const head = Math.min(size, 4096);
    if (cached.length === size && cached.subarray(0, head).equals(mem.read(btf.start, head))) return cached;
    cache!.corrupt(BTF_PART, 'not the BTF of this dump');
  }
  const bytes = mem.read(btf.start, size);
  cache?.save(BTF_PART, BTF_PART_VERSION, [bytes]);
  return bytes;
}

/** The kallsyms tables' own symbols, which kallsyms leaves out: VMCOREINFO names them. */
function tableSymbols(info: VmcoreInfo, loc: KallsymsLocation): { name: string; address: bigint; letter: string }[] {
  const out: { name: string; address: bigint; letter: string }[] = KALLSYMS_EXPORTS.map((n) => ({
    name: n,
    address: info.symbol(n)!,
    letter: 'D',
  }));
  if (loc.relativeBase !== undefined)
    out.push({ name: 'kallsyms_relative_base', address: loc.relativeBase, letter: 'D' });
  return out;
}

function range(symbols: SymbolTable, start: string, stop: string): { start: bigint; size: bigint } | undefined {
  const s = symbols.lookup(start)?.address;
  const e = symbols.lookup(stop)?.address;
  if (s === undefined || e === undefined || e <= s) return undefined;
  return { start: s, size: e - s };
}

/** The first page of [paddr, paddr + size) the dump does not hold, undefined when all are there. */
function firstMissingPage(dump: DumpFile, paddr: bigint, size: bigint): bigint | undefined {
  for (let p = paddr & ~(PAGE - 1n); p < paddr + size; p += PAGE) if (!dump.isPresent(p)) return p;
  return undefined;
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '.');
}
