/**
 * Kernel virtual memory: reads split at page boundaries, each page translated and read from the
 * dump. A failed read names the virtual address, and the physical one when translation worked.
 */
import { PageError, type DumpFile } from '../dump/types.js';
import { isKernelAddress } from './address.js';
import { TranslationError, type X86_64Translator } from './arch/x86_64/translate.js';
import { u64le } from './u64.js';

const PAGE = 4096n;
const PAGE_OFFSET = PAGE - 1n;
const PAGE_MASK = ~PAGE_OFFSET;

/** A read of kernel memory that failed: one line, names the address. */
export class MemoryError extends Error {
  constructor(
    readonly vaddr: bigint,
    readonly reason: string,
    readonly paddr?: bigint,
  ) {
    super(
      `${reason}: ${isKernelAddress(vaddr) ? 'kernel' : 'user'} virtual address ${vaddr.toString(16)}` +
        (paddr !== undefined ? ` (physical ${paddr.toString(16)})` : ''),
    );
    this.name = 'MemoryError';
  }
}

export class Memory {
  private readonly tlb = new Map<bigint, bigint>();
  private lastVpage = -1n;
  private lastPpage = 0n;
  /** when true, excluded pages read as zeroes (crash's `set zero_excluded on`) */
  zeroExcluded = false;

  constructor(
    readonly dump: DumpFile,
    readonly translator: X86_64Translator,
  ) {}

  /** Physical address of a kernel virtual address (throws MemoryError). */
  vtop(vaddr: bigint): bigint {
    const vpage = vaddr & PAGE_MASK;
    // the page asked for last time again (a struct read member by member): no map lookup
    if (vpage === this.lastVpage) return this.lastPpage + (vaddr & PAGE_OFFSET);
    // the direct map is one subtraction, as kvtop makes it: cheaper than the map below, and not kept in it (a walk
    // over 10,000 task_structs touches ~20,000 such pages)
    const direct = this.translator.directMapPhys(vpage);
    if (direct !== undefined) {
      this.lastVpage = vpage;
      this.lastPpage = direct;
      return direct + (vaddr & PAGE_OFFSET);
    }
    let ppage = this.tlb.get(vpage);
    if (ppage === undefined) {
      try {
        ppage = this.translator.kvtop(vpage);
      } catch (e) {
        if (e instanceof TranslationError) throw new MemoryError(vaddr, e.reason);
        throw e;
      }
      if (this.tlb.size > 65536) this.tlb.clear();
      this.tlb.set(vpage, ppage);
    }
    this.lastVpage = vpage;
    this.lastPpage = ppage;
    return ppage + (vaddr & PAGE_OFFSET);
  }

  /** Read `length` bytes of kernel virtual memory. */
  read(vaddr: bigint, length: number): Buffer {
    if (length < 0 || length > 1 << 28) throw new MemoryError(vaddr, `read of ${length} bytes refused`);
    const first = PAGE - (vaddr & (PAGE - 1n));
    if (BigInt(length) <= first) return this.readPage(vaddr, length);
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    let addr = vaddr;
    while (done < length) {
      const chunk = Math.min(length - done, Number(PAGE - (addr & (PAGE - 1n))));
      this.readPage(addr, chunk).copy(out, done);
      done += chunk;
      addr += BigInt(chunk);
    }
    return out;
  }

  /** Read physical memory (rd -p). */
  readPhys(paddr: bigint, length: number): Buffer {
    try {
      return this.dump.readPhys(paddr, length);
    } catch (e) {
      if (e instanceof PageError) {
        if (this.zeroExcluded && e.reason === 'excluded') return Buffer.alloc(length);
        throw e;
      }
      throw e;
    }
  }

  private readPage(vaddr: bigint, length: number): Buffer {
    const paddr = this.vtop(vaddr);
    try {
      return this.dump.readPhys(paddr, length);
    } catch (e) {
      if (e instanceof PageError) {
        if (this.zeroExcluded && e.reason === 'excluded') return Buffer.alloc(length);
        throw new MemoryError(vaddr, pageErrorText(e), paddr);
      }
      throw e;
    }
  }

  readU64(vaddr: bigint): bigint {
    const at = this.scalarAt(vaddr, 8);
    return at ? u64le(at.page, at.offset) : this.read(vaddr, 8).readBigUInt64LE(0);
  }

  readU32(vaddr: bigint): number {
    const at = this.scalarAt(vaddr, 4);
    return at ? at.page.readUInt32LE(at.offset) : this.read(vaddr, 4).readUInt32LE(0);
  }

  readS32(vaddr: bigint): number {
    const at = this.scalarAt(vaddr, 4);
    return at ? at.page.readInt32LE(at.offset) : this.read(vaddr, 4).readInt32LE(0);
  }

  /**
   * A small read that stays inside one page, straight from the dump's cached page (no copy): the page and
   * the offset in it. undefined when the dump has no page access, the read crosses a page, or excluded pages
   * read as zeroes (then read() decides). Throws MemoryError as read() does.
   */
  scalarAt(vaddr: bigint, length: number): { page: Buffer; offset: number } | undefined {
    const pageAt = this.dump.pageAt;
    if (!pageAt || this.zeroExcluded) return undefined;
    const offset = Number(vaddr & PAGE_OFFSET);
    if (offset + length > 4096) return undefined;
    const paddr = this.vtop(vaddr);
    try {
      const page = pageAt.call(this.dump, paddr);
      // a dump's page is pageSize bytes from a pageSize-aligned address: the offset is the physical one's
      // (the virtual one's when dump pages are as large as the kernel's, as they are on x86_64)
      const poff = page.length === 4096 ? offset : Number(paddr % BigInt(page.length));
      return { page, offset: poff };
    } catch (e) {
      if (e instanceof PageError) throw new MemoryError(vaddr, pageErrorText(e), paddr);
      throw e;
    }
  }

  /**
   * The dump's cached page holding `vaddr`, when it is a 4 KiB page (byte i of it is the byte at vaddr's page start
   * + i): a reader of many members of one struct fetches each page once. undefined when the dump has no page access,
   * its pages have another size, or excluded pages read as zeroes (then read() decides). Throws MemoryError.
   */
  pageOf(vaddr: bigint): Buffer | undefined {
    const pageAt = this.dump.pageAt;
    if (!pageAt || this.zeroExcluded) return undefined;
    const paddr = this.vtop(vaddr);
    let page: Buffer;
    try {
      page = pageAt.call(this.dump, paddr);
    } catch (e) {
      if (e instanceof PageError) throw new MemoryError(vaddr, pageErrorText(e), paddr);
      throw e;
    }
    return page.length === 4096 ? page : undefined;
  }

  /** A NUL-terminated string, read page by page (stops at max bytes or an unreadable page after the first). */
  readCString(vaddr: bigint, max = 4096): string {
    const parts: Buffer[] = [];
    let addr = vaddr;
    let total = 0;
    while (total < max) {
      const chunk = Math.min(max - total, Number(PAGE - (addr & (PAGE - 1n))));
      const b = this.read(addr, chunk);
      const nul = b.indexOf(0);
      if (nul >= 0) {
        parts.push(b.subarray(0, nul));
        break;
      }
      parts.push(b);
      total += chunk;
      addr += BigInt(chunk);
    }
    return Buffer.concat(parts).toString('latin1');
  }

  /**
   * Read user memory of a task: `pgd` is its mm->pgd (a kernel virtual address of the top-level
   * page table). Each page is walked separately; a failure names the user address.
   */
  readUser(pgd: bigint, vaddr: bigint, length: number): Buffer {
    if (length < 0 || length > 1 << 26) throw new MemoryError(vaddr, `read of ${length} bytes refused`);
    const pgdPhys = this.vtop(pgd);
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    let addr = vaddr;
    while (done < length) {
      const chunk = Math.min(length - done, Number(PAGE - (addr & (PAGE - 1n))));
      let paddr: bigint;
      try {
        paddr = this.translator.walk(pgdPhys, addr);
      } catch (e) {
        if (e instanceof TranslationError) throw new MemoryError(addr, e.reason);
        throw e;
      }
      try {
        this.dump.readPhys(paddr, chunk).copy(out, done);
      } catch (e) {
        if (e instanceof PageError) {
          if (this.zeroExcluded && e.reason === 'excluded') out.fill(0, done, done + chunk);
          else throw new MemoryError(addr, pageErrorText(e), paddr);
        } else throw e;
      }
      done += chunk;
      addr += BigInt(chunk);
    }
    return out;
  }

  /** Is the page of this virtual address readable (translated and present in the dump)? */
  isReadable(vaddr: bigint): boolean {
    try {
      return this.dump.isPresent(this.vtop(vaddr));
    } catch {
      return false;
    }
  }
}

/** crash's wording for why a page could not be read ("page excluded" ...). */
function pageErrorText(e: PageError): string {
  switch (e.reason) {
    case 'excluded':
      return 'page excluded';
    case 'not-present':
      return 'page not present in the dump';
    case 'truncated':
      return 'dump truncated';
    case 'corrupt':
      return 'page data corrupt';
  }
}
