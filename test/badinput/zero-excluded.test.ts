/**
 * `set zero_excluded on|off` reaches the memory reader: with it on, a page the dump left out reads as
 * zeroes (physical and kernel virtual reads), as crash does; off again, the read fails with its one
 * line. On the bundled sample dump (always present): its first filtered-out page frame.
 */
import { describe, expect, it } from 'vitest';
import setCommand from '../../commands/set.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { built, cli, head, sampleVmcore, sampleVmlinux } from './fixtures.js';

/** The first page frame the sample's bitmaps say existed but was filtered out. */
function firstExcluded(): bigint {
  const h = head(sampleVmcore, 464);
  const bs = h.readInt32LE(428);
  const start = (1 + h.readInt32LE(432)) * bs;
  const half = (h.readUInt32LE(436) * bs) / 2;
  const maps = head(sampleVmcore, start + 2 * half);
  const bit = (base: number, p: number) => (maps[base + (p >> 3)]! >> (p & 7)) & 1;
  for (let p = 0; p < half * 8; p++) if (bit(start, p) && !bit(start + half, p)) return BigInt(p) * 4096n;
  throw new Error('the sample has no excluded page');
}

describe('set zero_excluded', () => {
  const paddr = firstExcluded();
  const hex = paddr.toString(16);

  it('reads an excluded page as zeroes while on, fails again when off (virtual and physical)', () => {
    const k = openKernelSync(sampleVmlinux, sampleVmcore);
    try {
      const session = new Session(k);
      const set = (v: string) => setCommand.run(session, parseArgs(['zero_excluded', v], setCommand.options));
      const pob = k.readU64(k.sym('page_offset_base'));
      const vaddr = pob + paddr;
      expect(() => k.read(vaddr, 16)).toThrow(/page excluded/);
      expect(() => k.mem.readPhys(paddr, 16)).toThrow(/excluded/);
      set('on');
      expect(session.settings.zeroExcluded).toBe(true);
      expect(k.read(vaddr, 16)).toEqual(Buffer.alloc(16));
      expect(k.mem.readPhys(paddr, 16)).toEqual(Buffer.alloc(16));
      set('off');
      expect(session.settings.zeroExcluded).toBe(false);
      expect(() => k.read(vaddr, 16)).toThrow(/page excluded/);
    } finally {
      k.dump.close();
      k.elf.close();
    }
  }, 60_000);

  it.runIf(built)(
    'in a session: rd -p shows zeroes only between on and off',
    () => {
      const r = cli(
        [sampleVmlinux, sampleVmcore],
        `rd -p ${hex}\nset zero_excluded on\nrd -p ${hex}\nset zero_excluded off\nrd -p ${hex}\n`,
      );
      const excludedLine = `rd: page excluded from the dump: physical address ${hex} (dump level 31)  type: "64-bit PHYSADDR"`;
      const lines = r.stdout.split('\n').filter((l) => l !== '');
      expect(lines).toEqual([
        excludedLine,
        'zero_excluded: on',
        `${hex.padStart(16)}:  0000000000000000                    ........`,
        'zero_excluded: off',
        excludedLine,
      ]);
    },
    60_000,
  );
});
