/** A small least-recently-used cache of decompressed pages, keyed by page frame number. */
export class PageCache {
  private readonly pages = new Map<number, Buffer>();

  constructor(private readonly capacity = 256) {}

  get(pfn: number): Buffer | undefined {
    const hit = this.pages.get(pfn);
    if (hit) {
      // Map keeps insertion order: re-insert to mark as most recently used
      this.pages.delete(pfn);
      this.pages.set(pfn, hit);
    }
    return hit;
  }

  set(pfn: number, page: Buffer): void {
    this.pages.delete(pfn);
    if (this.pages.size >= this.capacity) this.pages.delete(this.pages.keys().next().value as number);
    this.pages.set(pfn, page);
  }

  clear(): void {
    this.pages.clear();
  }
}
