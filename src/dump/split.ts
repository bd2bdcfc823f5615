/**
 * A makedumpfile --split dump given as its several files (`crash-ts vmlinux vmcore1 vmcore2 ...`,
 * as crash takes them): one DumpFile that reads each page frame from the file whose
 * split_start_pfn..split_end_pfn range (kdump_sub_header) holds it. Every part must be a file of the
 * same split dump: same page size and max_mapnr, same VMCOREINFO, no overlapping ranges. Frames of a
 * part not given read as 'not-present', and a warning names the missing range.
 */
import { DumpFormatError, PageError, type DumpFile } from './types.js';

interface Part {
  dump: DumpFile;
  start: bigint;
  end: bigint;
}

export function joinSplitDump(parts: DumpFile[]): DumpFile {
  if (parts.length === 1) return parts[0]!;
  const first = parts[0]!;
  const ranged: Part[] = [];
  for (const d of parts) {
    const r = d.meta.splitRange;
    if (!r)
      throw new DumpFormatError(
        `${d.meta.path}: not a file of a split dump: give one VMCORE, or every file of a --split dump`,
      );
    if (
      d.meta.pageSize !== first.meta.pageSize ||
      d.meta.maxPfn !== first.meta.maxPfn ||
      d.vmcoreinfo !== first.vmcoreinfo
    )
      throw new DumpFormatError(`${d.meta.path}: not a part of the same split dump as ${first.meta.path}`);
    ranged.push({ dump: d, start: r.startPfn, end: r.endPfn });
  }
  ranged.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const warnings: string[] = [];
  let covered = 0n;
  for (const p of ranged) {
    if (p.start < covered)
      throw new DumpFormatError(`${p.dump.meta.path}: its pfn range overlaps another file's: give each part once`);
    if (p.start > covered) warnings.push(`pfns ${covered}..${p.start - 1n} are in a part of the split dump not given`);
    covered = p.end > covered ? p.end : covered;
  }
  const maxPfn = first.meta.maxPfn ?? covered;
  if (covered < maxPfn) warnings.push(`pfns ${covered}..${maxPfn - 1n} are in a part of the split dump not given`);
  const pageSize = BigInt(first.meta.pageSize);
  const owner = (paddr: bigint): DumpFile | undefined => {
    const pfn = paddr / pageSize;
    return ranged.find((p) => pfn >= p.start && pfn < p.end)?.dump;
  };
  const notSplit = (w: string) => !/split dump/.test(w);
  return {
    meta: {
      ...first.meta,
      path: parts.map((d) => d.meta.path).join(' '),
      description: `${first.meta.description}, split into ${parts.length} files`,
      splitRange: undefined,
      warnings: [...parts.flatMap((d) => d.meta.warnings.filter(notSplit)), ...warnings],
    },
    vmcoreinfo: first.vmcoreinfo,
    notes: first.notes,
    cpus: first.cpus,
    readPhys(paddr, length) {
      const out = Buffer.alloc(length);
      let done = 0;
      while (done < length) {
        const a = paddr + BigInt(done);
        const chunk = Math.min(length - done, Number(pageSize - (a % pageSize)));
        const d = owner(a);
        if (!d) throw new PageError(a, 'not-present', 'in a part of the split dump not given');
        d.readPhys(a, chunk).copy(out, done);
        done += chunk;
      }
      return out;
    },
    isPresent: (paddr) => owner(paddr)?.isPresent(paddr) ?? false,
    close: () => parts.forEach((d) => d.close()),
  };
}
