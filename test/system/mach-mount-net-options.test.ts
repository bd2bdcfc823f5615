/**
 * mach -c, mount -f/-i and net -a on every corpus dump.
 * - mach -c: each CPU's cpuinfo_x86 says what the guest's console said at boot ("smpboot: CPU0: AMD QEMU
 *   Virtual CPU version 2.5+ (family: 0xf, model: 0x6b, stepping: 0x1)"), and cpu_index is the CPU's number;
 *   -x prints chars and bools as bare hex, as crash does.
 * - mount -f/-i: these kernels have neither super_block.s_files nor s_dirty: crash's two lines.
 * - net -a: the guests never resolved a neighbour (user-mode networking, no traffic): nothing, as crash;
 *   where the dump lost the hash table's page, one line naming it.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { arpCache } from '../../src/kernel/objects/arp.js';
import { caseDir, caseNames, describeCorpus, skipWhenNoCases } from '../helpers/corpus.js';
import { openFirstDump } from '../helpers/corpus-command.js';

skipWhenNoCases('mach -c, mount -f/-i, net -a on each corpus case');

for (const name of caseNames()) {
  describeCorpus(`mach -c, mount -f/-i, net -a on ${name}`, () => {
    const dump = openFirstDump(name);
    const run = dump.run;

    it('mach -c shows the CPU the console named at boot, on every online CPU', async () => {
      const serial = readFileSync(join(caseDir(name), 'serial-first-kernel.log'), 'latin1');
      const m = /smpboot: CPU0: \S+ (.*) \(family: 0x([0-9a-f]+), model: 0x([0-9a-f]+), stepping: 0x([0-9a-f]+)\)/.exec(
        serial,
      )!;
      const out = (await run('mach -c')).split('\n\n');
      expect(out.length).toBe(dump.k.onlineCpus.length);
      for (const cpu of dump.k.onlineCpus) {
        const block = out.find((b) => b.startsWith(`CPU ${cpu}:\nstruct cpuinfo_x86 {\n`))!;
        expect(block, `CPU ${cpu}`).toBeDefined();
        expect(block).toContain(`  x86_model_id = "${m[1]}\\000`);
        expect(block).toContain(`  x86 = ${parseInt(m[2]!, 16)} '`);
        expect(block).toContain(`  x86_model = ${parseInt(m[3]!, 16)} '`);
        expect(block).toContain(`  cpu_index = ${cpu},`);
      }
      const hex = await run('mach -c -x');
      expect(hex).toContain(`  x86 = 0x${m[2]},\n`);
      expect(hex).toContain(`  x86_stepping = 0x${m[4]},\n`);
    });

    it("mount -f and -i say the kernel has no such list, in crash's words", async () => {
      expect(await run('mount -f')).toBe(
        'mount: the super_block.s_files linked list does not exist in this kernel\n' +
          'mount: -f option not supported or applicable on this architecture or kernel\n',
      );
      expect(await run('mount -i')).toBe(
        'mount: the super_block.s_dirty linked list does not exist in this kernel\n' +
          'mount: -i option not supported or applicable on this architecture or kernel\n',
      );
    });

    it('net -a prints nothing for the empty neighbour cache, and reads it whole', async () => {
      let cache;
      try {
        cache = arpCache(dump.k);
      } catch (e) {
        // a dump that lost the hash table's page (makedumpfile 1.7.2 on 6.12): one line naming it
        expect(await run('net -a')).toBe(`net: ARP cache (arp_tbl) unreadable: ${(e as Error).message}\n`);
        expect((e as Error).message).toMatch(/page excluded/);
        return;
      }
      expect(cache.problems).toEqual([]);
      expect(cache.neighbours).toEqual([]);
      expect(await run('net -a')).toBe('');
    });
  });
}
