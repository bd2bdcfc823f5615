/**
 * The memory commands on every corpus dump against crash 9's stored output (golden/crash-9-ext and the
 * kmem -i of golden/crash-9), byte for byte — except where crash is wrong, which is asserted separately:
 * - kmem -i COMMITTED: crash reads only vm_committed_as.count, the central part of a per-CPU counter; the
 *   kernel's Committed_AS (vm_memory_committed) sums the per-CPU deltas too. The proc-truth cases show it.
 * - kmem -v on k612-sysrq-c's kdump-zlib (makedumpfile 1.7.2 dropped 6.12's slab pages): crash prints
 *   nothing at all; the vmap areas are on the excluded pages, and we say which page is missing.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { run } from './run.js';
import {
  caseDir,
  caseInfo,
  caseNames,
  describeCorpus,
  dumpPaths,
  skipWhenNoCases,
  vmlinuxPlain,
} from '../helpers/corpus.js';

interface GoldenCmd {
  cmd: string;
  file: string;
}

function goldenCommands(name: string, dump: string): { cmd: string; text: string }[] {
  const out: { cmd: string; text: string }[] = [];
  for (const sub of ['crash-9', 'crash-9-ext']) {
    const dir = join(caseDir(name), 'golden', sub, dump);
    const idx = join(dir, 'index.json');
    if (!existsSync(idx)) continue;
    for (const c of (JSON.parse(readFileSync(idx, 'utf8')) as { commands: GoldenCmd[] }).commands) {
      if (!/^(kmem|vtop|ptov|ptob|btop|swap)\b/.test(c.cmd)) continue;
      out.push({ cmd: c.cmd, text: readFileSync(join(dir, c.file), 'latin1') });
    }
  }
  return out;
}

const COMMITTED = /^ {4}COMMITTED .*\n/m;
/** the makedumpfile 1.7.2 dump of a 6.12 kernel: slab pages the kernel used are not in it */
const lossy = (name: string, file: string): boolean => name === 'k612-sysrq-c' && file === 'vmcore.kdump-zlib';

skipWhenNoCases('memory commands on each corpus case');

for (const name of caseNames()) {
  describeCorpus(`memory commands on ${name}`, () => {
    const opened: { file: string; k: Kernel }[] = [];
    beforeAll(async () => {
      const vml = await vmlinuxPlain(name);
      for (const d of await dumpPaths(name)) {
        if (!goldenCommands(name, d.file).length) continue;
        opened.push({ file: d.file, k: openKernelSync(vml, d.path) });
      }
    }, 300_000);
    afterAll(() => {
      for (const { k } of opened) k.dump.close();
    });

    it("equals crash 9's stored output (kmem -i up to COMMITTED)", () => {
      let compared = 0;
      for (const { file, k } of opened) {
        for (const g of goldenCommands(name, file)) {
          if (g.cmd === 'kmem -v' && lossy(name, file)) continue;
          const ours = run(k, g.cmd);
          if (g.cmd === 'kmem -i')
            expect(ours.replace(COMMITTED, ''), `${file}: ${g.cmd}`).toBe(g.text.replace(COMMITTED, ''));
          else expect(ours, `${file}: ${g.cmd}`).toBe(g.text);
          compared++;
        }
      }
      if (opened.length) expect(compared).toBeGreaterThan(5);
    }, 300_000);

    it('kmem -v names the missing page where the dump lost the vmap areas (crash prints nothing)', () => {
      for (const { file, k } of opened) {
        if (!lossy(name, file)) continue;
        const g = goldenCommands(name, file).find((c) => c.cmd === 'kmem -v');
        expect(g?.text).toBe('');
        expect(run(k, 'kmem -v')).toMatch(
          /^kmem: vmap_nodes\[0\]\.busy: page excluded: kernel virtual address [0-9a-f]+/m,
        );
      }
    });

    it('kmem -s on the dump that lost slab pages: a cache it cannot read is ? and names the missing page', () => {
      for (const { file, k } of opened) {
        if (!lossy(name, file)) continue;
        const out = run(k, 'kmem -s');
        const unreadable = out.split('\n').filter((l) => l.endsWith('(unreadable)'));
        expect(unreadable.length).toBeGreaterThan(0);
        for (const l of unreadable) expect(l).toMatch(/^[0-9a-f]{16} +\? +\? +\? +\? +\? {2}\(unreadable\)$/);
        expect(out).toMatch(
          /^kmem: kmem_cache [0-9a-f]+: cannot gather: page excluded: kernel virtual address [0-9a-f]+/m,
        );
        // what the dump holds is still counted as crash 9 counts it
        expect(out).toMatch(/^ffff[0-9a-f]{12} +6208 +79 +100 +20 +32k {2}task_struct$/m);
      }
    });

    it("COMMITTED is the whole vm_committed_as (count + every CPU's delta): the guest's Committed_AS", () => {
      const snap = caseInfo(name).pre_crash_snapshot as { proc_meminfo?: string[] } | undefined;
      const line = snap?.proc_meminfo?.find((l) => l.startsWith('Committed_AS:'));
      for (const { file, k } of opened) {
        const m = /^ {4}COMMITTED +(\d+) /m.exec(run(k, 'kmem -i'));
        expect(m, file).not.toBeNull();
        const pages = Number(m![1]);
        if (line) {
          // counters move in the seconds between the snapshot and the crash: within 2%
          const truth = Number(line.split(/\s+/)[1]) / 4;
          expect(Math.abs(pages - truth) / truth, `${file}: ${pages} pages vs Committed_AS ${truth}`).toBeLessThan(
            0.02,
          );
        }
        const g = goldenCommands(name, file).find((c) => c.cmd === 'kmem -i');
        const crash = g && /^ {4}COMMITTED +(\d+) /m.exec(g.text);
        if (crash) expect(Number(crash[1]), `${file}: crash's central count only`).toBeLessThan(pages / 4);
      }
    });
  });
}
