/**
 * Finding the kernel in a dump that carries no VMCOREINFO (QEMU dump-guest-memory of a guest
 * without `-device vmcoreinfo`, or a producer that dropped the note). Only physical memory and
 * the vmlinux are needed:
 *
 *  1. x86_64 loads the kernel image at a CONFIG_PHYSICAL_ALIGN (2 MiB) boundary, so linux_banner
 *     sits at  P_text + (linux_banner - _text)  for a 2 MiB-aligned P_text: try each candidate and
 *     compare the bytes with the vmlinux's own banner.
 *  2. Everything in the image moves together, so init_top_pgt is at P_text + (init_top_pgt - _text).
 *  3. The virtual KASLR offset is also 2 MiB-aligned within the 1 GiB kernel image area: the
 *     candidate whose page-table translation of _text lands on P_text is it.
 *  4. phys_base = P_text - (_text + kaslr - __START_KERNEL_map).
 */
import type { DumpFile } from '../dump/types.js';
import type { ElfFile } from '../elf/index.js';
import { START_KERNEL_MAP, X86_64Translator } from './arch/x86_64/translate.js';

const ALIGN = 0x200000n; // CONFIG_PHYSICAL_ALIGN on x86_64
const IMAGE_AREA = 0x40000000n; // KERNEL_IMAGE_SIZE with KASLR: 1 GiB

export interface Discovered {
  kaslrOffset: bigint;
  physBase: bigint;
  kernelPgdPhys: bigint;
  fiveLevel: boolean;
}

export function discoverKernel(
  dump: DumpFile,
  elf: ElfFile,
  link: (name: string) => bigint | undefined,
): Discovered | undefined {
  const text = link('_text') ?? link('_stext');
  const banner = link('linux_banner');
  const pgt = link('init_top_pgt') ?? link('swapper_pg_dir');
  if (text === undefined || banner === undefined || pgt === undefined) return undefined;
  const want = elf.readVirtual(banner, 48);
  if (!want) return undefined;

  const maxPhys = dump.meta.maxPfn !== undefined ? dump.meta.maxPfn * 4096n : 1n << 36n;
  const bannerDelta = banner - text;
  let pText: bigint | undefined;
  for (let p = 0n; p < maxPhys && p < 1n << 40n; p += ALIGN) {
    const at = p + bannerDelta;
    if (!dump.isPresent(at)) continue;
    try {
      if (dump.readPhys(at, want.length).equals(want)) {
        pText = p;
        break;
      }
    } catch {
      /* unreadable candidate: keep looking */
    }
  }
  if (pText === undefined) return undefined;
  const kernelPgdPhys = pText + (pgt - text);

  for (const fiveLevel of [false, true]) {
    // phys_base only matters for the image map, which this walk does not use
    const tr = new X86_64Translator(dump, { physBase: 0n, pageOffsetBase: 0n, kernelPgdPhys, fiveLevel });
    for (let kaslr = 0n; text + kaslr < START_KERNEL_MAP + IMAGE_AREA; kaslr += ALIGN) {
      try {
        if (tr.walk(kernelPgdPhys, text + kaslr) === pText) {
          return { kaslrOffset: kaslr, physBase: pText - (text + kaslr - START_KERNEL_MAP), kernelPgdPhys, fiveLevel };
        }
      } catch {
        /* not mapped at this candidate */
      }
    }
  }
  return undefined;
}
