/**
 * rd -S / -SS: a word that points into a slab object is shown with its cache's name, found from the
 * object's struct page (PG_slab on 6.1, the page_type byte on 6.12) → struct slab → kmem_cache.name.
 * The caches are the kernel's own named ones (kernel/fork.c: "task_struct", "mm_struct", "signal_cache",
 * "files_cache"), so the answers are certain.
 */
import { expect, it } from 'vitest';
import rdCommand from '../../commands/rd.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { slabCacheOf } from '../../src/kernel/objects/slab.js';
import { allTasks } from '../../src/kernel/objects/tasks.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { describeCorpus, dumpPaths, vmlinuxPlain } from '../helpers/corpus.js';

const hex = (v: bigint) => v.toString(16);

for (const [name, file] of [
  ['k61-sysrq-c', 'vmcore.kdump-zlib'],
  ['k612-sysrq-c', 'vmcore.kdump-zlib-mdf179'],
] as const) {
  describeCorpus(`rd -S on ${name}/${file}`, () => {
    const open = async (): Promise<Kernel> =>
      openKernelSync(await vmlinuxPlain(name), (await dumpPaths(name)).find((d) => d.file === file)!.path);

    it('names the cache of task, mm, signal and files objects; nothing for kernel image or user addresses', async () => {
      const k = await open();
      try {
        const t = allTasks(k).panicTask!;
        const task = k.object('struct task_struct', t.address);
        expect(slabCacheOf(k, t.address)).toBe('task_struct');
        expect(slabCacheOf(k, t.address + 100n)).toBe('task_struct');
        expect(slabCacheOf(k, task.field('mm').value())).toBe('mm_struct');
        expect(slabCacheOf(k, task.field('signal').value())).toBe('signal_cache');
        expect(slabCacheOf(k, task.field('files').value())).toBe('files_cache');
        expect(slabCacheOf(k, k.sym('init_task'))).toBeUndefined();
        expect(slabCacheOf(k, 0x401000n)).toBeUndefined();
      } finally {
        k.dump.close();
      }
    });

    it('-S shows [cache] for such a word, -SS [value:cache]; -s does not', async () => {
      const k = await open();
      try {
        const t = allTasks(k).panicTask!;
        const slot = k.object('struct task_struct', t.address).field('real_parent');
        const parent = slot.value();
        const run = (flags: string[]) =>
          renderText(
            rdCommand.run(new Session(k), parseArgs([...flags, hex(slot.address)], rdCommand.options)) as View,
          );
        expect(run(['-S'])).toBe(`${hex(slot.address)}:  ${'[task_struct]'.padEnd(16)} \n`);
        expect(run(['-SS'])).toBe(`${hex(slot.address)}:  [${hex(parent)}:task_struct] \n`);
        expect(run(['-s'])).toBe(`${hex(slot.address)}:  ${parent.toString(16).padStart(16, '0')} \n`);
      } finally {
        k.dump.close();
      }
    });
  });
}
