/**
 * The fuzzer in the normal test run: a fixed seed, a few thousand mutants of real dump metadata,
 * opened in-process (dump, kernel) and, for a few hundred, a whole session of sys/ps/log/bt.
 * Every error must be one of our one-line errors; no case may be slow; memory stays bounded.
 * Long runs: `npm run fuzz -- --count 100000`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reproduceHint, type CaseResult, type FuzzEngine } from '../../src/fuzz/engine.js';
import { TARGETS } from '../../src/fuzz/targets.js';
import { KNOWN_SLOW } from './known-defects.js';
import { makeEngines, testPairs } from './material.js';

const OPEN_CASES = Number(process.env.CRASH_TS_FUZZ_OPEN ?? 2000);
const SESSION_CASES = Number(process.env.CRASH_TS_FUZZ_SESSIONS ?? 200);
const SEED = Number(process.env.CRASH_TS_FUZZ_SEED ?? 20261126);
/** a loaded 2-core machine: generous per case, but a hang or a quadratic walk shows */
const TIME_BOUND_MS = 8000;
const RSS_LIMIT = 1536 * 1024 * 1024;

let engines: Awaited<ReturnType<typeof makeEngines>>;

beforeAll(async () => {
  engines = await makeEngines(await testPairs(), TIME_BOUND_MS);
}, 180_000);

afterAll(() => {
  engines?.full.close();
  engines?.openOnly.close();
});

async function run(engine: FuzzEngine, seed: number, count: number): Promise<CaseResult[]> {
  const out: CaseResult[] = [];
  for (let i = 0; i < count; i++) {
    if (KNOWN_SLOW.some((k) => k.seed === seed && k.index === i)) continue;
    // let vitest's own messages through between cases
    if (i % 20 === 0) await new Promise((r) => setImmediate(r));
    const r = await engine.runCase(seed, i);
    if (process.memoryUsage().rss > RSS_LIMIT)
      r.defects.push(`RSS ${process.memoryUsage().rss >> 20} MB after this case`);
    out.push(r);
  }
  return out;
}

function failures(results: CaseResult[]): string[] {
  return results.filter((r) => r.defects.length).map((r) => `${reproduceHint(r)}\n    ${r.defects.join('\n    ')}`);
}

describe('fuzz: mutated dumps never crash, hang or blow up memory', () => {
  it(`${OPEN_CASES} mutants opened in-process (dump + kernel)`, async () => {
    const results = await run(engines.openOnly, SEED, OPEN_CASES);
    expect(failures(results)).toEqual([]);
    // the fuzzer must reach every stage and every target, or it tests nothing
    const stages = new Set(results.map((r) => r.stage));
    expect([...stages].sort()).toEqual(['dump', 'kernel', 'session']);
    const targets = new Set(results.map((r) => r.target));
    const applicable = TARGETS.filter((t) => engines.material.dumps.some((d) => t.applies(d))).map((t) => t.name);
    expect([...targets].sort()).toEqual([...applicable].sort());
  }, 240_000);

  it(`${SESSION_CASES} mutants with a session of sys, ps, log, bt, bt -a`, async () => {
    const results = await run(engines.full, SEED + 1, SESSION_CASES);
    expect(failures(results)).toEqual([]);
    const sessions = results.filter((r) => r.stage === 'session');
    // most mutants still open: the commands really ran on damaged data
    expect(sessions.length).toBeGreaterThan(SESSION_CASES / 3);
  }, 240_000);

  it('is deterministic: the same seed and index make the same mutation', () => {
    const a = engines.full.plan(SEED, 17);
    const b = engines.full.plan(SEED, 17);
    expect(a.mutant.description).toBe(b.mutant.description);
    expect(a.dumpName).toBe(b.dumpName);
    expect(engines.full.plan(SEED, 18).mutant.description).not.toBe(a.mutant.description);
  });
});

describe('fuzz reports', () => {
  it('the rerun hint names dump and target when known, and only seed and case when not (a hang, a dead worker)', () => {
    const base = { seed: 7, index: 42, description: 'x', stage: 'session', commandErrors: 0, defects: [], ms: 0 };
    expect(reproduceHint({ ...base, dump: 'sample', target: 'btf' } as CaseResult)).toBe(
      'npm run fuzz -- --seed 7 --case 42 --dump sample --target btf   # x',
    );
    expect(reproduceHint({ ...base, dump: '?', target: '?' } as CaseResult)).toBe(
      'npm run fuzz -- --seed 7 --case 42   # x',
    );
  });
});
