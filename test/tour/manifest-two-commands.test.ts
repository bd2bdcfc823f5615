/**
 * commands/tour.ts defines two commands (tour and answer). Loaded lazily from the command manifest, each stand-in
 * must run its own command, whichever of the two ran first (the first cut cached the first one's command per
 * file, so `answer X` ran `tour answer-less` and printed "X: not a tour command").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import tourFile from '../../commands/tour.js';
import { lazyCommands, saveManifest } from '../../src/repl/command-manifest.js';
import { Session } from '../../src/session.js';
import { repoRoot } from '../helpers/corpus.js';

const root = mkdtempSync(join(tmpdir(), 'crash-ts-manifest-tour-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('runs tour and answer, two commands of one file, each as itself', async () => {
  const file = join(repoRoot, 'commands', 'tour.ts');
  saveManifest(
    [file],
    tourFile.map((command) => ({ file, command })),
    root,
  );
  const [tour, answer] = lazyCommands([file], root)!;
  expect([tour!.name, answer!.name]).toEqual(['tour', 'answer']);
  const session = new Session(undefined);
  const args = (...w: string[]) => ({ flags: {}, positional: w, raw: w });
  const text = (v: unknown) => (v as { lines: string[] }).lines.join('\n');
  expect(text(await tour!.run(session, args()))).toMatch(/the tour needs a dump/);
  expect(text(await answer!.run(session, args('42')))).toMatch(/^answer: no tour question is open/);
});
