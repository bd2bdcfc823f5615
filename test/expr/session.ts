/** A crash-ts session on one corpus dump, driven through the REPL (aliases, p/x, errors) for the expr tests. */
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { Session } from '../../src/session.js';
import { dumpPaths, vmlinuxPlain } from '../helpers/corpus.js';
import { breadthNorm, crashOutput, replSession } from '../helpers/repl.js';

export interface Opened {
  k: Kernel;
  s: Session;
  /** run one line; returns what it printed (errors included, one line each) */
  run(line: string): Promise<string>;
}

export async function openSession(vmlinux: string, dump: string): Promise<Opened> {
  const k = openKernelSync(vmlinux, dump);
  return { k, ...(await replSession(k)) };
}

/** crash 9's stored output of `cmd` on one dump, golden/crash-9-ext first (check.py breadth's order). */
export const storedOutput = (name: string, dumpFile: string, cmd: string): string | undefined =>
  crashOutput(name, dumpFile, cmd, ['crash-9-ext', 'crash-9']);

/** Output as check.py compares it: `$N = ` history numbers and trailing blanks ignored. */
export const normalized = breadthNorm;

/** A session on a corpus case's kdump-zlib dump (else its first), with the vmlinux without DWARF. */
export async function openCaseSession(name: string): Promise<Opened> {
  const dumps = await dumpPaths(name);
  const d = dumps.find((x) => x.file === 'vmcore.kdump-zlib') ?? dumps[0]!;
  return openSession(await vmlinuxPlain(name), d.path);
}
