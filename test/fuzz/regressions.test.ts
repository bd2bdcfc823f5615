/**
 * Fuzz cases that once failed, replayed by (seed, index) on their own dump and target (a case keeps
 * its mutation when the material is narrowed to them); the description guards against drift.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FuzzEngine } from '../../src/fuzz/engine.js';
import { corpusAvailable } from '../helpers/corpus.js';
import { KNOWN_SLOW } from './known-defects.js';
import { makeEngines, testPairs } from './material.js';

const REGRESSIONS = [
  {
    seed: 1,
    index: 49,
    dump: 'k612-sysrq-c/kdump-zlib',
    target: 'metadata',
    description:
      'kdump 2nd bitmap: u8@46359=59 flip@46361.6 u64@46372=0xf7d1880486f776a7; kdump VMCOREINFO: add32@6835+6 fill@6846x12=0 fill@6843x11=0',
    was: 'the wrong-vmlinux message quoted garbage banner bytes, newlines included (fixed in src/kernel/open.ts)',
  },
];

let engines: Awaited<ReturnType<typeof makeEngines>>;
beforeAll(async () => {
  if (corpusAvailable) engines = await makeEngines(await testPairs(), 8000);
}, 180_000);
afterAll(() => engines?.full.close());

describe.runIf(corpusAvailable)('fuzz regressions', () => {
  for (const r of REGRESSIONS) {
    it(`seed ${r.seed} case ${r.index} (${r.target} on ${r.dump}): ${r.was}`, async () => {
      const e = new FuzzEngine(engines.material, engines.full.commands, { timeBoundMs: 8000, dumps: [r.dump], targets: [r.target] });
      expect(e.plan(r.seed, r.index).mutant.description).toBe(r.description);
      const result = await e.runCase(r.seed, r.index);
      expect(result.defects).toEqual([]);
      e.close();
    }, 60_000);
  }
  for (const k of KNOWN_SLOW) it.todo(`known defect, seed ${k.seed} case ${k.index} (${k.target} on ${k.dump}): ${k.what}`);
});
