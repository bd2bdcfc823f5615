/**
 * The DMI (SMBIOS) strings the kernel kept at boot: dmi_ident[], indexed by enum dmi_field
 * (drivers/firmware/dmi_scan.c). A NULL slot is a field the firmware did not provide.
 */
import type { Kernel } from '../kernel.js';
import { resolve } from '../types/type.js';

export interface DmiField {
  /** the enumerator's name: DMI_BIOS_VENDOR, DMI_SYS_VENDOR, ... */
  name: string;
  index: number;
  /** undefined when the slot is NULL (no such string from the firmware) */
  value: string | undefined;
}

export function dmiFields(k: Kernel): DmiField[] {
  if (!k.hasSymbol('dmi_ident')) throw new Error('dmi_ident does not exist in this kernel');
  const e = k.findType('enum dmi_field');
  const enumerators = e ? (resolve(e).enumerators ?? []) : [];
  if (!enumerators.length) throw new Error('enum dmi_field is not in the type information');
  // dmi_ident is declared dmi_ident[DMI_STRING_MAX]; the enum ends with that bound
  const length = Number(enumerators.find((x) => x.name === 'DMI_STRING_MAX')?.value ?? BigInt(enumerators.length));
  const base = k.sym('dmi_ident');
  const out: DmiField[] = [];
  for (const en of enumerators) {
    const index = Number(en.value);
    if (index < 0 || index >= length) continue;
    const p = k.readU64(base + BigInt(index) * 8n);
    out.push({ name: en.name, index, value: p === 0n ? undefined : k.readCString(p, 4096) });
  }
  return out;
}
