/**
 * Linux 5.10 keeps a process's VMAs on the mm->mmap list (no maple tree): files, vm, sig, runq (-g, -t), fuser
 * and task -R on the k510-sysrq-c scenario dump (scripts/qemu/make-scenario.sh), byte for byte against crash 9
 * run on the same dump (test/fixtures/k510).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { openKernelSync } from '../../src/kernel/open.js';
import { repoRoot } from '../helpers/corpus.js';
import { describeWithDumps, scenariosDir, vmlinuxOfRelease } from '../helpers/made-dumps.js';
import { replOn } from '../helpers/repl.js';

const DUMP = join(scenariosDir, 'k510-sysrq-c', 'vmcore.kdump-zlib');
const RELEASE = '5.10.0-32-cloud-amd64';
/** the init task's address in the dump crash 9's output was taken from */
const SAME_DUMP_MARK = 'TASK: ffff9790011cc380';
/** a line's words with kernel addresses and numbers blanked: what two boots of the same scenario share */
const shape = (t: string): string[] =>
  t.split('\n').map((l) =>
    l
      .replace(/\b[0-9a-f]{5,16}\b/g, 'X')
      .replace(/\b\d+k?\b/g, 'N')
      .replace(/"[^"]*"/g, '"C"')
      .replace(/\s+/g, ' '),
  );
const fixture = (f: string): string => readFileSync(join(repoRoot, 'test/fixtures/k510', f), 'latin1');

describeWithDumps(
  'process commands on a 5.10 dump (mmap list)',
  existsSync(DUMP) ? undefined : `no ${DUMP} (scripts/qemu/make-scenario.sh k510-sysrq-c)`,
  () => {
    let run: (l: string) => Promise<string>;
    beforeAll(async () => {
      const vml = await vmlinuxOfRelease(RELEASE);
      if (!vml) throw new Error(`no vmlinux for ${RELEASE}`);
      run = await replOn(openKernelSync(vml, DUMP));
    }, 120_000);

    it('equals crash 9 line for line (byte for byte on the dump crash 9 was run on)', async () => {
      let ours = '';
      for (const cmd of fixture('processes.commands').split('\n').filter(Boolean)) ours += await run(cmd);
      const theirs = fixture('processes.crash9.out');
      if (ours.includes(SAME_DUMP_MARK)) expect(ours).toBe(theirs);
      // CI makes this dump anew each run: another KASLR layout, other addresses, other tasks running on each
      // CPU at the crash. There every line we print must have the form of a line crash 9 printed
      else {
        const known = new Set(shape(theirs));
        expect(shape(ours).filter((l) => !known.has(l))).toEqual([]);
      }
      expect(ours).toMatch(/^ffff[0-9a-f]{12} +400000 +401000 8000871 \/bin\/busybox$/m);
    });
  },
);
