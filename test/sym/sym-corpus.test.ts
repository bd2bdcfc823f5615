/**
 * sym on every corpus case: crash 9's stored `sym` outputs, every System.map symbol at its address
 * moved by the case's own KASLR offset (case.json, from the crashed kernel's /proc/kallsyms), address
 * lookups with decimal offsets, module symbols named from the dump's kallsyms, and the one-line answers
 * for addresses and names that have no symbol.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { openKernelSync } from '../../src/kernel/open.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { loadedModules, moduleSymbols } from '../../src/kernel/objects/modules.js';
import {
  caseInfo,
  caseNames,
  corpusDir,
  describeCorpus,
  dumpPaths,
  skipWhenNoCases,
  vmlinuxPlain,
} from '../helpers/corpus.js';
import { breadthNorm, crashOutput, replOn } from '../helpers/repl.js';

skipWhenNoCases('sym on the corpus');

/** System.map lines: [link address, letter, name] */
function systemMap(release: string): [bigint, string, string][] {
  const text = readFileSync(join(corpusDir, 'kernels', release, `System.map-${release}`), 'latin1');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [a, t, n] = l.split(' ');
      return [BigInt('0x' + a), t!, n!];
    });
}

/** crash cuts a GCC/LLVM clone's name at the first of .isra., .part., .llvm. it finds, in that order */
function shown(name: string): string {
  for (const s of ['.isra.', '.part.', '.llvm.']) {
    const i = name.indexOf(s);
    if (i >= 0) return name.slice(0, i);
  }
  return name;
}

for (const name of caseNames()) {
  describeCorpus(`sym on ${name}`, () => {
    const info = caseInfo(name);
    const kaslr = BigInt(info.kaslr_offset_runtime);
    let k: Kernel;
    let dumpFile = '';
    let run: (line: string) => Promise<string>;
    beforeAll(async () => {
      // the dump check.py scores: the first kdump-zlib, else the first
      const dumps = await dumpPaths(name);
      const d = dumps.find((x) => x.file.startsWith('vmcore.kdump-zlib')) ?? dumps[0]!;
      dumpFile = d.file;
      k = openKernelSync(await vmlinuxPlain(name), d.path);
      run = await replOn(k);
    }, 120_000);

    it("sym init_task and sym linux_banner equal crash 9's output", async () => {
      let compared = 0;
      for (const cmd of ['sym init_task', 'sym linux_banner']) {
        const want = crashOutput(name, dumpFile, cmd);
        if (want === undefined) continue;
        expect(breadthNorm(await run(cmd))).toBe(breadthNorm(want));
        compared++;
      }
      expect(compared).toBeGreaterThan(0);
    });

    it("sym schedule: crash 9's address, type and name; its file:line once DWARF is there", async () => {
      const want = crashOutput(name, dumpFile, 'sym schedule');
      if (want === undefined) return;
      const got = breadthNorm(await run('sym schedule'));
      if (k.debugInfo) expect(got).toBe(breadthNorm(want));
      else expect(got).toBe(want.split(' ').slice(0, 3).join(' '));
    });

    it('every System.map symbol of the image is in sym -l at its address plus the KASLR offset', async () => {
      const lines = (await run('sym -l')).split('\n');
      const listed = new Set(lines);
      const map = systemMap(info.kernel_release);
      const text = map.find(([, , n]) => n === '_text')![0];
      let checked = 0;
      const missing: string[] = [];
      for (const [a, t, n] of map) {
        if (a < text) continue; // per-CPU offsets and absolute values: not relocated (checked below)
        // crash starts its list at the first of _stext/_text in name order: a symbol sharing their
        // address whose name sorts first (6.12's __pfx_sev_es_terminate) is left out, by crash and by us
        if (a === text && n < '_stext') continue;
        const line = `${(a + kaslr).toString(16)} (${t}) ${shown(n)}`;
        if (!listed.has(line)) missing.push(line);
        checked++;
      }
      expect(missing.slice(0, 5)).toEqual([]);
      expect(checked).toBeGreaterThan(80_000);
      // the per-CPU area comes first, unrelocated: offset 0 is __per_cpu_start
      expect(lines[0]).toBe('0 (D) __per_cpu_start');
    }, 60_000);

    it('sym ADDRESS names the symbol and the decimal offset into it (hex under radix 16)', async () => {
      const panic = k.symbols.address('panic');
      expect(panic - kaslr).toBe(systemMap(info.kernel_release).find(([, , n]) => n === 'panic')![0]);
      const at = (panic + 5n).toString(16);
      expect((await run(`sym ${at}`)).startsWith(`${at} (T) panic+5`)).toBe(true);
      expect((await run(`sym panic+5`)).startsWith(`${at} (T) panic+5`)).toBe(true);
      await run('set radix 16');
      expect((await run(`sym ${at}`)).startsWith(`${at} (T) panic+0x5`)).toBe(true);
      await run('set radix 10');
    });

    it("a module address is named from the module's kallsyms in the dump, tagged with the module", async () => {
      const mods = loadedModules(k).modules;
      if (!info.pre_crash_snapshot || mods.length === 0) return;
      const m = mods.find((x) => moduleSymbols(k, x).symbols.some((s) => s.kind === 't'))!;
      const fn = moduleSymbols(k, m).symbols.find((s) => s.kind === 't' && !s.name.startsWith('__pfx_'))!;
      const at = (fn.address + 16n).toString(16);
      expect((await run(`sym ${at}`)).trimEnd()).toMatch(
        new RegExp(`^${at} \\([tT]\\) ${shown(fn.name)}\\+16 \\[${m.name}\\]$`),
      );
      const list = (await run(`sym -m ${m.name}`)).split('\n');
      expect(list[0]).toMatch(new RegExp(`^${m.base.toString(16)} MODULE (TEXT )?START: ${m.name}$`));
      expect(
        list.filter((l) => l.startsWith(`${fn.address.toString(16)} (`) && l.endsWith(`) ${shown(fn.name)}`)),
      ).toHaveLength(1);
    });

    it('no symbol: one line, as crash says it', async () => {
      expect(await run('sym ffffffffffffffff')).toBe('sym: invalid address: ffffffffffffffff\n');
      expect(await run('sym 0')).toBe('sym: invalid address: 0\n');
      expect(await run('sym no_such_symbol_here')).toBe(
        'symbol not found: no_such_symbol_here\npossible alternatives:\n  (none found)\n',
      );
      expect(await run('sym -q no_such_symbol_here')).toBe('(none found)\n');
    });
  });
}
