/**
 * DebugInfo (src/kernel/debuginfo/types.ts) over a vmlinux's DWARF: global variables' types, function
 * prototypes, source lines of code addresses, inlined calls, and a TypeSource of DWARF's types.
 * Everything is lazy: opening reads nothing; the name index is loaded from the disk cache (or built and
 * saved) on the first name question; a line table is decoded when an address in its unit is asked about.
 */
import { basename } from 'node:path';
import type { DebugInfo, InlineFrame, SourceLine } from '../kernel/debuginfo/types.js';
import type { Type, TypeSource } from '../kernel/types/type.js';
import type { ElfFile } from '../elf/index.js';
import { AddressMap } from './aranges.js';
import { Dwarf } from './dwarf.js';
import { DwarfError } from './errors.js';
import { DWARF_INDEX_PART, loadCachedIndex, saveIndex } from './index-cache.js';
import { startBackgroundIndex } from './background-index.js';
import { hasDwarf } from './present.js';
import { defaultCacheDir, VmlinuxCache, vmlinuxStamp } from '../cache/vmlinux-cache.js';
import { inlineChain } from './inline.js';
import { lookupRow, readLineTable, rowsAt, type LineTable } from './lines.js';
import type { NameIndex } from './name-index.js';
import { Names } from './names.js';
import { DwarfTypes } from './types.js';
import * as C from './constants.js';

export interface DwarfOptions {
  /** the cache root the name index is kept under; default defaultCacheDir(); null: no disk cache */
  cacheDir?: string | null;
  /** the vmlinux's warm-start cache (wins over cacheDir) */
  cache?: VmlinuxCache;
  /**
   * when the index is not cached: have a detached process build and cache it for the next session
   * (background-index.ts), while this one walks only what its questions need
   */
  backgroundIndex?: boolean;
  /** the vmlinux's name in messages (default: the file's base name) */
  label?: string;
}

/** How the name index was obtained, for benchmarks and tests. */
export interface IndexStats {
  source: 'cache' | 'built';
  ms: number;
  entries: number;
  cacheFile?: string;
  /** DIEs the walker visited (built only) */
  dies?: number;
}

const LINE_TABLE_CACHE = 32;

export class DwarfDebugInfo implements DebugInfo {
  readonly dwarf: Dwarf;
  readonly types: DwarfTypes;
  readonly label: string;
  indexStats: IndexStats | undefined;
  private nameLookup: Names | undefined;
  private addressMap: AddressMap | undefined;
  private readonly lineTables = new Map<number, LineTable | null>();
  private readonly cache: VmlinuxCache;
  private readonly backgroundIndex: boolean;

  constructor(
    readonly elf: ElfFile,
    opts: DwarfOptions = {},
  ) {
    this.dwarf = new Dwarf(elf);
    this.label = opts.label ?? basename(elf.name);
    this.backgroundIndex = opts.backgroundIndex ?? false;
    this.cache =
      opts.cache ?? DwarfDebugInfo.cacheOf(elf, opts.cacheDir === undefined ? defaultCacheDir() : opts.cacheDir);
    this.types = new DwarfTypes(this.dwarf, {
      lookup: (k, n, a) => this.names.lookup(k, n, a),
      peek: (k, n) => this.names.peek(k, n),
      full: () => this.names.full(),
      namedInEarlierUnit: (k, n, d) => this.names.namedInEarlierUnit(k, n, d),
    });
  }

  /** Whether the file has DWARF at all (.debug_info). */
  static present(elf: ElfFile): boolean {
    return hasDwarf(elf);
  }

  /** The warm-start cache of a vmlinux, by its build-id (root null: none). */
  static cacheOf(elf: ElfFile, root: string | null): VmlinuxCache {
    const gnu = elf.notes().find((n) => n.name === 'GNU' && n.type === 3);
    return new VmlinuxCache(vmlinuxStamp(elf.name, gnu?.desc, elf.file.size), root);
  }

  /** Name lookups: the cached index, or an incremental walk of .debug_info (names.ts). */
  get names(): Names {
    if (this.nameLookup) return this.nameLookup;
    const info = this.dwarf.sections.need('.debug_info');
    const file = this.cache.file(DWARF_INDEX_PART);
    const t0 = performance.now();
    this.nameLookup = new Names(
      this.dwarf,
      () => {
        const cached = file ? loadCachedIndex(this.cache, info.size) : undefined;
        if (cached) {
          this.dwarf.setUnits(cached.units);
          this.indexStats = { source: 'cache', ms: performance.now() - t0, entries: cached.size, cacheFile: file };
        } else if (file && this.backgroundIndex) {
          startBackgroundIndex(this.elf.name, file);
        }
        return cached;
      },
      (index, dies) => {
        if (file) saveIndex(this.cache, index, info.size);
        this.indexStats = { source: 'built', ms: performance.now() - t0, entries: index.size, cacheFile: file, dies };
      },
    );
    return this.nameLookup;
  }

  /** The complete name index (walking all of .debug_info when it is not cached). */
  index(): NameIndex {
    return this.names.full();
  }

  variableType(name: string): Type | undefined {
    return this.types.variableType(name);
  }

  functionType(name: string): Type | undefined {
    return this.types.functionType(name);
  }

  lineAt(pc: bigint): SourceLine | undefined {
    const unit = this.unitAt(pc);
    if (unit === undefined) return undefined;
    const t = this.lineTable(unit);
    return t ? lookupRow(t, pc) : undefined;
  }

  /** All line rows at the address lineAt settles on (lineAt prefers a statement row, as gdb). */
  lineRowsAt(pc: bigint): { file: string; line: number; stmt: boolean }[] {
    const unit = this.unitAt(pc);
    const t = unit === undefined ? undefined : this.lineTable(unit);
    return t ? rowsAt(t, pc) : [];
  }

  inlineFramesAt(pc: bigint): InlineFrame[] {
    const unitOff = this.unitAt(pc);
    if (unitOff === undefined) return [];
    const unit = this.dwarf.unitOf(unitOff);
    const t = this.lineTable(unitOff);
    return inlineChain(unit, pc, t?.files ?? [], this.types);
  }

  compDirAt(pc: bigint): string | undefined {
    const unitOff = this.unitAt(pc);
    return unitOff === undefined ? undefined : this.dwarf.unitOf(unitOff).root.string(C.DW_AT_comp_dir);
  }

  /** The .debug_info offset of the unit holding code address `pc` (link-time). */
  unitAt(pc: bigint): number | undefined {
    if (!this.addressMap) {
      const ar = this.dwarf.sections.get('.debug_aranges');
      this.addressMap = ar ? AddressMap.fromAranges(ar.all()) : AddressMap.fromRows(this.unitRanges());
    }
    return this.addressMap.unitAt(pc);
  }

  private lineTable(unitOff: number): LineTable | undefined {
    const hit = this.lineTables.get(unitOff);
    if (hit !== undefined) {
      this.lineTables.delete(unitOff);
      this.lineTables.set(unitOff, hit);
      return hit ?? undefined;
    }
    const unit = this.dwarf.unitOf(unitOff);
    const root = unit.root;
    const stmt = root.num(C.DW_AT_stmt_list);
    const t =
      stmt === undefined
        ? null
        : readLineTable(this.dwarf, stmt, root.string(C.DW_AT_comp_dir) ?? '', unit.header.addrSize);
    this.lineTables.set(unitOff, t);
    if (this.lineTables.size > LINE_TABLE_CACHE) this.lineTables.delete(this.lineTables.keys().next().value as number);
    return t ?? undefined;
  }

  /** Without .debug_aranges: each unit's root DIE's low_pc/high_pc (ranges lists are not read here). */
  private unitRanges(): [bigint, bigint, number][] {
    const rows: [bigint, bigint, number][] = [];
    for (const u of this.dwarf.units) {
      const r = u.root;
      const low = r.addr(C.DW_AT_low_pc);
      const highForm = r.form(C.DW_AT_high_pc);
      const high = r.addr(C.DW_AT_high_pc);
      if (low === undefined || high === undefined || highForm === undefined) continue;
      const end = highForm === C.DW_FORM_addr ? high : low + high;
      if (end > low) rows.push([low, end, u.header.offset]);
    }
    return rows;
  }
}

/** One line for a DWARF problem: "DWARF of vmlinux-X unreadable at offset N: ...; types from BTF". */
export function dwarfProblem(label: string, e: unknown, fallback = 'types from BTF'): string {
  if (e instanceof DwarfError)
    return `DWARF of ${label} unreadable at ${e.section} offset 0x${e.offset.toString(16)}: ${e.reason}; ${fallback}`;
  return `DWARF of ${label} unreadable: ${(e as Error).message}; ${fallback}`;
}

/**
 * The DebugInfo the kernel model gets: the DWARF reader behind a guard, so corrupt DWARF never breaks a
 * command. The first DWARF error becomes `problem` (one line, naming the file and offset); from then on
 * the answers are "unknown" (undefined, no inline frames) and callers fall back to BTF.
 */
export class GuardedDebugInfo implements DebugInfo {
  problem: string | undefined;
  private readonly typeGuard: TypeSource;

  constructor(readonly inner: DwarfDebugInfo) {
    const self = this;
    const t = inner.types;
    t.onProblem = (e) => (this.problem ??= dwarfProblem(inner.label, e));
    this.typeGuard = {
      find: (name) => self.guard(() => t.find(name), undefined),
      variableType: (name) => self.guard(() => t.variableType(name), undefined),
      enumValue: (name, inEnum) => self.guard(() => t.enumValue(name, inEnum), undefined),
      get count() {
        return self.guard(() => t.count, 0);
      },
    };
  }

  get types(): TypeSource {
    return this.typeGuard;
  }

  variableType(name: string): Type | undefined {
    return this.guard(() => this.inner.variableType(name), undefined);
  }

  functionType(name: string): Type | undefined {
    return this.guard(() => this.inner.functionType(name), undefined);
  }

  lineAt(pc: bigint): SourceLine | undefined {
    return this.guard(() => this.inner.lineAt(pc), undefined);
  }

  inlineFramesAt(pc: bigint): InlineFrame[] {
    return this.guard(() => this.inner.inlineFramesAt(pc), []);
  }

  compDirAt(pc: bigint): string | undefined {
    return this.guard(() => this.inner.compDirAt(pc), undefined);
  }

  private guard<T>(fn: () => T, otherwise: T): T {
    if (this.problem) return otherwise;
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof DwarfError) && !(e instanceof RangeError)) throw e;
      this.problem = dwarfProblem(this.inner.label, e);
      return otherwise;
    }
  }
}
