/**
 * With the full debug vmlinux (DWARF): every p, whatis, struct and list command crash 9 answered in the
 * corpus (golden/crash-9 and crash-9-ext) gives the same bytes, on every case of a cached debug kernel.
 * DWARF types the ordinary globals (jiffies, init_task, linux_banner, nr_cpu_ids); BTF still lays out
 * structs. Skips visibly when the debug vmlinux is not cached.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { caseDir, caseInfo, caseNames, dumpPaths, skipWhenNoCases } from '../helpers/corpus.js';
import { describeDebugVmlinux } from '../dwarf/debug-vmlinux.js';
import { normalized, openSession, storedOutput, type Opened } from './session.js';

const MINE = /^(struct|union|whatis|p |p\/|list|tree|search)/;

/** The commands of a dump's stored crash 9 sessions that are this module's. */
function storedCommands(name: string, dumpFile: string): string[] {
  const out: string[] = [];
  for (const sub of ['crash-9', 'crash-9-ext']) {
    const idx = join(caseDir(name), 'golden', sub, dumpFile, 'index.json');
    if (!existsSync(idx)) continue;
    for (const c of (JSON.parse(readFileSync(idx, 'utf8')) as { commands: { cmd: string }[] }).commands)
      if (MINE.test(c.cmd) && !out.includes(c.cmd)) out.push(c.cmd);
  }
  return out;
}

skipWhenNoCases('p, whatis, struct with DWARF');
for (const name of caseNames()) {
  const release = caseInfo(name).kernel_release;
  describeDebugVmlinux(`p, whatis, struct with DWARF: ${name}`, release, (vmlinux) => {
    let o: Opened;
    let dumpFile: string;
    beforeAll(async () => {
      const dumps = await dumpPaths(name);
      const d =
        dumps.find((x) => x.file === 'vmcore.kdump-zlib' && !x.dump.unreadable_tasks?.length) ??
        dumps.find((x) => !x.dump.unreadable_tasks?.length) ??
        dumps[0]!;
      dumpFile = d.file;
      o = await openSession(vmlinux, d.path);
    }, 300_000);

    it('equals crash 9 on every stored p, whatis, struct and list command', async () => {
      const cmds = storedCommands(name, dumpFile);
      let compared = 0;
      for (const cmd of cmds) {
        const want = storedOutput(name, dumpFile, cmd);
        if (want === undefined) continue;
        expect(normalized(await o.run(cmd)), cmd).toBe(normalized(want));
        compared++;
      }
      expect(compared).toBeGreaterThanOrEqual(10);
    }, 300_000);

    it('types ordinary globals from DWARF: jiffies, init_task, linux_banner', async () => {
      expect(o.k.debugInfo).toBeDefined();
      expect(await o.run('whatis jiffies')).toBe('volatile unsigned long jiffies;\n');
      expect(await o.run('whatis init_task')).toBe('struct task_struct init_task;\n');
      const jiffies = o.k.readU64(o.k.sym('jiffies'));
      expect(normalized(await o.run('p jiffies'))).toBe(`jiffies = $N = ${jiffies}`);
      expect(normalized(await o.run('p init_task.comm'))).toBe('$N = "swapper/0\\000\\000\\000\\000\\000\\000"');
      // a pointer to an array (gdb's `char (*)[16]`), and `*` of it the array itself
      const comm = o.k.sym('init_task') + BigInt(o.k.offsetOf('struct task_struct', 'comm'));
      expect(await o.run('p (char (*)[16])&init_task.comm')).toMatch(
        new RegExp(`^\\$\\d+ = \\(char \\(\\*\\)\\[16\\]\\) 0x${comm.toString(16)} <init_task\\+\\d+>\n$`),
      );
      expect(normalized(await o.run('p *(char (*)[16])&init_task.comm'))).toBe(
        '$N = "swapper/0\\000\\000\\000\\000\\000\\000"',
      );
      expect(normalized(await o.run('p (*(char (*)[16])&init_task.comm)[1]'))).toBe("$N = 119 'w'");
      const banner = await o.run('p linux_banner');
      expect(banner).toMatch(
        new RegExp(
          `^linux_banner = \\$\\d+ = 0x${o.k.sym('linux_banner').toString(16)} <linux_banner> "Linux version ${release.replace(/[.+]/g, '\\$&')} `,
        ),
      );
    }, 120_000);

    it('linux_proc_banner: sized as crash 9 shows it (its defining unit is the first to name it)', async () => {
      // crash 9 on 6.1 / 6.12: const char linux_proc_banner[133] / [150], and p the string alone
      const p = normalized(await o.run('p linux_proc_banner'));
      const m = /^linux_proc_banner = \$N = "(%s version %s \(.*\) %s\\n)"$/.exec(p);
      expect(m, p).not.toBeNull();
      const text = m![1]!.replace(/\\n/g, '\n');
      expect(o.k.read(o.k.sym('linux_proc_banner'), text.length).toString('latin1')).toBe(text);
      expect(await o.run('whatis linux_proc_banner')).toBe(`const char linux_proc_banner[${text.length + 1}];\n`);
      expect(await o.run('whatis linux_banner')).toBe('const char linux_banner[];\n');
    }, 120_000);
  });
}
