/**
 * Every lesson under lessons/, walked on the bundled sample by a scripted learner: at each step a wrong try
 * gets a ✗ and the step's hint (never the solution), and the step's solution — a line with the dump's own
 * facts filled in — gets a ✓. The facts the lessons check against are compared with sample.json, the guest's
 * own account of the crash, so a lesson cannot pass on a wrong fact.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { readLessonDir, type Lesson } from '../../src/tour/lesson.js';
import { defaultLessonDir } from '../../src/tour/tour.js';
import { learnerOn } from './learner.js';

const DIR = join(import.meta.dirname, '..', '..', 'sample-dumps');
const sample = JSON.parse(readFileSync(join(DIR, 'sample.json'), 'utf8')) as {
  files: { vmlinux: string; vmcore: string };
  kernel_release: string;
  kaslr_offset_runtime: string;
  runtime_symbols: Record<string, string>;
  panic: { pid: number; comm: string; cpu: number; message: string };
  workload: { pid: number; ppid: number; comm: string; role: string; nthreads: number }[];
};
const have = existsSync(join(DIR, sample.files.vmcore));
const lessons = readLessonDir(defaultLessonDir());

/** A command no lesson step asks for, and an answer no question has. */
const WRONG_COMMAND = 'ipcs';
const WRONG_ANSWER = 'answer 424242-not-it';

let k: Kernel;
beforeAll(() => {
  if (have) k = openKernelSync(join(DIR, sample.files.vmlinux), join(DIR, sample.files.vmcore));
});

describe('lessons/', () => {
  it('holds at least lessons 1-8, each valid, numbered by file name', () => {
    expect(lessons.length).toBeGreaterThanOrEqual(8);
    lessons.forEach((l, i) => expect(l.id.startsWith(String(i + 1).padStart(2, '0') + '-'), l.id).toBe(true));
  });

  it('asks only for commands that exist', async () => {
    const { loadRegistry } = await import('../../commands/index.js');
    const reg = await loadRegistry({ plugins: false });
    for (const l of lessons)
      for (const s of l.steps)
        for (const e of Array.isArray(s.expect) ? s.expect : s.expect ? [s.expect] : [])
          expect(reg.get(e.command), `${l.id}: ${e.command}`).toBeDefined();
  });
});

describe.skipIf(!have)('the tour on the bundled sample', () => {
  it('finds the facts sample.json records (what the guest reported before it crashed)', async () => {
    const { tour } = await learnerOn(k);
    const f = tour.facts;
    const role = (r: string) => sample.workload.find((w) => w.role === r)!;
    expect(await f.get('panic.pid')).toBe(String(sample.panic.pid));
    expect(await f.get('panic.comm')).toBe(sample.panic.comm);
    expect(await f.get('panic.cpu')).toBe(String(sample.panic.cpu));
    expect(sample.panic.message).toContain((await f.get('panic.reason'))!);
    expect(await f.get('release')).toBe(sample.kernel_release);
    expect(BigInt((await f.get('kaslr.offset'))!)).toBe(BigInt(sample.kaslr_offset_runtime));
    expect(await f.get('sym._text')).toBe(sample.runtime_symbols._text);
    expect(await f.get('state.ZO.pid')).toBe(String(role('zombie').pid));
    expect(await f.get('state.ZO.ppid')).toBe(String(role('zombie-parent').pid));
    expect(await f.get('state.ST.pid')).toBe(String(role('stopped').pid));
    expect(await f.get('state.UN.pid')).toBe(String(role('vfork-parent').pid));
    expect(await f.get('threads.tgid')).toBe(String(role('threaded').pid));
    expect(await f.get('threads.count')).toBe(String(role('threaded').nthreads));
    expect(await f.get('panic.caller')).toBe('sysrq_handle_crash');
    expect(await f.get('panic.syscall')).toBe('1'); // write(2) to /proc/sysrq-trigger
    expect(await f.get('oops.module')).toBeUndefined(); // a sysrq crash: no module faulted
  });

  for (const [i, lesson] of lessons.entries()) {
    it(`lesson ${i + 1} (${lesson.id}): a wrong try gets the hint, the right one a ✓`, async () => {
      const me = await learnerOn(k);
      const unmet = await unmetFacts(lesson, me.tour.facts);
      const start = await me.type(`tour ${i + 1}`);
      expect(start).toContain(`Lesson ${i + 1} of ${lessons.length}: ${lesson.title}`);
      if (unmet.length) {
        // a lesson this dump cannot run says so, and the learner can move on
        expect(start).toContain('This dump cannot run this lesson');
        expect(await me.type('tour skip')).toContain(`Lesson ${i + 2}`);
        return;
      }
      for (const [j, step] of lesson.steps.entries()) {
        const hint = await me.tour.facts.fill(step.hint);
        const solution = await me.tour.facts.fill(step.solution);
        const wrong = await me.type(step.ask ? WRONG_ANSWER : WRONG_COMMAND);
        expect(wrong, `step ${j + 1}: wrong try`).toContain('✗');
        expect(wrong).toContain(`hint: ${hint}`);
        expect(wrong).not.toContain(`type: ${solution}`); // the hint, never the answer
        const right = await me.type(solution);
        expect(right, `step ${j + 1}: ${solution}`).toContain('✓');
        expect(right).not.toContain('✗');
      }
      const marks = me.tour.progress.marks[lesson.id]!;
      expect(marks.every((m) => m === 'pass')).toBe(true);
    });
  }
});

async function unmetFacts(l: Lesson, facts: { get(n: string): Promise<string | undefined> }): Promise<string[]> {
  const out: string[] = [];
  for (const f of l.needs?.facts ?? []) if ((await facts.get(f)) === undefined) out.push(f);
  return out;
}
