/**
 * One fuzz case: (seed, index) → a target, a dump, a mutant; open it in-process, build the kernel,
 * run the command lines, and judge every error. Deterministic: the same (seed, index) on the same
 * material is the same case, so a failure is reproduced from those two numbers.
 */
import type { DumpFile } from '../dump/types.js';
import type { ElfFile } from '../elf/index.js';
import { openKernelOn } from '../kernel/open.js';
import type { Material } from './material.js';
import { collectGarbage, peakRss, resetPeakRss } from './peak-rss.js';
import { Rng } from './prng.js';
import { defectIn, runCommands, type CommandSet } from './session-run.js';
import { DWARF_TARGET, DWARF_WEIGHT, makeDwarfMutant, runDwarfMutant, type DwarfMutant } from './dwarf-target.js';
import { Bases, TARGETS, type Mutant, type Target } from './targets.js';

export interface CaseResult {
  seed: number;
  index: number;
  target: string;
  dump: string;
  description: string;
  /** how far it got: the dump refused, the kernel refused, or a session ran its commands */
  stage: 'dump' | 'kernel' | 'session';
  /** the one-line error that stopped it, if any */
  refusal?: string;
  /** commands that answered with an (acceptable) error */
  commandErrors: number;
  defects: string[];
  ms: number;
  /** resident set size when the case started, and the most it reached during the case (bytes) */
  rssBefore?: number;
  rssPeak?: number;
}

export interface EngineOptions {
  /** a case slower than this (ms) is a defect ("hang") */
  timeBoundMs: number;
  /** only these targets (names), if given */
  targets?: string[];
  /** only these dumps (material names), if given; a case keeps its mutation when restricted to its own dump and target */
  dumps?: string[];
  /**
   * a case whose process grows by more than this many bytes over its RSS at the start of the case is a
   * defect (an allocation in proportion to a damaged header's claim); undefined: not checked
   */
  growthBoundBytes?: number;
}

export class FuzzEngine {
  readonly bases = new Bases();

  constructor(
    readonly material: Material,
    readonly commands: CommandSet,
    readonly opts: EngineOptions,
  ) {}

  /** Which target and dump case (seed, index) uses, and its mutant. */
  plan(seed: number, index: number): { target: Target; dumpName: string; mutant: Mutant } {
    const p = this.planAny(seed, index);
    if ('dwarf' in p) throw new Error(`case ${index} of seed ${seed} is a DWARF case`);
    return p;
  }

  /** The case (seed, index): a dump target's mutant, or a DWARF unit's (when the material has units). */
  planAny(seed: number, index: number): { target: Target; dumpName: string; mutant: Mutant } | { dwarf: DwarfMutant } {
    const rng = Rng.forCase(seed, index);
    const dumps = this.material.dumps;
    const choices: [number, { target: Target; d: (typeof dumps)[number] } | undefined][] = [];
    for (const target of TARGETS) {
      if (this.opts.targets && !this.opts.targets.includes(target.name)) continue;
      const fit = dumps.filter((d) => target.applies(d) && (!this.opts.dumps || this.opts.dumps.includes(d.name)));
      for (const d of fit) choices.push([target.weight / fit.length, { target, d }]);
    }
    const units = this.material.dwarfUnits ?? [];
    if (units.length && (!this.opts.targets || this.opts.targets.includes(DWARF_TARGET)))
      choices.push([DWARF_WEIGHT, undefined]);
    if (!choices.length) throw new Error('no fuzz target applies to the material');
    const pick = rng.weighted(choices);
    if (!pick) return { dwarf: makeDwarfMutant(rng, units) };
    const { target, d } = pick;
    return { target, dumpName: d.name, mutant: target.make(rng, d, this.material, this.bases) };
  }

  async runCase(seed: number, index: number): Promise<CaseResult> {
    collectGarbage();
    const rssBefore = process.memoryUsage().rss;
    resetPeakRss();
    const r = await this.runCaseUnmeasured(seed, index);
    r.rssBefore = rssBefore;
    r.rssPeak = Math.max(peakRss(), process.memoryUsage().rss);
    const bound = this.opts.growthBoundBytes;
    if (bound !== undefined && r.rssPeak - rssBefore > bound)
      r.defects.push(
        `memory: the process grew by ${mb(r.rssPeak - rssBefore)} MB in this case (peak RSS ${mb(r.rssPeak)} MB, bound ${mb(bound)} MB of growth)`,
      );
    return r;
  }

  private async runCaseUnmeasured(seed: number, index: number): Promise<CaseResult> {
    const t0 = performance.now();
    const defects: string[] = [];
    const judge = (where: string, err: unknown): string => {
      const d = defectIn(err);
      if (d) defects.push(`${where}: ${d}`);
      return err instanceof Error ? err.message : String(err);
    };
    let planned;
    try {
      planned = this.planAny(seed, index);
    } catch (err) {
      judge('making the mutant', err);
      return {
        seed,
        index,
        target: '?',
        dump: '?',
        description: '?',
        stage: 'dump',
        commandErrors: 0,
        defects,
        ms: performance.now() - t0,
      };
    }
    if ('dwarf' in planned) return { seed, index, ...runDwarfMutant(planned.dwarf, this.opts.timeBoundMs) };
    const { target, dumpName, mutant } = planned;
    const result: CaseResult = {
      seed,
      index,
      target: target.name,
      dump: dumpName,
      description: mutant.description,
      stage: 'dump',
      commandErrors: 0,
      defects,
      ms: 0,
    };
    const d = this.material.dumps.find((x) => x.name === dumpName)!;
    let dump: DumpFile | undefined;
    let elf: ElfFile | undefined;
    try {
      dump = mutant.openDump();
      result.stage = 'kernel';
      elf = mutant.openElf?.();
      const v = d.vmlinux;
      const k = openKernelOn(v.path, d.path, elf ?? v.elf, dump, {
        symbols: elf ? undefined : v.symbols,
        loadTypes: mutant.loadTypes ?? (() => v.types),
      });
      if (!elf && !mutant.loadTypes) for (const [key, val] of v.caches) k.cache.set(key, val);
      result.stage = 'session';
      await runCommands(
        k,
        this.commands,
        () => {},
        (line, err) => {
          result.commandErrors++;
          judge(line, err);
        },
      );
    } catch (err) {
      result.refusal = judge(result.stage === 'dump' ? 'opening the dump' : 'opening the kernel', err).split('\n')[0];
    } finally {
      try {
        dump?.close();
        elf?.close();
      } catch (err) {
        judge('closing', err);
      }
    }
    result.ms = performance.now() - t0;
    if (result.ms > this.opts.timeBoundMs)
      defects.push(`took ${Math.round(result.ms)} ms (bound ${this.opts.timeBoundMs} ms)`);
    return result;
  }

  close(): void {
    this.bases.close();
  }
}

const mb = (bytes: number): number => Math.round(bytes / 1048576);

/** How to rerun one case from the command line. */
export function reproduceHint(r: CaseResult): string {
  // seed and case alone pick the same mutant; dump and target are shown when the report knows them
  const known = (flag: string, v: string) => (v && v !== '?' ? ` ${flag} ${v}` : '');
  return `npm run fuzz -- --seed ${r.seed} --case ${r.index}${known('--dump', r.dump)}${known('--target', r.target)}   # ${r.description}`;
}
