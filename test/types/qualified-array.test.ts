/**
 * A const array of const elements: gcc describes `const unsigned long cpu_bit_bitmap[65][128]` (kernel/cpu.c)
 * as const -> array[65][128] -> const unsigned long. In C a qualified array is an array of qualified elements,
 * so the declaration says `const` once, as gdb (crash 9's whatis) writes it; crash-ts wrote `const const`
 * (found comparing `whatis` with crash 9 on 5.10 and 6.1). Only the debug vmlinux has this type (not in BTF).
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { declare } from '../../src/kernel/types/format.js';
import type { Type } from '../../src/kernel/types/type.js';
import { caseInfo, caseNames, describeCorpus, dumpPaths, skipWhenNoCases } from '../helpers/corpus.js';
import { replOn } from '../helpers/repl.js';

const cache = process.env.CRASH_TS_CORPUS_CACHE ?? join(homedir(), '.cache', 'crash-ts-corpus');
// one case per kernel release
const cases = caseNames().filter(
  (n, i, all) => all.findIndex((m) => caseInfo(m).kernel_release === caseInfo(n).kernel_release) === i,
);
skipWhenNoCases('const arrays of const elements');

it('a qualified array says its qualifier once, and keeps one its elements lack', () => {
  const ulong = { kind: 'int', name: 'long unsigned int', size: 8 } as Type;
  const constUlong = { kind: 'const', name: '', size: 8, target: ulong } as Type;
  const arr = (t: Type, n: number): Type =>
    ({ kind: 'array', name: '', size: n * t.size, length: n, target: t }) as Type;
  const constOf = (t: Type): Type => ({ kind: 'const', name: '', size: t.size, target: t }) as Type;
  expect(declare(constOf(arr(arr(constUlong, 128), 65)), 'x', 0)).toBe('const unsigned long x[65][128]');
  expect(declare(constOf(arr(ulong, 4)), 'y', 0)).toBe('const unsigned long y[4]');
  expect(declare(arr(constUlong, 4), 'z', 0)).toBe('const unsigned long z[4]');
});

for (const name of cases) {
  const rel = caseInfo(name).kernel_release;
  const debug = join(cache, rel, `vmlinux-${rel}`);
  describeCorpus(`const arrays on ${name}${existsSync(debug) ? '' : ' (no debug vmlinux: skipped)'}`, () => {
    let k: Kernel | undefined;
    let run: (l: string) => Promise<string>;
    beforeAll(async () => {
      if (!existsSync(debug)) return;
      k = openKernelSync(debug, (await dumpPaths(name))[0]!.path);
      run = await replOn(k);
    }, 120_000);
    afterAll(() => k?.dump.close());

    it('whatis cpu_bit_bitmap is `const unsigned long cpu_bit_bitmap[65][128];`', async () => {
      if (!k) return;
      expect((await run('whatis cpu_bit_bitmap')).trim()).toBe('const unsigned long cpu_bit_bitmap[65][128];');
    });

    it('whatis of an array of const pointers keeps the name a word of its own (crash 9: `char * constzone_names[5]`)', async () => {
      if (!k) return;
      // mm/page_alloc.c: static char * const zone_names[MAX_NR_ZONES]; crash 9's gdb glues `const` to the name
      expect((await run('whatis zone_names')).trim()).toMatch(/^char \*const zone_names\[\d+\];$/);
    });
  });
}
