/**
 * list, tree and search on the corpus dumps, checked against what the dumps hold: the task list walked
 * by `list` is the kernel's own (every pid of case.json's snapshot that is still alive appears), crash 9's
 * stored `list` output byte for byte, trees whose entries each point back into the tree, and search
 * matches that rd confirms, each once.
 */
import { beforeAll, expect, it } from 'vitest';
import { allTasks, findTaskByPid } from '../../src/kernel/objects/tasks.js';
import { vmaAddresses } from '../../src/kernel/objects/mm.js';
import { caseNames, describeCorpus, dumpPaths, skipWhenNoCases, vmlinuxPlain } from '../helpers/corpus.js';
import { normalized, openSession, storedOutput, type Opened } from './session.js';

skipWhenNoCases('list, tree, search');
for (const name of caseNames()) {
  describeCorpus(`list, tree, search: ${name}`, () => {
    let o: Opened;
    let dumpFile: string;
    let complete: boolean;
    beforeAll(async () => {
      const dumps = await dumpPaths(name);
      // a dump with every task readable first (the 1.7.2 dump of 6.12 lacks four)
      const d = dumps.find((x) => !x.dump.unreadable_tasks?.length) ?? dumps[0]!;
      dumpFile = d.file;
      complete = !d.dump.unreadable_tasks?.length;
      o = await openSession(await vmlinuxPlain(name), d.path);
    }, 120_000);

    it('list -h walks the task list: the same tasks as the kernel model, crash 9 byte for byte', async () => {
      const init = o.k.sym('init_task').toString(16);
      const cmd = `list task_struct.tasks -s task_struct.pid -h ${init}`;
      const out = await o.run(cmd);
      const addrs = out.split('\n').filter((l) => /^[0-9a-f]{16}$/.test(l));
      const pids = [...out.matchAll(/^ {2}pid = (\d+),$/gm)].map((m) => Number(m[1]));
      expect(addrs[0]).toBe(init);
      expect(pids[0]).toBe(0);
      expect(pids).toContain(1);
      if (complete) {
        // the task list links thread-group leaders; the idle tasks of other CPUs are not on it
        const leaders = allTasks(o.k)
          .tasks.filter((t) => t.pid === t.tgid && t.pid !== 0)
          .map((t) => t.pid);
        expect(new Set(pids.filter((p) => p !== 0))).toEqual(new Set(leaders));
      }
      const want = storedOutput(name, dumpFile, cmd);
      if (want !== undefined) expect(normalized(out)).toBe(normalized(want));
      // -H from the list head itself gives the same entries without init_task; -r the reverse order
      const head = (o.k.sym('init_task') + BigInt(o.k.offsetOf('struct task_struct', 'tasks'))).toString(16);
      const h = (await o.run(`list -o task_struct.tasks -H ${head}`)).trimEnd().split('\n');
      expect(h).toEqual(addrs.slice(1));
      const r = (await o.run(`list task_struct.tasks -r -H ${head}`)).trimEnd().split('\n');
      expect(r).toEqual(addrs.slice(1).reverse());
    });

    it('tree -t rbtree: each free vmap_area once, in-order by address with -l', async () => {
      const out = await o.run('tree -t rbtree -l -o vmap_area.rb_node -s vmap_area.va_start free_vmap_area_root');
      const starts = [...out.matchAll(/^ {2}va_start = (\d+),$/gm)].map((m) => BigInt(m[1]!));
      expect(starts.length).toBeGreaterThan(10);
      for (let i = 1; i < starts.length; i++) expect(starts[i]! > starts[i - 1]!).toBe(true);
      const pre = (await o.run('tree -t rbtree -o vmap_area.rb_node free_vmap_area_root')).trimEnd().split('\n');
      const lin = out.split('\n').filter((l) => /^[0-9a-f]{16}$/.test(l));
      expect([...pre].sort()).toEqual([...lin].sort());
      expect((await o.run('tree -t rbtree -p -o vmap_area.rb_node free_vmap_area_root')).split('\n')[1]).toBe(
        '  position: root',
      );
    });

    it('tree -t xarray: the pid IDR holds a struct pid for each live pid number', async () => {
      const idr = o.k.sym('init_pid_ns') + BigInt(o.k.offsetOf('struct pid_namespace', 'idr'));
      const out = await o.run(`tree -t xarray -p -s pid.level ${idr.toString(16)}`);
      const idx = [...out.matchAll(/^ {2}index: (\d+) {2}position: root\/[0-9/]+$/gm)].map((m) => Number(m[1]));
      expect(idx).toContain(1);
      expect(out).toMatch(/^ {2}level = 0,?$/m);
      for (let i = 1; i < idx.length; i++) expect(idx[i]! > idx[i - 1]!).toBe(true);
    });

    it('tree -t maple: the VMAs of pid 1, in hex (crash 9 prints maple entries in decimal)', async () => {
      const init = findTaskByPid(o.k, 1);
      if (!init || !o.k.hasMember('struct mm_struct', 'mm_mt')) return;
      const mm = o.k.object('struct task_struct', init.address).field('mm').value();
      const out = (await o.run(`tree -t maple -r mm_struct.mm_mt ${mm.toString(16)}`)).trimEnd().split('\n');
      expect(out.map((l) => BigInt('0x' + l))).toEqual(vmaAddresses(o.k, mm).vmas);
      expect(out.length).toBeGreaterThan(3);
    });

    it('search: every match holds the value, each address once (crash 9 repeats a range across two pages)', async () => {
      const init = o.k.sym('init_task');
      const out = await o.run(`search -s ${init.toString(16)} -l 4096 init_task`);
      const hits = [...out.matchAll(/^([0-9a-f]+): ([0-9a-f]+) \(init_task\)$/gm)].map((m) => BigInt('0x' + m[1]));
      expect(hits.length).toBeGreaterThan(0);
      expect(new Set(hits).size).toBe(hits.length);
      for (const h of hits) expect(o.k.readU64(h)).toBe(init);
      const str = await o.run('search -c swapper/0');
      const comm = init + BigInt(o.k.offsetOf('struct task_struct', 'comm'));
      expect(str).toContain(`${comm.toString(16)}: swapper/0`);
      const banner = await o.run('search -p -c "Linux version"');
      expect(banner.split('\n')[0]).toMatch(/^[0-9a-f]+: Linux version /);
    });
  });
}

describeCorpus('list on a dump that lost task pages (k612-sysrq-c, makedumpfile 1.7.2)', () => {
  it('prints what crash 9 printed, then names the page it could not read (crash 9 stops without a word)', async () => {
    const name = 'k612-sysrq-c';
    if (!caseNames().includes(name)) return;
    const d = (await dumpPaths(name)).find((x) => x.file === 'vmcore.kdump-zlib');
    if (!d) return;
    const o = await openSession(await vmlinuxPlain(name), d.path);
    const cmd = `list task_struct.tasks -s task_struct.pid -h ${o.k.sym('init_task').toString(16)}`;
    const out = (await o.run(cmd)).trimEnd().split('\n');
    const want = storedOutput(name, d.file, cmd);
    const last = out[out.length - 1]!;
    // the entry crash stopped at is one case.json lists as unreadable, and its pid's page is not in the file
    const stuck =
      /^list: entry ([0-9a-f]+): page excluded: kernel virtual address [0-9a-f]+ \(physical [0-9a-f]+\)$/.exec(last);
    expect(stuck).not.toBeNull();
    expect(d.dump.unreadable_tasks!.map((t) => t.task)).toContain('0x' + stuck![1]);
    expect(() => o.k.readU32(BigInt('0x' + stuck![1]) + BigInt(o.k.offsetOf('struct task_struct', 'pid')))).toThrow(
      /excluded/,
    );
    if (want !== undefined) expect(normalized(out.slice(0, -1).join('\n'))).toBe(normalized(want));
  }, 120_000);
});
