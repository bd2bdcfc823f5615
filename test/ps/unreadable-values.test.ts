/**
 * A value ps could not read is never shown as a plausible 0: when a process's mm_struct, or a task's
 * saved stack pointer, lie on a page the dump lacks, ps says so. The bundled sample dump is opened
 * through a layer that makes one page excluded: the page of init's mm_struct (VSZ/RSS), or the page of
 * init's task_struct holding thread.sp (ps -s).
 */
import { describe, expect, it } from 'vitest';
import psCommand from '../../commands/ps.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { allTasks } from '../../src/kernel/objects/tasks.js';
import { renderJson } from '../../src/render/json.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { sampleKernels } from '../badinput/excluded-page.js';

const sample = sampleKernels();
const k0 = sample.base;
const withoutPageOf = sample.without;

const ps = (k: Kernel, argv: string[]): View =>
  psCommand.run(new Session(k), parseArgs(argv, psCommand.options)) as View;

describe('ps: unreadable values say so', () => {
  it('VSZ and RSS of a process whose mm_struct is excluded: named after the table, null in JSON', () => {
    const init = allTasks(k0()).tasks.find((t) => t.pid === 1)!;
    const k = withoutPageOf(init.mm + BigInt(k0().offsetOf('struct mm_struct', 'total_vm')));
    const out = renderText(ps(k, ['1']));
    expect(out).toMatch(/^ps: VSZ and RSS of pid 1 are unreadable \(page excluded: .*\): shown as 0$/m);
    const rows = JSON.parse(renderJson(ps(k, ['1']))) as { pid: number; vszKb: unknown; rssKb: unknown }[];
    expect(rows.find((r) => r.pid === 1)).toMatchObject({ vszKb: null, rssKb: null });
    // a readable process keeps its numbers and no note
    expect(renderText(ps(k0(), ['1']))).not.toMatch(/unreadable/);
  });

  it('ps -s: a saved stack pointer on an excluded page reads "(unreadable)", not 0', () => {
    const init = allTasks(k0()).tasks.find((t) => t.pid === 1)!;
    // thread.sp lies a page above the fields that make init a readable task
    const at = init.address + BigInt(k0().offsetOf('struct task_struct', 'thread.sp'));
    const k = withoutPageOf(at);
    const line = renderText(ps(k, ['-s', '1']))
      .split('\n')
      .find((l) => /^.\s+1\s/.test(l));
    expect(line).toMatch(/^.\s+1\s+0\s+\d+\s+\(unreadable\)\s+\w\w\s/);
    expect(renderText(ps(k0(), ['-s', '1']))).not.toMatch(/unreadable/);
  });
});
