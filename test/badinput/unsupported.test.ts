/**
 * What a dump needs, checked at open: another architecture's dump or vmlinux, and a vmlinux with no type
 * information, are refused in one line naming what is missing; a vmlinux without ORC tables opens with a
 * warning and bt says in one line that it is unavailable while sys and ps answer; a kernel whose log is
 * not in the printk ring buffer layout opens with a warning and log says why in one line.
 */
import { copyFileSync, mkdtempSync, openSync, readSync, writeSync, closeSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import btCommand from '../../commands/bt.js';
import logCommand from '../../commands/log.js';
import psCommand from '../../commands/ps.js';
import { decompressedCopy } from '../../src/dump/file.js';
import { openDump } from '../../src/dump/open.js';
import { ElfFile, EM_AARCH64, EM_X86_64, PT_LOAD } from '../../src/elf/index.js';
import { DumpOverlay } from '../../src/fuzz/dump-overlay.js';
import type { Command } from '../../src/command.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelOn, openKernelSync } from '../../src/kernel/open.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { buildElf } from '../../src/elf/build.js';
import { sampleVmcore, sampleVmlinux } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'crash-ts-unsupported-'));
const SHT_PROGBITS = 1;

function file(name: string, data: Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, data);
  return p;
}

/** A minimal ELF: an ET_CORE with one PT_LOAD of a page, or an ET_EXEC with a text section. */
function elf(type: 2 | 4, machine: number): Buffer {
  const page = { name: '.data', type: SHT_PROGBITS, data: Buffer.alloc(4096) };
  return buildElf({
    is64: true,
    le: true,
    type,
    machine,
    sections: [page],
    phdrs: type === 4 ? [{ type: PT_LOAD, section: '.data', paddr: 0n, memsz: 4096n }] : [],
  });
}

function run(k: Kernel, cmd: Command, argv: string[] = []): string {
  return renderText(cmd.run(new Session(k), parseArgs(argv, cmd.options)) as View);
}

/** Replace every `from` inside the section `section` of the file at `path` (same length). */
function patchSection(path: string, section: string, from: string, to: string): void {
  const e = ElfFile.open(path);
  const s = e.section(section)!;
  const data = e.readSection(s);
  e.close();
  const fd = openSync(path, 'r+');
  try {
    for (let at = data.indexOf(from); at >= 0; at = data.indexOf(from, at + 1))
      writeSync(fd, Buffer.from(to, 'latin1'), 0, to.length, Number(s.offset) + at);
  } finally {
    closeSync(fd);
  }
}

describe('refused at open, in one line', () => {
  it('a dump of another architecture (an aarch64 ELF core)', () => {
    const core = file('aarch64.vmcore', elf(4, EM_AARCH64));
    expect(() => openKernelSync(sampleVmlinux, core)).toThrow(
      /^aarch64\.vmcore is a dump of an aarch64 machine: crash-ts reads x86_64 dumps only$/,
    );
  });

  it('a vmlinux of another architecture', () => {
    const vm = file('vmlinux-aarch64', elf(2, EM_AARCH64));
    expect(() => openKernelSync(vm, sampleVmcore)).toThrow(
      /^vmlinux-aarch64 is an aarch64 kernel: crash-ts reads x86_64 kernels only$/,
    );
  });

  it('a vmlinux with neither BTF nor DWARF', () => {
    const vm = file('vmlinux-notypes', elf(2, EM_X86_64));
    expect(() => openKernelSync(vm, sampleVmcore)).toThrow(
      /^vmlinux-notypes: no \.BTF section and no DWARF \(\.debug_info\): type information unavailable/,
    );
  });
});

/**
 * Give the file another build-id (the first byte of its GNU build-id note flipped, in the kernel's .notes). A
 * build-id hashes the linked bytes, so a vmlinux with other symbols has another one; the warm-start cache trusts
 * that, and a copy patched in place must not borrow the original's cached symbol table.
 */
function patchBuildId(path: string): string {
  const e = ElfFile.open(path);
  const id = e.notes().find((n) => n.name === 'GNU' && n.type === 3)!.desc;
  const s = e.section('.notes')!;
  const at = e.readSection(s).indexOf(id);
  e.close();
  expect(at).toBeGreaterThan(0);
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, Buffer.from([id[0]! ^ 0xff]), 0, 1, Number(s.offset) + at);
  } finally {
    closeSync(fd);
  }
  return Buffer.concat([Buffer.from([id[0]! ^ 0xff]), id.subarray(1)]).toString('hex');
}

/** The sample dump seen through an overlay whose VMCOREINFO names `buildId` (and went through `edit`). */
function sampleDumpNaming(buildId: string, edit: (vmcoreinfo: string) => string = (v) => v): DumpOverlay {
  const base = openDump(sampleVmcore);
  const vmcoreinfo = edit(base.vmcoreinfo!.replace(/^BUILD-ID=.*$/m, `BUILD-ID=${buildId}`));
  return new DumpOverlay(base, { vmcoreinfo });
}

describe('decided per feature', () => {
  let patched: string;
  let patchedId: string;
  const opened: Kernel[] = [];
  beforeAll(() => {
    // the sample's vmlinux without its ORC tables, and without the prb symbol
    patched = join(dir, 'vmlinux-noorc');
    copyFileSync(decompressedCopy(sampleVmlinux), patched);
    patchSection(patched, '.shstrtab', '.orc_unwind', '.orX_unwind');
    patchSection(patched, '.strtab', '\0prb\0', '\0prX\0');
    patchedId = patchBuildId(patched);
    const check = Buffer.alloc(4);
    const fd = openSync(patched, 'r');
    readSync(fd, check, 0, 4, 0);
    closeSync(fd);
    expect(check.toString('latin1', 1, 4)).toBe('ELF');
  }, 60_000);
  afterAll(() => {
    for (const k of opened) {
      k.dump.close();
      k.elf.close();
    }
  });

  it('no ORC: opens with a warning; bt is one line; sys and ps answer', () => {
    const k = openKernelOn(patched, sampleVmcore, ElfFile.open(patched), sampleDumpNaming(patchedId));
    opened.push(k);
    expect(k.warnings).toContain(
      'vmlinux-noorc has no ORC unwind tables (CONFIG_UNWINDER_ORC): bt is unavailable; sys, ps, log and rd work',
    );
    expect(() => run(k, btCommand)).toThrow(/^unavailable: the vmlinux has no ORC unwind tables .*ORC only$/);
    expect(run(k, psCommand)).toMatch(/^>?\s+1\s+0\s+\d+\s+[0-9a-f]{16}\s+\w\w\s.*init$/m);
  });

  it('no printk ring buffer: opens with a warning, log says why in one line', () => {
    const overlay = sampleDumpNaming(patchedId, (v) => v.replace(/^SYMBOL\(prb\)=.*\n/m, ''));
    const k = openKernelOn(patched, sampleVmcore, ElfFile.open(patched), overlay);
    opened.push(k);
    expect(k.warnings.join('\n')).toMatch(/log and the panic message are unavailable/);
    expect(() => run(k, logCommand)).toThrow(/^no printk ring buffer: the kernel has no "prb" symbol/);
  });
});
