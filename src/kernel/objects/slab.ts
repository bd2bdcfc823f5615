/**
 * Which slab cache an address belongs to (crash's `rd -S`): a direct-map address → its page frame →
 * its struct page in the vmemmap array → the head page of a compound page (compound_head bit 0) → is it
 * a slab page → struct slab (an overlay of struct page since 5.17).slab_cache → kmem_cache.name.
 *
 * "Is it a slab page" changed in 6.10 (and both ways are named in VMCOREINFO):
 * - up to 6.9: the PG_slab bit of page->flags (NUMBER(PG_slab));
 * - 6.10+:     page->page_type (the word shared with _mapcount) has the slab type in its top byte
 *              (NUMBER(PAGE_SLAB_MAPCOUNT_VALUE), e.g. 0xf5000000 on 6.12).
 */
import type { Kernel } from '../kernel.js';

const CACHE = 'objects/slab/layout';

interface SlabLayout {
  pageOffsetBase: bigint;
  vmemmap: bigint;
  pageSize: bigint;
  flagsOff: bigint;
  headOff: bigint;
  typeOff: bigint;
  pgSlabBit: bigint | undefined;
  slabTypeByte: number | undefined;
}

function layout(k: Kernel): SlabLayout | undefined {
  if (k.cache.has(CACHE)) return k.cache.get(CACHE) as SlabLayout | undefined;
  let out: SlabLayout | undefined;
  try {
    const info = k.vmcoreinfo;
    const vmemmap =
      info.symbol('vmemmap') ?? (k.hasSymbol('vmemmap_base') ? k.readU64(k.sym('vmemmap_base')) : undefined);
    const pgSlab = info.number('PG_slab');
    const slabValue = info.number('PAGE_SLAB_MAPCOUNT_VALUE');
    if (vmemmap !== undefined && (pgSlab !== undefined || slabValue !== undefined) && k.findType('struct slab')) {
      out = {
        pageOffsetBase: k.mem.translator.cfg.pageOffsetBase,
        vmemmap,
        pageSize: BigInt(k.sizeOf('struct page')),
        flagsOff: BigInt(k.offsetOf('struct page', 'flags')),
        // renamed compound_info in 7.x (it may then hold a mask rather than the head's address)
        headOff: BigInt(
          k.offsetOf('struct page', k.hasMember('struct page', 'compound_head') ? 'compound_head' : 'compound_info'),
        ),
        typeOff: BigInt(k.offsetOf('struct page', k.hasMember('struct page', 'page_type') ? 'page_type' : '_mapcount')),
        pgSlabBit: pgSlab,
        slabTypeByte: slabValue !== undefined ? Number((BigInt.asUintN(32, slabValue) >> 24n) & 0xffn) : undefined,
      };
    }
  } catch {
    out = undefined;
  }
  k.cache.set(CACHE, out);
  return out;
}

/** The name of the slab cache holding `addr`, or undefined (not a slab object, or unreadable). */
export function slabCacheOf(k: Kernel, addr: bigint): string | undefined {
  const l = layout(k);
  if (!l || addr < l.pageOffsetBase || addr >= l.pageOffsetBase + (1n << 46n)) return undefined;
  try {
    let page = l.vmemmap + ((addr - l.pageOffsetBase) >> 12n) * l.pageSize;
    page = compoundHead(page, k.readU64(page + l.headOff));
    const isSlab =
      l.pgSlabBit !== undefined
        ? ((k.readU64(page + l.flagsOff) >> l.pgSlabBit) & 1n) === 1n
        : k.readU32(page + l.typeOff) >>> 24 === l.slabTypeByte;
    if (!isSlab) return undefined;
    const cache = k.object('struct slab', page).field('slab_cache').value();
    if (cache === 0n) return undefined;
    const name = k.object('struct kmem_cache', cache).field('name').value();
    return k.readCString(name, 64) || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The head page of a tail page (bit 0 of page->compound_head / compound_info set), as _compound_head()
 * computes it: up to 6.x the word is the head's address + 1; in 7.x, where sizeof(struct page) is a
 * power of two, it may instead be a mask of high ones (~(nr_pages * sizeof(struct page) - 1) | 1) to
 * apply to the tail's own address. A mask is all ones down to a run of zeros above bit 0; no vmemmap
 * address looks like that.
 */
export function compoundHead(page: bigint, info: bigint): bigint {
  if ((info & 1n) === 0n) return page;
  const m = info & ~1n;
  const low = BigInt.asUintN(64, ~m); // 0b0..01..1 when m is a mask
  if (m !== 0n && (low & (low + 1n)) === 0n && low < 1n << 32n) return page & m;
  return info - 1n;
}
