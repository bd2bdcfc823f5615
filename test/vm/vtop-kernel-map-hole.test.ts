/**
 * vtop of an address in the kernel text mapping (__START_KERNEL_map, 0xffffffff80000000 up) that the kernel
 * image does not cover: with KASLR the image starts at a random 2 MiB boundary, and below it the page tables
 * map nothing (the PMD entry is 0). We say "(not mapped)"; crash 9 computes the physical address from the
 * mapping's formula (address - __START_KERNEL_map + phys_base) without looking at the tables it prints, and
 * shows a physical address and its page for memory the address does not reach: 14800000 for
 * ffffffff81000000 on k61-sysrq-c, whose _text is at ffffffff88200000.
 */
import { expect, it } from 'vitest';
import { caseInfo, caseNames, describeCorpus, skipWhenNoCases } from '../helpers/corpus.js';
import { openFirstDump } from '../helpers/corpus-command.js';

skipWhenNoCases('vtop below the kernel image');
for (const name of caseNames()) {
  describeCorpus(`vtop below the kernel image on ${name}`, () => {
    const dump = openFirstDump(name);
    const run = dump.run;

    it('an address of the kernel map below _text: the tables map nothing there, and vtop says so', async () => {
      const text = dump.k.sym('_text');
      const below = (text & ~0x1fffffn) - 0x800000n;
      if (below < 0xffffffff80000000n + 0x1000000n) return; // no KASLR room below the image (nokaslr)
      expect(caseInfo(name).case).toBeDefined();
      const out = await run(`vtop ${below.toString(16)}`);
      expect(out.split('\n')[1]).toBe(`${below.toString(16)}  (not mapped)`);
      // the walk ends at an empty entry
      expect(out).toMatch(/^ {3}(PMD|PUD): [0-9a-f]+ => 0$/m);
      expect(await run(`rd ${below.toString(16)}`)).not.toMatch(/^[0-9a-f]{16}: {2}[0-9a-f]{16}/m);
    });
  });
}
