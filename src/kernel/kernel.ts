/**
 * The kernel model: one dump, with its vmlinux or alone (kallsyms, BTF and ORC from its memory). Symbols (relocated by KASLR), types (BTF), kernel
 * virtual memory (x86_64 page tables), typed objects read by field name, per-CPU data, lists.
 * Built by openKernel() (src/kernel/open.ts); everything here is lazy where it can be.
 */
import type { DumpFile } from '../dump/types.js';
import type { ElfFile } from '../elf/index.js';
import type { KernelImage } from './image.js';
import type { Memory } from './memory.js';
import type { SymbolTable } from './symbols.js';
import type { VmcoreInfo } from './vmcoreinfo.js';
import type { DebugInfo, InlineFrame, SourceLine } from './debuginfo/types.js';
import { KObject, FieldError } from './value.js';
import { resolve, findMemberPath, type Type, type TypeSource } from './types/type.js';

export interface KernelInit {
  /** the vmlinux file; undefined for a vmcore opened alone (symbols, types and ORC from its memory) */
  vmlinuxPath: string | undefined;
  dumpPath: string;
  /** every file of the dump (several for a makedumpfile --split dump); default [dumpPath] */
  dumpFiles?: string[];
  /** the open vmlinux, undefined for a vmcore opened alone */
  elf: ElfFile | undefined;
  /** the kernel image: sections, code and ORC tables, from the vmlinux or from the dump's memory */
  image: KernelImage;
  dump: DumpFile;
  vmcoreinfo: VmcoreInfo;
  kaslrOffset: bigint;
  physBase: bigint;
  symbols: SymbolTable;
  mem: Memory;
  loadTypes: () => TypeSource;
  /** the vmlinux's DWARF, read on first use; undefined when the vmlinux has none */
  loadDebugInfo?: () => DebugInfo | undefined;
  warnings: string[];
}

export class Kernel {
  readonly vmlinuxPath: string | undefined;
  readonly dumpPath: string;
  /** every file of the dump: one, or each file of a makedumpfile --split dump */
  readonly dumpFiles: string[];
  readonly elf: ElfFile | undefined;
  readonly image: KernelImage;
  readonly dump: DumpFile;
  readonly vmcoreinfo: VmcoreInfo;
  readonly kaslrOffset: bigint;
  readonly physBase: bigint;
  readonly symbols: SymbolTable;
  readonly mem: Memory;
  /** warnings found while opening (shown once, after the banner) */
  readonly warnings: string[];
  private typesCache: TypeSource | undefined;
  private readonly loadTypes: () => TypeSource;
  private readonly loadDebugInfo: (() => DebugInfo | undefined) | undefined;
  private debugInfoCache: DebugInfo | undefined | null = null;
  private readonly typeCache = new Map<string, Type | null>();
  /** per-session caches that kernel-object readers may use (keyed by reader name) */
  readonly cache = new Map<string, unknown>();

  constructor(init: KernelInit) {
    this.vmlinuxPath = init.vmlinuxPath;
    this.dumpPath = init.dumpPath;
    this.dumpFiles = init.dumpFiles ?? [init.dumpPath];
    this.elf = init.elf;
    this.image = init.image;
    this.dump = init.dump;
    this.vmcoreinfo = init.vmcoreinfo;
    this.kaslrOffset = init.kaslrOffset;
    this.physBase = init.physBase;
    this.symbols = init.symbols;
    this.mem = init.mem;
    this.loadTypes = init.loadTypes;
    this.loadDebugInfo = init.loadDebugInfo;
    this.warnings = init.warnings;
  }

  /** The type source (BTF), parsed on first use. */
  get types(): TypeSource {
    if (!this.typesCache) this.typesCache = this.loadTypes();
    return this.typesCache;
  }

  /** What lacks DWARF when there is none, for messages: 'this vmlinux', or 'a vmcore opened alone'. */
  get dwarfLacker(): string {
    return this.image.source === 'vmlinux' ? 'this vmlinux' : 'a vmcore opened alone';
  }

  /** The vmlinux's DWARF (types of globals, line tables, inline info), read on first use; undefined without DWARF. */
  get debugInfo(): DebugInfo | undefined {
    if (this.debugInfoCache === null) this.debugInfoCache = this.loadDebugInfo?.();
    return this.debugInfoCache;
  }

  /** The source line of a runtime (KASLR-relocated) kernel text address, when DWARF is there. */
  sourceLine(addr: bigint): SourceLine | undefined {
    return this.debugInfo?.lineAt(addr - this.kaslrOffset);
  }

  /**
   * The source line of a runtime kernel text address with its file named as gdb's `list` names it: relative
   * to its unit's compilation directory (`kernel/panic.c`, not the build tree's full path).
   */
  sourceLineRelative(addr: bigint): SourceLine | undefined {
    const l = this.sourceLine(addr);
    const dir = l && this.debugInfo?.compDirAt?.(addr - this.kaslrOffset);
    if (!l || !dir) return l;
    const file = l.file.startsWith(dir + '/') ? l.file.slice(dir.length + 1) : l.file;
    return { file: file.replace(/^(\.\/)+/, ''), line: l.line };
  }

  /** The inlined calls a runtime kernel text address lies in, innermost first (empty without DWARF). */
  inlineFrames(addr: bigint): InlineFrame[] {
    return this.debugInfo?.inlineFramesAt(addr - this.kaslrOffset) ?? [];
  }

  /** A type by C name ('struct task_struct', 'pid_t'); throws a one-line error if unknown. */
  type(name: string): Type {
    const t = this.findType(name);
    if (!t) throw new FieldError(`type not found: ${name}`);
    return t;
  }

  findType(name: string): Type | undefined {
    let t = this.typeCache.get(name);
    if (t === undefined) {
      t = this.types.find(name) ?? null;
      this.typeCache.set(name, t);
    }
    return t ?? undefined;
  }

  /** sizeof(type) */
  sizeOf(name: string): number {
    return resolve(this.type(name)).size;
  }

  /** offsetof(type, member.path) in bytes */
  offsetOf(name: string, path: string): number {
    const f = findMemberPath(this.type(name), path);
    if (!f) throw new FieldError(`${name} has no member "${path}"`);
    return Math.floor(f.bitOffset / 8);
  }

  hasMember(name: string, path: string): boolean {
    const t = this.findType(name);
    return !!t && !!findMemberPath(t, path);
  }

  /** Runtime address of a symbol; throws "symbol not found: x". */
  sym(name: string): bigint {
    return this.symbols.address(name);
  }

  hasSymbol(name: string): boolean {
    return this.symbols.lookup(name) !== undefined;
  }

  /** A typed object at an address. */
  object(type: string | Type, address: bigint): KObject {
    return new KObject(this, typeof type === 'string' ? this.type(type) : type, address);
  }

  /** A global variable as a typed object: object(type, sym(name)). */
  variable(name: string, type: string | Type): KObject {
    return this.object(type, this.sym(name));
  }

  /** container_of(addr, type, member) */
  containerOf(addr: bigint, type: string, member: string): KObject {
    return this.object(type, addr - BigInt(this.offsetOf(type, member)));
  }

  // ---- memory -------------------------------------------------------------------------------

  read(addr: bigint, length: number): Buffer {
    return this.mem.read(addr, length);
  }

  readU64(addr: bigint): bigint {
    return this.mem.readU64(addr);
  }

  readU32(addr: bigint): number {
    return this.mem.readU32(addr);
  }

  readS32(addr: bigint): number {
    return this.mem.readS32(addr);
  }

  readCString(addr: bigint, max = 4096): string {
    return this.mem.readCString(addr, max);
  }

  // ---- per-CPU ------------------------------------------------------------------------------

  /** Number of possible CPU ids (nr_cpu_ids). */
  get nrCpuIds(): number {
    const c = this.cache.get('nr_cpu_ids') as number | undefined;
    if (c !== undefined) return c;
    let n = 1;
    try {
      n = this.hasSymbol('nr_cpu_ids') ? this.readU32(this.sym('nr_cpu_ids')) : this.dump.cpus.length || 1;
    } catch {
      n = this.dump.cpus.length || 1;
    }
    if (n < 1 || n > 8192) n = this.dump.cpus.length || 1;
    this.cache.set('nr_cpu_ids', n);
    return n;
  }

  /** __per_cpu_offset[cpu]: add to a per-CPU symbol's offset to get that CPU's copy. */
  perCpuOffset(cpu: number): bigint {
    return this.readU64(this.sym('__per_cpu_offset') + BigInt(cpu) * 8n);
  }

  /**
   * Is this symbol a per-CPU variable? Up to 6.14 its value is an offset from 0 (flagged when the symbols are
   * read); since 6.15 (7.x here) it is an image address between __per_cpu_start and __per_cpu_end.
   */
  isPerCpuSymbol(s: { address: bigint; percpu: boolean; module?: string; name: string } | undefined): boolean {
    if (!s) return false;
    if (s.percpu) return true;
    if (s.module || s.name === '__per_cpu_start' || s.name === '__per_cpu_end') return false;
    const start = this.symbols.lookup('__per_cpu_start');
    const end = this.symbols.lookup('__per_cpu_end');
    if (!start || !end || start.percpu || start.address < 0xffffffff80000000n) return false;
    return s.address >= start.address && s.address < end.address;
  }

  /** Address of CPU `cpu`'s copy of a per-CPU variable (symbol in .data..percpu). */
  perCpu(name: string, cpu: number): bigint {
    const s = this.symbols.lookup(name);
    if (!s) throw new FieldError(`symbol not found: ${name}`);
    return this.perCpuPtr(s.address, cpu);
  }

  /**
   * CPU `cpu`'s copy of a per-CPU pointer (a per-CPU symbol or an alloc_percpu() result), as
   * per_cpu_ptr() computes it: pointer + __per_cpu_offset[cpu], modulo 2^64. Before 6.15 x86_64's
   * per-CPU pointers were offsets from 0 and the sum stayed below 2^64; since then they are image
   * addresses (0xffffffff8...) and the offset is the base minus __per_cpu_start, so the sum wraps.
   */
  perCpuPtr(ptr: bigint, cpu: number): bigint {
    return (ptr + this.perCpuOffset(cpu)) & 0xffff_ffff_ffff_ffffn;
  }

  /** CPUs set in a cpumask variable (__cpu_online_mask, __cpu_possible_mask ...). */
  cpuMask(name: string): number[] {
    const out: number[] = [];
    const n = this.nrCpuIds;
    const words = Math.ceil(n / 64);
    const buf = this.read(this.sym(name), words * 8);
    for (let cpu = 0; cpu < n; cpu++) {
      const w = buf.readBigUInt64LE(Math.floor(cpu / 64) * 8);
      if ((w >> BigInt(cpu % 64)) & 1n) out.push(cpu);
    }
    return out;
  }

  /** The online CPUs (falls back to one per PRSTATUS note). */
  get onlineCpus(): number[] {
    const c = this.cache.get('online') as number[] | undefined;
    if (c) return c;
    let cpus: number[];
    try {
      cpus = this.cpuMask('__cpu_online_mask');
    } catch {
      cpus = this.dump.cpus.map((_, i) => i);
    }
    this.cache.set('online', cpus);
    return cpus;
  }

  /**
   * The present CPUs (__cpu_present_mask, with every online CPU): an offline CPU is present and keeps its
   * runqueue and idle task; crash lists CPUs up to the highest present one.
   */
  get presentCpus(): number[] {
    const c = this.cache.get('present') as number[] | undefined;
    if (c) return c;
    let cpus: number[];
    try {
      cpus = [...new Set([...this.cpuMask('__cpu_present_mask'), ...this.onlineCpus])].sort((a, b) => a - b);
    } catch {
      cpus = this.onlineCpus;
    }
    this.cache.set('present', cpus);
    return cpus;
  }

  // ---- lists ----------------------------------------------------------------------------------

  /**
   * Walk a circular struct list_head starting at `head` (the head itself is not an entry),
   * yielding the address of each containing object. Stops at the head, on a cycle or after
   * `limit` entries; errors on the way are thrown to the caller with the address named.
   */
  *listAddresses(head: bigint, type: string, member: string, limit = 1_000_000): Generator<bigint> {
    const off = BigInt(this.offsetOf(type, member));
    const seen = new Set<bigint>();
    let node = this.readU64(head);
    let count = 0;
    while (node !== head) {
      if (node === 0n) throw new FieldError(`list at ${head.toString(16)}: NULL next pointer after ${count} entries`);
      if (seen.has(node)) throw new FieldError(`list at ${head.toString(16)}: cycle after ${count} entries`);
      if (++count > limit) throw new FieldError(`list at ${head.toString(16)}: more than ${limit} entries`);
      seen.add(node);
      yield node - off;
      node = this.readU64(node);
    }
  }
}
