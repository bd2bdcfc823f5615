/**
 * ELF vmcores: /proc/vmcore copies, makedumpfile -E (filtered) files and QEMU dump-guest-memory
 * files. Physical memory is described by the PT_LOAD segments (p_paddr, p_offset, p_filesz,
 * p_memsz); registers and VMCOREINFO by the PT_NOTE notes.
 *
 * makedumpfile -E writes a segment's kept pages as its first p_filesz bytes and leaves the filtered
 * rest as p_memsz - p_filesz bytes with no file data; it also splits segments at long runs of
 * filtered pages and may write segments with p_filesz == 0. The same physical range can appear in
 * two segments (the kernel image's own mapping and the direct map), so the segments are merged
 * into one sorted list of disjoint ranges.
 */
import { ElfError, ElfFile, elfMachineName, EM_X86_64, ET_CORE, PT_LOAD } from '../elf/index.js';
import { cpuRegistersFromNotes, vmcoreinfoFromNotes } from './prstatus.js';
import { DumpFormatError, PageError, type CpuRegisters, type DumpFile, type DumpMeta, type Note } from './types.js';

const DEFAULT_PAGE_SIZE = 4096;

/** A physical range backed by file bytes. `end` is exclusive. */
interface DataRange {
  start: bigint;
  end: bigint;
  fileOffset: bigint;
}

/** A physical range that existed but whose bytes the dump producer left out. */
interface HoleRange {
  start: bigint;
  end: bigint;
}

export function openElfCore(path: string): DumpFile {
  let elf: ElfFile;
  try {
    elf = ElfFile.open(path, { tolerateCutSections: true });
  } catch (e) {
    if (e instanceof ElfError) throw new DumpFormatError(e.message);
    throw e;
  }
  try {
    return new ElfCore(path, elf);
  } catch (e) {
    elf.close();
    if (e instanceof ElfError) throw new DumpFormatError(e.message);
    throw e;
  }
}

/** An ELF vmcore on an already open ElfFile (openElfCore opens the path; tests wrap the file). */
export class ElfCore implements DumpFile {
  readonly meta: DumpMeta;
  readonly notes: Note[];
  readonly vmcoreinfo: string | undefined;
  readonly cpus: CpuRegisters[];
  private readonly data: DataRange[];
  private readonly holes: HoleRange[];
  private readonly fileSize: bigint;

  constructor(
    path: string,
    private readonly elf: ElfFile,
  ) {
    const h = elf.header;
    if (h.type !== ET_CORE) {
      throw new DumpFormatError(
        `${path}: ELF file of type ${h.type === 2 ? 'EXEC (an executable: is this the vmlinux?)' : h.type}, not a core dump`,
      );
    }
    this.fileSize = BigInt(elf.file.size);
    const warnings: string[] = [];
    this.notes = elf.notes();
    this.vmcoreinfo = vmcoreinfoFromNotes(this.notes);
    if (h.machine === EM_X86_64) {
      this.cpus = cpuRegistersFromNotes(this.notes);
    } else {
      this.cpus = [];
      warnings.push(`${path}: CPU registers are decoded for x86_64 only (this dump's e_machine is ${h.machine})`);
    }

    const loads = elf.programHeaders.filter((p) => p.type === PT_LOAD);
    if (loads.length === 0) throw new DumpFormatError(`${path}: ELF core has no PT_LOAD segments (no memory)`);
    let partial = false;
    let truncated = 0;
    const rawData: (DataRange & { index: number })[] = [];
    const rawHoles: HoleRange[] = [];
    let maxEnd = 0n;
    for (const p of loads) {
      let filesz = p.filesz;
      if (filesz > p.memsz) {
        warnings.push(
          `${path}: segment ${p.index} has p_filesz 0x${filesz.toString(16)} > p_memsz 0x${p.memsz.toString(16)}; using p_memsz`,
        );
        filesz = p.memsz;
      }
      if (filesz > 0n) {
        rawData.push({ start: p.paddr, end: p.paddr + filesz, fileOffset: p.offset, index: p.index });
        if (p.offset + filesz > this.fileSize) truncated++;
      }
      if (p.memsz > filesz) {
        if (missesWholePage(p.paddr + filesz, p.paddr + p.memsz, pageSizeFrom(this.vmcoreinfo) ?? DEFAULT_PAGE_SIZE))
          partial = true;
        rawHoles.push({ start: p.paddr + filesz, end: p.paddr + p.memsz });
      }
      if (p.paddr + p.memsz > maxEnd) maxEnd = p.paddr + p.memsz;
    }
    if (truncated > 0) {
      warnings.push(
        `${path}: file is truncated: ${truncated} of ${loads.length} PT_LOAD segments extend past its end (size ${this.fileSize})`,
      );
    }
    this.data = disjointDataRanges(rawData);
    this.holes = mergedHoles(rawHoles);

    const isQemu = this.notes.some((n) => n.name === 'QEMU');
    const cls = `ELF${h.class}`;
    const pageSize = pageSizeFrom(this.vmcoreinfo) ?? DEFAULT_PAGE_SIZE;
    warnings.push(...elf.warnings);
    this.meta = {
      format: isQemu ? 'qemu-elf' : 'elf',
      description: isQemu
        ? `${cls} core (QEMU dump-guest-memory)`
        : partial
          ? `${cls} core, filtered (makedumpfile -E)`
          : `${cls} core`,
      path,
      pageSize,
      partial,
      compression: 'none',
      producer: isQemu ? 'QEMU' : partial ? 'makedumpfile' : undefined,
      maxPfn: (maxEnd + BigInt(pageSize) - 1n) / BigInt(pageSize),
      machine: elfMachineName(h.machine),
      warnings,
    };
    if (this.meta.producer === undefined) delete this.meta.producer;
  }

  readPhys(paddr: bigint, length: number): Buffer {
    const out = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const cur = paddr + BigInt(done);
      const r = findRange(this.data, cur);
      if (!r) {
        throw new PageError(cur, findRange(this.holes, cur) ? 'excluded' : 'not-present');
      }
      const n = Number(minBig(r.end - cur, BigInt(length - done)));
      const off = r.fileOffset + (cur - r.start);
      if (off + BigInt(n) > this.fileSize) {
        const firstMissing = off >= this.fileSize ? cur : cur + (this.fileSize - off);
        throw new PageError(firstMissing, 'truncated', `file ends at offset 0x${this.fileSize.toString(16)}`);
      }
      this.elf.file.read(off, n).copy(out, done);
      done += n;
    }
    return out;
  }

  isPresent(paddr: bigint): boolean {
    const r = findRange(this.data, paddr);
    return !!r && r.fileOffset + (paddr - r.start) < this.fileSize;
  }

  close(): void {
    this.elf.close();
  }
}

/** Sort by address and cut overlaps (the first segment covering an address wins). */
function disjointDataRanges(ranges: (DataRange & { index: number })[]): DataRange[] {
  ranges.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : a.index - b.index));
  const out: DataRange[] = [];
  let covered = -1n;
  for (const r of ranges) {
    if (r.end <= covered) continue;
    if (r.start < covered) {
      out.push({ start: covered, end: r.end, fileOffset: r.fileOffset + (covered - r.start) });
    } else {
      out.push({ start: r.start, end: r.end, fileOffset: r.fileOffset });
    }
    covered = r.end;
  }
  return out;
}

function mergedHoles(ranges: HoleRange[]): HoleRange[] {
  ranges.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: HoleRange[] = [];
  for (const r of ranges) {
    const last = out[out.length - 1];
    if (last && r.start <= last.end) {
      if (r.end > last.end) last.end = r.end;
    } else {
      out.push({ ...r });
    }
  }
  return out;
}

/** Binary search in disjoint ranges sorted by start. */
function findRange<T extends { start: bigint; end: bigint }>(ranges: T[], addr: bigint): T | undefined {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid]!;
    if (addr < r.start) hi = mid - 1;
    else if (addr >= r.end) lo = mid + 1;
    else return r;
  }
  return undefined;
}

function minBig(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function pageSizeFrom(vmcoreinfo: string | undefined): number | undefined {
  const m = vmcoreinfo && /^PAGESIZE=(\d+)$/m.exec(vmcoreinfo);
  if (!m) return undefined;
  const n = Number(m[1]);
  return n >= 512 && n <= 1 << 20 && (n & (n - 1)) === 0 ? n : undefined;
}

/**
 * Whether the file-less tail [from, to) of a PT_LOAD covers at least one whole page. makedumpfile -E
 * works in pages: a segment whose RAM ends inside a page (e.g. 0x1000-0x9fc00 below the EBDA) keeps
 * p_memsz but gets p_filesz rounded down to a page, even at -d 0; that sub-page tail is not filtering.
 */
export function missesWholePage(from: bigint, to: bigint, pageSize: number): boolean {
  const ps = BigInt(pageSize);
  const firstWhole = ((from + ps - 1n) / ps) * ps;
  return firstWhole + ps <= to;
}
