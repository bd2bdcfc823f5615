/**
 * An array declared without a size (`struct upid numbers[]`, a flexible array member; `extern const char
 * linux_banner[]`) is written `[]`, as gdb (and so crash 9) writes it; crash-ts wrote `[0]`, a zero-length
 * array, which is another declaration (found by scripts/crosscheck-crash9.ts's neighbourhood: `struct pid`,
 * `struct cgroup`, `struct ip_options` and `whatis linux_banner` compared with crash 9 on 6.1).
 * BTF cannot tell `x[0]` from `x[]` (nelems 0 for both): it is read as `x[]`, the kernel's spelling since its
 * flexible-array conversion. DWARF says which (no count and no upper bound).
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { caseInfo, caseNames, describeCorpus, dumpPaths, skipWhenNoCases, vmlinuxPlain } from '../helpers/corpus.js';
import { replOn } from '../helpers/repl.js';

const cache = process.env.CRASH_TS_CORPUS_CACHE ?? join(homedir(), '.cache', 'crash-ts-corpus');
// one case per kernel release
const cases = caseNames().filter(
  (n, i, all) => all.findIndex((m) => caseInfo(m).kernel_release === caseInfo(n).kernel_release) === i,
);
skipWhenNoCases('arrays without a size');

for (const name of cases) {
  describeCorpus(`arrays without a size on ${name}`, () => {
    const rel = caseInfo(name).kernel_release;
    const debug = join(cache, rel, `vmlinux-${rel}`);
    const opened: { label: string; k: Kernel; run: (l: string) => Promise<string> }[] = [];
    beforeAll(async () => {
      const dump = (await dumpPaths(name))[0]!.path;
      const vmls: [string, string][] = [['BTF', await vmlinuxPlain(name)]];
      if (existsSync(debug)) vmls.push(['debug vmlinux', debug]);
      for (const [label, v] of vmls) {
        const k = openKernelSync(v, dump);
        opened.push({ label, k, run: await replOn(k) });
      }
    }, 120_000);
    afterAll(() => opened.forEach((o) => o.k.dump.close()));

    it('struct pid ends with `struct upid numbers[];`, struct cgroup with `ancestors[];`', async () => {
      for (const { label, run } of opened) {
        expect(await run('struct pid'), label).toContain('\n    struct upid numbers[];\n}');
        expect(await run('struct cgroup'), label).toMatch(/\n {4}struct cgroup \*ancestors\[\];\n\}/);
        // a sized array keeps its size
        expect(await run('struct task_struct'), label).toContain('    char comm[16];');
      }
    });

    it('whatis linux_banner (its extern declaration) is `const char linux_banner[];` with DWARF', async () => {
      const dwarf = opened.find((o) => o.label === 'debug vmlinux');
      if (!dwarf) return;
      expect((await dwarf.run('whatis linux_banner')).trim()).toBe('const char linux_banner[];');
    });
  });
}
