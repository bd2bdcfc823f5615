/**
 * Memory nodes and their zones. A NUMA kernel keeps one struct pglist_data per online node in node_data[nid]
 * (online nodes: node_states[N_ONLINE]); a non-NUMA kernel has the one contig_page_data. Each node has
 * node_zones[MAX_NR_ZONES] (DMA, DMA32, Normal, Movable, Device on x86_64), each zone its spanned and present
 * page counts, its watermarks (_watermark[] since 5.0, watermark[] before), its counters (vm_stat[]) and its
 * buddy free lists (free_area[MAX_ORDER], each with nr_free blocks and one list per migrate type).
 */
import type { Kernel } from '../kernel.js';
import { resolve, type Type } from '../types/type.js';

export interface MemoryNode {
  id: number;
  /** struct pglist_data address */
  pgdat: bigint;
  startPfn: bigint;
  presentPages: bigint;
  spannedPages: bigint;
}

export interface Zone {
  node: number;
  index: number;
  /** struct zone address */
  address: bigint;
  name: string;
  startPfn: bigint;
  spanned: bigint;
  present: bigint;
  managed: bigint;
  /** WMARK_MIN / LOW / HIGH as stored (without watermark_boost) */
  watermarks: [bigint, bigint, bigint];
}

/** N_ONLINE's index in enum node_states (include/linux/nodemask.h): N_POSSIBLE is 0, N_ONLINE 1. */
const N_ONLINE_DEFAULT = 1;
/** MAX_NUMNODES with NODES_SHIFT 10 (Debian's x86_64 config); a nodemask never says more */
const MAX_NODES = 1024;

/** The online memory nodes, in id order. */
export function memoryNodes(k: Kernel): MemoryNode[] {
  const hit = k.cache.get('objects/zones/nodes') as MemoryNode[] | undefined;
  if (hit) return hit;
  const out: MemoryNode[] = [];
  const add = (id: number, pgdat: bigint): void => {
    const p = k.object('struct pglist_data', pgdat);
    out.push({
      id,
      pgdat,
      startPfn: p.field('node_start_pfn').value(),
      presentPages: p.field('node_present_pages').value(),
      spannedPages: p.field('node_spanned_pages').value(),
    });
  };
  if (k.hasSymbol('node_data')) {
    const base = k.sym('node_data');
    for (const id of onlineNodeIds(k)) {
      const pgdat = k.readU64(base + BigInt(id) * 8n);
      if (pgdat !== 0n) add(id, pgdat);
    }
  } else if (k.hasSymbol('contig_page_data')) add(0, k.sym('contig_page_data'));
  k.cache.set('objects/zones/nodes', out);
  return out;
}

function onlineNodeIds(k: Kernel): number[] {
  let mask: bigint;
  let words: number;
  if (k.hasSymbol('node_states')) {
    const online = Number(k.types.enumValue?.('N_ONLINE', 'node_states') ?? BigInt(N_ONLINE_DEFAULT));
    const size = k.sizeOf('nodemask_t');
    words = size / 8;
    const buf = k.read(k.sym('node_states') + BigInt(online * size), size);
    mask = 0n;
    for (let i = words - 1; i >= 0; i--) mask = (mask << 64n) | buf.readBigUInt64LE(i * 8);
  } else return [0];
  const ids: number[] = [];
  for (let i = 0; i < Math.min(words * 64, MAX_NODES); i++) if ((mask >> BigInt(i)) & 1n) ids.push(i);
  return ids.length ? ids : [0];
}

/** Every zone of every online node, populated or not, in node then zone order. */
export function allZones(k: Kernel): Zone[] {
  const hit = k.cache.get('objects/zones/zones') as Zone[] | undefined;
  if (hit) return hit;
  const out: Zone[] = [];
  const zoneSize = BigInt(k.sizeOf('struct zone'));
  const zonesOff = BigInt(k.offsetOf('struct pglist_data', 'node_zones'));
  // MAX_NR_ZONES: the length of node_zones[]
  const wmName = k.hasMember('struct zone', '_watermark') ? '_watermark' : 'watermark';
  const wmIndex = (n: string, d: number): number => Number(k.types.enumValue?.(n, 'zone_watermarks') ?? BigInt(d));
  for (const node of memoryNodes(k)) {
    const zones = k.object('struct pglist_data', node.pgdat).field('node_zones').resolved;
    const nrZones = zones.kind === 'array' ? (zones.length ?? 0) : 0;
    for (let i = 0; i < nrZones; i++) {
      const address = node.pgdat + zonesOff + BigInt(i) * zoneSize;
      const z = k.object('struct zone', address);
      const wm = z.field(wmName);
      out.push({
        node: node.id,
        index: i,
        address,
        name: z.field('name').cstring(32),
        startPfn: z.field('zone_start_pfn').value(),
        spanned: z.field('spanned_pages').value(),
        present: z.field('present_pages').value(),
        managed: z.has('managed_pages') ? readLong(z.field('managed_pages')) : 0n,
        watermarks: [
          wm.index(wmIndex('WMARK_MIN', 0)).value(),
          wm.index(wmIndex('WMARK_LOW', 1)).value(),
          wm.index(wmIndex('WMARK_HIGH', 2)).value(),
        ],
      });
    }
  }
  k.cache.set('objects/zones/zones', out);
  return out;
}

/** An atomic_long_t or a plain integer. */
function readLong(o: ReturnType<Kernel['object']>): bigint {
  return o.has('counter') ? o.field('counter').value() : o.value();
}

export interface FreeArea {
  order: number;
  /** free blocks of this order (free_area[order].nr_free) */
  blocks: bigint;
}

export interface FreeList {
  order: number;
  /** migrate type (index into free_area[order].free_list[]) */
  type: number;
  /** address of the list head */
  head: bigint;
  /** blocks on the list, counted by walking it; undefined when the walk failed */
  blocks?: number;
  /** the first struct page of each block, in list order (when asked for) */
  pages?: bigint[];
  problem?: string;
}

/** more free blocks on one list than a machine has pages: where a walk of a damaged list stops */
const MAX_FREE_BLOCKS = 1 << 28;

/**
 * A zone's buddy free lists, one per order and migrate type, each counted by walking it; with `withPages` also
 * the struct page heading each free block (linked through page->lru, which 6.0+ calls buddy_list in a union).
 */
export function zoneFreeLists(k: Kernel, zone: Zone, withPages = false): FreeList[] {
  const areas = k.object('struct zone', zone.address).field('free_area');
  const t = areas.resolved;
  const orders = t.kind === 'array' ? (t.length ?? 0) : 0;
  const out: FreeList[] = [];
  for (let order = 0; order < orders; order++) {
    const lists = areas.index(order).field('free_list');
    const lt = lists.resolved;
    const types = lt.kind === 'array' ? (lt.length ?? 1) : 1;
    for (let type = 0; type < types; type++) {
      const head = lists.index(type).address;
      const fl: FreeList = { order, type, head };
      const pages: bigint[] = [];
      if (withPages) fl.pages = pages;
      try {
        let n = 0;
        for (const page of k.listAddresses(head, 'struct page', 'lru', MAX_FREE_BLOCKS)) {
          n++;
          if (withPages) pages.push(page);
        }
        fl.blocks = n;
      } catch (e) {
        fl.problem = (e as Error).message;
      }
      out.push(fl);
    }
  }
  return out;
}

/** A zone's buddy free lists: blocks per order. */
export function zoneFreeAreas(k: Kernel, zone: Zone): FreeArea[] {
  const areas = k.object('struct zone', zone.address).field('free_area');
  const t = areas.resolved;
  const n = t.kind === 'array' ? (t.length ?? 0) : 0;
  const out: FreeArea[] = [];
  for (let order = 0; order < n; order++) out.push({ order, blocks: areas.index(order).field('nr_free').value() });
  return out;
}

export interface MemoryBlock {
  /** struct memory_block address */
  address: bigint;
  /** its device name: memory0, memory1 ... */
  name: string;
  startSection: bigint;
  start: bigint;
  /** last byte, when the block size is known */
  end?: bigint;
  node?: number;
  /** MEM_ONLINE, MEM_OFFLINE ... */
  state: string;
}

/**
 * memory_block.state as an unsigned long of the MEM_* bits #defined in include/linux/memory.h (6.1). Newer kernels
 * (6.12) make it `enum memory_block_state`, numbered from 0 (MEM_ONLINE 0, MEM_GOING_OFFLINE 1, MEM_OFFLINE 2 ...):
 * then the state is named by the enum itself (memoryBlockStateName). crash 9 knows only the bits: UNKNOWN on 6.12.
 */
const MEMORY_BLOCK_STATES: Record<number, string> = {
  1: 'ONLINE',
  2: 'GOING_OFFLINE',
  4: 'OFFLINE',
  8: 'GOING_ONLINE',
  16: 'CANCEL_ONLINE',
  32: 'CANCEL_OFFLINE',
};

/**
 * The memory blocks of the memory hotplug subsystem (/sys/devices/system/memory/memoryN), from the
 * memory_blocks xarray (5.8+), indexed by block id.
 */
export function memoryBlocks(k: Kernel, sectionSizeBits: bigint, walk: (xa: bigint) => bigint[]): MemoryBlock[] {
  if (!k.hasSymbol('memory_blocks') || !k.findType('struct memory_block')) return [];
  const size = k.hasSymbol('memory_block_size_probed') ? k.readU64(k.sym('memory_block_size_probed')) : 0n;
  const out: MemoryBlock[] = [];
  for (const mb of walk(k.sym('memory_blocks'))) {
    const b = k.object('struct memory_block', mb);
    const startSection = b.field('start_section_nr').value();
    const start = startSection << sectionSizeBits;
    const stateField = b.field('state');
    const state = stateField.num();
    let name = '';
    try {
      name = k.readCString(b.field('dev').field('kobj').field('name').value(), 64);
    } catch {
      name = '?';
    }
    out.push({
      address: mb,
      name,
      startSection,
      start,
      end: size ? start + size - 1n : undefined,
      node: b.has('nid') ? b.field('nid').num() : undefined,
      state: memoryBlockStateName(resolve(stateField.type), state),
    });
  }
  return out;
}

/** A memory block's state as sysfs spells it, less MEM_ (ONLINE, OFFLINE ...); the number when it has no name. */
function memoryBlockStateName(type: Type, state: number): string {
  if (type.kind === 'enum') {
    const e = type.enumerators?.find((x) => x.value === BigInt(state));
    return e ? e.name.replace(/^MEM_/, '') : String(state);
  }
  return MEMORY_BLOCK_STATES[state] ?? String(state);
}
