/**
 * The dumps CI makes (scripts/qemu, run in two lanes by .ci/run before the tests) and the suites that need them: the list the
 * tests require is the list .ci/run makes, and under CI every one of them is there — a script that broke fails
 * the run here, by name, instead of leaving its suites skipped. Elsewhere a missing dump only skips (visibly).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './corpus.js';
import { CI_SCENARIOS, HAND_MADE_SCENARIOS, describeWithDumps, dumpsRequired, missingMadeDumps } from './made-dumps.js';

describe('the scenario dumps the tests require are the ones .ci/run makes', () => {
  it('each scenario a lane of .ci/run makes ("$cache/scenarios/NAME:$s NAME") is in CI_SCENARIOS, and no other', () => {
    const ci = readFileSync(join(repoRoot, '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/^ {2}s=scripts\/qemu\/make-scenario\.sh$/m);
    const made = [...ci.matchAll(/"\$cache\/scenarios\/([\w-]+):\$s ([\w-]+)"/g)];
    for (const m of made) expect(m[1], 'folder and scenario name agree').toBe(m[2]);
    expect(made.map((m) => m[1]).sort()).toEqual([...CI_SCENARIOS].sort());
    expect(ci).toMatch(/"\$cache\/qemu:scripts\/qemu\/make-qemu-dumps\.sh"/);
  });

  it('a hand-made scenario (too slow for CI) is not one CI is required to make', () => {
    for (const n of HAND_MADE_SCENARIOS) expect(CI_SCENARIOS).not.toContain(n);
  });

  it('.ci/run runs the tests with CI=true, so a dump it could not make fails them', () => {
    const ci = readFileSync(join(repoRoot, '.ci', 'run'), 'utf8');
    expect(ci).toMatch(/^export CI=true$/m);
  });
});

const missing = missingMadeDumps();
describeWithDumps(
  `every dump CI makes is there${dumpsRequired ? ' (CI: required)' : ''}`,
  missing.length ? `missing ${missing.join(', ')}` : undefined,
  () => {
    it('scenario folders and QEMU files', () => {
      expect(missing).toEqual([]);
    });
  },
);
