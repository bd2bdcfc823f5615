/**
 * A bare clone (no ../shared beside it) must pass `npm test`. vitest fails a file that registers no
 * suite, which is what a file does whose only suites are made in a loop over the corpus's cases: each
 * such file must also register one at top level (skipWhenNoCases, describeCorpus, describe.skipIf...).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './corpus.js';

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    if (statSync(p).isDirectory()) return testFiles(p);
    return /\.test\.tsx?$/.test(f) ? [p] : [];
  });
}

/** a suite or test registered outside any loop or function: a call at the start of a line */
const TOP_LEVEL_SUITE = /^(describe|describeCorpus|it|test|skipWhenNoCases)\b[.(]/m;
/** suites made in a loop over the corpus's cases: none at all without the corpus */
const PER_CASE_LOOP = /^for \(const \w+ of caseNames\(\)\)/m;

describe('every test file registers a suite without the corpus', () => {
  const files = testFiles(join(repoRoot, 'test'));
  it('finds the test files', () => {
    expect(files.length).toBeGreaterThan(40);
  });
  it('each has a top-level suite', () => {
    const lacking = files
      .filter((f) => {
        const src = readFileSync(f, 'utf8');
        return PER_CASE_LOOP.test(src) && !TOP_LEVEL_SUITE.test(src);
      })
      .map((f) => relative(repoRoot, f));
    expect(lacking).toEqual([]);
  });
});
