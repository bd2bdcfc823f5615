/**
 * dev -p: the PCI buses as crash lays them out — each root bus with its address and name, its devices
 * (address, DDDD:BB:SS.F, class, vendor:device, PCI Express type), then each secondary bus below it with
 * its parent, the bridge leading to it and its own devices, depth first.
 */
import type { Kernel } from '../../src/kernel/kernel.js';
import {
  isBridgeHeader,
  pciRootBuses,
  pcieTypeName,
  type PciBus,
  type PciDevice,
} from '../../src/kernel/objects/pci.js';
import { fit } from '../../src/render/mem/fields.js';
import { text, type View } from '../../src/render/view.js';

const ADDR = 16;
const NAME = 'DDDD:BB:SS.F'.length;
const CLASS = 6;
const ID = 'VVVV:DDDD'.length;
const TYPE = 10;

const hex = (v: bigint | number): string => v.toString(16);

/** The TYPE column: the PCI Express port type read from pcie_flags_reg (a conventional PCI device's register
 * is 0, which crash reads as ENDPOINT: kept, so the column matches crash), then " [BRIDGE]" for a bridge header. */
function typeText(d: PciDevice): string {
  const t = d.pcieFlags === undefined ? '' : (pcieTypeName(d.pcieFlags) ?? '');
  return isBridgeHeader(d.headerType) ? `${t} [BRIDGE]` : t;
}

function deviceLine(d: PciDevice, withType: boolean): string {
  if (d.problem) return `  ${fit(hex(d.address), ADDR, 'left')} (unreadable: ${d.problem})`;
  const cols = [
    fit(hex(d.address), ADDR, 'left'),
    fit(d.name, NAME, 'center'),
    fit(d.classCode.toString(16).padStart(4, '0'), CLASS, 'center'),
    fit(`${hex(d.vendor)}:${hex(d.device)}`, ID, 'center'),
  ];
  if (withType) cols.push(fit(typeText(d), TYPE, 'center'));
  return `  ${cols.join(' ')}`;
}

function devicesBlock(bus: PciBus, withType: boolean, out: string[]): void {
  const head = [fit('PCI DEV', ADDR, 'center'), fit('DO:BU:SL.FN', NAME, 'center'), fit('CLASS', CLASS, 'center')];
  head.push(fit('PCI_ID', ID, 'center'));
  if (withType) head.push(fit('TYPE', TYPE, 'center'));
  out.push(`  ${head.join(' ')}`);
  if (bus.self) out.push(deviceLine(bus.self, withType));
  for (const d of bus.devices) out.push(deviceLine(d, withType));
  if (bus.problem) out.push(`  (bus ${hex(bus.address)}: ${bus.problem})`);
}

function childBuses(bus: PciBus, withType: boolean, out: string[]): void {
  for (const c of bus.children) {
    out.push(`  ${fit('PCI BUS', ADDR, 'center')} ${fit('PARENT BUS', ADDR, 'center')}`);
    out.push(`  ${fit(hex(c.address), ADDR, 'left')} ${fit(hex(c.parent), ADDR, 'left')}`);
    devicesBlock(c, withType, out);
    out.push('');
    childBuses(c, withType, out);
  }
}

export function pciView(k: Kernel): View {
  const roots = pciRootBuses(k);
  if (roots.length === 0) throw new Error('no PCI devices found in this dump');
  // crash prints the TYPE column only when the kernel's pci_dev keeps pcie_flags_reg
  const withType = k.hasMember('struct pci_dev', 'pcie_flags_reg');
  const lines: string[] = [];
  for (const r of roots) {
    lines.push(`${fit('ROOT BUS', ADDR, 'center')} ${fit('BUSNAME', 'DDDD:BB'.length, 'center')}`);
    lines.push(`${fit(hex(r.address), ADDR, 'left')} ${fit(r.name, 'DDDD:BB'.length, 'center')}`);
    devicesBlock(r, withType, lines);
    childBuses(r, withType, lines);
    lines.push('');
  }
  return text(lines, { rootBuses: roots });
}
