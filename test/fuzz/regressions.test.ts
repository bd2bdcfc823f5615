/**
 * Fuzz cases that once failed, replayed by (seed, index) on their own dump and target (a case keeps
 * its mutation when the material is narrowed to them); the description guards against drift.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FuzzEngine } from '../../src/fuzz/engine.js';
import { corpusAvailable } from '../helpers/corpus.js';
import { KNOWN_SLOW } from './known-defects.js';
import { makeEngines, testPairs } from './material.js';
import { defaultPairs } from '../../src/fuzz/material.js';
import { openKernelOn } from '../../src/kernel/open.js';
import { renderText } from '../../src/render/text.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';

const GARBAGE_TASK_WALK =
  'a damaged 2nd bitmap made every page read return another page and sys/ps walked garbage task lists for 10-30 s (fixed: list links checked next->prev == node, candidates must look like a task_struct, walks bounded by pid_max and the dump size)';

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
  {
    seed: 20261127,
    index: 12,
    dump: 'k612-sysrq-c/kdump-zlib',
    target: 'metadata',
    description:
      'kdump header: u32@74=0x7fffffff fill@76x1=0; kdump 2nd bitmap: add32@59128-6 u64@59104=0xfffffffffffff000',
    was: GARBAGE_TASK_WALK,
  },
  {
    seed: 100,
    index: 164,
    dump: 'sample',
    target: 'metadata',
    description:
      'kdump 2nd bitmap: u64@25587=0xfffffffffffff000 flip@25702.3 u8@25654=217 u32@25623=0x8c455bec; kdump header: flip@176.2 u32@283=0x7fff u64@339=0x20000000000000 fill@279x22=0',
    was: GARBAGE_TASK_WALK,
  },
  {
    seed: 100,
    index: 611,
    dump: 'sample',
    target: 'metadata',
    description: 'kdump 2nd bitmap: u64@27806=0xfffffffffffff000 copy@27890->27846x16 flip@27853.6 flip@27936.3',
    was: GARBAGE_TASK_WALK,
  },
  {
    seed: 100,
    index: 1384,
    dump: 'sample',
    target: 'metadata',
    description: 'kdump 2nd bitmap: fill@25489x11=255 add32@25463-4 u64@25479=0xffffffff fill@25505x1=0',
    was: GARBAGE_TASK_WALK,
  },
  {
    seed: 100,
    index: 792,
    dump: 'k61-sysrq-c/kdump-zlib',
    target: 'metadata',
    description: 'kdump 2nd bitmap: u64@57724=0x0 u32@57788=0x10 u32@57848=0x809a658b',
    was: GARBAGE_TASK_WALK,
  },
  {
    seed: 100,
    index: 1260,
    dump: 'k61-sysrq-c/kdump-zlib',
    target: 'metadata',
    description: 'kdump 2nd bitmap: u8@54491=69 copy@54528->54557x13',
    was: GARBAGE_TASK_WALK,
  },
  {
    seed: 100,
    index: 1536,
    dump: 'k61-sysrq-c/kdump-zlib',
    target: 'metadata',
    description: 'kdump 2nd bitmap: u32@59761=0x82c238e7 add32@59745-6 u64@59741=0x0 add32@59765-12',
    was: GARBAGE_TASK_WALK,
  },
  {
    seed: 100,
    index: 1425,
    dump: 'k61-sysrq-c/flat-zlib',
    target: 'vmlinux',
    description: 'vmlinux .notes: u32@23298072=0x7fffffff fill@23297933x31=0',
    was: 'took 11 s once in a long run, right after a hung worker was replaced (0.3-0.4 s in-process before and after the task-walk fixes): kept as a time-bound guard',
  },
  {
    seed: 100,
    index: 33377,
    dump: 'k61-sysrq-c-elf/elf-d31',
    target: 'metadata',
    description: 'ELF header: u64@52=0x5c7bd34816cd3243 copy@52->57x4',
    was: 'hung 30 s: trailing NULs of a megabytes-long garbage note were stripped with /\\0+$/, quadratic in V8 (fixed: trimNulText in src/elf/notes.ts); then took 20 s and grew the process by 340 MB: thousands of garbage program headers each named a 100 MB note area, read whole every time (fixed: each area once, 16 MiB of notes in all, header tables of odd entry size read entry by entry)',
  },
];

let engines: Awaited<ReturnType<typeof makeEngines>>;
beforeAll(async () => {
  if (!corpusAvailable) return;
  // the test material plus any other dump a regression was found on (k61 kdump-zlib)
  const pairs = await testPairs();
  const wanted = new Set(REGRESSIONS.map((r) => r.dump));
  for (const p of defaultPairs()) if (wanted.has(p.name) && !pairs.some((q) => q.name === p.name)) pairs.push(p);
  engines = await makeEngines(pairs, 8000);
}, 180_000);
afterAll(() => engines?.full.close());

describe.runIf(corpusAvailable)('fuzz regressions', () => {
  for (const r of REGRESSIONS) {
    it(`seed ${r.seed} case ${r.index} (${r.target} on ${r.dump}): ${r.was}`, async () => {
      const e = new FuzzEngine(engines.material, engines.full.commands, {
        timeBoundMs: 8000,
        dumps: [r.dump],
        targets: [r.target],
      });
      expect(e.plan(r.seed, r.index).mutant.description).toBe(r.description);
      const result = await e.runCase(r.seed, r.index);
      expect(result.defects).toEqual([]);
      e.close();
    }, 60_000);
  }
  it('ps on a dump whose task lists hold garbage says how many addresses it skipped', async () => {
    const [seed, index, dump] = [20261127, 12, 'k612-sysrq-c/kdump-zlib'];
    const e = new FuzzEngine(engines.material, engines.full.commands, {
      timeBoundMs: 8000,
      dumps: [dump],
      targets: ['metadata'],
    });
    const d = engines.material.dumps.find((x) => x.name === dump)!;
    const k = openKernelOn(d.vmlinux.path, d.path, d.vmlinux.elf, e.plan(seed, index).mutant.openDump(), {
      symbols: d.vmlinux.symbols,
      loadTypes: () => d.vmlinux.types,
    });
    const ps = engines.registry.get('ps')!;
    const text = renderText(await ps.run(new Session(k), parseArgs([], ps.options)));
    // how many garbage addresses there are depends on how many routes the task walk follows (7 before the
    // thread lists were walked from each task's own link, 8 after): that it counts and names them is the point
    expect(text).toMatch(
      /^ps: [1-9]\d* addresses on the task lists did not look like a task_struct \(damaged dump\): skipped$/m,
    );
    // the readable tasks are still listed: pid 1 is systemd's ancestor in every corpus dump
    expect(text).toMatch(/^\s*>?\s+1\s+0\s+\d+\s+[0-9a-f]{16}\s+\w\w\s+[\d.]+\s+\d+\s+\d+\s+\S+/m);
    e.close();
  }, 60_000);
  for (const k of KNOWN_SLOW)
    it.todo(`known defect, seed ${k.seed} case ${k.index} (${k.target} on ${k.dump}): ${k.what}`);
});
