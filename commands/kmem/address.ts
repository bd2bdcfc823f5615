/**
 * kmem ADDRESS: what an address is, in crash's order — a kernel symbol, a vmalloc area (and the task whose
 * stack it is), a slab object (its cache, slab and whether it is allocated), the task whose task_struct or
 * stack holds it, and finally the struct page of its page frame.
 */
import { physicalAddressDigits } from '../../src/kernel/objects/system.js';
import { text, type View } from '../../src/render/view.js';
import type { Session } from '../../src/session.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { isKernelAddress } from '../../src/kernel/address.js';
import { moduleAt } from '../../src/kernel/objects/modules.js';
import { slabObjectAt, type SlabObject } from '../../src/kernel/objects/slab.js';
import { vmallocAreaOf } from '../../src/kernel/objects/vmalloc.js';
import { allTasks, type Task } from '../../src/kernel/objects/tasks.js';
import { threadSize } from '../../src/kernel/arch/x86_64/stacks.js';
import { PAGE_SHIFT } from '../../src/kernel/objects/pages.js';
import { contextLines } from '../sys.js';
import { pageHeader, pageLine, SLAB_HEADER, slabLine, VMALLOC_HEADER, vmallocLine } from '../../src/render/mem/kmem.js';
import { hex } from '../../src/render/mem/fields.js';
import { findFreeBlock, pageRow, pfnOfAddress, requirePageLayout } from './pages.js';
import { objectLine, SLAB_DETAIL_HEADER, slabSummaryLine, slabVerboseLines } from './slabs.js';

/** The lines crash shows for a slab object: the cache, its slab, and the object allocated [..] or free. */
export function slabObjectLines(o: SlabObject): string[] {
  const lines = [
    SLAB_HEADER,
    slabLine(o.cache),
    `  ${SLAB_DETAIL_HEADER}`,
    slabSummaryLine(o),
    '  FREE / [ALLOCATED]',
    objectLine(o.object, o.free, o.cpu),
  ];
  if (o.problem) lines.push(`kmem: ${o.cache.name}: a free list could not be followed: ${o.problem}`);
  return lines;
}

/** kmem -S ADDRESS: the cache and the whole slab holding the object, every object free or [allocated]. */
export function slabObjectVerboseLines(o: SlabObject): string[] {
  return [SLAB_HEADER, slabLine(o.cache), ...slabVerboseLines(o)];
}

/** crash's show_context block, with "(N of M)" when several tasks share the pid (the idle tasks). */
function taskContext(k: Kernel, t: Task): string[] {
  const lines = contextLines(k, t, 7);
  const same = allTasks(k).tasks.filter((x) => x.pid === t.pid);
  if (same.length > 1) {
    const addr = t.address.toString(16).padStart(16, '0');
    const i = same.findIndex((x) => x.address === t.address) + 1;
    return lines.map((l) =>
      l.startsWith('   TASK: ')
        ? l.replace(`${addr}  [THREAD_INFO`, `${addr}  (${i} of ${same.length})  [THREAD_INFO`)
        : l,
    );
  }
  return lines;
}

function taskHolding(k: Kernel, addr: bigint): Task | undefined {
  const size = BigInt(k.sizeOf('struct task_struct'));
  const stack = threadSize(k);
  const tasks = allTasks(k).tasks;
  return (
    tasks.find((t) => addr >= t.address && addr < t.address + size) ??
    tasks.find((t) => t.stack !== 0n && addr >= t.stack && addr < t.stack + stack)
  );
}

function taskOfStack(k: Kernel, addr: bigint): Task | undefined {
  const stack = threadSize(k);
  return allTasks(k).tasks.find((t) => t.stack !== 0n && addr >= t.stack && addr < t.stack + stack);
}

/** The "ADDR (T) name+off" line of a kernel-image or module address. */
function symbolLine(k: Kernel, addr: bigint, radix: 10 | 16): string | undefined {
  const n = k.symbols.nearest(addr);
  if (!n) return undefined;
  const off = n.offset ? (radix === 16 ? `+0x${n.offset.toString(16)}` : `+${n.offset}`) : '';
  const mod = moduleAt(k, addr);
  let line = `${hex(addr)} (${n.symbol.kind}) ${n.symbol.name}${off}${mod ? ` [${mod.name}]` : ''}`;
  if (/[Tt]/.test(n.symbol.kind)) {
    const src = k.sourceLine(addr);
    if (src) line += ` ${src.file}: ${src.line}`;
  }
  return line;
}

function inKernelImage(k: Kernel, addr: bigint): boolean {
  try {
    return addr >= k.sym('_stext') && addr <= k.sym('_end');
  } catch {
    return false;
  }
}

function vmallocRange(k: Kernel): [bigint, bigint] | undefined {
  try {
    const start = k.readU64(k.sym('vmalloc_base'));
    // VMALLOC_SIZE_TB: 32 TiB with 4-level paging, 12800 TiB with 5-level
    const size = (k.mem.translator.cfg.fiveLevel ? 12800n : 32n) << 40n;
    return [start, start + size];
  } catch {
    return undefined;
  }
}

/**
 * Describe one address. `scope` narrows it as kmem's options do: 'slab' (kmem -s ADDRESS: the slab part only),
 * 'slab-verbose' (kmem -S ADDRESS: with every object of its slab), 'vmalloc' (kmem -v ADDRESS: the vmalloc area only), 'all' (kmem ADDRESS).
 */
export function describeAddress(
  session: Session,
  k: Kernel,
  addr: bigint,
  physical: boolean,
  scope: 'all' | 'slab' | 'slab-verbose' | 'vmalloc',
): View {
  const lines: string[] = [];
  const data: Record<string, unknown> = { address: addr, physical };
  const isPhys = physical || !isKernelAddress(addr);
  const vaddr: bigint | undefined = isPhys ? addr + k.mem.translator.cfg.pageOffsetBase : addr;
  if (scope === 'slab' || scope === 'slab-verbose') {
    const o = slabObjectAt(k, vaddr);
    if (!o) return text([`kmem: address is not allocated in slab subsystem: ${hex(addr)}`], data);
    return text(scope === 'slab' ? slabObjectLines(o) : slabObjectVerboseLines(o), { ...data, slab: o });
  }
  const vm = vmallocRange(k);
  if (scope === 'vmalloc') {
    const a = vmallocAreaOf(k, vaddr);
    // crash prints the header whether or not an area holds the address
    return text(a ? [VMALLOC_HEADER, vmallocLine(a)] : [VMALLOC_HEADER], { ...data, vmalloc: a });
  }
  let physAddr: bigint | undefined = isPhys ? addr : undefined;
  if (!isPhys && (inKernelImage(k, vaddr) || moduleAt(k, vaddr))) {
    const s = symbolLine(k, vaddr, session.settings.radix);
    if (s) lines.push(s, '');
    data.symbol = s;
  }
  const inVmalloc = !isPhys && vm !== undefined && vaddr >= vm[0] && vaddr < vm[1];
  let pageDone = false;
  if (inVmalloc) {
    const t = taskOfStack(k, vaddr);
    if (t) lines.push(...taskContext(k, t), '');
    try {
      physAddr = k.mem.vtop(vaddr);
    } catch {
      lines.push(`WARNING: cannot make virtual-to-physical translation: ${hex(vaddr)}`);
    }
    const a = physAddr !== undefined ? vmallocAreaOf(k, vaddr) : undefined;
    if (a) {
      lines.push(VMALLOC_HEADER, vmallocLine(a), '');
      data.vmalloc = a;
      pageDone = true;
    }
  }
  if (!pageDone) {
    const o = slabObjectAt(k, vaddr);
    if (o) {
      lines.push(...slabObjectLines(o), '');
      data.slab = o;
    }
    // a page on a buddy free list: its block, as kmem -f shows it
    const free = findFreeBlock(k, addr, isPhys);
    if (free.lines) {
      lines.push(...free.lines, '');
      data.freeBlock = free.data;
    }
    const t = taskHolding(k, vaddr);
    if (t) {
      lines.push(...taskContext(k, t), '');
      data.task = t.address;
    }
  }
  const l = requirePageLayout(k);
  // a struct page address names its own page frame
  const pfn =
    isPhys || inVmalloc
      ? physAddr !== undefined
        ? physAddr >> PAGE_SHIFT
        : undefined
      : pfnOfAddress(k, l, vaddr, false);
  const r = pfn !== undefined ? pageRow(k, l, pfn) : undefined;
  if (r?.page) {
    lines.push(pageHeader(physicalAddressDigits(k)), pageLine(r.page, physicalAddressDigits(k)));
    data.page = r.page;
  } else {
    lines.push(`${hex(addr)}: ${isPhys ? 'physical' : 'kernel virtual'} address not found in mem map`);
    if (r?.problem && r.problem !== 'no struct page') lines.push(`kmem: its struct page: ${r.problem}`);
  }
  return text(lines, data);
}
