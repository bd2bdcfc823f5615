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
  VMALLOC_HEADER,
  vmallocLine,
  vmstatLines,
  zoneLines,
} from '../src/render/mem/kmem.js';
import { describeAddress } from './kmem/address.js';
import { memMapView, freeListView, sectionsView, hugePagesView } from './kmem/pages.js';

/** crash's synopsis, printed for a malformed command line as crash prints it */
export const KMEM_USAGE = [
  'Usage:',
  '  kmem [-f|-F|-c|-C|-i[=shared]|-v|-V|-n|-z|-o|-h] [-p | -m member[,member]]',
  '       [[-s|-S|-S=cpu[s]|-r] [slab] [-I slab[,slab]]] [-g [flags]] [[-P] address]]',
  'Enter "help kmem" for details.',
];

const HELP = `kmem - kernel memory

SYNOPSIS
  kmem -i | -V | -z | -n | -h | -v | -f
  kmem -s [CACHE | ADDRESS] | -S [CACHE]
  kmem -p [ADDRESS]
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
  -f         each zone's buddy free lists: free blocks per order
  -s [CACHE] slab caches: object size, allocated and total objects, slabs, slab size; with CACHE only
             that cache; with an ADDRESS the cache and slab holding it
  -S [CACHE] as -s, and every slab of the cache with its objects
  -p [ADDR]  struct page of every page frame (or of the one holding ADDR): physical address,
             mapping, index, reference count and flags by name
  ADDRESS    what the address is: a kernel symbol, a task's stack or task_struct, a vmalloc area,
             a slab object, a free page; then its struct page. -P: ADDRESS is physical.

  On a filtered dump (makedumpfile -d 31) user, cache and free pages are not in the file; what
  needs them says which page is missing and goes on.

EXAMPLES
  kmem -i
  kmem -s task_struct
  kmem -v | head
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

type Mode = 'i' | 'V' | 'z' | 'n' | 'h' | 'v' | 'f' | 's' | 'S' | 'p' | 'address';
const EXCLUSIVE: Mode[] = ['i', 'V', 'z', 'n', 'h', 'v', 'f', 's', 'S', 'p'];

function usage(note?: string): View {
  return text(note ? [note, ...KMEM_USAGE] : KMEM_USAGE);
}

function chooseMode(args: Args): Mode | View {
  const set = EXCLUSIVE.filter((m) => args.flags[m] !== undefined);
  if (set.length > 1) return usage('kmem: only one flag allowed!');
  if (set.length === 1) return set[0]!;
  if (!args.positional.length) return usage();
  return 'address';
}

export function slabCaches(k: Kernel, name: string | undefined, session?: Session): SlabCache[] {
  const cpus = possibleCpus(k);
  const out: SlabCache[] = [];
  for (const addr of slabCacheAddresses(k)) {
    session?.checkCancelled();
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
    if (name !== undefined && c.name !== name) continue;
    out.push(countSlabCache(k, c, cpus));
    if (name !== undefined) break;
  }
  return out;
}

function slabView(session: Session, k: Kernel, args: Args): View {
  const words = args.positional;
  if (words.length > 1) return usage('kmem: only one kmem_cache reference is allowed');
  const word = words[0];
  if (word !== undefined && /^(0x)?[0-9a-f]+$/i.test(word))
    return describeAddress(session, k, hexArg(word), false, 'slab');
  const name = word?.replace(/^\\/, '');
  const caches = slabCaches(k, name, session);
  if (name !== undefined && !caches.length) throw new CommandError(`invalid kmem_cache name: ${name}`);
  const lines = [SLAB_HEADER];
  const notes: string[] = [];
  const verbose = args.flags.S !== undefined;
  const detail: unknown[] = [];
  caches.forEach((c, i) => {
    if (verbose && i) lines.push(SLAB_HEADER);
    lines.push(slabLine(c));
    if (c.problem)
      notes.push(
        `kmem: ${c.unreadable ? `kmem_cache ${c.address.toString(16)}` : c.name}: ${c.allocated === undefined ? 'cannot gather' : 'incomplete'}: ${c.problem}`,
      );
    if (!verbose || c.allocated === undefined) return;
    session.checkCancelled();
    try {
      const s = cacheSlabs(k, c);
      lines.push(...cacheSlabsLines(s));
      detail.push({ cache: c, ...s });
    } catch (e) {
      lines.push(`kmem: ${c.name}: its slabs cannot be listed: ${(e as Error).message}`);
    }
  });
  return text([...lines, ...notes], verbose ? detail : caches.map((c) => countsAsNumbers(c, SLAB_COUNTS)));
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
    s: 'slab caches',
    S: 'slab caches with their slabs',
    p: 'struct page of page frames',
    P: 'the address is physical',
  },
  run(session, args) {
    const k = session.kernel!;
    const mode = chooseMode(args);
    if (typeof mode !== 'string') return mode;
    const noArgs = ['i', 'V', 'z', 'n', 'h', 'f'].includes(mode);
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
        return freeListView(k);
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
