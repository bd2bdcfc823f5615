/**
 * The tour reads what the learner typed with the commands' own parsers: a task named by PID, address or name is
 * one answer, options count and other tasks do not; answers compare as numbers, addresses, tasks or text.
 * Progress goes to $XDG_STATE_HOME/crash-ts/tour.json and survives a new session.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { progressFile } from '../../src/tour/progress.js';
import { learnerOn } from './learner.js';

const DIR = join(import.meta.dirname, '..', '..', 'sample-dumps');
const sample = JSON.parse(readFileSync(join(DIR, 'sample.json'), 'utf8')) as {
  files: { vmlinux: string; vmcore: string };
  panic: { pid: number; comm: string };
};
const have = existsSync(join(DIR, sample.files.vmcore));
let k: Kernel;
beforeAll(() => {
  if (have) k = openKernelSync(join(DIR, sample.files.vmlinux), join(DIR, sample.files.vmcore));
});

describe('progress file', () => {
  it('is $XDG_STATE_HOME/crash-ts/tour.json, else ~/.local/state/crash-ts/tour.json', () => {
    expect(progressFile({ XDG_STATE_HOME: '/x/state' })).toBe('/x/state/crash-ts/tour.json');
    expect(progressFile({})).toMatch(/\/\.local\/state\/crash-ts\/tour\.json$/);
  });
});

describe.skipIf(!have)('checking what the learner typed (lesson 3, step 1: the panic task’s bt)', () => {
  it('takes bt, bt PID, bt COMM and bt 0xTASK; not bt 1, not ps', async () => {
    for (const line of ['bt', `bt ${sample.panic.pid}`, `bt ${sample.panic.comm}`]) {
      const me = await learnerOn(k);
      await me.type('tour 3');
      expect(await me.type(line), line).toContain('✓');
    }
    const me = await learnerOn(k);
    await me.type('tour 3');
    const task = (await me.tour.facts.get('panic.task'))!;
    expect(await me.type('bt 1')).toContain('✗ right command, but not quite');
    expect(await me.type('ps')).toContain('✗ not the command this step is after');
    expect(await me.type('help bt')).not.toMatch(/[✓✗]/); // looking things up is not a try
    expect(await me.type(`bt 0x${task}`)).toContain('✓');
    expect(me.tour.progress.marks['03-reading-a-backtrace']![0]).toBe('pass');
  });

  it('compares answers as tasks, numbers, addresses and text', async () => {
    const me = await learnerOn(k);
    await me.type('tour 2');
    await me.type('tour skip');
    expect(await me.type('answer 1')).toContain('✗ "1" is not it');
    expect(await me.type(`answer ${sample.panic.comm}`)).toContain('✓'); // a task by name
    expect(await me.type('answer SysRq Triggered Crash')).toContain('✓'); // text, any case
    const me2 = await learnerOn(k);
    await me2.type('tour 1');
    for (let i = 0; i < 4; i++) await me2.type('tour skip');
    const off = (await me2.tour.facts.get('kaslr.offset'))!;
    expect(await me2.type(`answer ${off.replace(/^0x/, '').toUpperCase()}`)).toContain('✓'); // an address, any form
  });

  it('keeps the place and the marks in the progress file, and a new session goes on from there', async () => {
    const me = await learnerOn(k);
    await me.type('tour 1');
    expect(await me.type('sys')).toContain('✓');
    const file = join(me.stateDir, 'crash-ts', 'tour.json');
    const saved = JSON.parse(readFileSync(file, 'utf8')) as {
      lesson: string;
      step: number;
      marks: Record<string, string[]>;
    };
    expect(saved.lesson).toBe('01-what-is-a-kdump');
    expect(saved.step).toBe(1);
    expect(saved.marks['01-what-is-a-kdump']![0]).toBe('pass');
    const again = await learnerOn(k, me.stateDir);
    const out = await again.type('tour');
    expect(out).toContain('Step 2 of 5');
    expect(out).not.toContain('Welcome');
    expect(await again.type('tour list')).toMatch(/ 1 What a kdump is.*✓·/);
  });

  it('tour show gives the line, tour back and skip move, tour stop stops watching', async () => {
    const me = await learnerOn(k);
    await me.type('tour 3');
    expect(await me.type('tour show')).toContain('type: bt');
    expect(await me.type('tour skip')).toContain('Step 2 of 4');
    expect(await me.type('tour back')).toContain('Step 1 of 4');
    expect(me.session.settings.explain).toBe(true);
    expect(await me.type('tour stop')).toContain('tour stopped');
    expect(me.session.settings.explain).toBe(false);
    expect(await me.type('bt')).not.toMatch(/[✓✗]/);
  });

  it('tour load adds a teacher’s lesson, and a broken file is one line naming the field', async () => {
    const me = await learnerOn(k);
    const good = join(me.stateDir, 'my-lesson.json');
    writeFileSync(
      good,
      JSON.stringify({
        title: 'Who is init?',
        steps: [
          { say: ['Show PID 1'], expect: { command: 'ps', args: ['1'] }, hint: 'ps takes a PID', solution: 'ps 1' },
        ],
      }),
    );
    const out = await me.type(`tour load ${good}`);
    expect(out).toMatch(/loaded lesson (\d+): Who is init\? \(1 steps\); tour \1 starts it/);
    const n = /loaded lesson (\d+)/.exec(out)![1]!;
    expect(await me.type(`tour ${n}`)).toContain('Show PID 1');
    expect(await me.type('ps 2')).toContain('✗');
    expect(await me.type('ps 1')).toContain('✓');
    const bad = join(me.stateDir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ title: 'x', steps: [{ say: ['a'], hint: 'h', solution: 's' }] }));
    expect((await me.type(`tour load ${bad}`)).trim()).toBe(
      'tour: bad.json: steps[0]: give either "expect" (a command) or "ask" (a question)',
    );
  });
});
