/**
 * Where the learner is, kept between sessions in $XDG_STATE_HOME/crash-ts/tour.json (~/.local/state/crash-ts/
 * without XDG_STATE_HOME): the current lesson and step, each step's mark, and lesson files loaded with
 * `tour load`. A file that cannot be read or written never stops the tour: it starts afresh, or stays in memory.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** A step's mark: passed, passed after `tour show`, skipped, or last tried and wrong. */
export type Mark = 'pass' | 'shown' | 'skip' | 'fail';

export interface Progress {
  version: 1;
  /** lesson id and step index of where the learner is */
  lesson?: string;
  step: number;
  marks: Record<string, (Mark | null)[]>;
  /** lesson files added with `tour load` */
  loaded: string[];
}

export function progressFile(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(base, 'crash-ts', 'tour.json');
}

export const emptyProgress = (): Progress => ({ version: 1, step: 0, marks: {}, loaded: [] });

export function readProgress(file = progressFile()): Progress {
  try {
    const p = JSON.parse(readFileSync(file, 'utf8')) as Partial<Progress>;
    if (p.version !== 1) return emptyProgress();
    return {
      version: 1,
      lesson: typeof p.lesson === 'string' ? p.lesson : undefined,
      step: typeof p.step === 'number' && p.step >= 0 ? p.step : 0,
      marks: p.marks && typeof p.marks === 'object' ? p.marks : {},
      loaded: Array.isArray(p.loaded) ? p.loaded.filter((f) => typeof f === 'string') : [],
    };
  } catch {
    return emptyProgress();
  }
}

/** Write the progress (atomically); returns the reason when it could not. */
export function writeProgress(p: Progress, file = progressFile()): string | undefined {
  try {
    mkdirSync(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(p, null, 2) + '\n');
    renameSync(tmp, file);
    return undefined;
  } catch (e) {
    return `cannot save the tour's progress in ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
  }
}
