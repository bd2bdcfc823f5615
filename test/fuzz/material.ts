/** The fuzz material for tests: the bundled sample, plus corpus dumps when the corpus is here. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRegistry } from '../../commands/index.js';
import { FuzzEngine } from '../../src/fuzz/engine.js';
import { defaultPairs, loadMaterial, type Pair } from '../../src/fuzz/material.js';
import { corpusAvailable, dumpPaths, vmlinuxPlain } from '../helpers/corpus.js';

/** sample + k61 flattened + k61 ELF (-d 31) + k612 kdump (the incomplete one) */
export async function testPairs(): Promise<Pair[]> {
  const pairs = defaultPairs().filter((p) => p.name === 'sample');
  if (!corpusAvailable) return pairs;
  const v61 = await vmlinuxPlain('k61-sysrq-c');
  const v612 = await vmlinuxPlain('k612-sysrq-c');
  const flat = (await dumpPaths('k61-sysrq-c')).find((d) => d.file === 'vmcore.flat-zlib');
  const elf = (await dumpPaths('k61-sysrq-c-elf')).find((d) => d.file === 'vmcore.elf-d31');
  const k612 = (await dumpPaths('k612-sysrq-c')).find((d) => d.file === 'vmcore.kdump-zlib');
  if (flat) pairs.push({ name: 'k61-sysrq-c/flat-zlib', vmlinux: v61, dump: flat.path });
  if (elf) pairs.push({ name: 'k61-sysrq-c-elf/elf-d31', vmlinux: v61, dump: elf.path });
  if (k612) pairs.push({ name: 'k612-sysrq-c/kdump-zlib', vmlinux: v612, dump: k612.path });
  return pairs;
}

/** a case that grows the test process by more than this fails (an allocation in proportion to a damaged claim) */
export const GROWTH_BOUND = 300 * 1048576;

export const SESSION_LINES = ['sys', 'ps', 'log', 'bt', 'bt -a'];

/** One engine per line set over the same material (loaded once). */
export async function makeEngines(pairs: Pair[], timeBoundMs: number) {
  const registry = await loadRegistry({ plugins: false });
  const full = { lines: SESSION_LINES, get: (n: string) => registry.get(n) };
  const openOnly = { lines: [] as string[], get: full.get };
  const material = await loadMaterial(pairs, full, mkdtempSync(join(tmpdir(), 'crash-ts-fuzz-test-')));
  return {
    material,
    full: new FuzzEngine(material, full, { timeBoundMs, growthBoundBytes: GROWTH_BOUND }),
    openOnly: new FuzzEngine(material, openOnly, { timeBoundMs, growthBoundBytes: GROWTH_BOUND }),
    registry,
  };
}
