/**
 * Explain mode: `CMD --explain` and `set explain on` add `# ` notes beside what matters in sys, bt, ps and log,
 * and what the command read; the command's own lines stay exactly as without it, and JSON is unchanged.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { learnerOn } from './learner.js';

const DIR = join(import.meta.dirname, '..', '..', 'sample-dumps');
const sample = JSON.parse(readFileSync(join(DIR, 'sample.json'), 'utf8')) as {
  files: { vmlinux: string; vmcore: string };
  panic: { pid: number };
  workload: { pid: number; role: string }[];
};
const have = existsSync(join(DIR, sample.files.vmcore));
let k: Kernel;
beforeAll(() => {
  if (have) k = openKernelSync(join(DIR, sample.files.vmlinux), join(DIR, sample.files.vmcore));
});

const notes = (out: string) => out.split('\n').filter((l) => l.startsWith('# '));
const plain = (out: string) =>
  out
    .split('\n')
    .filter((l) => !l.startsWith('# '))
    .join('\n');
/** the note right below the first line matching re */
const noteAfter = (out: string, re: RegExp): string | undefined => {
  const lines = out.split('\n');
  const i = lines.findIndex((l) => re.test(l));
  return i >= 0 && lines[i + 1]?.startsWith('# ') ? lines[i + 1] : undefined;
};

describe.skipIf(!have)('explain mode on the bundled sample', () => {
  it('adds notes to sys, bt, ps and log without changing their lines', async () => {
    const me = await learnerOn(k);
    for (const cmd of ['sys', 'bt', 'ps', 'log']) {
      const bare = await me.type(cmd);
      const explained = await me.type(`${cmd} --explain`);
      expect(notes(bare), cmd).toEqual([]);
      expect(plain(explained), cmd).toBe(bare);
      expect(notes(explained).length, cmd).toBeGreaterThan(1);
      expect(explained.trimEnd().split('\n').pop(), cmd).toMatch(/^# read: /);
    }
  });

  it('says what matters where it is: [PARTIAL DUMP], the panic frame, .cold, user registers, states, the > mark', async () => {
    const me = await learnerOn(k);
    expect(noteAfter(await me.type('sys --explain'), /DUMPFILE: .*\[PARTIAL DUMP\]/)).toMatch(
      /makedumpfile left pages out/,
    );
    const bt = await me.type('bt --explain');
    expect(noteAfter(bt, /^ #\d+ \[\w+\] panic at /)).toMatch(/panic\(\) was called here/);
    expect(noteAfter(bt, /\.cold at /)).toMatch(/rarely run part/);
    expect(noteAfter(bt, /CS: 0033/)).toMatch(/user mode/);
    expect(bt).toMatch(/# read: .*ORC/);
    const ps = await me.type('ps --explain');
    const pid = (role: string) => sample.workload.find((w) => w.role === role)!.pid;
    expect(noteAfter(ps, new RegExp(`^\\s+${pid('zombie')}\\s.*ZO`))).toMatch(/zombie/);
    expect(noteAfter(ps, new RegExp(`^\\s+${pid('stopped')}\\s.*ST`))).toMatch(/stopped/);
    expect(noteAfter(ps, new RegExp(`^\\s+${pid('vfork-parent')}\\s.*UN`))).toMatch(/uninterruptible/);
    expect(noteAfter(ps, /^>/)).toMatch(/on a CPU when the dump was taken/);
    expect(ps).toMatch(/# read: .*task_struct\.pid/);
    expect(noteAfter(await me.type('log --explain'), /Kernel panic - not syncing/)).toMatch(/panic\(\)/);
  });

  it('set explain on does it for every command until set explain off; JSON has no notes', async () => {
    const me = await learnerOn(k);
    expect(await me.type('set explain on')).toBe('explain: on\n');
    expect(notes(await me.type('sys')).length).toBeGreaterThan(1);
    expect(await me.type('set -v')).toMatch(/explain: on/);
    await me.type('set output json');
    const json = await me.type('sys');
    expect((JSON.parse(json) as { panic: string }).panic).toMatch(/not syncing/);
    await me.type('set output text');
    await me.type('set explain off');
    expect(notes(await me.type('sys'))).toEqual([]);
  });
});

describe.skipIf(!have)('explain mode for vtop and vm', () => {
  it('notes the walk (a 2 MiB page of the direct map) and the anonymous mappings', async () => {
    const me = await learnerOn(k);
    const task = (await me.tour.facts.get('panic.task'))!;
    const vtop = await me.type(`vtop ${task} --explain`);
    expect(noteAfter(vtop, /^PGD DIRECTORY: /)).toMatch(/top page table/);
    expect(noteAfter(vtop, /^VIRTUAL\s+PHYSICAL/)).toMatch(/physical address it maps to/);
    expect(vtop).toMatch(/# read: the page tables/);
    const vm = await me.type(`vm ${sample.panic.pid} --explain`);
    expect(noteAfter(vm, /^\s+VMA\s+START/)).toMatch(/vm_area_struct/);
    expect(noteAfter(vm, /^[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s+[0-9a-f]+\s*$/)).toMatch(/anonymous memory/);
  });
});

describe.skipIf(!have)('explain mode, asked of a command without explanations', () => {
  it('says so in one note instead of nothing', async () => {
    const me = await learnerOn(k);
    const out = await me.type('mach --explain');
    expect(notes(out)).toEqual(['# no explanations for mach yet (bt, log, mod, ps, sys, vm, vtop have them)']);
    expect(notes(await me.type('set explain on'))).toEqual([]);
    expect(notes(await me.type('mach'))).toEqual([]);
  });
});
