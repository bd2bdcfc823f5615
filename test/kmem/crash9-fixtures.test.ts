/**
 * Layouts crash 9's stored corpus output lacks (kmem -S -n -f -h -p, kmem ADDRESS of a slab object, a
 * vmalloc address and a guard page, vtop of a vmalloc, direct-map and user address, ptov OFFSET:CPUS, the
 * whole kmem -s): crash 9.0.2 was run on the proc-truth dumps and its answers are in
 * test/fixtures/kmem/<case>/ (index.json names the command of each file). Ours must be the same bytes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { caseNames, describeCorpus, dumpPaths, repoRoot, skipWhenNoCases, vmlinuxPlain } from '../helpers/corpus.js';
import { run } from './run.js';

const FIXTURES = join(repoRoot, 'test', 'fixtures', 'kmem');
const CASES: Record<string, string> = {
  'k61-proc-truth': 'vmcore.kdump-zlib',
  'k612-proc-truth': 'vmcore.kdump-zlib-mdf179',
};

skipWhenNoCases('memory commands against crash 9 run on the proc-truth dumps');

for (const [name, file] of Object.entries(CASES)) {
  if (!caseNames().includes(name)) continue;
  describeCorpus(`memory commands as crash 9 printed them on ${name}`, () => {
    let k: Kernel;
    beforeAll(async () => {
      const d = (await dumpPaths(name)).find((x) => x.file === file)!;
      k = openKernelSync(await vmlinuxPlain(name), d.path);
    }, 120_000);
    afterAll(() => k?.dump.close());
    const index = JSON.parse(readFileSync(join(FIXTURES, name, 'index.json'), 'utf8')) as {
      cmd: string;
      file: string;
    }[];
    for (const { cmd, file: f } of index) {
      it(cmd, () => {
        expect(run(k, cmd)).toBe(readFileSync(join(FIXTURES, name, f), 'latin1'));
      });
    }
  });
}
