/**
 * The DWARF target: a real unit's .debug_info, .debug_abbrev, .debug_line or .debug_str bytes mutated (or a
 * section's size in the section headers cut short), then every question the kernel model asks of DWARF —
 * struct types and their members, variable and function types, source lines, inline frames, a missing
 * name — through the guard the kernel model uses. A good case answers, or gives the one problem line
 * "DWARF of X unreadable at .debug_S offset 0xN: ...; types from BTF"; anything thrown out of the guard, a
 * problem line without its offset, or a slow case is a defect.
 */
import { ElfFile } from '../elf/index.js';
import { askUnit, type DwarfUnitSample } from './dwarf-unit.js';
import type { CaseResult } from './engine.js';
import { mutateBytes, type Region } from './mutate.js';
import { PatchedFile, Patches } from './patched-file.js';
import type { Rng } from './prng.js';
import { defectIn } from './session-run.js';

export const DWARF_TARGET = 'dwarf';
/** the DWARF target's share next to the dump targets' weights (targets.ts) */
export const DWARF_WEIGHT = 10;

/** The only acceptable problem line. */
export const DWARF_PROBLEM = /^DWARF of \S+ unreadable at \.debug_[a-z_]+ offset 0x[0-9a-f]+: [^\n]+; types from BTF$/;

export interface DwarfMutant {
  sample: DwarfUnitSample;
  patches: Patches;
  description: string;
}

/** A mutant of one of the samples: a window of a region mutated, or (one time in ten) a section cut short. */
export function makeDwarfMutant(rng: Rng, samples: DwarfUnitSample[]): DwarfMutant {
  const sample = rng.pick(samples);
  const patches = new Patches();
  const file = new PatchedFile(sample.path, patches);
  try {
    if (rng.chance(0.1)) {
      const f = rng.pick(sample.sizeFields);
      const size = rng.below(f.size);
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt(size));
      patches.set(f.at, b);
      return { sample, patches, description: `${f.section} cut to ${size} of ${f.size} bytes` };
    }
    const ops: string[] = [];
    for (let i = 0, n = rng.chance(0.8) ? 1 : 2; i < n; i++) {
      const r = rng.weighted<Region>(
        sample.regions.map((x) => [x.name === '.debug_info' ? 4 : x.name === '.debug_str' ? 1 : 2, x] as const),
      );
      const length = Math.min(r.length, 1 + rng.below(48));
      const offset = r.offset + rng.below(r.length - length + 1);
      const bytes = file.read(offset, length);
      ops.push(`${r.name}+${offset - r.offset}: ${mutateBytes(rng, bytes, offset - r.offset, 3).join(' ')}`);
      patches.set(offset, bytes);
    }
    return { sample, patches, description: ops.join('; ') };
  } finally {
    file.close();
  }
}

/** Run one mutant and judge it (the engine fills in seed and index). */
export function runDwarfMutant(m: DwarfMutant, timeBoundMs: number): Omit<CaseResult, 'seed' | 'index'> {
  const t0 = performance.now();
  const defects: string[] = [];
  const result: Omit<CaseResult, 'seed' | 'index'> = {
    target: DWARF_TARGET,
    dump: `${m.sample.label}:${m.sample.unitName}`,
    description: m.description,
    stage: 'kernel',
    commandErrors: 0,
    defects,
    ms: 0,
  };
  let elf: ElfFile | undefined;
  try {
    elf = new ElfFile(new PatchedFile(m.sample.path, m.patches, m.sample.label));
  } catch (err) {
    // the ELF layer refused the file (a cut section header table...): judged like any open
    result.stage = 'dump';
    result.refusal = (err as Error).message?.split('\n')[0];
    const d = defectIn(err);
    if (d) defects.push(`opening the ELF: ${d}`);
  }
  if (elf) {
    try {
      const a = askUnit(m.sample.label, m.sample.questions, elf);
      result.stage = 'session';
      result.refusal = a.problem;
      if (a.problem !== undefined && !DWARF_PROBLEM.test(a.problem))
        defects.push(`problem line not of the one form: ${JSON.stringify(a.problem.slice(0, 300))}`);
    } catch (err) {
      defects.push(`escaped the DWARF guard: ${defectIn(err) ?? (err as Error).message}`);
    }
  }
  result.ms = performance.now() - t0;
  if (result.ms > timeBoundMs) defects.push(`took ${Math.round(result.ms)} ms (bound ${timeBoundMs} ms)`);
  return result;
}
