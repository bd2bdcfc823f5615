/**
 * One dump opened for a whole describe block: opened in a beforeAll (vmlinux and vmcore resolved then, so a
 * skipped suite never looks for them), closed in an afterAll, with `run(command, words)` giving the command's
 * View as the crash-style text line mode prints.
 */
import { afterAll, beforeAll } from 'vitest';
import type { Command } from '../../src/command.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';

export interface SuiteDump {
  /** the open kernel (set by the beforeAll) */
  readonly k: Kernel;
  run(cmd: Command, words?: string[]): Promise<string>;
}

export function openForSuite(paths: () => Promise<[string, string]> | [string, string]): SuiteDump {
  let kernel: Kernel | undefined;
  const dump: SuiteDump = {
    get k(): Kernel {
      if (!kernel) throw new Error('the suite dump is not open yet (use it inside a test)');
      return kernel;
    },
    run: async (cmd, words = []) =>
      renderText((await cmd.run(new Session(dump.k), parseArgs(words, cmd.options))) as View),
  };
  beforeAll(async () => {
    const [vmlinux, vmcore] = await paths();
    kernel = openKernelSync(vmlinux, vmcore);
  }, 120_000);
  afterAll(() => kernel?.dump.close());
  return dump;
}

/** /proc's one-letter task state → the two letters crash's ps prints */
export const PROC_TO_CRASH: Record<string, string> = {
  R: 'RU',
  S: 'IN',
  D: 'UN',
  T: 'ST',
  t: 'TR',
  Z: 'ZO',
  X: 'DE',
  I: 'ID',
};
