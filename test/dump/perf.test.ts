/** Opening must be cheap (header + bitmaps; descriptors and pages on demand). Prints the numbers. */
import { expect, it } from 'vitest';
import { openDump } from '../../src/dump/open.js';
import { caseDir, describeCorpus } from '../helpers/corpus.js';
import { join } from 'node:path';

describeCorpus('open and read times', () => {
  it('opens each k61-sysrq-c dump quickly', () => {
    const lines: string[] = [];
    for (const f of ['kdump-zlib', 'kdump-lzo', 'kdump-snappy', 'kdump-zstd', 'flat-zlib']) {
      const path = join(caseDir('k61-sysrq-c'), `vmcore.${f}`);
      // best of 5 (warms the OS page cache and the JIT; other jobs share this machine)
      let opened = Infinity;
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        openDump(path).close();
        opened = Math.min(opened, performance.now() - t0);
      }
      const d = openDump(path);
      let pages = 0;
      const t1 = performance.now();
      for (let pfn = 0n; pfn < d.meta.maxPfn! && pages < 500; pfn += 11n) {
        if (!d.isPresent(pfn * 4096n)) continue;
        d.readPhys(pfn * 4096n, 4096);
        pages++;
      }
      const perPage = ((performance.now() - t1) * 1000) / pages;
      d.close();
      lines.push(
        `${f.padEnd(13)} open ${opened.toFixed(1).padStart(5)} ms, read ${perPage.toFixed(0).padStart(4)} us/page (${pages} pages)`,
      );
      console.log(lines[lines.length - 1]);
      expect(opened).toBeLessThan(500); // generous: other jobs share this machine
    }
  });
});
