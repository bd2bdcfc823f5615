/**
 * QEMU dump-guest-memory output (not in the corpus; too big to ship). Point CRASH_TS_QEMU_DUMPS at a
 * directory holding `q.kdump-zlib` (dump-guest-memory format kdump-zlib: a flattened stream) and
 * `q.elf` (format elf) of the same paused guest; the test skips visibly otherwise. Made with:
 *   qemu-system-x86_64 -accel tcg -m 160M -smp 2 -kernel vmlinuz -append "console=ttyS0 panic=0" \
 *     -display none -qmp unix:qmp.sock,server=on,wait=off -device vmcoreinfo
 *   (once it panics) node scripts/qemu/qmp.mjs qmp.sock \
 *     '{"execute":"dump-guest-memory","arguments":{"paging":false,"protocol":"file:q.kdump-zlib","format":"kdump-zlib"}}'
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openDump } from '../../src/dump/open.js';
import { describeWithDumps, qemuDumpsDir } from '../helpers/made-dumps.js';

// where scripts/qemu/make-qemu-dumps.sh puts them (CI runs it), unless CRASH_TS_QEMU_DUMPS says otherwise
const dir = qemuDumpsDir;
const have = dir !== '' && existsSync(join(dir, 'q.kdump-zlib')) && existsSync(join(dir, 'q.elf'));

describeWithDumps(
  'QEMU dump-guest-memory files',
  have ? undefined : `no q.kdump-zlib and q.elf in ${dir}; run scripts/qemu/make-qemu-dumps.sh ${dir}`,
  () => {
    it('kdump-zlib (flattened) opens as a QEMU dump and matches the ELF dump page for page', () => {
      const kd = openDump(join(dir, 'q.kdump-zlib'));
      const elf = openDump(join(dir, 'q.elf'));
      try {
        expect(kd.meta.format).toBe('flattened');
        expect(kd.meta.producer).toBe('QEMU');
        expect(kd.meta.partial).toBe(false);
        expect(kd.notes.some((n) => n.name === 'QEMU')).toBe(true);
        expect(kd.cpus.map((c) => c.regs.rip)).toEqual(elf.cpus.map((c) => c.regs.rip));
        const present: bigint[] = [];
        const disagree: bigint[] = [];
        for (let pfn = 0n; pfn < kd.meta.maxPfn!; pfn++) {
          const p = kd.isPresent(pfn * 4096n);
          if (p !== elf.isPresent(pfn * 4096n)) disagree.push(pfn);
          if (p) present.push(pfn);
        }
        expect(disagree).toEqual([]);
        const step = Math.max(1, Math.floor(present.length / 1200));
        let compared = 0;
        for (let i = 0; i < present.length; i += step, compared++) {
          const paddr = present[i] * 4096n;
          if (!kd.readPhys(paddr, 4096).equals(elf.readPhys(paddr, 4096)))
            expect.fail(`page ${present[i].toString(16)} differs`);
        }
        expect(compared).toBeGreaterThanOrEqual(1000);
      } finally {
        kd.close();
        elf.close();
      }
    });
  },
);
