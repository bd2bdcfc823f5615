/**
 * ELF vmcores: the corpus's makedumpfile -E dump (checked against the kdump-zlib file of the same
 * crash, and against the kernel's own utsname found through VMCOREINFO), plus small synthetic cores
 * for what the corpus lacks (QEMU notes, reads across segments, truncation, cut notes).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { missesWholePage, openElfCore } from '../../src/dump/elfcore.js';
import { openKdump } from '../../src/dump/kdump.js';
import { DumpFormatError, PageError } from '../../src/dump/types.js';
import { ElfFile, PT_LOAD, PT_NOTE } from '../../src/elf/index.js';
import { caseInfo, describeCorpus, dumpPaths } from '../helpers/corpus.js';
import { buildElf, note } from '../../src/elf/build.js';
import { fileURLToPath } from 'node:url';

const CASE = 'k61-sysrq-c-elf';

async function paths(): Promise<{ elf: string; kdump: string }> {
  const d = await dumpPaths(CASE);
  return {
    elf: d.find((x) => x.dump.format === 'elf-d31')!.path,
    kdump: d.find((x) => x.dump.format === 'kdump-zlib')!.path,
  };
}

function pageError(fn: () => unknown): PageError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PageError) return e;
    throw e;
  }
  throw new Error('expected a PageError');
}

describeCorpus('ELF vmcore (makedumpfile -E -d 31)', () => {
  it('opens with its notes, VMCOREINFO and metadata', async () => {
    const { elf } = await paths();
    const d = openElfCore(elf);
    const release = caseInfo(CASE).kernel_release;
    expect(release).toBe('6.1.0-56-cloud-amd64');
    expect(d.vmcoreinfo).toContain(`OSRELEASE=${release}\n`);
    expect(d.cpus.length).toBe(2);
    expect(d.notes.filter((n) => n.name === 'CORE' && n.type === 1).length).toBe(2);
    expect(d.meta).toMatchObject({
      format: 'elf',
      partial: true,
      producer: 'makedumpfile',
      pageSize: 4096,
      warnings: [],
    });
    // the panic CPU's saved RIP is a kernel text address
    expect(d.cpus.some((c) => c.regs.rip >> 32n === 0xffffffffn)).toBe(true);
    d.close();
  });

  it('reads init_uts_ns.name.release at the physical address VMCOREINFO gives', async () => {
    const { elf } = await paths();
    const d = openElfCore(elf);
    const info = d.vmcoreinfo!;
    const get = (k: string) => new RegExp(`^${k.replace(/[()]/g, '\\$&')}=(.*)$`, 'm').exec(info)![1]!;
    const vaddr = BigInt('0x' + get('SYMBOL(init_uts_ns)')) + BigInt(get('OFFSET(uts_namespace.name)'));
    // x86_64 kernel image mapping: phys = vaddr - __START_KERNEL_map + phys_base (phys_base may be negative)
    const paddr = BigInt.asUintN(64, vaddr - 0xffffffff80000000n + BigInt(get('NUMBER(phys_base)')));
    expect(d.isPresent(paddr)).toBe(true);
    // struct new_utsname: six char[65] fields; release is the third
    const release = d
      .readPhys(paddr + 130n, 65)
      .toString('latin1')
      .replace(/\0.*$/s, '');
    expect(release).toBe(get('OSRELEASE'));
    expect(d.readPhys(paddr, 5).toString('latin1')).toBe('Linux');
    d.close();
  });

  it('pages present in both files are byte-identical to the kdump-zlib of the same crash', async () => {
    const { elf, kdump } = await paths();
    const d = openElfCore(elf);
    const k = openKdump(kdump);
    expect(d.cpus.map((c) => c.regs.rip)).toEqual(k.cpus.map((c) => c.regs.rip));
    const maxPfn = Number(k.meta.maxPfn);
    let compared = 0;
    for (let pfn = 1; pfn < maxPfn; pfn += 7) {
      const a = BigInt(pfn) * 4096n;
      if (!d.isPresent(a) || !k.isPresent(a)) continue;
      const mine = d.readPhys(a, 4096);
      if (!mine.equals(k.readPhys(a, 4096))) throw new Error(`page ${a.toString(16)} differs`);
      compared++;
    }
    expect(compared).toBeGreaterThanOrEqual(1000);
    d.close();
    k.close();
  }, 60_000);

  it('names filtered, absent and beyond-the-end addresses', async () => {
    const { elf } = await paths();
    const d = openElfCore(elf);
    const e = ElfFile.open(elf);
    const loads = e.programHeaders.filter((p) => p.type === PT_LOAD);
    const filtered = loads.find((p) => p.filesz === 0n && p.memsz > 0n)!;
    expect(filtered).toBeDefined();
    expect(pageError(() => d.readPhys(filtered.paddr + 0x1000n, 8)).reason).toBe('excluded');
    expect(d.isPresent(filtered.paddr)).toBe(false);
    const cut = loads.find((p) => p.filesz > 0n && p.filesz < p.memsz)!;
    // the last kept byte reads; one past it is filtered, and a read across the boundary fails there
    expect(d.readPhys(cut.paddr + cut.filesz - 1n, 1).length).toBe(1);
    const err = pageError(() => d.readPhys(cut.paddr + cut.filesz - 16n, 32));
    expect([err.reason, err.paddr]).toEqual(['excluded', cut.paddr + cut.filesz]);
    const top = loads.reduce((m, p) => (p.paddr + p.memsz > m ? p.paddr + p.memsz : m), 0n);
    expect(pageError(() => d.readPhys(top + 0x100000n, 8)).reason).toBe('not-present');
    expect(d.meta.maxPfn).toBe(top / 4096n);
    e.close();
    d.close();
  });
});

describe('ELF vmcore (synthetic)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'crash-ts-elfcore-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function prstatus(pid: number, rip: bigint): Buffer {
    const b = Buffer.alloc(336);
    b.writeInt32LE(pid, 32);
    b.writeBigUInt64LE(rip, 112 + 16 * 8); // pr_reg.rip
    return b;
  }

  function core(opts: { qemu?: boolean; damagedNote?: boolean; fileCut?: number; m2MemSize?: bigint }): string {
    const notes = Buffer.concat([
      note('CORE', 1, prstatus(100, 0xffffffff81001234n), true),
      ...(opts.qemu ? [note('QEMU', 0, Buffer.alloc(0x1b8), true)] : []),
      note('CORE', 1, prstatus(0, 0xffffffff81005678n), true),
      ...(opts.qemu ? [note('QEMU', 0, Buffer.alloc(0x1b8), true)] : []),
      note('VMCOREINFO', 0, Buffer.from('OSRELEASE=9.9.9\nPAGESIZE=4096\n'), true),
    ]);
    const mem1 = Buffer.alloc(0x2000, 0x11);
    const mem2 = Buffer.alloc(0x1000, 0x22);
    let b = buildElf({
      is64: true,
      le: true,
      type: 4,
      sections: [
        { name: 'n', type: 0, data: notes },
        { name: 'm1', type: 0, data: mem1 },
        { name: 'm2', type: 0, data: mem2 },
      ],
      phdrs: [
        { type: PT_NOTE, section: 'n' },
        // 0x100000..0x102000 then 0x102000..0x103000 directly after it: one read can span both
        { type: PT_LOAD, section: 'm1', paddr: 0x100000n },
        { type: PT_LOAD, section: 'm2', paddr: 0x102000n, memsz: opts.m2MemSize ?? 0x3000n },
      ],
    });
    if (opts.damagedNote) {
      // the second CORE note claims a descsz far past the end of the note segment
      const second = notes.indexOf(Buffer.from('CORE\0'), 20) - 12;
      b.writeUInt32LE(0x7fffff, b.indexOf(notes) + second + 4);
    }
    if (opts.fileCut !== undefined) b = b.subarray(0, b.length - opts.fileCut);
    const p = join(dir, `core-${Math.random().toString(36).slice(2)}`);
    writeFileSync(p, b);
    return p;
  }

  it('reads across adjacent segments and reports holes', () => {
    const d = openElfCore(core({}));
    expect(d.meta.format).toBe('elf');
    expect(d.meta.partial).toBe(true);
    expect(d.cpus.map((c) => [c.pid, c.regs.rip])).toEqual([
      [100, 0xffffffff81001234n],
      [0, 0xffffffff81005678n],
    ]);
    expect(d.vmcoreinfo).toBe('OSRELEASE=9.9.9\nPAGESIZE=4096\n');
    const span = d.readPhys(0x101ff0n, 0x20);
    expect([...span.subarray(0, 16)].every((x) => x === 0x11)).toBe(true);
    expect([...span.subarray(16)].every((x) => x === 0x22)).toBe(true);
    expect(pageError(() => d.readPhys(0x103000n, 1)).reason).toBe('excluded');
    expect(pageError(() => d.readPhys(0xfff00n, 0x200)).reason).toBe('not-present');
    expect(d.isPresent(0x102fffn)).toBe(true);
    expect(d.isPresent(0x103000n)).toBe(false);
    d.close();
  });

  it('a sub-page tail without file data (makedumpfile -E rounds RAM that ends mid-page) is not a partial dump', () => {
    // like 0x1000-0x9fc00 in a real -E -d 0 dump: p_memsz 0x9ec00, p_filesz 0x9e000
    const d = openElfCore(core({ m2MemSize: 0x1c00n }));
    expect(d.meta.partial).toBe(false);
    expect(d.meta.description).toBe('ELF64 core');
    expect(d.readPhys(0x102000n, 16)[0]).toBe(0x22);
    expect(pageError(() => d.readPhys(0x103000n, 1)).reason).toBe('excluded');
    d.close();
    // one whole page missing is filtering
    const f = openElfCore(core({ m2MemSize: 0x2000n }));
    expect(f.meta.partial).toBe(true);
    f.close();
    expect(missesWholePage(0x9f000n, 0x9fc00n, 4096)).toBe(false);
    expect(missesWholePage(0x9e800n, 0xa0000n, 4096)).toBe(true);
    expect(missesWholePage(0x9e800n, 0x9fc00n, 4096)).toBe(false);
  });

  it('recognises QEMU dump-guest-memory notes', () => {
    const d = openElfCore(core({ qemu: true }));
    expect(d.meta.format).toBe('qemu-elf');
    expect(d.meta.producer).toBe('QEMU');
    expect(d.cpus.length).toBe(2);
    expect(d.notes.filter((n) => n.name === 'QEMU').length).toBe(2);
    d.close();
  });

  it('a truncated file: pages past the end are "truncated", the rest reads', () => {
    const d = openElfCore(core({ fileCut: 0x1800 + 0x100 })); // cuts the section table and half of m2
    expect(d.meta.warnings.join('\n')).toMatch(/truncated/);
    expect(d.readPhys(0x100000n, 16)[0]).toBe(0x11);
    const e = pageError(() => d.readPhys(0x102000n, 0x1000));
    expect(e.reason).toBe('truncated');
    expect(e.message).toMatch(/^dump file truncated: physical address 102/);
    d.close();
  });

  it('a damaged note segment: the notes before the damage, and a warning', () => {
    const d = openElfCore(core({ damagedNote: true }));
    expect(d.cpus.length).toBe(1);
    expect(d.meta.warnings.join('\n')).toMatch(/runs past the end of the note data/);
    d.close();
  });

  it('refuses non-cores and garbage with one line naming the file', () => {
    const exe = join(dir, 'exe');
    writeFileSync(exe, buildElf({ is64: true, le: true, type: 2, sections: [] }));
    expect(() => openElfCore(exe)).toThrow(DumpFormatError);
    expect(() => openElfCore(exe)).toThrow(/exe: ELF file of type EXEC.*not a core dump/);
    const junk = join(dir, 'junk');
    writeFileSync(junk, Buffer.from('\x7fELF\x02\x01\x01' + 'x'.repeat(40), 'latin1'));
    expect(() => openElfCore(junk)).toThrow(/junk: ELF header cut short/);
    expect(() => openElfCore(join(dir, 'missing'))).toThrow(/missing: cannot open: no such file/);
  });
});

/**
 * The first 10 KiB of a real QEMU 7.2 `dump-guest-memory` file (6.1 kernel booted under TCG with
 * -smp 2 -m 256, panicked for lack of a root fs; no fw_cfg module, so no VMCOREINFO note): real
 * headers and notes, memory cut after two pages. Stored gzip-compressed, which openElfCore accepts.
 */
describe('ELF vmcore (head of a real QEMU dump-guest-memory file)', () => {
  const fixture = fileURLToPath(new URL('./fixtures/qemu-6.1-x86_64-head.elf.gz', import.meta.url));
  const cache = mkdtempSync(join(tmpdir(), 'crash-ts-qemu-'));
  afterAll(() => rmSync(cache, { recursive: true, force: true }));

  it('QEMU notes, two CPUs in kernel code, and a truncated file named as such', () => {
    const old = process.env.CRASH_TS_CACHE;
    process.env.CRASH_TS_CACHE = cache;
    try {
      const d = openElfCore(fixture);
      expect(d.meta).toMatchObject({ format: 'qemu-elf', producer: 'QEMU', partial: false, pageSize: 4096 });
      expect(d.meta.maxPfn).toBe(0x100000n); // the last PT_LOAD is the BIOS flash below 4 GiB
      expect(d.meta.warnings.join('\n')).toMatch(/truncated: 2 of 2 PT_LOAD segments/);
      expect(d.vmcoreinfo).toBeUndefined();
      expect(d.notes.map((n) => n.name)).toEqual(['CORE', 'CORE', 'QEMU', 'QEMU']);
      expect(d.cpus.map((c) => c.regs.rip)).toEqual([0xffffffff819c3643n, 0xffffffff8103d023n]);
      expect(d.cpus.every((c) => c.regs.rsp >> 40n === 0xffffc9n)).toBe(true);
      // physical page 0 is the real-mode interrupt vector table: segment:offset pairs into the BIOS (f000:xxxx)
      expect(d.readPhys(0n, 4).readUInt16LE(2)).toBe(0xf000);
      expect(d.isPresent(0x1000n)).toBe(true);
      expect(d.isPresent(0x2000n)).toBe(false);
      expect(pageError(() => d.readPhys(0x1ff0n, 0x20)).reason).toBe('truncated');
      expect(pageError(() => d.readPhys(0xfffc0000n, 8)).reason).toBe('truncated');
      expect(pageError(() => d.readPhys(0x10000000n, 8)).reason).toBe('not-present');
      d.close();
    } finally {
      if (old === undefined) delete process.env.CRASH_TS_CACHE;
      else process.env.CRASH_TS_CACHE = old;
    }
  });
});
