/**
 * The kernel image as the kernel model sees it, whatever it was read from: a vmlinux file, or the image
 * the dump itself holds in memory (a vmcore opened alone). Three questions only: which sections lie where
 * (to name a value that is exactly a section's start), the image's bytes at a link-time address (function
 * prologues for the unwinder), and the ORC unwind tables.
 */
import { SHF_ALLOC, type ElfFile } from '../elf/index.js';
import type { OrcSections } from './arch/x86_64/orc.js';
import type { SymbolTable } from './symbols.js';
import { basename } from 'node:path';

/** An allocated section of the image, in link-time addresses. */
export interface ImageSection {
  name: string;
  addr: bigint;
  size: bigint;
}

export interface KernelImage {
  /** 'vmlinux' when a vmlinux file is open; 'dump' when symbols, types and code come from the vmcore */
  readonly source: 'vmlinux' | 'dump';
  /** the vmlinux's file name, or what stands in for it */
  readonly label: string;
  /** allocated sections (link-time addresses); from a dump, the ones its linker symbols bound */
  sections(): readonly ImageSection[];
  /** `length` bytes of the image at a link-time address; undefined when they cannot be read */
  readLink(addr: bigint, length: number): Buffer | undefined;
  /** the ORC tables (without osrelease), undefined when the kernel has none */
  orc(): Omit<OrcSections, 'osrelease'> | undefined;
  /** true when the ORC tables exist (cheap: nothing is read) */
  readonly hasOrc: boolean;
}

/** The image of a vmlinux file. */
export class ElfImage implements KernelImage {
  readonly source = 'vmlinux';
  readonly label: string;
  private cached: ImageSection[] | undefined;

  constructor(
    readonly path: string,
    private readonly elf: ElfFile,
  ) {
    this.label = basename(path);
  }

  sections(): readonly ImageSection[] {
    this.cached ??= this.elf.sections
      .filter((s) => s.name && (s.flags & SHF_ALLOC) !== 0n)
      .map((s) => ({ name: s.name, addr: s.addr, size: s.size }));
    return this.cached;
  }

  readLink(addr: bigint, length: number): Buffer | undefined {
    return this.elf.readVirtual(addr, length);
  }

  get hasOrc(): boolean {
    return !!this.elf.section('.orc_unwind_ip') && !!this.elf.section('.orc_unwind');
  }

  orc(): Omit<OrcSections, 'osrelease'> | undefined {
    const ip = this.elf.section('.orc_unwind_ip');
    const un = this.elf.section('.orc_unwind');
    if (!ip || !un) return undefined;
    const hdr = this.elf.section('.orc_header');
    return {
      ipSectionAddr: ip.addr,
      ip: this.elf.readSection(ip),
      unwind: this.elf.readSection(un),
      header: hdr ? this.elf.readSection(hdr) : undefined,
    };
  }
}

/**
 * Sections whose bounds the kernel's linker script marks with symbols kallsyms keeps
 * (arch/x86/kernel/vmlinux.lds.S, include/asm-generic/vmlinux.lds.h): [section, start, end].
 */
const BOUNDED_SECTIONS: [string, string, string][] = [
  ['.text', '_text', '_etext'],
  ['.rodata', '__start_rodata', '__end_rodata'],
  ['.BTF', '__start_BTF', '__stop_BTF'],
  ['.orc_header', '__start_orc_header', '__stop_orc_header'],
  ['.orc_unwind_ip', '__start_orc_unwind_ip', '__stop_orc_unwind_ip'],
  ['.orc_unwind', '__start_orc_unwind', '__stop_orc_unwind'],
  ['.data', '_sdata', '_edata'],
  ['.init.text', '_sinittext', '_einittext'],
  ['.bss', '__bss_start', '__bss_stop'],
  ['.brk', '__brk_base', '__brk_limit'],
];

/** The image held in the dump's memory, found through the kernel's own symbols (kallsyms). */
export class DumpImage implements KernelImage {
  readonly source = 'dump';
  private cached: ImageSection[] | undefined;

  constructor(
    readonly label: string,
    private readonly symbols: SymbolTable,
    /** reads kernel virtual memory at a runtime address (throws when it cannot) */
    private readonly read: (addr: bigint, length: number) => Buffer,
  ) {}

  private runtime(name: string): bigint | undefined {
    return this.symbols.lookup(name)?.address;
  }

  sections(): readonly ImageSection[] {
    if (!this.cached) {
      const out: ImageSection[] = [];
      for (const [name, start, end] of BOUNDED_SECTIONS) {
        const s = this.runtime(start);
        const e = this.runtime(end);
        if (s === undefined || e === undefined || e < s) continue;
        out.push({ name, addr: s - this.symbols.kaslrOffset, size: e - s });
      }
      this.cached = out.sort((a, b) => (a.addr < b.addr ? -1 : a.addr > b.addr ? 1 : 0));
    }
    return this.cached;
  }

  readLink(addr: bigint, length: number): Buffer | undefined {
    try {
      return this.read(addr + this.symbols.kaslrOffset, length);
    } catch {
      return undefined;
    }
  }

  get hasOrc(): boolean {
    return ['__start_orc_unwind_ip', '__stop_orc_unwind_ip', '__start_orc_unwind', '__stop_orc_unwind'].every(
      (n) => this.runtime(n) !== undefined,
    );
  }

  orc(): Omit<OrcSections, 'osrelease'> | undefined {
    const table = (start: string, stop: string): { at: bigint; bytes: Buffer } | undefined => {
      const s = this.runtime(start);
      const e = this.runtime(stop);
      if (s === undefined || e === undefined || e < s) return undefined;
      return { at: s, bytes: this.read(s, Number(e - s)) };
    };
    const ip = table('__start_orc_unwind_ip', '__stop_orc_unwind_ip');
    const unwind = table('__start_orc_unwind', '__stop_orc_unwind');
    if (!ip || !unwind) return undefined;
    return {
      ipSectionAddr: ip.at - this.symbols.kaslrOffset,
      ip: ip.bytes,
      unwind: unwind.bytes,
      header: table('__start_orc_header', '__stop_orc_header')?.bytes,
    };
  }
}
