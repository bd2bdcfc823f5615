/**
 * PCI buses and devices (drivers/pci/probe.c): the global list pci_root_buses holds the root
 * struct pci_bus entries (linked by ->node); each bus has its struct pci_dev entries on ->devices
 * (linked by pci_dev.bus_list), the bridge device leading to it in ->self (NULL for a root bus),
 * and its secondary buses on ->children (linked by ->node).
 */
import type { Kernel } from '../kernel.js';
import { walkListBothWays } from './task-lists.js';

export interface PciDevice {
  /** struct pci_dev */
  address: bigint;
  /** the device's kobject name: "DDDD:BB:SS.F" */
  name: string;
  /** the name string was on a page the dump lacks: name was rebuilt from the domain, bus number and devfn */
  nameRebuilt?: boolean;
  /** class code without the programming interface byte (pci_dev.class >> 8): 0x0600 host bridge */
  classCode: number;
  vendor: number;
  device: number;
  /** PCI header type (0 normal, 1 PCI-to-PCI bridge, 2 CardBus bridge) */
  headerType: number;
  /** offset of the PCI Express capability, 0 for a conventional PCI device */
  pcieCap: number;
  /** the PCI Express capabilities register (pcie_flags_reg); undefined when the kernel has no such member */
  pcieFlags?: number;
  problem?: string;
}

export interface PciBus {
  /** struct pci_bus */
  address: bigint;
  /** the bus's device name: "DDDD:BB" */
  name: string;
  /** the name string was on a page the dump lacks: name was rebuilt from the domain and bus number */
  nameRebuilt?: boolean;
  /** struct pci_bus of the parent bus, 0 for a root bus */
  parent: bigint;
  /** the bridge device leading to this bus (pci_bus.self), absent for a root bus */
  self?: PciDevice;
  devices: PciDevice[];
  children: PciBus[];
  /** what could not be read (the bus's own fields, or links of its lists) */
  problem?: string;
}

/** PCI Express device/port type: bits 7:4 of the PCI Express capabilities register (PCI_EXP_FLAGS_TYPE). */
const PCIE_PORT_TYPES: Record<number, string> = {
  0x0: 'ENDPOINT',
  0x1: 'LEG_END',
  0x4: 'ROOT_PORT',
  0x5: 'UPSTREAM',
  0x6: 'DOWNSTREAM',
  0x7: 'PCI_BRIDGE',
  0x8: 'PCIE_BRIDGE',
  0x9: 'RC_END',
  0xa: 'RC_EC',
};

export function pcieTypeName(flags: number): string | undefined {
  return PCIE_PORT_TYPES[(flags & 0xf0) >> 4];
}

/** Header types 1 and 2 are bridges (to PCI and to CardBus); bit 7 (multi-function) is not part of the type. */
export const isBridgeHeader = (headerType: number): boolean => (headerType & 0x7f) === 1 || (headerType & 0x7f) === 2;

const MAX_DEPTH = 64;

/** The device's kobject name, or undefined when the string is on a page the dump lacks. */
function kobjectName(k: Kernel, type: string, addr: bigint): string | undefined {
  const p = k.object(type, addr).field('dev.kobj.name').value();
  try {
    return p === 0n ? '' : k.readCString(p, 64);
  } catch {
    return undefined;
  }
}

const hex = (n: number, width: number): string => n.toString(16).padStart(width, '0');

/**
 * A device's name; when its string is lost, rebuilt the way the PCI core names a device
 * ("%04x:%02x:%02x.%d": domain, bus number, slot = devfn >> 3, function = devfn & 7).
 */
function deviceName(k: Kernel, addr: bigint, domain: string): { name: string; nameRebuilt?: boolean } {
  const name = kobjectName(k, 'struct pci_dev', addr);
  if (name !== undefined) return { name };
  const d = k.object('struct pci_dev', addr);
  const devfn = d.field('devfn').num();
  const busNo = d.field('bus').deref().field('number').num();
  return { name: `${domain}:${hex(busNo, 2)}:${hex(devfn >> 3, 2)}.${devfn & 7}`, nameRebuilt: true };
}

function pciDevice(k: Kernel, addr: bigint, domain: string): PciDevice {
  try {
    const d = k.object('struct pci_dev', addr);
    return {
      address: addr,
      ...deviceName(k, addr, domain),
      classCode: d.field('class').num() >>> 8,
      vendor: d.field('vendor').num(),
      device: d.field('device').num(),
      headerType: d.field('hdr_type').num(),
      pcieCap: d.has('pcie_cap') ? d.field('pcie_cap').num() : 0,
      ...(d.has('pcie_flags_reg') ? { pcieFlags: d.field('pcie_flags_reg').num() } : {}),
    };
  } catch (e) {
    return {
      address: addr,
      name: '',
      classCode: 0,
      vendor: 0,
      device: 0,
      headerType: 0,
      pcieCap: 0,
      problem: (e as Error).message,
    };
  }
}

/** The entries of a list_head at `head` whose link member is `member` of `type`, in list order. */
function entries(k: Kernel, head: bigint, type: string, member: string): { addrs: bigint[]; broken: boolean } {
  const off = BigInt(k.offsetOf(type, member));
  const w = walkListBothWays(k, head, 100_000);
  return { addrs: w.nodes.map((n) => n - off), broken: w.headUnreadable || w.broken.length > 0 };
}

/**
 * `domain` is the PCI domain as the root bus's name gives it ("0000"), "????" when that name is lost too: a
 * child bus is in its root's domain.
 */
function pciBus(k: Kernel, addr: bigint, depth: number, rootDomain?: string): PciBus {
  const bus: PciBus = { address: addr, name: '', parent: 0n, devices: [], children: [] };
  const problems: string[] = [];
  try {
    const b = k.object('struct pci_bus', addr);
    const name = kobjectName(k, 'struct pci_bus', addr);
    const domain = rootDomain ?? /^([0-9a-f]{4,}):[0-9a-f]{2}$/.exec(name ?? '')?.[1] ?? '????';
    if (name !== undefined) bus.name = name;
    else Object.assign(bus, { name: `${domain}:${hex(b.field('number').num(), 2)}`, nameRebuilt: true });
    bus.parent = b.field('parent').value();
    const self = b.field('self').value();
    if (self !== 0n) bus.self = pciDevice(k, self, domain);
    const devs = entries(k, b.field('devices').address, 'struct pci_dev', 'bus_list');
    bus.devices = devs.addrs.map((a) => pciDevice(k, a, domain));
    if (devs.broken) problems.push('device list partly unreadable');
    const kids = entries(k, b.field('children').address, 'struct pci_bus', 'node');
    if (kids.broken) problems.push('child bus list partly unreadable');
    if (depth < MAX_DEPTH) bus.children = kids.addrs.map((a) => pciBus(k, a, depth + 1, domain));
    else problems.push('buses nested too deep');
  } catch (e) {
    problems.push((e as Error).message);
  }
  if (problems.length) bus.problem = problems.join('; ');
  return bus;
}

/** Every root PCI bus with its devices and secondary buses; throws when the kernel keeps no pci_root_buses. */
export function pciRootBuses(k: Kernel): PciBus[] {
  if (!k.hasSymbol('pci_root_buses')) throw new Error('this kernel has no pci_root_buses list (no PCI support)');
  const roots = entries(k, k.sym('pci_root_buses'), 'struct pci_bus', 'node');
  if (roots.broken && roots.addrs.length === 0) throw new Error('pci_root_buses: list unreadable in this dump');
  return roots.addrs.map((a) => pciBus(k, a, 0));
}
