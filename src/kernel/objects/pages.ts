/**
 * Page frames and their struct page: the vmemmap array (CONFIG_SPARSEMEM_VMEMMAP, every x86_64 kernel since
 * 2.6.24 with sparsemem) holds one struct page per physical page frame at vmemmap + pfn * sizeof(struct page).
 * Which frames exist is told by the mem_section table (SECTION_SIZE_BITS per section): a section whose
 * section_mem_map has SECTION_HAS_MEM_MAP set has its struct pages in the array.
 *
 * The names of page->flags bits are the kernel's own: the pageflag_names[] table (mm/debug.c, a {mask, name}
 * array ending in a zero entry) read from the dump, else the enum pageflags names without their PG_ prefix.
 * The upper bits of flags hold the section, node and zone numbers, not flags.
 */
import type { Kernel } from '../kernel.js';
import { findMemberPath, resolve } from '../types/type.js';

export const PAGE_SIZE = 4096n;
export const PAGE_SHIFT = 12n;
/** include/linux/mmzone.h: bit 1 of mem_section.section_mem_map says the section has a mem_map */
const SECTION_HAS_MEM_MAP = 2n;
/** the low bits of section_mem_map are flags (SECTION_MAP_LAST_BIT is at most 6 up to 6.12) */
const SECTION_MAP_MASK = ~0x3fn;
/** more page-flag names than any kernel has: where a damaged pageflag_names table stops */
const MAX_PAGEFLAGS = 64;

export interface PageLayout {
  vmemmap: bigint;
  pageStructSize: bigint;
  pageOffsetBase: bigint;
  sectionSizeBits: bigint;
  flagsOff: bigint;
  refcountOff: bigint;
  mappingOff: bigint;
  indexOff: bigint;
}

const LAYOUT = 'objects/pages/layout';
const FLAG_NAMES = 'objects/pages/flag-names';

/** Where struct pages live and where their fields are; undefined when the kernel's types lack struct page. */
export function pageLayout(k: Kernel): PageLayout | undefined {
  if (k.cache.has(LAYOUT)) return k.cache.get(LAYOUT) as PageLayout | undefined;
  let out: PageLayout | undefined;
  try {
    const info = k.vmcoreinfo;
    const vmemmap =
      info.symbol('vmemmap') ?? (k.hasSymbol('vmemmap_base') ? k.readU64(k.sym('vmemmap_base')) : undefined);
    if (vmemmap !== undefined) {
      out = {
        vmemmap,
        pageStructSize: BigInt(k.sizeOf('struct page')),
        pageOffsetBase: k.mem.translator.cfg.pageOffsetBase,
        sectionSizeBits: info.number('SECTION_SIZE_BITS') ?? 27n,
        flagsOff: BigInt(k.offsetOf('struct page', 'flags')),
        refcountOff: BigInt(k.offsetOf('struct page', '_refcount')),
        mappingOff: BigInt(k.offsetOf('struct page', 'mapping')),
        // page->index was renamed __folio_index in 6.16 (folio->index is the name to use since)
        indexOff: BigInt(k.offsetOf('struct page', k.hasMember('struct page', 'index') ? 'index' : '__folio_index')),
      };
    }
  } catch {
    out = undefined;
  }
  k.cache.set(LAYOUT, out);
  return out;
}

/** The struct page address of a page frame number. */
export function pfnToPage(l: PageLayout, pfn: bigint): bigint {
  return l.vmemmap + pfn * l.pageStructSize;
}

/** The pfn of a struct page address, or undefined when it is not the start of a struct page in vmemmap. */
export function pageToPfn(l: PageLayout, page: bigint): bigint | undefined {
  if (page < l.vmemmap) return undefined;
  const off = page - l.vmemmap;
  if (off % l.pageStructSize !== 0n) return undefined;
  const pfn = off / l.pageStructSize;
  // MAX_PHYSMEM_BITS 52 (5-level): no pfn is above 2^40
  return pfn < 1n << 40n ? pfn : undefined;
}

/** mem_section[nr]'s section_mem_map word, or undefined when the section is absent or unreadable. */
function sectionMemMap(k: Kernel, nr: bigint): bigint | undefined {
  try {
    const root = k.sym('mem_section');
    const secSize = BigInt(k.sizeOf('struct mem_section'));
    const mapOff = BigInt(k.offsetOf('struct mem_section', 'section_mem_map'));
    // CONFIG_SPARSEMEM_EXTREME: mem_section is a pointer to an array of root pointers, each to a page of sections
    const perRoot = PAGE_SIZE / secSize;
    const roots = k.readU64(root);
    if (roots === 0n) return undefined;
    const rootPtr = k.readU64(roots + (nr / perRoot) * 8n);
    if (rootPtr === 0n) return undefined;
    return k.readU64(rootPtr + (nr % perRoot) * secSize + mapOff);
  } catch {
    return undefined;
  }
}

/** Does the page frame have a struct page (its memory section is present with a mem_map)? */
export function pfnValid(k: Kernel, l: PageLayout, pfn: bigint): boolean {
  const nr = pfn >> (l.sectionSizeBits - PAGE_SHIFT);
  const map = sectionMemMap(k, nr);
  return map !== undefined && (map & SECTION_HAS_MEM_MAP) !== 0n && (map & SECTION_MAP_MASK) !== 0n;
}

export interface PageInfo {
  /** struct page address */
  page: bigint;
  pfn: bigint;
  physical: bigint;
  flags: bigint;
  /** page->_refcount */
  count: number;
  mapping: bigint;
  index: bigint;
  /** names of the flag bits that are set (the kernel's pageflag_names) */
  flagNames: string[];
}

/** Read one struct page (throws a MemoryError naming the address when its page is not in the dump). */
export function readPage(k: Kernel, l: PageLayout, pfn: bigint): PageInfo {
  const page = pfnToPage(l, pfn);
  const buf = k.read(page, Number(l.pageStructSize));
  const flags = buf.readBigUInt64LE(Number(l.flagsOff));
  return {
    page,
    pfn,
    physical: pfn << PAGE_SHIFT,
    flags,
    count: buf.readInt32LE(Number(l.refcountOff)),
    mapping: buf.readBigUInt64LE(Number(l.mappingOff)),
    index: buf.readBigUInt64LE(Number(l.indexOff)),
    flagNames: pageFlagNames(k)
      .filter((f) => (flags & f.mask) !== 0n)
      .map((f) => f.name),
  };
}

/** The kernel's names of page->flags bits, in its own order. */
export function pageFlagNames(k: Kernel): { mask: bigint; name: string }[] {
  const hit = k.cache.get(FLAG_NAMES) as { mask: bigint; name: string }[] | undefined;
  if (hit) return hit;
  let out: { mask: bigint; name: string }[] = [];
  try {
    const arr = k.sym('pageflag_names');
    const size = BigInt(k.sizeOf('struct trace_print_flags'));
    const maskOff = BigInt(k.offsetOf('struct trace_print_flags', 'mask'));
    const nameOff = BigInt(k.offsetOf('struct trace_print_flags', 'name'));
    for (let i = 0n; i < BigInt(MAX_PAGEFLAGS); i++) {
      const mask = k.readU64(arr + i * size + maskOff);
      const name = k.readU64(arr + i * size + nameOff);
      if (name === 0n) break;
      out.push({ mask, name: k.readCString(name, 64) });
    }
  } catch {
    out = [];
  }
  if (!out.length) {
    const e = k.findType('enum pageflags');
    for (const en of e?.enumerators ?? []) {
      if (en.name === '__NR_PAGEFLAGS') break;
      if (en.name.startsWith('PG_') && en.value < 64n) out.push({ mask: 1n << en.value, name: en.name.slice(3) });
    }
  }
  k.cache.set(FLAG_NAMES, out);
  return out;
}

export interface MemSection {
  nr: bigint;
  /** address of the struct mem_section */
  address: bigint;
  /** section_mem_map without its flag bits: mem_map minus the section's first pfn (the kernel's encoding) */
  coded: bigint;
  memMap: bigint;
  /** flag bits: present, has mem_map, online, early, zone-device */
  flags: bigint;
  pfn: bigint;
}

/** Every present memory section up to max_pfn, from the mem_section table (SPARSEMEM_EXTREME roots). */
export function memSections(k: Kernel, l: PageLayout): MemSection[] {
  const out: MemSection[] = [];
  const secSize = BigInt(k.sizeOf('struct mem_section'));
  const mapOff = BigInt(k.offsetOf('struct mem_section', 'section_mem_map'));
  const perRoot = PAGE_SIZE / secSize;
  const perSection = 1n << (l.sectionSizeBits - PAGE_SHIFT);
  const roots = k.readU64(k.sym('mem_section'));
  // NR_SECTION_ROOTS: VMCOREINFO's LENGTH(mem_section), else from MAX_PHYSMEM_BITS (46, or 52 with 5 levels)
  const physBits = k.vmcoreinfo.number('MAX_PHYSMEM_BITS') ?? 46n;
  const nrRoots = BigInt(
    k.vmcoreinfo.length('mem_section') ?? Number(((1n << (physBits - l.sectionSizeBits)) + perRoot - 1n) / perRoot),
  );
  if (roots === 0n) return out;
  const rootPtrs = k.read(roots, Number(nrRoots) * 8);
  for (let r = 0n; r < nrRoots; r++) {
    const root = rootPtrs.readBigUInt64LE(Number(r) * 8);
    if (root === 0n) continue;
    for (let i = 0n; i < perRoot; i++) {
      const address = root + i * secSize;
      const word = k.readU64(address + mapOff);
      if (word === 0n) continue;
      const nr = r * perRoot + i;
      const coded = word & SECTION_MAP_MASK;
      const pfn = nr * perSection;
      out.push({ nr, address, coded, memMap: coded + pfn * l.pageStructSize, flags: word & ~SECTION_MAP_MASK, pfn });
    }
  }
  return out;
}

/** An enumerator of enum pageflags (PG_locked = 0 ...), aliases (PG_readahead = PG_reclaim) included. */
export interface PageFlagBit {
  name: string;
  bit: number;
}

/** enum pageflags in the kernel's declaration order; undefined when the type information lacks it. */
export function pageFlagEnum(k: Kernel): { bits: PageFlagBit[]; all: PageFlagBit[] } | undefined {
  const e = k.findType('enum pageflags');
  if (!e?.enumerators?.length) return undefined;
  const all = e.enumerators.map((en) => ({ name: en.name, bit: Number(en.value) }));
  // __NR_PAGEFLAGS and the like count or alias, they are not bits of their own
  return { all, bits: all.filter((b) => b.name.includes('PG_')) };
}

/** One struct page member asked for by name (a dotted path through embedded structs and unions). */
export interface PageMember {
  path: string;
  /** 'int' (also enum), 'pointer', 'bool' or 'struct' (struct, union, array: shown as raw words) */
  kind: 'int' | 'pointer' | 'bool' | 'struct';
  offset: number;
  size: number;
  signed: boolean;
  bits?: { offset: number; size: number };
}

/** Resolve member paths of struct page; throws naming the first that struct page lacks. */
export function pageMembers(k: Kernel, paths: string[]): PageMember[] {
  const st = k.findType('struct page');
  if (!st) throw new Error('struct page is not in the type information');
  return paths.map((path) => {
    const f = findMemberPath(resolve(st), path);
    if (!f) throw new Error(`invalid page struct member: ${path}`);
    const t = resolve(f.member.type);
    const kind =
      t.kind === 'pointer'
        ? 'pointer'
        : t.kind === 'int' && t.isBool
          ? 'bool'
          : t.kind === 'int' || t.kind === 'enum'
            ? 'int'
            : 'struct';
    const offset = Math.floor(f.bitOffset / 8);
    const out: PageMember = { path, kind, offset, size: kind === 'pointer' ? 8 : t.size, signed: !!t.signed };
    if (f.member.bitSize) out.bits = { offset: f.bitOffset % 8, size: f.member.bitSize };
    return out;
  });
}

/**
 * The values of chosen members of one struct page: a number for a scalar, the member's 64-bit words for a
 * struct or union (crash's layout of a list_head: next,prev). Throws a MemoryError when the page is unreadable.
 */
export function readPageMembers(k: Kernel, page: bigint, members: PageMember[]): (bigint | bigint[])[] {
  const size = Number(k.sizeOf('struct page'));
  const buf = k.read(page, size);
  return members.map((m) => {
    if (m.kind === 'struct') {
      const words: bigint[] = [];
      const unit = m.size % 8 === 0 ? 8 : m.size % 4 === 0 ? 4 : m.size;
      for (let o = 0; o + unit <= m.size; o += unit) words.push(readUnsignedLE(buf, m.offset + o, unit));
      return words;
    }
    let v = readUnsignedLE(buf, m.offset, Math.min(m.size, 8));
    if (m.bits) {
      v = (v >> BigInt(m.bits.offset)) & ((1n << BigInt(m.bits.size)) - 1n);
      if (m.signed && (v >> BigInt(m.bits.size - 1)) & 1n) v -= 1n << BigInt(m.bits.size);
    } else if (m.signed && m.kind === 'int') v = BigInt.asIntN(m.size * 8, v);
    return v;
  });
}

function readUnsignedLE(buf: Buffer, off: number, size: number): bigint {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(buf[off + i] ?? 0);
  return v;
}
