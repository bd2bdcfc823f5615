/**
 * The next views the commands declare for the terminal UI, on the bundled sample dump: ps rows → bt of the task,
 * ps as a process tree with threads under their leader, bt frame lines → bt --frame, a frame's words → struct of
 * the slab object they point to, struct pointer members → struct of their target. Text output stays crash's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import btCommand from '../../commands/bt.js';
import psCommand from '../../commands/ps.js';
import structCommand from '../../commands/struct.js';
import type { Command } from '../../src/command.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { fillAction, type TableView, type TextView, type View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { layout, sortColumns, sortedOrder, tableTree } from '../../src/ui/live/items.js';
import { viewRunner } from '../../src/ui/live/run-line.js';
import { loadRegistry } from '../../commands/index.js';

const DIR = join(import.meta.dirname, '..', '..', 'sample-dumps');
const sampleJson = join(DIR, 'sample.json');
const have = existsSync(sampleJson) && existsSync(join(DIR, 'vmcore'));
if (!have) console.warn('no bundled sample dump: skipping the live-view tests on it');

interface Sample {
  files: { vmlinux: string; vmcore: string };
  workload: { pid: number; ppid: number; comm: string }[];
  workload_threads: { tgid: number; pid: number; comm: string }[];
}

describe.skipIf(!have)('live views on the bundled sample', () => {
  let k: Kernel;
  let sample: Sample;
  const run = async (cmd: Command, argv: string[]): Promise<View> =>
    (await cmd.run(new Session(k), parseArgs(argv, cmd.options))) as View;
  let ps: TableView;
  const rowOf = (comm: string) => ps.rows.find((r) => r.comm === comm)!;

  beforeAll(async () => {
    sample = JSON.parse(readFileSync(sampleJson, 'utf8')) as Sample;
    k = openKernelSync(join(DIR, sample.files.vmlinux), join(DIR, sample.files.vmcore));
    ps = (await run(psCommand, [])) as TableView;
  }, 120_000);

  it('a ps row opens bt of its task; the tree puts threads under their leader', () => {
    const sleeper = rowOf('ct-sleeper');
    expect(fillAction(ps.rowAction, sleeper)).toBe(`bt 0x${(sleeper.task as bigint).toString(16)}`);
    const forest = tableTree(ps);
    const all = layout(ps, { sort: -1, desc: false, filter: '', folded: new Set(), asTree: true, plain: false });
    const labelOf = (comm: string) => all.items.findIndex((it) => it.text.endsWith(` ${comm}`));
    // every workload process is under its parent (sample.json: what /proc said before the crash)
    for (const w of sample.workload) {
      const at = labelOf(w.comm);
      expect(at, w.comm).toBeGreaterThan(0);
      const depth = all.items[at]!.prefix!.length;
      let p = at - 1;
      while (all.items[p]!.prefix!.length >= depth) p--;
      expect(all.items[p]!.text, `parent of ${w.comm}`).toMatch(new RegExp(`^\\S*\\s*${w.ppid}\\s`));
    }
    // the threads of each thread group under a "N threads" node of its leader
    const byTgid = new Map<number, string[]>();
    for (const t of sample.workload_threads)
      if (t.pid !== t.tgid) byTgid.set(t.tgid, [...(byTgid.get(t.tgid) ?? []), t.comm]);
    expect(byTgid.size).toBeGreaterThan(0);
    for (const [tgid, comms] of byTgid) {
      const group = forest.groups.find((g) => g.children.every((c) => ps.rows[c.data as number]!.tgid === tgid));
      expect(group?.label, `threads of ${tgid}`).toBe(`${comms.length} threads`);
      expect(group!.children.map((c) => ps.rows[c.data as number]!.comm).sort()).toEqual([...comms].sort());
    }
  });

  it('bt frame lines open that frame’s words; the words name what they point to and open it', async () => {
    const sleeper = rowOf('ct-sleeper');
    const task = `0x${(sleeper.task as bigint).toString(16)}`;
    const bt = (await run(btCommand, [task])) as TextView;
    const frames = bt.lines.map((l, i) => [l, bt.lineActions?.[i]] as const).filter(([l]) => /^\s*#\d+ \[/.test(l));
    expect(frames.length).toBeGreaterThan(2);
    for (const [l, a] of frames) expect(a).toBe(`bt --frame ${/#(\d+)/.exec(l)![1]} ${task}`);
    expect(bt.lineActions![0]).toBeUndefined(); // the PID: line
    // some frame of a sleeping task holds its own task_struct pointer: a slab object of task_struct
    let found = false;
    for (const [, a] of frames) {
      const words = (await run(btCommand, a!.split(' ').slice(1))) as TableView;
      expect(words.before![0]).toMatch(/^#\d+ \[[0-9a-f]{16}\] \S+ at [0-9a-f]{16}$/);
      for (const r of words.rows)
        if (r.value === sleeper.task) {
          expect(r.what).toBe('[task_struct]');
          expect(fillAction(words.rowAction, r)).toBe(`struct task_struct ${task}`);
          found = true;
        }
    }
    expect(found).toBe(true);
  });

  it('struct pointer members open struct of their target', async () => {
    const sleeper = rowOf('ct-sleeper');
    const init = ps.rows.find((r) => r.pid === 1)!;
    const v = (await run(structCommand, ['task_struct', `0x${(sleeper.task as bigint).toString(16)}`])) as TextView;
    const action = (member: string) => v.lineActions![v.lines.findIndex((l) => l.startsWith(`  ${member} = `))];
    expect(action('real_parent')).toBe(`struct task_struct 0x${(init.task as bigint).toString(16)}`);
    expect(action('mm')).toMatch(/^struct mm_struct 0xffff[0-9a-f]+$/);
    expect(action('stack')).toMatch(/^rd -s 0xffff[0-9a-f]+ 8$/);
    // nested members are looked up in their own type: se.group_node.next is a list_head pointer
    const at = v.lines.findIndex((l) => l === '    group_node = {');
    expect(at).toBeGreaterThan(0);
    expect(v.lineActions![at + 1]).toMatch(/^struct list_head 0xffff[0-9a-f]+$/);
    expect(v.lineActions!.filter(Boolean).length).toBeGreaterThan(20);
  });

  it('kmem -s, mount, files, irq and net are tables whose rows open their object; runq lines open bt', async () => {
    const registry = await loadRegistry({ plugins: false });
    const session = new Session(k);
    const run = viewRunner(session, registry);
    const tables: [string, RegExp][] = [
      ['mount', /^struct mount 0xffff[0-9a-f]{12}$/],
      ['files 1', /^struct file 0xffff[0-9a-f]{12}$/],
      ['irq', /^struct irq_desc 0xffff[0-9a-f]{12}$/],
      ['net', /^struct net_device 0xffff[0-9a-f]{12}$/],
      ['kmem -s', /^kmem -S \S+$/],
    ];
    for (const [line, want] of tables) {
      const v = (await run(line)) as TableView;
      expect(v.kind, line).toBe('table');
      const actions = v.rows.map((r) => fillAction(v.rowAction, r)).filter((a): a is string => a !== undefined);
      expect(actions.length, `${line}: rows with a next view`).toBeGreaterThan(0);
      for (const a of actions) expect(a, line).toMatch(want);
      const next = await run(actions[0]!);
      expect(typeof next === 'string' ? next : 'a view', `${line} → ${actions[0]}`).toBe('a view');
      // the live view keeps the column header on top, one item per row, and sorts by every named column
      const shown = layout(v, { sort: -1, desc: false, filter: '', folded: new Set(), asTree: false, plain: false });
      expect(shown.header.at(-1), line).toMatch(/[A-Z]{2,}/);
      expect(shown.items.filter((it) => it.table).length, line).toBe(v.rows.length);
      expect(sortColumns(v).length, line).toBeGreaterThanOrEqual(3);
    }
    // kmem -s: a row opens its own cache; sorted by ALLOCATED the counts ascend
    const slabs = (await run('kmem -s')) as TableView;
    const task = slabs.rows.find((r) => r.name === 'task_struct')!;
    expect(fillAction(slabs.rowAction, task)).toBe('kmem -S task_struct');
    const col = slabs.columns.findIndex((c) => c.header === 'ALLOCATED');
    const counts = sortedOrder(slabs, col, false)
      .map((i) => slabs.rows[i]!.allocated)
      .filter((x): x is bigint => typeof x === 'bigint');
    expect(counts.length).toBeGreaterThan(50);
    for (let i = 1; i < counts.length; i++) expect(counts[i]! >= counts[i - 1]!).toBe(true);
    // runq is free text (CPU blocks, priority arrays): its task lines open bt
    const rq = (await run('runq')) as TextView;
    const acts = rq.lineActions?.filter((a): a is string => a !== undefined) ?? [];
    expect(acts.length).toBeGreaterThan(0);
    for (const a of acts) expect(a).toMatch(/^bt 0xffff[0-9a-f]{12}$/);
  }, 120_000);
});
