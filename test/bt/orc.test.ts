/**
 * ORC tables of both corpus kernels (6.1: the old layout with an `end` bit; 6.12: the 6.4+ layout
 * named by .orc_header), plus the layout decoding on hand-made entries.
 */
import { describe, expect, it } from 'vitest';
import { ElfFile } from '../../src/elf/index.js';
import { ORC_REG, OrcTable, orcVersion } from '../../src/kernel/arch/x86_64/orc.js';
import { caseNames, caseInfo, describeCorpus, vmlinuxPlain } from '../helpers/corpus.js';

function table(entries: { ip: number; flags: number; sp: number }[], version: 1 | 3): OrcTable {
  const ip = Buffer.alloc(entries.length * 4);
  const un = Buffer.alloc(entries.length * 6);
  entries.forEach((e, i) => {
    ip.writeInt32LE(e.ip - 4 * i, 4 * i); // relative to the slot's own address (base 0)
    un.writeInt16LE(e.sp, 6 * i);
    un.writeUInt16LE(e.flags, 6 * i + 4);
  });
  return new OrcTable({ ipSectionAddr: 0x1000n, ip, unwind: un, osrelease: version === 1 ? '6.1.0' : '6.5.0' });
}

describe('ORC entry layouts', () => {
  it('decodes the 6.1 layout: type:2 then end:1, undefined/end from sp_reg', () => {
    const t = table(
      [
        { ip: 0x0, flags: 0x05, sp: 8 }, // sp_reg SP, CALL
        { ip: 0x10, flags: 0x105, sp: 0 }, // REGS
        { ip: 0x20, flags: 0x400, sp: 0 }, // sp_reg undefined + end
        { ip: 0x30, flags: 0x000, sp: 0 }, // terminator
      ],
      1,
    );
    expect(t.version).toBe(1);
    expect(t.find(0x1000n)).toMatchObject({ type: 'call', spReg: ORC_REG.SP, spOffset: 8, signal: false });
    expect(t.find(0x1015n)).toMatchObject({ type: 'regs', signal: true });
    expect(t.find(0x1025n)?.type).toBe('end');
    expect(t.find(0x1035n)?.type).toBe('undefined');
    expect(t.find(0xfffn)).toBeUndefined();
  });

  it('decodes the 6.4+ layout: type:3 then signal:1', () => {
    const t = table(
      [
        { ip: 0x0, flags: 0x205, sp: 16 }, // CALL
        { ip: 0x10, flags: 0xb05, sp: 0 }, // REGS + signal
        { ip: 0x20, flags: 0x100, sp: 0 }, // END_OF_STACK
        { ip: 0x30, flags: 0x405, sp: 0 }, // REGS_PARTIAL
      ],
      3,
    );
    expect(t.find(0x1001n)).toMatchObject({ type: 'call', spOffset: 16 });
    expect(t.find(0x1010n)).toMatchObject({ type: 'regs', signal: true });
    expect(t.find(0x1020n)?.type).toBe('end');
    expect(t.find(0x1030n)?.type).toBe('regs-partial');
  });

  it('takes the layout from .orc_header, else from the release', () => {
    expect(orcVersion(Buffer.from('fe5d32bf581bd63b2ca9a5c65ba5a625eab3fe24', 'hex'), undefined)).toBe(3);
    expect(orcVersion(undefined, '6.1.0-56-cloud-amd64')).toBe(1);
    expect(orcVersion(undefined, '6.3.1')).toBe(2);
    expect(() => orcVersion(Buffer.alloc(20), '6.12.0')).toThrow(/unrecognized .orc_header/);
  });
});

describeCorpus('ORC tables of the corpus kernels', () => {
  const releases = new Map<string, string>();
  for (const c of caseNames()) releases.set(caseInfo(c).kernel_release, c);
  for (const [release, c] of releases) {
    it(`${release}: function entries are CALL with sp+8, syscall entry is the end of the stack`, async () => {
      const elf = ElfFile.open(await vmlinuxPlain(c));
      try {
        const sec = (n: string) => elf.section(n);
        const hdr = sec('.orc_header');
        const t = new OrcTable({
          ipSectionAddr: sec('.orc_unwind_ip')!.addr,
          ip: elf.readSection(sec('.orc_unwind_ip')!),
          unwind: elf.readSection(sec('.orc_unwind')!),
          header: hdr ? elf.readSection(hdr) : undefined,
          osrelease: release,
        });
        expect(t.version).toBe(release.startsWith('6.1.') ? 1 : 3);
        const syms = new Map(elf.symbols().map((s) => [s.name, s.value]));
        for (const fn of ['machine_kexec', '__schedule', 'panic', 'do_syscall_64', 'schedule']) {
          const addr = syms.get(fn);
          expect(addr, fn).toBeDefined();
          const e = t.find(addr!);
          expect(e, fn).toMatchObject({ type: 'call', spReg: ORC_REG.SP, spOffset: 8 });
        }
        // entry_SYSCALL_64 starts on the user stack: END_OF_STACK; after the pt_regs push: REGS
        expect(t.find(syms.get('entry_SYSCALL_64')!)?.type).toBe('end');
        expect(t.find(syms.get('entry_SYSCALL_64_after_hwframe')! + 0x60n)?.type).toBe('regs');
        // the table is sorted
        for (let i = 1; i < t.length; i += 997) expect(t.ipAt(i) >= t.ipAt(i - 1)).toBe(true);
      } finally {
        elf.close();
      }
    });
  }
});
