/**
 * A kernel without BTF (before 5.2, or built without CONFIG_DEBUG_INFO_BTF): the corpus's debug vmlinux with
 * its .BTF section removed (objcopy, made once into the corpus cache) opened on the corpus dumps must give
 * the same sys, ps, bt, log, rd, struct, union and p answers as with BTF, from DWARF's types alone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ElfFile } from '../../src/elf/index.js';
import { openKernelSync } from '../../src/kernel/open.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { dumpPaths } from '../helpers/corpus.js';
import { replOn } from '../helpers/repl.js';
import { DEBUG_KERNELS, describeDebugVmlinux } from './debug-vmlinux.js';

const cacheRoot = process.env.CRASH_TS_CORPUS_CACHE ?? join(homedir(), '.cache', 'crash-ts-corpus');
const COMMANDS = [
  'sys',
  'ps',
  'bt',
  'bt -a',
  'log',
  'rd -a linux_banner',
  'rd -s init_task 16',
  'ps -t',
  'struct list_head',
  'struct -o task_struct.tasks',
  'struct task_struct init_task',
  'union thread_union',
  'whatis struct list_head',
  'p jiffies',
  'p init_task.comm',
  'p *init_task.parent',
  'p/x init_task.flags',
  'p cpu_number:a',
];

/** The debug vmlinux without .BTF: objcopy drops the relocation sections first (they name __start_BTF). */
function withoutBtf(vmlinux: string, release: string): string | undefined {
  const out = join(cacheRoot, 'nobtf', `vmlinux-${release}.nobtf`);
  if (existsSync(out)) return out;
  try {
    mkdirSync(dirname(out), { recursive: true });
    const tmp = `${out}.norela.part`;
    execFileSync('objcopy', ['--wildcard', '-R', '.rela*', vmlinux, tmp]);
    execFileSync('objcopy', [
      '--strip-symbol=__start_BTF',
      '--strip-symbol=__stop_BTF',
      '-R',
      '.BTF',
      tmp,
      `${out}.part`,
    ]);
    rmSync(tmp);
    renameSync(`${out}.part`, out);
    return out;
  } catch {
    return undefined;
  }
}

for (const kv of DEBUG_KERNELS) {
  describeDebugVmlinux(`types from DWARF alone: the ${kv.label} debug vmlinux without .BTF`, kv.release, (vmlinux) => {
    let nobtf: string | undefined;
    let withBtf: Kernel;
    let dwarfOnly: Kernel;
    let cacheDir: string;
    let runA: (l: string) => Promise<string>;
    let runB: (l: string) => Promise<string>;

    beforeAll(async () => {
      nobtf = withoutBtf(vmlinux, kv.release);
      if (!nobtf) return;
      cacheDir = mkdtempSync(join(tmpdir(), 'crash-ts-nobtf-'));
      process.env.CRASH_TS_CACHE_DIR = cacheDir;
      const dump = (await dumpPaths(kv.case))[0]!.path;
      withBtf = openKernelSync(vmlinux, dump);
      dwarfOnly = openKernelSync(nobtf, dump);
      runA = await replOn(withBtf);
      runB = await replOn(dwarfOnly);
    }, 300_000);

    afterAll(() => {
      for (const k of [withBtf, dwarfOnly]) {
        k?.elf.close();
        k?.dump.close();
      }
      if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
    });

    it('has no .BTF, and takes its types from DWARF', () => {
      if (!nobtf) return expect.fail('objcopy could not make the vmlinux without .BTF');
      const elf = ElfFile.open(nobtf);
      expect(elf.section('.BTF')).toBeUndefined();
      elf.close();
      expect(dwarfOnly.types).toBe(dwarfOnly.debugInfo!.types);
      expect(dwarfOnly.sizeOf('struct task_struct')).toBe(withBtf.sizeOf('struct task_struct'));
    });

    for (const cmd of COMMANDS) {
      it(`${cmd}: the same answer as with BTF`, async () => {
        if (!nobtf) return;
        const a = await runA(cmd);
        const b = await runB(cmd);
        expect(a.length).toBeGreaterThan(10);
        expect(b.replace(/\.nobtf\b/g, '')).toBe(a);
      }, 300_000);
    }
  });
}
