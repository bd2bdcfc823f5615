/**
 * `sym ADDRESS` on a vmcore opened alone names an address shared by several symbols as it does with the
 * vmlinux: the first name in name order (crash's rule). kallsyms keeps same-address names in its own order
 * (weak ones last, then by leading underscores), so `sym` alone used to say `startup_64` where crash and
 * crash-ts with the vmlinux say `_stext`, and `sym -l` listed such names in another order.
 * Only names kallsyms lacks may differ (section symbols such as `.init.text`).
 */
import { afterAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { openVmcoreAlone } from '../../src/kernel/open-alone.js';
import { kernelSymbolList, symbolAt } from '../../src/kernel/symbol-list.js';
import { caseInfo, caseNames, describeCorpus, dumpPaths, skipWhenNoCases, vmlinuxPlain } from '../helpers/corpus.js';

const opened: Kernel[] = [];
afterAll(() =>
  opened.forEach((k) => {
    k.elf?.close();
    k.dump.close();
  }),
);

const sixes = caseNames().filter((c) => /^6\./.test(caseInfo(c).kernel_release));
skipWhenNoCases('sym order alone');

describeCorpus('sym ADDRESS alone: same-address names in name order, as with the vmlinux', () => {
  for (const name of sixes) {
    it(`${name}: every text address kallsyms names twice or more`, async () => {
      const d = (await dumpPaths(name))[0]!;
      const alone = openVmcoreAlone(d.path);
      const pair = openKernelSync(await vmlinuxPlain(name), d.path);
      opened.push(alone, pair);
      const list = kernelSymbolList(alone);
      const groups = new Map<bigint, string[]>();
      for (const s of list) if ('Tt'.includes(s.type)) groups.set(s.value, [...(groups.get(s.value) ?? []), s.name]);
      const shared = [...groups].filter(([, names]) => names.length > 1);
      expect(shared.length, 'addresses with several names').toBeGreaterThan(10);
      const differ: string[] = [];
      for (const [addr, names] of shared) {
        // within the list, the names of one address are in (bytewise) name order
        expect(
          [...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
          addr.toString(16),
        ).toEqual(names);
        const got = symbolAt(alone, addr)?.symbol.name;
        const want = symbolAt(pair, addr)?.symbol.name;
        // a name the vmlinux has and kallsyms lacks (a section symbol) is no fault of the order
        if (got !== want && want !== undefined && names.includes(want))
          differ.push(`${addr.toString(16)}: ${got} vs ${want}`);
      }
      expect(differ).toEqual([]);
      // the kernel's first text address: crash names it _stext (or _text), never startup_64
      const stext = alone.symbols.lookup('_stext')!.address;
      expect(symbolAt(alone, stext)?.symbol.name).toMatch(/^_s?text$/);
    }, 300_000);
  }
});
