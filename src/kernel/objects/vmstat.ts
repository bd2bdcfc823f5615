/**
 * The kernel's VM counters (/proc/vmstat's sources), by the names of the kernel's own enums:
 * - vm_zone_stat[]  atomic_long_t per enum zone_stat_item (global; each zone also has zone->vm_stat[]);
 * - vm_node_stat[]  atomic_long_t per enum node_stat_item (since 4.8 split from the zone counters);
 * - vm_numa_stat[]  per enum numa_stat_item, only on kernels that kept NUMA counters global (4.14–5.13);
 * - vm_event_states a per-CPU struct of unsigned long event[] per enum vm_event_item, summed over CPUs.
 * The global counters are what the kernel folds per-CPU deltas into (global_zone_page_state() reads the same
 * words), so they are read as they are. The NR_VM_*_ITEMS enumerator gives each array's length.
 */
import type { Kernel } from '../kernel.js';

export interface Counter {
  name: string;
  value: bigint;
}

export interface VmStatGroup {
  /** 'VM_ZONE_STAT', 'VM_NODE_STAT', 'VM_NUMA_STAT' or, on kernels before the split, 'VM_STAT' */
  title: string;
  counters: Counter[];
}

/** The enumerator names of an enum up to (not including) its count enumerator, indexed by value. */
export function enumNames(k: Kernel, enumType: string, countName: string): string[] | undefined {
  const t = k.findType(enumType);
  if (!t?.enumerators) return undefined;
  const count = t.enumerators.find((e) => e.name === countName)?.value;
  if (count === undefined) return undefined;
  const names: string[] = new Array(Number(count)).fill('');
  // aliases share a value (NR_ZONE_LRU_BASE = NR_ZONE_INACTIVE_ANON): the last name given to a value wins
  for (const e of t.enumerators) if (e.value >= 0n && e.value < count) names[Number(e.value)] = e.name;
  return names;
}

function readArray(k: Kernel, addr: bigint, names: string[]): Counter[] {
  const buf = k.read(addr, names.length * 8);
  return names.map((name, i) => ({ name, value: buf.readBigInt64LE(i * 8) }));
}

/** The global zone, node (and NUMA) counters, in the kernel's enum order. Throws when none can be read. */
export function globalVmStat(k: Kernel): VmStatGroup[] {
  const zoneNames = enumNames(k, 'enum zone_stat_item', 'NR_VM_ZONE_STAT_ITEMS');
  if (!zoneNames) throw new Error('the kernel has no enum zone_stat_item: no VM counters to read');
  if (!k.hasSymbol('vm_zone_stat')) {
    return [{ title: 'VM_STAT', counters: readArray(k, k.sym('vm_stat'), zoneNames) }];
  }
  const groups: VmStatGroup[] = [{ title: 'VM_ZONE_STAT', counters: readArray(k, k.sym('vm_zone_stat'), zoneNames) }];
  const nodeNames = enumNames(k, 'enum node_stat_item', 'NR_VM_NODE_STAT_ITEMS');
  if (nodeNames && k.hasSymbol('vm_node_stat'))
    groups.push({ title: 'VM_NODE_STAT', counters: readArray(k, k.sym('vm_node_stat'), nodeNames) });
  const numaNames = enumNames(k, 'enum numa_stat_item', 'NR_VM_NUMA_STAT_ITEMS');
  if (numaNames?.length && k.hasSymbol('vm_numa_stat'))
    groups.push({ title: 'VM_NUMA_STAT', counters: readArray(k, k.sym('vm_numa_stat'), numaNames) });
  return groups;
}

/** A zone's own counters (zone->vm_stat[], enum zone_stat_item). */
export function zoneVmStat(k: Kernel, zone: bigint): Counter[] {
  const names = enumNames(k, 'enum zone_stat_item', 'NR_VM_ZONE_STAT_ITEMS');
  if (!names) throw new Error('the kernel has no enum zone_stat_item');
  return readArray(k, zone + BigInt(k.offsetOf('struct zone', 'vm_stat')), names);
}

/** One global counter by name (NR_FREE_PAGES, NR_FILE_PAGES ...), or undefined when this kernel has none. */
export function vmStatValue(k: Kernel, name: string): bigint | undefined {
  const cache = k.cache.get('objects/vmstat/global') as Map<string, bigint> | undefined;
  let m = cache;
  if (!m) {
    m = new Map();
    for (const g of globalVmStat(k)) for (const c of g.counters) m.set(c.name, c.value);
    k.cache.set('objects/vmstat/global', m);
  }
  return m.get(name);
}

export interface VmEvents {
  counters: Counter[];
  /** CPUs whose per-CPU counters could not be read (their events are missing from the sums) */
  unreadableCpus: number[];
}

/** The VM event counters summed over every possible CPU (all_vm_events()). */
export function vmEvents(k: Kernel): VmEvents | undefined {
  const names = enumNames(k, 'enum vm_event_item', 'NR_VM_EVENT_ITEMS');
  if (!names || !k.hasSymbol('vm_event_states')) return undefined;
  const sums = new Array<bigint>(names.length).fill(0n);
  const unreadableCpus: number[] = [];
  for (const cpu of possibleCpus(k)) {
    try {
      const buf = k.read(k.perCpu('vm_event_states', cpu), names.length * 8);
      for (let i = 0; i < names.length; i++) sums[i]! += buf.readBigUInt64LE(i * 8);
    } catch {
      unreadableCpus.push(cpu);
    }
  }
  return { counters: names.map((name, i) => ({ name, value: sums[i]! })), unreadableCpus };
}

/** The possible CPUs (cpu_possible_mask), else the online ones. */
export function possibleCpus(k: Kernel): number[] {
  try {
    return k.cpuMask('__cpu_possible_mask');
  } catch {
    return k.onlineCpus;
  }
}
