/**
 * A process's address space: its mm_struct (page table root, resident and total size) and its VMAs
 * in address order, each with its flags and mapped file.
 *
 * Where the VMAs are kept depends on the kernel, and is decided by the type info, not the version:
 * Linux 6.1+ keeps them in the maple tree mm->mm_mt (the mmap list and vm_next are gone); before, in
 * the list mm->mmap linked by vm_area_struct.vm_next (sorted by address). vm_flags became a union
 * with a const alias in 6.3; reading the member by name covers both.
 */
import type { Kernel } from '../kernel.js';
import { userPage, type UserPage } from '../arch/x86_64/user-pages.js';
import { filePath } from './fs.js';
import { mapleTreeEntries } from './maple-tree.js';
import { mmUsage, type Task } from './tasks.js';

/** sysctl vm.max_map_count defaults to 65530; a list longer than this bound is a damaged dump. */
const MAX_VMAS = 1 << 22;

export interface Vma {
  vma: bigint;
  start: bigint;
  end: bigint;
  flags: bigint;
  /** vm_pgoff: the file offset in pages */
  pgoff: bigint;
  /** struct file * (0: anonymous) */
  file: bigint;
  /** the mapped file's full path ('' for anonymous memory) */
  path: string;
}

export interface AddressSpace {
  mm: bigint;
  pgd: bigint;
  rssPages: bigint;
  totalVmPages: bigint;
  vmas: Vma[];
  /** VMAs (or tree nodes) that could not be read, and why */
  problems: string[];
}

interface VmaLayout {
  start: bigint;
  end: bigint;
  flags: bigint;
  pgoff: bigint;
  file: bigint;
  next: bigint | undefined;
}

function vmaLayout(k: Kernel): VmaLayout {
  const key = 'objects/vma-layout';
  let l = k.cache.get(key) as VmaLayout | undefined;
  if (l) return l;
  const off = (m: string): bigint => BigInt(k.offsetOf('struct vm_area_struct', m));
  l = {
    start: off('vm_start'),
    end: off('vm_end'),
    flags: off('vm_flags'),
    pgoff: off('vm_pgoff'),
    file: off('vm_file'),
    next: k.hasMember('struct vm_area_struct', 'vm_next') ? off('vm_next') : undefined,
  };
  k.cache.set(key, l);
  return l;
}

/** One VMA's range, flags and file. */
export function readVma(k: Kernel, vma: bigint): Vma {
  const l = vmaLayout(k);
  const file = k.readU64(vma + l.file);
  let path = '';
  if (file) {
    try {
      path = filePath(k, file);
    } catch (e) {
      path = `(file ${file.toString(16)} unreadable: ${(e as Error).message})`;
    }
  }
  return {
    vma,
    start: k.readU64(vma + l.start),
    end: k.readU64(vma + l.end),
    flags: k.readU64(vma + l.flags),
    pgoff: k.readU64(vma + l.pgoff),
    file,
    path,
  };
}

/** The VMA addresses of an mm in address order (maple tree or mmap list, whichever the kernel has). */
export function vmaAddresses(k: Kernel, mm: bigint): { vmas: bigint[]; problems: string[] } {
  const problems: string[] = [];
  const o = k.object('struct mm_struct', mm);
  if (o.has('mm_mt')) {
    const w = mapleTreeEntries(k, o.field('mm_mt').address, MAX_VMAS);
    for (const n of w.broken) problems.push(`maple tree node ${n.toString(16)} unreadable: its VMAs are missing`);
    return { vmas: w.entries.map((e) => e.value), problems };
  }
  const next = vmaLayout(k).next;
  const vmas: bigint[] = [];
  if (next === undefined) return { vmas, problems: ['this kernel has neither mm_mt nor an mmap list'] };
  let v = o.field('mmap').value();
  const seen = new Set<bigint>();
  while (v !== 0n && vmas.length < MAX_VMAS && !seen.has(v)) {
    seen.add(v);
    vmas.push(v);
    try {
      v = k.readU64(v + next);
    } catch (e) {
      problems.push(`vma ${v.toString(16)} unreadable (${(e as Error).message}): the VMAs after it are missing`);
      break;
    }
  }
  return { vmas, problems };
}

/** A task's address space (undefined for a kernel thread: no mm). Threads share one mm: read once. */
export function taskAddressSpace(k: Kernel, t: Task): AddressSpace | undefined {
  if (t.mm === 0n) return undefined;
  const key = 'objects/address-spaces';
  let cache = k.cache.get(key) as Map<bigint, AddressSpace> | undefined;
  if (!cache) k.cache.set(key, (cache = new Map()));
  const hit = cache.get(t.mm);
  if (hit) return hit;
  const mm = k.object('struct mm_struct', t.mm);
  const usage = mmUsage(k, t);
  const { vmas, problems } = vmaAddresses(k, t.mm);
  const out: AddressSpace = {
    mm: t.mm,
    pgd: mm.field('pgd').value(),
    rssPages: usage?.rssPages ?? 0n,
    totalVmPages: usage?.totalVmPages ?? 0n,
    vmas: [],
    problems,
  };
  for (const v of vmas) {
    try {
      out.vmas.push(readVma(k, v));
    } catch (e) {
      out.problems.push(`vma ${v.toString(16)} unreadable: ${(e as Error).message}`);
    }
  }
  cache.set(t.mm, out);
  return out;
}

/**
 * vm_flags bits by name as include/linux/mm.h has them since 5.x (the names crash 9 prints for some
 * bits — CAN_NONLINEAR for 0x8000000, INSERTPAGE for 0x2000000 — are from 2.6 kernels; today those
 * bits are VM_SOFTDIRTY and VM_WIPEONFORK).
 */
const VM_FLAGS: [bigint, string][] = [
  [0x1n, 'READ'],
  [0x2n, 'WRITE'],
  [0x4n, 'EXEC'],
  [0x8n, 'SHARED'],
  [0x10n, 'MAYREAD'],
  [0x20n, 'MAYWRITE'],
  [0x40n, 'MAYEXEC'],
  [0x80n, 'MAYSHARE'],
  [0x100n, 'GROWSDOWN'],
  [0x200n, 'UFFD_MISSING'],
  [0x400n, 'PFNMAP'],
  [0x800n, 'DENYWRITE'],
  [0x1000n, 'UFFD_WP'],
  [0x2000n, 'LOCKED'],
  [0x4000n, 'IO'],
  [0x8000n, 'SEQ_READ'],
  [0x10000n, 'RAND_READ'],
  [0x20000n, 'DONTCOPY'],
  [0x40000n, 'DONTEXPAND'],
  [0x80000n, 'LOCKONFAULT'],
  [0x100000n, 'ACCOUNT'],
  [0x200000n, 'NORESERVE'],
  [0x400000n, 'HUGETLB'],
  [0x800000n, 'SYNC'],
  [0x1000000n, 'PAT'],
  [0x2000000n, 'WIPEONFORK'],
  [0x4000000n, 'DONTDUMP'],
  [0x8000000n, 'SOFTDIRTY'],
  [0x10000000n, 'MIXEDMAP'],
  [0x20000000n, 'HUGEPAGE'],
  [0x40000000n, 'NOHUGEPAGE'],
  [0x80000000n, 'MERGEABLE'],
];

/** The names of the set vm_flags bits (unknown high bits as hex). */
export function vmFlagNames(flags: bigint): string[] {
  const names = VM_FLAGS.filter(([bit]) => flags & bit).map(([, n]) => n);
  const known = VM_FLAGS.reduce((a, [bit]) => a | bit, 0n);
  const rest = flags & ~known;
  if (rest) names.push(`0x${rest.toString(16)}`);
  return names;
}

/** One user page of a VMA, as a page-table walk finds it (vm -p). */
export type VmaPage = UserPage & { vaddr: bigint; fileOffset?: bigint };

/** Every page of a VMA with what maps it; a page not mapped in a file VMA has its file offset. */
export function* vmaPages(k: Kernel, as: AddressSpace, v: Vma): Generator<VmaPage> {
  const page = BigInt(k.dump.meta.pageSize || 4096);
  for (let a = v.start; a < v.end; a += page) {
    const p = userPage(k.mem, as.pgd, a);
    if (p.kind === 'none' && v.file) yield { ...p, vaddr: a, fileOffset: a - v.start + v.pgoff * page };
    else yield { ...p, vaddr: a };
  }
}
