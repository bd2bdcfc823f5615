/**
 * `dis FUNCTION` on a vmcore opened alone ends where it ends with the vmlinux. kallsyms has no sizes, so a
 * function seems to reach the next symbol; the alignment fill before it (nops, the linker's int3 bytes) is
 * not the function's and is dropped, while the int3s of a patched return site (`ret` + 4 int3) stay.
 * A sample of the kernel's functions, on every dump of the 6.x corpus cases; functions in freed init memory
 * (nothing but int3 left), names defined twice and assembly labels without a size are left out.
 */
import { afterAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { openVmcoreAlone } from '../../src/kernel/open-alone.js';
import { gdbNamesAddress, kernelSymbolList } from '../../src/kernel/symbol-list.js';
import { caseInfo, caseNames, describeCorpus, dumpPaths, skipWhenNoCases, vmlinuxPlain } from '../helpers/corpus.js';
import { replOn } from '../helpers/repl.js';

const opened: Kernel[] = [];
afterAll(() =>
  opened.forEach((k) => {
    k.elf?.close();
    k.dump.close();
  }),
);

const sixes = caseNames().filter((c) => /^6\./.test(caseInfo(c).kernel_release));
skipWhenNoCases('dis alone');

/** The instruction lines; a rip-relative comment's `<symbol+offset>` dropped (kallsyms' data sizes are guesses). */
const instructions = (out: string): string[] =>
  out
    .split('\n')
    .filter((l) => l.startsWith('0x'))
    .map((l) => l.replace(/(# 0x[0-9a-f]+) <[^>]*>$/, '$1'));

describeCorpus('dis FUNCTION alone ends where the vmlinux says the function ends', () => {
  for (const name of sixes.slice(0, 1).concat(sixes.filter((n) => n.startsWith('k612')).slice(0, 1))) {
    it(`${name}: 80 functions, the same instructions`, async () => {
      const d = (await dumpPaths(name))[0]!;
      const alone = openVmcoreAlone(d.path);
      const pair = openKernelSync(await vmlinuxPlain(name), d.path);
      opened.push(alone, pair);
      // an assembly label without a size (_stext) ends at the next symbol with the vmlinux too: not this case
      const sized = new Set(
        kernelSymbolList(pair)
          .filter((s) => s.size > 0n)
          .map((s) => s.name),
      );
      const texts = kernelSymbolList(alone).filter((s) => 'Tt'.includes(s.type) && !s.name.startsWith('__pfx_'));
      const count = new Map<string, number>();
      for (const s of texts) count.set(s.name, (count.get(s.name) ?? 0) + 1);
      const step = Math.floor(texts.length / 80);
      const sample = texts
        .filter((s, i) => i % step === 0 && count.get(s.name) === 1 && sized.has(s.name))
        .slice(0, 80);
      const withVmlinux = await replOn(pair);
      const withoutVmlinux = await replOn(alone);
      let padded = 0;
      let compared = 0;
      for (const s of sample) {
        await new Promise((r) => setImmediate(r));
        const want = instructions(await withVmlinux(`dis ${s.name}`));
        if (want.length === 0 || want.every((l) => l.endsWith('\tint3'))) continue; // unreadable, or freed init code
        const got = instructions(await withoutVmlinux(`dis ${s.name}`));
        expect(got, `dis ${s.name}`).toEqual(want);
        compared++;
        // the next symbol lies past the fill: the case this is about
        if (s.size > BigInt(want.length)) padded++;
      }
      expect(compared).toBeGreaterThan(40);
      expect(padded).toBeGreaterThan(0);
    }, 300_000);
  }
});

describeCorpus(
  'an address inside the kallsyms tables alone: named as with the vmlinux (not as the symbol before)',
  () => {
    for (const name of sixes) {
      it(`${name}: kallsyms_names + 0x1000, kallsyms_token_table + 8`, async () => {
        const d = (await dumpPaths(name))[0]!;
        const alone = openVmcoreAlone(d.path);
        const pair = openKernelSync(await vmlinuxPlain(name), d.path);
        opened.push(alone, pair);
        for (const [table, off] of [
          ['kallsyms_names', 0x1000n],
          ['kallsyms_token_table', 8n],
        ] as const) {
          const at = pair.symbols.lookup(table)!.address + off;
          // scripts/kallsyms' tables are labels without a size: gdb names no address inside them
          expect(gdbNamesAddress(pair, at), `${table}+${off} with the vmlinux`).toBe(false);
          expect(gdbNamesAddress(alone, at), `${table}+${off} alone`).toBe(false);
        }
      }, 120_000);
    }
  },
);
