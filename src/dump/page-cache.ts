/**
 * A small least-recently-used cache of decompressed pages, keyed by page frame number. Bounded by a
 * count and by bytes: a damaged header may claim pages of up to 1 MiB, and 1024 of those would be a
 * gigabyte.
 */
/** bytes of each slab new page buffers are cut from (see fromSlab) */
const SLAB_BYTES = 256 * 1024;

export class PageCache {
  private readonly pages = new Map<number, Buffer>();
  private bytes = 0;
  private lastPfn = -1;
  private last: Buffer | undefined;

  constructor(
    private readonly capacity = 256,
    private readonly maxBytes = 16 << 20,
  ) {}

  get(pfn: number): Buffer | undefined {
    // the page just asked for again (a struct read field by field): no reordering needed
    if (pfn === this.lastPfn && this.last) return this.last;
    const hit = this.pages.get(pfn);
    if (hit) {
      this.lastPfn = pfn;
      this.last = hit;
      // Map keeps insertion order: re-insert to mark as most recently used
      this.pages.delete(pfn);
      this.pages.set(pfn, hit);
    }
    return hit;
  }

  set(pfn: number, page: Buffer): void {
    this.drop(pfn, false);
    while (this.pages.size > 0 && (this.pages.size >= this.capacity || this.bytes + page.length > this.maxBytes))
      this.drop(this.pages.keys().next().value as number, true);
    this.pages.set(pfn, page);
    this.bytes += page.length;
  }

  /**
   * A buffer of `size` bytes that held a page the cache dropped as least recently used, to decompress the next
   * page into (a task walk decompresses 14,000 pages: one new buffer each was most of its garbage and memory).
   * Safe because pages are lent, never kept (DumpFile.pageAt): a page is dropped only after `capacity` newer pages
   * were stored, long after any reader of it has finished.
   */
  spare(size: number): Buffer | undefined {
    const b = this.spares.pop();
    if (b && b.length === size) return b;
    return size <= SLAB_BYTES / 16 ? this.fromSlab(size) : undefined;
  }

  /**
   * A new page buffer cut from a slab of SLAB_BYTES: until the cache is full nothing is dropped to reuse, and a
   * Buffer.allocUnsafe of a page (too large for Node's pool) makes an ArrayBuffer of its own each time, ~30 µs
   * apiece (1,024 of them: a tenth of `ps`'s walk on a 10,000-task dump). A slab lives while any page cut from it
   * does: the cache's own pages, at most `capacity` of them, and the spares.
   */
  private fromSlab(size: number): Buffer {
    if (!this.slab || this.slabUsed + size > this.slab.length) {
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
      this.slabUsed = 0;
    }
    const b = this.slab.subarray(this.slabUsed, this.slabUsed + size);
    this.slabUsed += size;
    return b;
  }

  private slab: Buffer | undefined;
  private slabUsed = 0;

  clear(): void {
    this.last = undefined;
    this.pages.clear();
    this.spares.length = 0;
    this.slab = undefined;
    this.bytes = 0;
  }

  private readonly spares: Buffer[] = [];

  private drop(pfn: number, recycle: boolean): void {
    if (pfn === this.lastPfn) this.last = undefined;
    const old = this.pages.get(pfn);
    if (!old) return;
    this.pages.delete(pfn);
    this.bytes -= old.length;
    if (recycle && this.spares.length < 4) this.spares.push(old);
  }
}
