/**
 * Which slab cache an address belongs to (crash's `rd -S`): a direct-map address → its page frame →
 * its struct page in the vmemmap array → the head page of a compound page (compound_head bit 0) → is it
 * a slab page → struct slab (an overlay of struct page since 5.17; struct page itself before).slab_cache →
 * kmem_cache.name.
 *
 * "Is it a slab page" changed in 6.10 (and both ways are named in VMCOREINFO):
 * - up to 6.9: the PG_slab bit of page->flags (NUMBER(PG_slab));
 * - 6.10+:     page->page_type (the word shared with _mapcount) has the slab type in its top byte
 *              (NUMBER(PAGE_SLAB_MAPCOUNT_VALUE), e.g. 0xf5000000 on 6.12).
 */
import type { Kernel } from '../kernel.js';
import { memSections, pageLayout } from './pages.js';
import { memoryNodes } from './zones.js';
import { findMemberPath, resolve } from '../types/type.js';

const CACHE = 'objects/slab/layout';

/** struct slab overlays struct page since 5.17 (slab_cache, freelist, inuse, objects); before, they were struct page's */
function slabStructType(k: Kernel): 'struct slab' | 'struct page' {
  return k.findType('struct slab') && k.hasMember('struct slab', 'slab_cache') ? 'struct slab' : 'struct page';
}

interface SlabLayout {
  vmemmap: bigint;
  /** struct slab since 5.17; before, a slab page's slab_cache, freelist and counts are struct page's own */
  slabType: 'struct slab' | 'struct page';
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
    const slabType = slabStructType(k);
    if (
      vmemmap !== undefined &&
      (pgSlab !== undefined || slabValue !== undefined) &&
      k.hasMember(slabType, 'slab_cache')
    ) {
      out = {
        vmemmap,
        slabType,
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

/**
 * Whether a head struct page is marked as a slab's: PG_slab in its flags, or (since 6.10, PG_slab gone) the slab
 * page type in page_type's top byte. The two words are read only as needed.
 */
function markedSlab(l: SlabLayout, flags: () => bigint, pageType: () => number): boolean {
  return l.pgSlabBit !== undefined ? ((flags() >> l.pgSlabBit) & 1n) === 1n : pageType() >>> 24 === l.slabTypeByte;
}

/** The name of the slab cache holding `addr`, or undefined (not a slab object, or unreadable). */
export function slabCacheOf(k: Kernel, addr: bigint): string | undefined {
  const slab = slabPageOf(k, addr);
  if (!slab) return undefined;
  try {
    const name = k.object('struct kmem_cache', slab.cache).field('name').value();
    return k.readCString(name, 64) || undefined;
  } catch {
    return undefined;
  }
}

// ---- the SLUB caches (kmem -s) ---------------------------------------------------------------------------
//
// Every cache is on the slab_caches list (kmem_cache.list). Its objects are counted the way crash counts them
// (and more completely than /proc/slabinfo, which takes each CPU's slab as full):
// - each node's kmem_cache_node: total_objects (all objects in the node's slabs), nr_slabs, nr_partial, and the
//   partial list of struct slab (slab_list) whose free objects are objects − inuse;
// - each CPU's kmem_cache_cpu (cpu_slab is a per-CPU pointer): its current slab (free: objects − inuse, plus the
//   objects on the CPU's lockless freelist, a chain through each free object's word at kmem_cache.offset) and
//   its partial slabs (a chain through slab.next), each with objects − inuse free.
// With CONFIG_SLAB_FREELIST_HARDENED (kmem_cache.random exists) a stored free pointer is
// ptr ^ random ^ swab(address of the pointer) (mm/slub.c freelist_ptr()).
// struct slab overlays struct page since 5.17 (page.inuse/objects before); page.slab_list was page.lru.

export interface SlabCache {
  address: bigint;
  name: string;
  /** kmem_cache.object_size: the size callers asked for */
  objectSize: number;
  /** kmem_cache.size: an object with its metadata */
  size: number;
  /** objects per slab and the slab's page order (kmem_cache.oo) */
  objectsPerSlab: number;
  order: number;
  /** allocated objects, all objects and slabs; undefined when the counts could not be gathered */
  allocated?: bigint;
  total?: bigint;
  slabs?: bigint;
  /** why the counts are missing or incomplete */
  problem?: string;
  /** the struct kmem_cache itself could not be read (its size, order and name are unknown) */
  unreadable?: boolean;
  /** left uncounted on request (kmem -I) */
  ignored?: boolean;
}

interface BitField {
  /** byte offset of the 32-bit word holding the field */
  byte: bigint;
  shift: number;
  mask: number;
}

/** Where SLUB's fields are: found once by name, then read as plain words (kmem -s reads thousands of slabs). */
interface SlubLayout {
  slabType: string;
  cpuSlabMember: string;
  hasRandom: boolean;
  hasCpuPartial: boolean;
  nodeIds: number[];
  /**
   * 7.x: no CPU slabs; each CPU keeps freed objects in sheaves (kmem_cache.cpu_sheaves → main, spare), each
   * node full sheaves in a barn. Their objects count as in use on their slabs and are free to the caches' users.
   */
  sheaves?: {
    cpuSheaves: bigint;
    main: bigint;
    spare: bigint;
    size: bigint;
    objects: bigint;
    barn: bigint;
    barnFull: bigint;
    sheafList: bigint;
  };
  /** kmem_cache.node[] (an array of pointers), or per_node[].node (7.x): where node N's pointer is */
  nodeStride: bigint;
  cache: { cpuSlab: bigint; offset: bigint; random: bigint; node: bigint };
  cpu: { slab: bigint; freelist: bigint; partial: bigint };
  slab: { inuse: BitField; objects: BitField; next: bigint; list: bigint; freelist: bigint };
  node: { nrSlabs: bigint; totalObjects: bigint; partial: bigint };
}

const OO_SHIFT = 16n;
/** more caches than a kernel makes: where a walk of a damaged slab_caches list stops */
const MAX_CACHES = 100_000;
/** more slabs on one list than a machine holds: where a walk of a damaged partial list stops */
const MAX_PARTIAL = 10_000_000;

function bitField(k: Kernel, type: string, name: string): BitField {
  const f = findMemberPath(k.type(type), name);
  if (!f) throw new Error(`${type} has no member ${name}`);
  const bits = f.member.bitSize || resolve(f.member.type).size * 8;
  const word = Math.floor(f.bitOffset / 32) * 4;
  return { byte: BigInt(word), shift: f.bitOffset - word * 8, mask: bits >= 32 ? 0xffffffff : (1 << bits) - 1 };
}

function slubLayout(k: Kernel): SlubLayout {
  const key = 'objects/slab/slub';
  const hit = k.cache.get(key) as SlubLayout | undefined;
  if (hit) return hit;
  const sheaves = !k.hasMember('struct kmem_cache', 'cpu_slab') && k.hasMember('struct kmem_cache', 'cpu_sheaves');
  if ((!k.hasMember('struct kmem_cache', 'cpu_slab') && !sheaves) || !k.hasSymbol('slab_caches'))
    throw new Error(
      'this kernel does not use the SLUB allocator (no kmem_cache.cpu_slab or cpu_sheaves): not supported',
    );
  const slabType = slabStructType(k);
  const off = (t: string, m: string): bigint => BigInt(k.offsetOf(t, m));
  const cpuSlabMember = sheaves ? '' : k.hasMember('struct kmem_cache_cpu', 'slab') ? 'slab' : 'page';
  const hasRandom = k.hasMember('struct kmem_cache', 'random');
  const hasCpuPartial = !sheaves && k.hasMember('struct kmem_cache_cpu', 'partial') && k.hasMember(slabType, 'next');
  const PTRS = 'struct kmem_cache_per_node_ptrs';
  const l: SlubLayout = {
    slabType,
    cpuSlabMember,
    hasRandom,
    hasCpuPartial,
    nodeIds: nodeIdsOf(k),
    sheaves: sheaves
      ? {
          cpuSheaves: off('struct kmem_cache', 'cpu_sheaves'),
          main: off('struct slub_percpu_sheaves', 'main'),
          spare: off('struct slub_percpu_sheaves', 'spare'),
          size: off('struct slab_sheaf', 'size'),
          objects: off('struct slab_sheaf', 'objects'),
          barn: off('struct kmem_cache', 'per_node') + off(PTRS, 'barn'),
          barnFull: off('struct node_barn', 'sheaves_full'),
          sheafList: off('struct slab_sheaf', 'barn_list'),
        }
      : undefined,
    nodeStride: sheaves ? BigInt(k.sizeOf(PTRS)) : 8n,
    cache: {
      cpuSlab: sheaves ? 0n : off('struct kmem_cache', 'cpu_slab'),
      offset: off('struct kmem_cache', 'offset'),
      random: hasRandom ? off('struct kmem_cache', 'random') : 0n,
      node: sheaves ? off('struct kmem_cache', 'per_node') + off(PTRS, 'node') : off('struct kmem_cache', 'node'),
    },
    cpu: sheaves
      ? { slab: 0n, freelist: 0n, partial: 0n }
      : {
          slab: off('struct kmem_cache_cpu', cpuSlabMember),
          freelist: off('struct kmem_cache_cpu', 'freelist'),
          partial: hasCpuPartial ? off('struct kmem_cache_cpu', 'partial') : 0n,
        },
    slab: {
      inuse: bitField(k, slabType, 'inuse'),
      objects: bitField(k, slabType, 'objects'),
      next: hasCpuPartial ? off(slabType, 'next') : 0n,
      list: off(slabType, k.hasMember(slabType, 'slab_list') ? 'slab_list' : 'lru'),
      freelist: off(slabType, 'freelist'),
    },
    node: {
      nrSlabs: off('struct kmem_cache_node', 'nr_slabs'),
      totalObjects: off('struct kmem_cache_node', 'total_objects'),
      partial: off('struct kmem_cache_node', 'partial'),
    },
  };
  k.cache.set(key, l);
  return l;
}

function nodeIdsOf(k: Kernel): number[] {
  try {
    const ids = memoryNodes(k).map((n) => n.id);
    return ids.length ? ids : [0];
  } catch {
    return [0];
  }
}

/** The addresses of every kmem_cache on slab_caches, in list order. */
export function slabCacheAddresses(k: Kernel): bigint[] {
  return [...k.listAddresses(k.sym('slab_caches'), 'struct kmem_cache', 'list', MAX_CACHES)];
}

// a DataView, not a Buffer: Buffer's 64-bit accessors validate their arguments through wrappers that cost
// more than the swap on a cache with thousands of free objects
const swapView = new DataView(new ArrayBuffer(8));
/** the bytes of a 64-bit value in reverse order (the kernel's swab()) */
function bswap64(v: bigint): bigint {
  swapView.setBigUint64(0, v, true);
  return swapView.getBigUint64(0, false);
}

/** Read one cache's identity (no counting). */
export function readSlabCache(k: Kernel, address: bigint): SlabCache {
  const c = k.object('struct kmem_cache', address);
  const oo = c.field('oo').field('x').value();
  return {
    address,
    name: k.readCString(c.field('name').value(), 64),
    objectSize: c.field('object_size').num(),
    size: c.field('size').num(),
    objectsPerSlab: Number(oo & ((1n << OO_SHIFT) - 1n)),
    order: Number(oo >> OO_SHIFT),
  };
}

function readBits(k: Kernel, base: bigint, f: BitField): number {
  return (k.readU32(base + f.byte) >>> f.shift) & f.mask;
}

/** objects − inuse of one slab */
function slabFree(k: Kernel, l: SlubLayout, slab: bigint): bigint {
  return BigInt(readBits(k, slab, l.slab.objects) - readBits(k, slab, l.slab.inuse));
}

/** The objects a 7.x cache holds in sheaves: each CPU's main and spare sheaf, each node barn's full sheaves. */
function sheafObjects(k: Kernel, l: SlubLayout, cache: bigint, cpus: number[]): Set<bigint> {
  const key = `objects/slab/sheaves/${cache}`;
  const hit = k.cache.get(key) as Set<bigint> | undefined;
  if (hit) return hit;
  const sh = l.sheaves!;
  const out = new Set<bigint>();
  const take = (sheaf: bigint): void => {
    if (sheaf === 0n) return;
    const n = k.readU32(sheaf + sh.size);
    if (n > 0) {
      const words = k.read(sheaf + sh.objects, n * 8);
      for (let i = 0; i < n; i++) out.add(words.readBigUInt64LE(i * 8));
    }
  };
  const pcs = k.readU64(cache + sh.cpuSheaves);
  if (pcs !== 0n)
    for (const cpu of cpus) {
      const p = k.perCpuPtr(pcs, cpu);
      take(k.readU64(p + sh.main));
      take(k.readU64(p + sh.spare));
    }
  for (const nid of l.nodeIds) {
    const barn = k.readU64(cache + sh.barn + BigInt(nid) * l.nodeStride);
    if (barn === 0n) continue;
    for (const node of k.listAddresses(barn + sh.barnFull, 'struct list_head', 'next', MAX_PARTIAL))
      take(node - sh.sheafList);
  }
  k.cache.set(key, out);
  return out;
}

/** Count a cache's objects and slabs (fills allocated/total/slabs, or problem). */
export function countSlabCache(k: Kernel, cache: SlabCache, cpus: number[]): SlabCache {
  const l = slubLayout(k);
  const base = cache.address;
  const offset = BigInt(k.readU32(base + l.cache.offset));
  const random = l.hasRandom ? k.readU64(base + l.cache.random) : 0n;
  let free = 0n;
  let totalObjects = 0n;
  let slabs = 0n;
  let problem: string | undefined;
  try {
    if (l.sheaves) free += BigInt(sheafObjects(k, l, base, cpus).size);
    const cpuSlab = l.sheaves ? 0n : k.readU64(base + l.cache.cpuSlab);
    for (const cpu of l.sheaves ? [] : cpus) {
      const kc = k.perCpuPtr(cpuSlab, cpu);
      const slab = k.readU64(kc + l.cpu.slab);
      if (slab !== 0n) {
        free += slabFree(k, l, slab);
        const objects = BigInt(readBits(k, slab, l.slab.objects));
        const chain = countFreelist(k, k.readU64(kc + l.cpu.freelist), offset, random, l.hasRandom, objects);
        free += chain.count;
        if (chain.problem) problem ??= `CPU ${cpu} free list: ${chain.problem}`;
      }
      if (l.hasCpuPartial) {
        let p = k.readU64(kc + l.cpu.partial);
        for (let n = 0; p !== 0n && n < MAX_PARTIAL; n++) {
          free += slabFree(k, l, p);
          p = k.readU64(p + l.slab.next);
        }
      }
    }
    for (const nid of l.nodeIds) {
      const nodePtr = k.readU64(base + l.cache.node + BigInt(nid) * l.nodeStride);
      if (nodePtr === 0n) continue;
      totalObjects += k.readU64(nodePtr + l.node.totalObjects);
      for (const node of k.listAddresses(nodePtr + l.node.partial, 'struct list_head', 'next', MAX_PARTIAL))
        free += slabFree(k, l, node - l.slab.list);
      // every slab of the node: its partial ones, each CPU's current one and the full ones
      slabs += k.readU64(nodePtr + l.node.nrSlabs);
    }
  } catch (e) {
    return { ...cache, problem: (e as Error).message };
  }
  return { ...cache, allocated: totalObjects - free, total: totalObjects, slabs, problem };
}

/** Follow a SLUB free list: how many objects, and why it stopped early if it did. */
function countFreelist(
  k: Kernel,
  head: bigint,
  offset: bigint,
  random: bigint,
  hardened: boolean,
  limit: bigint,
): { count: bigint; problem?: string } {
  // counted as a number, objects remembered by their address's low 32 bits: a CPU's free list runs through
  // one slab (a few pages), whose objects differ there; bigint counters and bigint-keyed sets cost more than the
  // walk (kmem -s follows thousands of free objects)
  let n = 0;
  const max = Number(limit);
  const seen = new Set<number>();
  let q = head;
  while (q !== 0n) {
    const low = Number(q & 0xffffffffn);
    if (seen.has(low)) return { count: BigInt(n), problem: `cycle at ${q.toString(16)}` };
    if (n > max) return { count: BigInt(n), problem: `more than ${limit} free objects` };
    seen.add(low);
    n++;
    const at = q + offset;
    let stored: bigint;
    try {
      stored = k.readU64(at);
    } catch (e) {
      return { count: BigInt(n), problem: (e as Error).message };
    }
    q = hardened ? stored ^ random ^ bswap64(at) : stored;
  }
  return { count: BigInt(n) };
}

/** One slab and its objects (kmem -S, kmem ADDRESS). */
export interface SlabDetail {
  /** the slab's struct slab (its head struct page) */
  slab: bigint;
  /** the slab's memory (direct-map address of its first page) */
  memory: bigint;
  node: number;
  objects: number;
  /** objects in use; on a CPU's current slab the CPU's lockless free list counts as free */
  inuse: number;
  /** every object slot, in address order, and whether it is free */
  slots: { address: bigint; free: boolean }[];
  /** the CPU whose current slab this is, if any */
  cpu?: number;
  /** a free list could not be followed to its end */
  problem?: string;
}

export interface SlabObject extends SlabDetail {
  cache: SlabCache;
  /** the object holding the address */
  object: bigint;
  /** the object is free (on the slab's or its CPU's free list) */
  free: boolean;
}

/** SLAB_RED_ZONE (include/linux/slab.h): objects start after a red_left_pad */
const SLAB_RED_ZONE = 0x400n;

/**
 * A slab's counts and objects. `cpu`/`cpuFreelist` are given for a CPU's current slab, whose free objects are
 * on the CPU's lockless list (plus any freed to the slab itself meanwhile).
 */
export function slabDetail(k: Kernel, cache: SlabCache, page: bigint, cpu?: number, cpuFreelist = 0n): SlabDetail {
  const l = layout(k)!;
  const sl = slubLayout(k);
  const objects = readBits(k, page, sl.slab.objects);
  let inuse = readBits(k, page, sl.slab.inuse);
  const pfn = (page - l.vmemmap) / l.pageSize;
  const memory = k.mem.translator.cfg.pageOffsetBase + pfn * 4096n;
  const c = k.object('struct kmem_cache', cache.address);
  const offset = BigInt(c.field('offset').num());
  const random = sl.hasRandom ? c.field('random').value() : 0n;
  const redPad =
    (c.field('flags').value() & SLAB_RED_ZONE) !== 0n && c.has('red_left_pad')
      ? BigInt(c.field('red_left_pad').num())
      : 0n;
  const slabFreelist = k.readU64(page + sl.slab.freelist);
  let problem: string | undefined;
  const chain = (head: bigint): Set<bigint> => {
    const out = new Set<bigint>();
    let q = head;
    while (q !== 0n && !out.has(q) && out.size <= objects) {
      out.add(q);
      try {
        const at = q + offset;
        const stored = k.readU64(at);
        q = sl.hasRandom ? stored ^ random ^ bswap64(at) : stored;
      } catch (e) {
        problem ??= (e as Error).message;
        break;
      }
    }
    return out;
  };
  const freeOnSlab = chain(slabFreelist);
  // 7.x: objects waiting in a sheaf are in use on the slab but free to the cache's users
  const freeOnCpu = sl.sheaves ? sheafObjects(k, sl, cache.address, possibleCpusOf(k)) : chain(cpuFreelist);
  if (cpu !== undefined) {
    const free = freeOnCpu.size + (slabFreelist ? objects - inuse : 0);
    inuse = objects - free;
  }
  const slots: { address: bigint; free: boolean }[] = [];
  const size = BigInt(cache.size);
  for (let i = 0n; i < BigInt(objects); i++) {
    const p = memory + i * size + redPad;
    slots.push({ address: p, free: freeOnSlab.has(p) || freeOnCpu.has(p) });
  }
  if (sl.sheaves) inuse = slots.filter((x) => !x.free).length;
  let node = 0;
  try {
    node = nodeOfPfn(k, pfn);
  } catch {
    node = 0;
  }
  return { slab: page, memory, node, objects, inuse, slots, cpu, problem };
}

/** The slab page (head struct page) and cache of a direct-map address, when it is in a slab. */
function slabPageOf(k: Kernel, addr: bigint): { page: bigint; cache: bigint } | undefined {
  const l = layout(k);
  // only the linear direct map has a struct page per address (vmalloc'd memory is not slab)
  const phys = l ? k.mem.translator.directMapPhys(addr) : undefined;
  if (!l || phys === undefined) return undefined;
  let page = l.vmemmap + (phys >> 12n) * l.pageSize;
  try {
    page = compoundHead(page, k.readU64(page + l.headOff));
    const head = page;
    if (
      !markedSlab(
        l,
        () => k.readU64(head + l.flagsOff),
        () => k.readU32(head + l.typeOff),
      )
    )
      return undefined;
    const cache = k.object(l.slabType, page).field('slab_cache').value();
    return cache === 0n ? undefined : { page, cache };
  } catch {
    return undefined;
  }
}

/** The slab object holding a direct-map address (kmem ADDRESS, kmem -s ADDRESS), or undefined. */
export function slabObjectAt(k: Kernel, addr: bigint): SlabObject | undefined {
  const at = slabPageOf(k, addr);
  if (!at) return undefined;
  const sl = slubLayout(k);
  const cpus = possibleCpusOf(k);
  const cache = countSlabCache(k, readSlabCache(k, at.cache), cpus);
  const cpuSlab = sl.sheaves ? 0n : k.readU64(at.cache + sl.cache.cpuSlab);
  let cpu: number | undefined;
  let cpuFreelist = 0n;
  for (const n of sl.sheaves ? [] : cpus) {
    const kc = k.perCpuPtr(cpuSlab, n);
    if (k.readU64(kc + sl.cpu.slab) === at.page) {
      cpu = n;
      cpuFreelist = k.readU64(kc + sl.cpu.freelist);
      break;
    }
  }
  const d = slabDetail(k, cache, at.page, cpu, cpuFreelist);
  const size = BigInt(cache.size);
  const slot = d.slots.find((s) => addr >= s.address && addr < s.address + size);
  const object = slot?.address ?? d.memory + ((addr - d.memory) / size) * size;
  return { ...d, cache, object, free: slot?.free ?? false };
}

export interface CpuSlabs {
  cpu: number;
  /** this CPU's struct kmem_cache_cpu */
  kmemCacheCpu: bigint;
  /** its current slab, if any */
  slab?: SlabDetail;
  /** its partial slabs (kmem_cache_cpu.partial → slab.next) */
  partial: SlabDetail[];
}

export interface NodeSlabs {
  node: number;
  /** struct kmem_cache_node */
  address: bigint;
  nrSlabs: bigint;
  nrPartial: bigint;
  /** CPU slabs on this node */
  perCpu: number;
  partial: SlabDetail[];
  /** the full list, when the kernel tracks it (SLAB_STORE_USER) */
  full?: SlabDetail[];
}

/** SLAB_STORE_USER: the cache keeps its full slabs on a list (debugging) */
const SLAB_STORE_USER = 0x10000n;
const MAX_LISTED = 1_000_000;

/**
 * Every slab of a cache: each CPU's current and partial slabs, each node's partial (and full) list. With
 * `onlyCpus`, only those CPUs' slabs are read (and counted in each node's perCpu).
 */
export function cacheSlabs(
  k: Kernel,
  cache: SlabCache,
  onlyCpus?: Set<number>,
): { cpus: CpuSlabs[]; nodes: NodeSlabs[] } {
  const sl = slubLayout(k);
  const cpuSlab = sl.sheaves ? 0n : k.readU64(cache.address + sl.cache.cpuSlab);
  const cpus: CpuSlabs[] = [];
  const perNode = new Map<number, number>();
  for (const cpu of sl.sheaves ? [] : possibleCpusOf(k)) {
    if (onlyCpus && !onlyCpus.has(cpu)) continue;
    const kc = k.perCpuPtr(cpuSlab, cpu);
    const entry: CpuSlabs = { cpu, kmemCacheCpu: kc, partial: [] };
    const slab = k.readU64(kc + sl.cpu.slab);
    if (slab !== 0n) {
      entry.slab = slabDetail(k, cache, slab, cpu, k.readU64(kc + sl.cpu.freelist));
      perNode.set(entry.slab.node, (perNode.get(entry.slab.node) ?? 0) + 1);
    }
    if (sl.hasCpuPartial) {
      let p = k.readU64(kc + sl.cpu.partial);
      for (let n = 0; p !== 0n && n < MAX_LISTED; n++) {
        entry.partial.push(slabDetail(k, cache, p));
        p = k.readU64(p + sl.slab.next);
      }
    }
    cpus.push(entry);
  }
  const nodes: NodeSlabs[] = [];
  const flags = k.object('struct kmem_cache', cache.address).field('flags').value();
  for (const nid of sl.nodeIds) {
    const ptr = k.readU64(cache.address + sl.cache.node + BigInt(nid) * sl.nodeStride);
    if (ptr === 0n) continue;
    const n = k.object('struct kmem_cache_node', ptr);
    const list = (member: string): SlabDetail[] =>
      [
        ...k.listAddresses(
          ptr + BigInt(k.offsetOf('struct kmem_cache_node', member)),
          'struct list_head',
          'next',
          MAX_LISTED,
        ),
      ].map((x) => slabDetail(k, cache, x - sl.slab.list));
    nodes.push({
      node: nid,
      address: ptr,
      nrSlabs: k.readU64(ptr + sl.node.nrSlabs),
      nrPartial: n.field('nr_partial').value(),
      perCpu: perNode.get(nid) ?? 0,
      partial: list('partial'),
      full: (flags & SLAB_STORE_USER) !== 0n && n.has('full') ? list('full') : undefined,
    });
  }
  return { cpus, nodes };
}

function possibleCpusOf(k: Kernel): number[] {
  try {
    return k.cpuMask('__cpu_possible_mask');
  } catch {
    return k.onlineCpus;
  }
}

function nodeOfPfn(k: Kernel, pfn: bigint): number {
  for (const n of memoryNodes(k)) if (pfn >= n.startPfn && pfn < n.startPfn + n.spannedPages) return n.id;
  return 0;
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

/** What a scan of the struct pages for one cache's slabs found (scanSlabsOfCache). */
export interface CacheSlabScan {
  /** the head struct page (struct slab) of each slab of the cache, in page-frame order */
  slabs: bigint[];
  /** page frames whose struct page is on a page the dump lacks (their slabs, if any, are not listed) */
  unreadablePages: number;
  /** the scan stopped at maxPfns before the end of memory */
  truncated: boolean;
}

/**
 * Every slab of one cache, found by reading the struct pages of every present memory section: a slab page's head
 * struct page is marked slab (PG_slab, or the slab page type since 6.10) and names its cache in slab_cache. The
 * lists do not give them all: a full slab is on no list unless the cache keeps one for debugging (SLAB_STORE_USER).
 * At most `maxPfns` page frames are looked at (64 bytes of struct page each).
 */
export function scanSlabsOfCache(k: Kernel, cache: bigint, maxPfns: bigint): CacheSlabScan {
  const out: CacheSlabScan = { slabs: [], unreadablePages: 0, truncated: false };
  const l = layout(k);
  const pl = pageLayout(k);
  if (!l || !pl) throw new Error('no struct page layout (vmemmap or the slab page marks are unknown)');
  const size = Number(l.pageSize);
  const cacheOff = k.offsetOf(l.slabType, 'slab_cache');
  const perSection = 1n << (pl.sectionSizeBits - 12n);
  // read the vmemmap a page at a time: a struct page may straddle two pages, so whole struct pages per read
  const perRead = BigInt(Math.max(1, Math.floor(4096 / size)));
  let scanned = 0n;
  for (const sec of memSections(k, pl)) {
    if ((sec.flags & 2n) === 0n) continue; // no mem_map
    for (let pfn = sec.pfn; pfn < sec.pfn + perSection; pfn += perRead) {
      if (scanned >= maxPfns) {
        out.truncated = true;
        return out;
      }
      scanned += perRead;
      const first = l.vmemmap + pfn * l.pageSize;
      let buf: Buffer;
      try {
        buf = k.read(first, Number(perRead) * size);
      } catch {
        out.unreadablePages += Number(perRead);
        continue;
      }
      for (let i = 0; i < Number(perRead); i++) {
        const at = i * size;
        // a tail page of a compound page (bit 0 of compound_head) is no slab's head
        if ((buf.readBigUInt64LE(at + Number(l.headOff)) & 1n) === 1n) continue;
        const isSlab = markedSlab(
          l,
          () => buf.readBigUInt64LE(at + Number(l.flagsOff)),
          () => buf.readUInt32LE(at + Number(l.typeOff)),
        );
        if (isSlab && buf.readBigUInt64LE(at + cacheOff) === cache) out.slabs.push(first + BigInt(at));
      }
    }
  }
  return out;
}
