/**
 * vm on every corpus dump: equal to crash 9's stored output (or crash's lines and then what the dump lacks, where
 * crash 9 stops silently); every VMA of the guest's own /proc/PID/maps (start, end, file) on the proc-truth
 * cases; vm -p against the page tables; the JSON data.
 */
import { expect, it } from 'vitest';

import { caseInfo, caseNames, describeCorpus, skipWhenNoCases } from '../helpers/corpus.js';
import { procLinesByPid } from '../helpers/golden-index.js';
import { itEqualsStoredRuns, openCaseDumps } from '../helpers/corpus-command.js';

skipWhenNoCases('vm on each corpus case');

for (const name of caseNames()) {
  describeCorpus(`vm on ${name}`, () => {
    const info = caseInfo(name);
    const opened = openCaseDumps(name);

    itEqualsStoredRuns(
      'equals crash 9 on every stored vm command (or names the pages the dump lacks)',
      name,
      opened,
      /^vm\b/,
    );

    const maps = procLinesByPid(info.pre_crash_snapshot as Record<string, unknown> | undefined, 'proc_maps');
    if (maps.size) {
      it("lists every VMA of the guest's /proc/PID/maps with its file", async () => {
        const { run } = opened[0]!;
        let checked = 0;
        for (const [pid, lines] of maps) {
          const out = await run(`vm ${pid}`);
          if (/invalid task or pid value/.test(out)) continue;
          checked++;
          const rows = new Map<string, string>();
          for (const l of out.split('\n')) {
            const m = /^[0-9a-f]{16} +([0-9a-f]+) +([0-9a-f]+) +[0-9a-f]+ ?(.*)$/.exec(l);
            if (m) rows.set(`${BigInt('0x' + m[1])}-${BigInt('0x' + m[2])}`, m[3]!);
          }
          for (const l of lines) {
            const [range, , , , , path] = l.split(/\s+/);
            const [a, b] = range!.split('-').map((x) => BigInt('0x' + x));
            const file = rows.get(`${a}-${b}`);
            expect(file, `pid ${pid}: ${range} in\n${out}`).toBeDefined();
            if (path?.startsWith('/')) expect(file).toBe(path);
            if (!path || path.startsWith('[')) expect(file).toBe('');
          }
          expect(rows.size, `pid ${pid}: no VMA beyond /proc's`).toBe(lines.length);
        }
        expect(checked).toBeGreaterThan(5);
      });
    }

    it('vm -p: every page of every VMA, mapped ones at the physical address the page tables give', async () => {
      const { k, run } = opened[0]!;
      const out = await run('vm -p 1');
      const pages = out
        .split('\n')
        .filter((l) => /^[0-9a-f]{1,13} {2,}([0-9a-f]+$|FILE: |SWAP: |\(not mapped\)|\(unreadable)/.test(l));
      const vmas = out.split('\n').filter((l) => /^[0-9a-f]{16} +[0-9a-f]+ +[0-9a-f]+ +[0-9a-f]+/.test(l));
      let total = 0n;
      for (const v of vmas) {
        const [, s, e] = v.split(/\s+/);
        total += (BigInt('0x' + e) - BigInt('0x' + s)) / 4096n;
      }
      expect(BigInt(pages.length)).toBe(total);
      // a mapped page's physical address is where rd of the user address reads from
      const mapped = pages.map((l) => /^([0-9a-f]+) +([0-9a-f]+)$/.exec(l)).find((m) => m);
      if (mapped) {
        const pgd = k
          .object(
            'struct mm_struct',
            k
              .object(
                'struct task_struct',
                (await import('../../src/kernel/objects/tasks.js')).findTaskByPid(k, 1)!.address,
              )
              .field('mm')
              .value(),
          )
          .field('pgd')
          .value();
        expect(k.mem.translator.walk(k.mem.vtop(pgd), BigInt('0x' + mapped[1]))).toBe(BigInt('0x' + mapped[2]));
      }
    });

    it('gives the VMAs as JSON', async () => {
      const { run } = opened.at(-1)!;
      await run('set output json');
      const doc = JSON.parse(await run('vm 1')) as {
        pid: number;
        vmas?: { start: string; end: string; path: string }[];
      };
      await run('set output text');
      expect(doc.pid).toBe(1);
      const text = await run('vm 1');
      for (const v of doc.vmas ?? []) expect(text).toContain(BigInt(v.start).toString(16));
    });
  });
}
