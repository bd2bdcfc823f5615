/**
 * Corrupt DWARF never crashes: random byte mutations (a fixed seed, so a failure repeats) of each DWARF
 * section of the synthetic vmlinux, then every kind of question through the guarded reader the kernel
 * model uses. Each answer is a value or "unknown" with one `problem` line; any other exception fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { DwarfDebugInfo, GuardedDebugInfo } from '../../src/dwarf/debug-info.js';
import { ElfFile } from '../../src/elf/index.js';
import { TEXT, dwarfSections, writeDwarfElf } from './synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'crash-ts-dwarf-mut-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SECTIONS = ['info', 'abbrev', 'str', 'line', 'aranges'] as const;

it.each(SECTIONS)('mutations of .debug_%s: values or one problem line, never an exception', (which) => {
  const rnd = prng(0xd3a7f + which.length);
  let problems = 0;
  for (let round = 0; round < 60; round++) {
    const s = dwarfSections();
    const buf = Buffer.from(s[which]);
    const flips = 1 + Math.floor(rnd() * 4);
    for (let i = 0; i < flips; i++) {
      const at = Math.floor(rnd() * buf.length);
      buf[at] = rnd() < 0.5 ? Math.floor(rnd() * 256) : buf[at]! ^ (1 << Math.floor(rnd() * 8));
    }
    const cut = rnd() < 0.2 ? buf.subarray(0, Math.floor(rnd() * buf.length)) : buf;
    s[which] = cut;
    const path = join(dir, `m-${which}-${round}`);
    writeDwarfElf(path, s);
    const elf = ElfFile.open(path);
    const g = new GuardedDebugInfo(new DwarfDebugInfo(elf, { cacheDir: null }));
    const ask = () => {
      g.variableType('jiffies');
      g.variableType('the_pair');
      void g.functionType('do_thing')?.params;
      const t = g.types.find('struct pair');
      t?.members?.forEach((m) => m.type.size);
      g.types.enumValue?.('MODE_B');
      g.types.find('unsigned long');
      for (const off of [0x10n, 0x20n, 0x28n]) {
        g.lineAt(TEXT + off);
        g.inlineFramesAt(TEXT + off);
      }
      g.types.find('nosuch_type');
    };
    expect(ask, `round ${round} of .debug_${which}`).not.toThrow();
    if (g.problem) {
      problems++;
      expect(g.problem).toMatch(
        /^DWARF of m-\w+-\d+ unreadable( at \.[a-z_]+ offset 0x[0-9a-f]+)?: [^\n]+; types from BTF$/,
      );
    }
    elf.close();
  }
  expect(problems).toBeGreaterThan(0);
});
