/** kmem -m (chosen struct page members of page frames), kmem -g (page flag bits), kmem -o (per-CPU offsets). */
import { CommandError } from '../../src/command.js';
import { text, type View } from '../../src/render/view.js';
import type { Session } from '../../src/session.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { isKernelAddress } from '../../src/kernel/address.js';
import {
  PAGE_SHIFT,
  memSections,
  pageFlagEnum,
  pageMembers,
  pfnToPage,
  readPageMembers,
  type PageMember,
} from '../../src/kernel/objects/pages.js';
import { fit, hex } from '../../src/render/mem/fields.js';
import { pfnOfAddress, requirePageLayout } from './pages.js';

// ---- kmem -m ------------------------------------------------------------------------------------------------

/**
 * One member's value as crash lays it out: pointers in 16 hex digits, "flags" in hex, reference and map counts
 * (_refcount, _count, _mapcount) in decimal, other integers in the output radix (hex zero-padded to their size),
 * structs as their words in hex joined by commas. crash prints a 4-byte struct such as atomic_t _refcount
 * in hex with no separator after it, running it into the next column; here it is a decimal count like _mapcount.
 */
export function memberText(m: PageMember, v: bigint | bigint[], radix: 10 | 16): string {
  const name = m.path.split('.').pop()!;
  const isCount = /^_(ref)?count|^_mapcount/.test(name);
  if (Array.isArray(v)) {
    if (isCount) return String(BigInt.asIntN(32, v[0] ?? 0n));
    const digits = m.size % 8 === 0 ? 16 : m.size % 4 === 0 ? 8 : m.size * 2;
    return v.map((w) => w.toString(16).padStart(digits, '0')).join(',');
  }
  if (m.kind === 'pointer') return v.toString(16).padStart(16, '0');
  if (m.kind === 'bool') return v <= 1n ? (v ? 'true' : 'false') : radix === 10 ? String(v) : v.toString(16);
  const r = name === 'flags' ? 16 : isCount ? 10 : radix;
  if (r === 10) return v.toString();
  const unsigned = v < 0n ? BigInt.asUintN(m.size * 8, v) : v;
  return unsigned.toString(16).padStart(m.size * 2, '0');
}

export function memberHeader(members: PageMember[]): string {
  return fit('PAGE', 16, 'center') + members.map((m) => `  ${m.path}`).join('');
}

export function memberLine(page: bigint, members: PageMember[], values: (bigint | bigint[])[], radix: 10 | 16): string {
  return `${hex(page)}  ${members.map((m, i) => memberText(m, values[i]!, radix) + '  ').join('')}`;
}

/** kmem -m MEMBER[,MEMBER...] [ADDRESS...]: those members of every struct page, or of the pages of the addresses. */
export function pageMembersView(
  session: Session,
  k: Kernel,
  list: string,
  addresses: bigint[],
  physical: boolean,
): View {
  if (/[,.]$/.test(list)) throw new CommandError(`invalid format: ${list}`);
  const paths = list.split(',').filter((p) => p);
  if (!paths.length) throw new CommandError(`invalid page struct member list format: ${list}`);
  let members: PageMember[];
  try {
    members = pageMembers(k, paths);
  } catch (e) {
    throw new CommandError((e as Error).message);
  }
  const l = requirePageLayout(k);
  const radix = session.settings.radix;
  const lines = [memberHeader(members)];
  const rows: { page: bigint; values: Record<string, bigint | bigint[]> }[] = [];
  const problems: string[] = [];
  const show = (page: bigint): void => {
    try {
      const values = readPageMembers(k, page, members);
      lines.push(memberLine(page, members, values, radix));
      rows.push({ page, values: Object.fromEntries(members.map((m, i) => [m.path, values[i]!])) });
    } catch (e) {
      problems.push(`${hex(page)}: ${(e as Error).message}`);
    }
  };
  if (addresses.length) {
    for (const a of addresses) {
      const pfn = pfnOfAddress(k, l, a, physical || !isKernelAddress(a));
      if (pfn === undefined) lines.push(`kmem: ${hex(a)}: cannot be translated to a page`);
      else show(pfnToPage(l, pfn));
    }
  } else {
    const perSection = 1n << (l.sectionSizeBits - PAGE_SHIFT);
    for (const sec of memSections(k, l)) {
      if ((sec.flags & 2n) === 0n) continue; // no mem_map
      session.checkCancelled();
      for (let pfn = sec.pfn; pfn < sec.pfn + perSection; pfn++) show(pfnToPage(l, pfn));
    }
  }
  if (problems.length === 1) lines.push(`kmem: struct page ${problems[0]}`);
  else if (problems.length)
    lines.push(`kmem: ${problems.length} struct pages could not be read (the first: ${problems[0]})`);
  return text(lines, { members: members.map((m) => m.path), pages: rows });
}

// ---- kmem -g ------------------------------------------------------------------------------------------------

/** kmem -g [FLAGS]: every enum pageflags bit with its value, or those set in FLAGS. */
export function pageFlagsView(k: Kernel, flagWords: string[]): View {
  const e = pageFlagEnum(k);
  if (!e) throw new CommandError('enum pageflags does not exist in this kernel');
  const longest = Math.max(...e.all.map((b) => b.name.length));
  const largest = Math.max(0, ...e.bits.map((b) => b.bit));
  const digits = Math.floor((largest + 1) / 4) + 1;
  const table = (flags: bigint): { lines: string[]; set: string[] } => {
    const indent = flags ? '  ' : '';
    const lines = [`${indent}${'PAGE-FLAG'.padEnd(longest)} BIT  VALUE`];
    const set: string[] = [];
    for (const b of e.bits) {
      const mask = 1n << BigInt(b.bit);
      if (flags && !(flags & mask)) continue;
      if (flags) set.push(b.name);
      lines.push(
        `${indent}${b.name.padEnd(longest)}  ${String(b.bit).padStart(2)}  ${mask.toString(16).padStart(digits, '0')}`,
      );
    }
    if (flags && !set.length) lines.push('  (none found)');
    return { lines, set };
  };
  if (!flagWords.length) return text(table(0n).lines, e.bits);
  const lines: string[] = [];
  const data: unknown[] = [];
  flagWords.forEach((w, i) => {
    const m = /^(?:0x)?([0-9a-f]{1,16})$/i.exec(w);
    if (!m) throw new CommandError(`invalid flags value: ${w}`);
    const flags = BigInt('0x' + m[1]);
    if (i) lines.push('');
    const t = table(flags);
    if (flags) lines.push(`FLAGS: ${hex(flags)}`);
    lines.push(...t.lines);
    data.push({ flags, set: t.set });
  });
  return text(lines, data);
}

// ---- kmem -o ------------------------------------------------------------------------------------------------

/** kmem -o: __per_cpu_offset[] of every CPU up to the highest present one. */
export function perCpuOffsetsView(k: Kernel): View {
  const online = new Set(k.onlineCpus);
  const last = Math.max(0, ...k.presentCpus);
  const lines = ['PER-CPU OFFSET VALUES:'];
  const data: { cpu: number; offset?: bigint; online: boolean; problem?: string }[] = [];
  for (let cpu = 0; cpu <= last; cpu++) {
    const label = `CPU ${cpu}`.padStart(7);
    const off = online.has(cpu) ? '' : ' [OFFLINE]';
    try {
      const offset = k.perCpuOffset(cpu);
      lines.push(`${label}: ${hex(offset)}${off}`);
      data.push({ cpu, offset, online: online.has(cpu) });
    } catch (e) {
      lines.push(`${label}: (unreadable: ${(e as Error).message})${off}`);
      data.push({ cpu, online: online.has(cpu), problem: (e as Error).message });
    }
  }
  return text(lines, data);
}
