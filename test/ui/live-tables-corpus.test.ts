/**
 * mod as a live table on the corpus dumps (the bundled sample has no modules): each row opens the module's
 * symbols (mod -s NAME), read from the kallsyms copy in the dump, and those name the module's own functions.
 */
import { beforeAll, expect, it } from 'vitest';
import { loadRegistry } from '../../commands/index.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { fillAction, type TableView, type TextView } from '../../src/render/view.js';
import { Session } from '../../src/session.js';
import { sortColumns } from '../../src/ui/live/items.js';
import { viewRunner } from '../../src/ui/live/run-line.js';
import { describeCorpus, dumpPaths, vmlinuxPlain } from '../helpers/corpus.js';

for (const name of ['k61-sysrq-c', 'k612-sysrq-c']) {
  describeCorpus(`mod as a live table on ${name}`, () => {
    let run: (line: string) => Promise<unknown>;
    beforeAll(async () => {
      const dump = (await dumpPaths(name)).find((d) => d.file.endsWith('kdump-zlib'))!;
      const k = openKernelSync(await vmlinuxPlain(name), dump.path);
      run = viewRunner(new Session(k), await loadRegistry({ plugins: false }));
    }, 120_000);

    it('rows open mod -s NAME, whose symbols are the module’s own', async () => {
      const mods = (await run('mod')) as TableView;
      expect(mods.kind).toBe('table');
      expect(sortColumns(mods).map((c) => c.name.trim())).toEqual([
        'MODULE',
        'NAME',
        mods.columns[2]!.header.trim(),
        'SIZE',
        'OBJECT FILE',
      ]);
      const blk = mods.rows.find((r) => r.name === 'virtio_blk');
      expect(blk, 'virtio_blk is loaded on every corpus guest').toBeDefined();
      expect(fillAction(mods.rowAction, blk)).toBe('mod -s virtio_blk');
      const syms = (await run('mod -s virtio_blk')) as TextView;
      expect(syms.kind).toBe('text');
      expect(syms.lines.some((l) => /^ffffffffc[0-9a-f]{7} t virtblk_\w+$/.test(l))).toBe(true);
      // every row opens its symbols, or its struct module when its symbol table is unreadable
      for (const r of mods.rows)
        expect(fillAction(mods.rowAction, r)).toMatch(/^(mod -s \S+|struct module 0x[0-9a-f]+)$/);
    }, 120_000);
  });
}
