/**
 * A scripted learner: a session on an open kernel with the real REPL (parser, registry, observers), whose
 * typed lines return everything printed, and a scratch XDG_STATE_HOME so the tour's progress file is its own.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRegistry } from '../../commands/index.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { Repl } from '../../src/repl/engine.js';
import { Session } from '../../src/session.js';
import { tourFor, type Tour } from '../../src/tour/tour.js';

export interface Learner {
  type(line: string): Promise<string>;
  session: Session;
  tour: Tour;
  stateDir: string;
}

export async function learnerOn(
  k: Kernel | undefined,
  stateDir = mkdtempSync(join(tmpdir(), 'crash-ts-tour-')),
): Promise<Learner> {
  const registry = await loadRegistry({ plugins: false });
  const session = new Session(k);
  let out = '';
  const repl = new Repl(session, registry, {
    capture: true,
    display: (t) => void (out += t),
    error: (l) => void (out += l + '\n'),
  });
  const tour = tourFor(session, { progressPath: join(stateDir, 'crash-ts', 'tour.json') });
  return {
    session,
    tour,
    stateDir,
    async type(line: string) {
      out = '';
      await repl.execute(line);
      return out;
    },
  };
}
