/** kmem: the kernel's memory — summary, counters, zones, slab caches, vmalloc areas, pages, one address. */
import { CommandError, type Args, type Command } from '../src/command.js';
import { group, text, type View } from '../src/render/view.js';
import type { Session } from '../src/session.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { memInfo, hugePageStates } from '../src/kernel/objects/meminfo.js';
import { globalVmStat, possibleCpus, vmEvents, zoneVmStat } from '../src/kernel/objects/vmstat.js';
import { allZones } from '../src/kernel/objects/zones.js';
import {
  cacheSlabs,
  countSlabCache,
  readSlabCache,
  slabCacheAddresses,
  type SlabCache,
} from '../src/kernel/objects/slab.js';
import { cacheSlabsLines } from './kmem/slabs.js';
import { vmallocAreas } from '../src/kernel/objects/vmalloc.js';
import {
  meminfoLines,
  SLAB_HEADER,
  slabLine,
  slabTable,
  VMALLOC_HEADER,
  vmallocLine,
  vmstatLines,
  zoneLines,
} from '../src/render/mem/kmem.js';
import { describeAddress } from './kmem/address.js';
import { memMapView, freeListView, freeBlockView, sectionsView, hugePagesView } from './kmem/pages.js';
import { pageFlagsView, pageMembersView, perCpuOffsetsView } from './kmem/page-members.js';
import { hex } from '../src/render/mem/fields.js';

/** crash's synopsis, printed for a malformed command line as crash prints it */
export const KMEM_USAGE = [
  'Usage:',
  '  kmem [-f|-F|-c|-C|-i[=shared]|-v|-V|-n|-z|-o|-h] [-p | -m member[,member]]',
  '       [[-s|-S|-S=cpu[s]|-r] [slab] [-I slab[,slab]]] [-g [flags]] [[-P] address]]',
  'Enter "help kmem" for details.',
];

const HELP = `kmem - kernel memory

SYNOPSIS
  kmem -i | -V | -z | -n | -h | -v | -f | -F | -o
  kmem -f [-P] ADDRESS...
  kmem -s [CACHE | ADDRESS | list] [-I CACHE,...] | -S[=CPUS] [CACHE | ADDRESS]
  kmem -p [ADDRESS...] | -m MEMBER[,MEMBER...] [ADDRESS...]
  kmem -g [FLAGS...]
  kmem [-P] ADDRESS ...

What the kernel's memory is and holds, read from the dump's own counters and structures.

OPTIONS
  -i         the memory summary: total, free and used pages, buffers, page cache, slab, huge pages,
             swap, the overcommit limit and the committed memory (summed over CPUs as the kernel's
             Committed_AS is; crash shows only the counter's central part)
  -V         the VM counters: zone, node and event counters by the kernel's own names
  -z         each zone of each node: size, watermarks and its counters
  -n         memory nodes and the memory sections of each
  -h         huge page sizes and their counts
  -v         vmalloc areas: vmap_area, vm_struct, address range, size
  -f         each zone's buddy free lists: free blocks per order and migrate type, checked against the
             zone's free page counter ("verified")
  -F         as -f, with the first struct page of every free block under its list
  -f ADDRESS is the page of ADDRESS (a struct page, a kernel virtual address, or with -P or below the
             kernel half a physical one) free? Its zone, free list and block, and which page of the
             block it is; nothing when it is on no free list
  -o         each CPU's per-CPU offset (__per_cpu_offset): a per-CPU symbol's address plus it is that
             CPU's copy
  -s [CACHE] slab caches: object size, allocated and total objects, slabs, slab size; with CACHE only
             that cache (named, or by the address of its struct kmem_cache); with any other ADDRESS the
             cache and slab holding it and that object; "list": names and addresses only
  -I CACHES  with -s or -S: leave these caches (comma-separated) uncounted, marked [IGNORED]
  -S [CACHE] as -s, and every slab of the cache with its objects; -S=CPUS (1,3 or 0-2 or all) shows
             the per-CPU slabs of those CPUs only; -S ADDRESS of an object: its whole slab
  -p [ADDR]  struct page of every page frame (or of the one holding ADDR): physical address,
             mapping, index, reference count and flags by name
  -m LIST    as -p, but the struct page members named in LIST (dotted paths reach inside: lru.next):
             pointers and structs in hex, flags in hex, _refcount and _mapcount in decimal, other
             integers in the output radix (set radix)
  -g [FLAGS] the page flag bits of enum pageflags with their values; with FLAGS (hex), the bits set
             in that page->flags word
  ADDRESS    what the address is: a kernel symbol, a task's stack or task_struct, a vmalloc area,
             a slab object, a free page; then its struct page. -P: ADDRESS is physical.
  -c, -C, -l, -L, -r
             crash's page hash table, 2.4 page lists and memcg root caches: these kernels have none
             of them, and kmem says so.

  On a filtered dump (makedumpfile -d 31) user, cache and free pages are not in the file; what
  needs them says which page is missing and goes on (struct pages themselves are kept).

EXAMPLES
  kmem -i
  kmem -s task_struct
  kmem -S=0 kmalloc-64            the slabs of kmalloc-64, CPU 0's only
  kmem -S ffff88800a3c4100        every object of the slab holding this one
  kmem -v | head
  kmem -m flags,_refcount,lru | head
  kmem -g 2000                    which flag is bit 13?
  kmem -f -P 123000               is this physical page free?
  kmem ffffffff82a1aa40`;

/** JSON: page and object counts as numbers (64-bit addresses stay bigint, shown in hex). */
function countsAsNumbers<T extends object>(o: T, keys: string[]): T {
  const out = { ...o } as Record<string, unknown>;
  for (const key of keys) if (typeof out[key] === 'bigint') out[key] = Number(out[key]);
  return out as T;
}

const MEMINFO_COUNTS = [
  'totalPages',
  'freePages',
  'bufferPages',
  'cachedPages',
  'slabPages',
  'hugeTotalPages',
  'hugeFreePages',
  'swapTotalPages',
  'swapUsedPages',
  'commitLimitPages',
  'committedPages',
];
const SLAB_COUNTS = ['allocated', 'total', 'slabs'];

type Mode =
  | 'i'
  | 'V'
  | 'z'
  | 'n'
  | 'h'
  | 'v'
  | 'f'
  | 'F'
  | 's'
  | 'S'
  | 'r'
  | 'p'
  | 'm'
  | 'o'
  | 'g'
  | 'c'
  | 'C'
  | 'l'
  | 'L'
  | 'address';
const EXCLUSIVE: Mode[] = ['i', 'V', 'z', 'n', 'h', 'v', 'f', 'F', 's', 'S', 'r', 'p', 'o', 'g', 'c', 'C', 'l', 'L'];

/** kmem -l/-L: the page lists of 2.4 kernels (active_list, inactive_list ...), gone since 2.6 */
const PAGE_LISTS: Record<string, string> = {
  a: 'active_list',
  i: 'inactive_list',
  ic: 'inactive_clean_list',
  id: 'inactive_dirty_list',
};

function usage(note?: string): View {
  return text(note ? [note, ...KMEM_USAGE] : KMEM_USAGE);
}

function chooseMode(args: Args): Mode | View {
  // -m is -p showing chosen members
  const set = EXCLUSIVE.filter((m) => args.flags[m] !== undefined || (m === 'p' && args.flags.m !== undefined));
  if (set.length > 1) return usage('kmem: only one flag allowed!');
  if (set[0] === 'p' && args.flags.m !== undefined) return 'm';
  if (set.length === 1) return set[0]!;
  if (!args.positional.length) return usage();
  return 'address';
}

/**
 * The slab caches (one by name, or the one whose struct kmem_cache is at an address), counted; caches named in
 * `ignore` are listed without counting them.
 */
export function slabCaches(
  k: Kernel,
  name: string | bigint | undefined,
  session?: Session,
  ignore: Set<string> = new Set(),
): SlabCache[] {
  const cpus = possibleCpus(k);
  const out: SlabCache[] = [];
  for (const addr of slabCacheAddresses(k)) {
    session?.checkCancelled();
    if (typeof name === 'bigint' && addr !== name) continue;
    let c: SlabCache;
    try {
      c = readSlabCache(k, addr);
    } catch (e) {
      if (name === undefined)
        out.push({
          address: addr,
          name: '(unreadable)',
          objectSize: 0,
          size: 0,
          objectsPerSlab: 0,
          order: 0,
          problem: (e as Error).message,
          unreadable: true,
        });
      continue;
    }
    if (typeof name === 'string' && c.name !== name) continue;
    out.push(ignore.has(c.name) ? { ...c, ignored: true } : countSlabCache(k, c, cpus));
    if (name !== undefined) break;
  }
  return out;
}

function slabView(session: Session, k: Kernel, args: Args): View {
  const words = args.positional;
  if (words.length > 1) return usage('kmem: only one kmem_cache reference is allowed');
  const word = words[0];
  let name: string | bigint | undefined = word?.replace(/^\\/, '');
  if (word !== undefined && /^(0x)?[0-9a-f]+$/i.test(word)) {
    // as crash: the address of a struct kmem_cache names that cache; any other address is an object's
    const addr = hexArg(word);
    if (!slabCacheAddresses(k).includes(addr))
      return describeAddress(session, k, addr, false, args.flags.S !== undefined ? 'slab-verbose' : 'slab');
    name = addr;
  }
  if (word === 'list') return slabListView(session, k);
  const ignore = new Set(typeof args.flags.I === 'string' ? args.flags.I.split(',') : []);
  const caches = slabCaches(k, name, session, ignore);
  const cpuFilter = typeof args.flags.S === 'string' ? cpuListArg(k, args.flags.S) : undefined;
  if (name !== undefined && !caches.length)
    throw new CommandError(
      `invalid kmem_cache ${typeof name === 'bigint' ? `address: ${hex(name)}` : `name: ${name}`}`,
    );
  const verbose = args.flags.S !== undefined;
  const notes = caches.flatMap((c) =>
    c.problem
      ? [
          `kmem: ${c.unreadable ? `kmem_cache ${c.address.toString(16)}` : c.name}: ${c.allocated === undefined ? 'cannot gather' : 'incomplete'}: ${c.problem}`,
        ]
      : [],
  );
  if (!verbose) return { ...slabTable(caches), after: notes, data: caches.map((c) => countsAsNumbers(c, SLAB_COUNTS)) };
  const lines = [SLAB_HEADER];
  const detail: unknown[] = [];
  caches.forEach((c, i) => {
    if (verbose && i) lines.push(SLAB_HEADER);
    lines.push(slabLine(c));
    if (c.allocated === undefined) return;
    session.checkCancelled();
    try {
      const s = cacheSlabs(k, c, cpuFilter);
      lines.push(...cacheSlabsLines(s));
      detail.push({ cache: c, ...s });
    } catch (e) {
      lines.push(`kmem: ${c.name}: its slabs cannot be listed: ${(e as Error).message}`);
    }
  });
  return text([...lines, ...notes], detail);
}

/** kmem -s list: every cache's address and name. */
function slabListView(session: Session, k: Kernel): View {
  const caches: { address: bigint; name: string; problem?: string }[] = [];
  for (const address of slabCacheAddresses(k)) {
    session.checkCancelled();
    try {
      caches.push({ address, name: readSlabCache(k, address).name });
    } catch (e) {
      caches.push({ address, name: '(unreadable)', problem: (e as Error).message });
    }
  }
  return text(
    caches.map((c) => `${hex(c.address)} ${c.name}${c.problem ? ` (${c.problem})` : ''}`),
    caches,
  );
}

/** -S=CPUS: crash's CPU list syntax (1,3,5-7, all, a). */
function cpuListArg(k: Kernel, word: string): Set<number> {
  if (!word.startsWith('='))
    throw new CommandError('CPU-specific slab data to be displayed must be written as expected only e.g. -S=1,45.');
  const spec = word.slice(1);
  if (spec === 'a' || spec === 'all') return new Set(possibleCpus(k));
  const out = new Set<number>();
  for (const part of spec.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new CommandError(`invalid cpu specification: ${spec}`);
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    for (let c = from; c <= to; c++) out.add(c);
  }
  return out;
}

function vmallocView(k: Kernel): View {
  const list = vmallocAreas(k);
  const lines = list.areas.length ? [VMALLOC_HEADER, ...list.areas.map(vmallocLine)] : [];
  for (const p of list.problems) lines.push(`kmem: ${p}`);
  return text(lines, list);
}

function zonesView(k: Kernel): View {
  const zones = allZones(k).map((zone) => {
    if (zone.spanned === 0n) return { zone };
    try {
      return { zone, stat: zoneVmStat(k, zone.address) };
    } catch (e) {
      return { zone, problem: `counters unreadable: ${(e as Error).message}` };
    }
  });
  return text(zoneLines(zones), zones);
}

function vmstatView(k: Kernel): View {
  const groups = globalVmStat(k);
  const events = vmEvents(k);
  const lines = vmstatLines(groups, events?.counters);
  if (events?.unreadableCpus.length)
    lines.push(
      `kmem: the event counters of CPU ${events.unreadableCpus.join(', ')} could not be read (not in the sums)`,
    );
  return text(lines, { groups, events });
}

const kmem: Command = {
  name: 'kmem',
  summary: 'kernel memory: summary, counters, zones, slab caches, vmalloc, pages, what an address is',
  help: HELP,
  needsDump: true,
  options: {
    i: 'memory summary',
    V: 'VM counters',
    z: 'zones',
    n: 'nodes and memory sections',
    h: 'huge pages',
    v: 'vmalloc areas',
    f: 'free lists',
    F: 'free lists with the first page of every free block',
    s: 'slab caches',
    S: "?slab caches with their slabs (-S=CPUS: only those CPUs' slabs)",
    r: 'slab root caches with their children',
    I: '=slab caches to leave uncounted (comma-separated)',
    p: 'struct page of page frames',
    m: '=struct page members to show (comma-separated)',
    g: 'page flag bits',
    o: 'per-CPU offsets',
    c: 'page cache hash table (kernels before 2.6)',
    C: 'page cache hash table with its pages (kernels before 2.6)',
    l: '=page list (kernels before 2.6): a, i, ic, id',
    L: '=page list with its pages (kernels before 2.6): a, i, ic, id',
    P: 'the address is physical',
  },
  run(session, args) {
    const k = session.kernel!;
    const mode = chooseMode(args);
    if (typeof mode !== 'string') return mode;
    const noArgs = ['i', 'V', 'z', 'n', 'h', 'F', 'o', 'r', 'C', 'L'].includes(mode);
    if (noArgs && args.positional.length) return usage('kmem: no address arguments allowed with this option');
    switch (mode) {
      case 'i': {
        const m = memInfo(k);
        return text(meminfoLines(m), countsAsNumbers(m, MEMINFO_COUNTS));
      }
      case 'V':
        return vmstatView(k);
      case 'z':
        return zonesView(k);
      case 'v':
        if (args.positional.length) {
          const views = args.positional.map((w) => describeAddress(session, k, addressArg(k, w), false, 'vmalloc'));
          return views.length === 1 ? views[0]! : group(...views);
        }
        return vmallocView(k);
      case 's':
      case 'S':
        return slabView(session, k, args);
      case 'p':
        return memMapView(
          session,
          k,
          args.positional.map((w) => addressArg(k, w)),
          !!args.flags.P,
        );
      case 'f':
        if (args.positional.length) {
          // one search per address, a blank line between them (as crash)
          const views: View[] = [];
          args.positional.forEach((w, i) => {
            if (i) views.push(text(['']));
            views.push(freeBlockView(k, addressArg(k, w), !!args.flags.P));
          });
          return views.length === 1 ? views[0]! : group(...views);
        }
        return freeListView(k);
      case 'F':
        return freeListView(k, true);
      case 'm':
        return pageMembersView(
          session,
          k,
          String(args.flags.m),
          args.positional.map((w) => addressArg(k, w)),
          !!args.flags.P,
        );
      case 'g':
        return pageFlagsView(k, args.positional);
      case 'o':
        return perCpuOffsetsView(k);
      case 'r':
        // slab_root_caches: the memcg root caches of 4.13-5.8 kernels
        if (!k.hasSymbol('slab_root_caches'))
          throw new CommandError('-r option not supported or applicable on this architecture or kernel');
        throw new CommandError('-r is not supported yet (slab root caches and their memcg children)');
      case 'c':
      case 'C':
        // the page cache hash table left the kernel in 2.6: page caches are per-mapping trees since
        throw new CommandError(`-${mode} option not supported or applicable on this architecture or kernel`);
      case 'l':
      case 'L': {
        const list = PAGE_LISTS[String(args.flags[mode])];
        if (!list) return usage();
        throw new CommandError(`${list} does not exist in this kernel`);
      }
      case 'n':
        return sectionsView(k);
      case 'h':
        return hugePagesView(hugePageStates(k));
      case 'address': {
        // crash takes hexadecimal addresses here; any other word is a slab cache name, which needs -s
        if (args.positional.some((w) => !/^(0x)?[0-9a-f]+$/i.test(w))) return usage();
        const views: View[] = [];
        args.positional.forEach((w, i) => {
          if (i) views.push(text(['']));
          views.push(describeAddress(session, k, addressArg(k, w), !!args.flags.P, 'all'));
        });
        return views.length === 1 ? views[0]! : group(...views);
      }
    }
  },
};

/** An address as crash's kmem reads it: hexadecimal, with or without 0x. */
export function hexArg(word: string): bigint {
  const m = /^(?:0x)?([0-9a-f]+)$/i.exec(word);
  if (!m || m[1]!.length > 16) throw new CommandError(`invalid address: ${word}`);
  return BigInt('0x' + m[1]);
}

function addressArg(_k: Kernel, word: string): bigint {
  return hexArg(word);
}

export default kmem;
