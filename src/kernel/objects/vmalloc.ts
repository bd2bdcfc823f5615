/**
 * vmalloc areas: every busy struct vmap_area (va_start, va_end, and ->vm, the struct vm_struct of a
 * vmalloc/vmap/ioremap area with its addr, size, flags, nr_pages and caller).
 * - up to 6.8: the global vmap_area_list, kept sorted by address;
 * - 6.9+:      vmap_nodes[nr_vmap_nodes], each with its own busy tree and list (vmap_node.busy.head); the
 *              lists are merged and sorted by address here.
 * An area without a vm_struct (a vm_map_ram block, or one being freed) is not a vmalloc area and is skipped,
 * as /proc/vmallocinfo shows only those with ->vm (plus vm_map_ram ones it names "vm_map_ram").
 */
import type { Kernel } from '../kernel.js';

export interface VmallocArea {
  /** struct vmap_area address */
  vmapArea: bigint;
  /** struct vm_struct address */
  vmStruct: bigint;
  start: bigint;
  /** va_end: the end including the guard page */
  end: bigint;
  /** vm_struct.size (what /proc/vmallocinfo prints) */
  vmSize: bigint;
  /** vm_struct.caller: the function that asked for the area */
  caller: bigint;
  flags: bigint;
  nrPages: number;
}

export interface VmallocList {
  areas: VmallocArea[];
  /** what could not be read, one line each */
  problems: string[];
}

/** more areas than a kernel has: where a walk of a damaged list stops */
const MAX_AREAS = 10_000_000;

export function vmallocAreas(k: Kernel): VmallocList {
  const hit = k.cache.get('objects/vmalloc') as VmallocList | undefined;
  if (hit) return hit;
  const problems: string[] = [];
  const vas: bigint[] = [];
  const walk = (head: bigint, what: string): void => {
    try {
      for (const va of k.listAddresses(head, 'struct vmap_area', 'list', MAX_AREAS)) vas.push(va);
    } catch (e) {
      problems.push(`${what}: ${(e as Error).message}`);
    }
  };
  if (k.hasSymbol('vmap_nodes') && k.hasSymbol('nr_vmap_nodes')) {
    const nodes = k.readU64(k.sym('vmap_nodes'));
    const n = k.readU32(k.sym('nr_vmap_nodes'));
    const size = BigInt(k.sizeOf('struct vmap_node'));
    const headOff = BigInt(k.offsetOf('struct vmap_node', 'busy.head'));
    for (let i = 0; i < Math.min(n, 4096); i++) walk(nodes + BigInt(i) * size + headOff, `vmap_nodes[${i}].busy`);
  } else if (k.hasSymbol('vmap_area_list')) {
    walk(k.sym('vmap_area_list'), 'vmap_area_list');
  } else problems.push('this kernel has neither vmap_area_list nor vmap_nodes');
  const areas: VmallocArea[] = [];
  let unreadable = 0;
  let firstFailure = '';
  for (const va of vas) {
    try {
      const v = k.object('struct vmap_area', va);
      const vm = v.field('vm').value();
      if (vm === 0n) continue;
      const s = k.object('struct vm_struct', vm);
      areas.push({
        vmapArea: va,
        vmStruct: vm,
        start: v.field('va_start').value(),
        end: v.field('va_end').value(),
        vmSize: s.field('size').value(),
        caller: s.field('caller').value(),
        flags: s.field('flags').value(),
        nrPages: s.field('nr_pages').num(),
      });
    } catch (e) {
      if (!unreadable++) firstFailure = (e as Error).message;
    }
  }
  if (unreadable) problems.push(`${unreadable} vmap areas could not be read (first: ${firstFailure})`);
  areas.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out = { areas, problems };
  k.cache.set('objects/vmalloc', out);
  return out;
}

/** The vmalloc area holding an address, if any. */
export function vmallocAreaOf(k: Kernel, addr: bigint): VmallocArea | undefined {
  return vmallocAreas(k).areas.find((a) => addr >= a.start && addr < a.end);
}
