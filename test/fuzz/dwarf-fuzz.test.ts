/**
 * The DWARF fuzz target in the normal test run: a small real unit of the 6.1 debug vmlinux copied into a file
 * of its own, then a fixed seed's mutants of its .debug_info/.debug_abbrev/.debug_line/.debug_str (and cut
 * sections). Every case answers or gives the one problem line naming the section and offset; nothing escapes
 * the guard. Long runs: `npm run fuzz -- --target dwarf --count 5000`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DwarfDebugInfo } from '../../src/dwarf/debug-info.js';
import { DWARF_PROBLEM, makeDwarfMutant, runDwarfMutant } from '../../src/fuzz/dwarf-target.js';
import { askUnit, extractDwarfUnit, type DwarfUnitSample } from '../../src/fuzz/dwarf-unit.js';
import { FuzzEngine } from '../../src/fuzz/engine.js';
import { Rng } from '../../src/fuzz/prng.js';
import { ElfFile } from '../../src/elf/index.js';
import { debugVmlinux } from '../dwarf/debug-vmlinux.js';

const RELEASE = '6.1.0-56-cloud-amd64';
const vmlinux = debugVmlinux(RELEASE);
const CASES = Number(process.env.CRASH_TS_FUZZ_DWARF ?? 80);
const SEED = 20261205;
/** per case, on a loaded 2-core machine (about 50 ms each when idle) */
const TIME_BOUND_MS = 3000;

const suite = vmlinux ? describe : describe.skip;
const why = vmlinux ? '' : ` (skipped: no debug vmlinux of ${RELEASE} cached; fetch-debug-vmlinux.sh ${RELEASE})`;

suite(`fuzz: mutated DWARF of a real unit${why}`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'crash-ts-dwarf-fuzz-'));
  let sample: DwarfUnitSample;
  beforeAll(() => {
    sample = extractDwarfUnit(vmlinux!, join(dir, 'unit.elf'));
  }, 60_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the copied unit answers every question as the whole vmlinux does', () => {
    const q = sample.questions;
    expect(q.structs.length).toBeGreaterThanOrEqual(2);
    const a = askUnit(sample.label, q, ElfFile.open(sample.path));
    expect(a.problem).toBeUndefined();
    expect(a.answered).toBeGreaterThanOrEqual(q.structs.length + q.functions.length + q.pcs.length);
    // the same source lines, struct sizes and member offsets as the DWARF of the whole file
    const copyElf = ElfFile.open(sample.path);
    const wholeElf = ElfFile.open(vmlinux!);
    try {
      const copy = new DwarfDebugInfo(copyElf, { cacheDir: null });
      const whole = new DwarfDebugInfo(wholeElf, { cacheDir: null });
      const line = (d: DwarfDebugInfo, pc: bigint) => {
        const l = d.lineAt(pc);
        return l ? `${l.file}:${l.line}` : '?';
      };
      expect(q.pcs.map((pc) => line(copy, pc))).toEqual(q.pcs.map((pc) => line(whole, pc)));
      expect(q.pcs.map((pc) => line(copy, pc)).every((l) => /\.[ch]:\d+$/.test(l))).toBe(true);
      const layout = (d: DwarfDebugInfo, name: string) => {
        const t = d.types.find(`struct ${name}`);
        return [t?.size, ...(t?.members ?? []).map((m) => `${m.name}@${m.bitOffset}`)];
      };
      for (const name of q.structs.slice(0, 2)) expect(layout(copy, name)).toEqual(layout(whole, name));
    } finally {
      copyElf.close();
      wholeElf.close();
    }
  });

  it(`${CASES} mutants: an answer or one problem line with its offset, never an exception`, () => {
    const problems: string[] = [];
    const defects: string[] = [];
    for (let i = 0; i < CASES; i++) {
      const m = makeDwarfMutant(Rng.forCase(SEED, i), [sample]);
      const r = runDwarfMutant(m, TIME_BOUND_MS);
      if (r.defects.length) defects.push(`case ${i} (${r.description}): ${r.defects.join('; ')}`);
      if (r.refusal) problems.push(r.refusal);
    }
    expect(defects).toEqual([]);
    for (const p of problems) expect(p).toMatch(DWARF_PROBLEM);
    // the mutations reach the reader: some are found unreadable, some still answer
    expect(problems.length).toBeGreaterThan(CASES / 8);
    expect(problems.length).toBeLessThan(CASES);
    // and the sections: problems name more than one of them
    expect(new Set(problems.map((p) => /at (\.debug_\w+)/.exec(p)?.[1])).size).toBeGreaterThan(1);
  }, 120_000);

  it("is one of the engine's targets when the material has units (same case, same mutant)", async () => {
    const engine = new FuzzEngine(
      { dumps: [], vmlinuxes: [], scratchDir: dir, dwarfUnits: [sample] },
      {
        lines: [],
        get: () => undefined,
      },
      { timeBoundMs: TIME_BOUND_MS },
    );
    const r = await engine.runCase(SEED, 3);
    expect(r.target).toBe('dwarf');
    expect(r.dump).toBe(`${sample.label}:${sample.unitName}`);
    expect(r.defects).toEqual([]);
    expect((await engine.runCase(SEED, 3)).description).toBe(r.description);
    expect((await engine.runCase(SEED, 4)).description).not.toBe(r.description);
    engine.close();
  });
});
