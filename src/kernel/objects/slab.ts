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
        vmemmap,
        pageSize: BigInt(k.sizeOf('struct page')),
        flagsOff: BigInt(k.offsetOf('struct page', 'flags')),
        headOff: BigInt(k.offsetOf('struct page', 'compound_head')),
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
  // only the linear direct map has a struct page per address (vmalloc'd memory is not slab)
  const phys = l ? k.mem.translator.directMapPhys(addr) : undefined;
  if (!l || phys === undefined) return undefined;
  try {
    let page = l.vmemmap + (phys >> 12n) * l.pageSize;
    const head = k.readU64(page + l.headOff);
    if (head & 1n) page = head - 1n;
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
