/** kmem -S: a cache's slabs, CPU by CPU and node by node, with every object free or [allocated]. */
import type { CpuSlabs, NodeSlabs, SlabDetail } from '../../src/kernel/objects/slab.js';
import { fit, hex } from '../../src/render/mem/fields.js';

export const SLAB_DETAIL_HEADER = 'SLAB              MEMORY            NODE  TOTAL  ALLOCATED  FREE';

/** The one-line summary of a slab. */
export function slabSummaryLine(d: SlabDetail): string {
  return `  ${fit(hex(d.slab), 16, 'left')}  ${fit(hex(d.memory), 16, 'left')}  ${String(d.node).padStart(4)}  ${String(d.objects).padStart(5)}  ${String(d.inuse).padStart(9)}  ${String(d.objects - d.inuse).padStart(4)}`;
}

/** A free object ("   addr  ", with its CPU when it is on a CPU's free list) or an allocated one ("  [addr]"). */
export function objectLine(address: bigint, free: boolean, cpu?: number): string {
  return free ? `   ${hex(address)}  ${cpu !== undefined ? `(cpu ${cpu} cache)` : ''}` : `  [${hex(address)}]`;
}

/** A slab with its header and every object. */
export function slabVerboseLines(d: SlabDetail): string[] {
  const lines = [`  ${SLAB_DETAIL_HEADER}`, slabSummaryLine(d), '  FREE / [ALLOCATED]'];
  for (const s of d.slots) lines.push(objectLine(s.address, s.free, d.cpu));
  if (d.problem) lines.push(`kmem: slab ${hex(d.slab)}: a free list could not be followed: ${d.problem}`);
  return lines;
}

export function cacheSlabsLines(s: { cpus: CpuSlabs[]; nodes: NodeSlabs[] }): string[] {
  const lines: string[] = [];
  for (const c of s.cpus) {
    lines.push(`CPU ${c.cpu} KMEM_CACHE_CPU:`, `  ${hex(c.kmemCacheCpu)}`, `CPU ${c.cpu} SLAB:`);
    if (c.slab) lines.push(...slabVerboseLines(c.slab));
    else lines.push('  (empty)');
    lines.push(`CPU ${c.cpu} PARTIAL:`);
    if (!c.partial.length) lines.push('  (empty)');
    for (const p of c.partial) lines.push(...slabVerboseLines(p));
  }
  for (const n of s.nodes) {
    lines.push(
      'KMEM_CACHE_NODE   NODE  SLABS  PARTIAL  PER-CPU',
      `${hex(n.address)}  ${String(n.node).padStart(4)}  ${n.nrSlabs.toString().padStart(5)}  ${n.nrPartial.toString().padStart(7)}  ${String(n.perCpu).padStart(7)}`,
    );
    for (const [name, list] of [
      ['PARTIAL', n.partial],
      ['FULL', n.full],
    ] as const) {
      lines.push(`NODE ${n.node} ${name}:`);
      if (!list) lines.push('  (not tracked)');
      else if (!list.length) lines.push('  (empty)');
      else lines.push(`  ${SLAB_DETAIL_HEADER}`, ...list.map(slabSummaryLine));
    }
  }
  lines.push('');
  return lines;
}
