/**
 * The one interface every dump format implements: physical memory, the per-CPU register notes,
 * VMCOREINFO and metadata. Knows nothing of kernels (no symbols, no virtual addresses).
 */

/** Why a physical read failed. */
export type PageErrorReason =
  | 'excluded' // the page existed but the dump producer filtered it out (makedumpfile -d)
  | 'not-present' // no memory at this physical address in the dump (a hole)
  | 'truncated' // the dump file ends before this page's data
  | 'corrupt'; // the page's data or descriptor could not be decoded

/** A physical read that could not be satisfied. Names the address, never zero-fills. */
export class PageError extends Error {
  constructor(
    readonly paddr: bigint,
    readonly reason: PageErrorReason,
    detail?: string,
  ) {
    super(`${reasonText(reason)}: physical address ${paddr.toString(16)}` + (detail ? ` (${detail})` : ''));
    this.name = 'PageError';
  }
}

function reasonText(r: PageErrorReason): string {
  switch (r) {
    case 'excluded':
      return 'page excluded from the dump';
    case 'not-present':
      return 'page not present in the dump';
    case 'truncated':
      return 'dump file truncated';
    case 'corrupt':
      return 'page data corrupt';
  }
}

/** A dump that cannot be opened at all (bad magic, cut header, ...). One line, names the file. */
export class DumpFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DumpFormatError';
  }
}

/** One ELF-style note (as found in PT_NOTE segments and in kdump's sub-header note area). */
export interface Note {
  name: string; // "CORE", "VMCOREINFO", "QEMU", ...
  type: number; // NT_PRSTATUS = 1, ...
  desc: Buffer;
}

/**
 * x86_64 general registers of one CPU at the time of the crash, from an NT_PRSTATUS note
 * (struct elf_prstatus: pr_pid at 32, pr_reg = struct user_regs_struct at 112).
 */
export interface CpuRegisters {
  /** index of the note (the kernel writes one per online CPU, in CPU order) */
  index: number;
  pid: number;
  regs: X86Regs;
}

export interface X86Regs {
  r15: bigint;
  r14: bigint;
  r13: bigint;
  r12: bigint;
  rbp: bigint;
  rbx: bigint;
  r11: bigint;
  r10: bigint;
  r9: bigint;
  r8: bigint;
  rax: bigint;
  rcx: bigint;
  rdx: bigint;
  rsi: bigint;
  rdi: bigint;
  orig_rax: bigint;
  rip: bigint;
  cs: bigint;
  eflags: bigint;
  rsp: bigint;
  ss: bigint;
  fs_base: bigint;
  gs_base: bigint;
  ds: bigint;
  es: bigint;
  fs: bigint;
  gs: bigint;
}

export interface DumpMeta {
  /** "kdump" (makedumpfile compressed), "flattened", "elf", "qemu-elf", "qemu-kdump" ... */
  format: string;
  /** human description: "kdump-compressed (zlib)", "ELF64 core (makedumpfile -E)" ... */
  description: string;
  /** file name as given by the user */
  path: string;
  pageSize: number;
  /** makedumpfile dump level (-d) when known */
  dumpLevel?: number;
  /** true when pages were filtered out (crash prints "[PARTIAL DUMP]") */
  partial: boolean;
  /** per-page compression(s) seen or declared: "zlib", "lzo", "snappy", "zstd", "none" */
  compression?: string;
  /** who wrote the dump, when the file says so ("makedumpfile", "QEMU", ...) */
  producer?: string;
  /** the machine the dump is of, as uname -m names it ("x86_64"), when the format says (ELF e_machine) */
  machine?: string;
  /** utsname from a kdump header (release etc.), when the format carries one */
  utsname?: { sysname: string; nodename: string; release: string; version: string; machine: string };
  /** crash time from a kdump header (seconds since the epoch), when present */
  timestamp?: number;
  /** number of CPUs the header declares, when it does */
  nrCpus?: number;
  /** highest physical page frame number + 1 covered by the dump */
  maxPfn?: bigint;
  /** one file of a makedumpfile --split dump: the page frames [startPfn, endPfn) it holds */
  splitRange?: { startPfn: bigint; endPfn: bigint };
  /** warnings found while opening (truncated file, ...) */
  warnings: string[];
}

/** An open dump file. Reads at file offsets; never holds the whole file in memory. */
export interface DumpFile {
  readonly meta: DumpMeta;
  /** VMCOREINFO text (key=value lines) if the dump carries it */
  readonly vmcoreinfo: string | undefined;
  /** raw notes (PT_NOTE segments, or kdump's note area) */
  readonly notes: Note[];
  /** NT_PRSTATUS of each CPU, in note order */
  readonly cpus: CpuRegisters[];
  /** Read `length` bytes of physical memory; throws PageError if any page is missing. */
  readPhys(paddr: bigint, length: number): Buffer;
  /**
   * The whole page holding `paddr` (pageSize bytes, the page-aligned part of memory), shared with the dump's
   * page cache: callers read from it and never modify or keep it (once the cache drops the page, its buffer is
   * reused for another page: a reader may hold it across a few page reads, never across a walk). Optional:
   * formats without a page cache read through readPhys. Throws PageError like readPhys.
   */
  pageAt?(paddr: bigint): Buffer;
  /** Is the page holding this physical address readable from the dump? (no decompression) */
  isPresent(paddr: bigint): boolean;
  close(): void;
}
