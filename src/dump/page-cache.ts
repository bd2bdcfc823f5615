/**
 * A small least-recently-used cache of decompressed pages, keyed by page frame number. Bounded by a
 * count and by bytes: a damaged header may claim pages of up to 1 MiB, and 1024 of those would be a
 * gigabyte.
 */
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
    this.drop(pfn);
    while (this.pages.size > 0 && (this.pages.size >= this.capacity || this.bytes + page.length > this.maxBytes))
      this.drop(this.pages.keys().next().value as number);
    this.pages.set(pfn, page);
    this.bytes += page.length;
  }

  clear(): void {
    this.last = undefined;
    this.pages.clear();
    this.bytes = 0;
  }

  private drop(pfn: number): void {
    if (pfn === this.lastPfn) this.last = undefined;
    const old = this.pages.get(pfn);
    if (!old) return;
    this.pages.delete(pfn);
    this.bytes -= old.length;
  }
}
