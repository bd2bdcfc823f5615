/**
 * Item 1 of "bad input": files that cannot be opened, or only in part. In-process, openKernelSync
 * throws one of our errors with one line that names the file and says why; through the CLI, stderr
 * has that one line and the exit status is 1, or (a dump cut in its page data) a warning and a
 * session whose commands still answer.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKernelSync } from '../../src/kernel/open.js';
import { caseDir, corpusAvailable, dumpPaths, vmlinuxPlain } from '../helpers/corpus.js';
import { built, cli, makeFixtures, sampleVmcore, sampleVmlinux, type Fixtures } from './fixtures.js';

let fx: Fixtures;
beforeAll(() => {
  fx = makeFixtures();
}, 120_000);
afterAll(() => rmSync(fx.dir, { recursive: true, force: true }));

/** The error openKernelSync throws: one line, a name of ours, never a TypeError. */
function openError(vmlinux: string, vmcore: string): string {
  try {
    openKernelSync(vmlinux, vmcore);
  } catch (e) {
    expect(e).toBeInstanceOf(Error);
    const err = e as Error;
    expect(['DumpFormatError', 'ElfError', 'OpenError', 'FileError']).toContain(err.name);
    expect(err.message).not.toContain('\n');
    return err.message;
  }
  throw new Error('opened, but should have been refused');
}

describe('opening bad files in-process: one line naming the file', () => {
  it('a missing vmcore / vmlinux', () => {
    expect(openError(sampleVmlinux, '/nonexistent/vmcore')).toBe('/nonexistent/vmcore: no such file');
    expect(openError('/nonexistent/vmlinux', sampleVmcore)).toBe('/nonexistent/vmlinux: cannot open: no such file');
  });
  it('a directory', () => {
    const d = join(fx.dir, 'a-directory');
    expect(openError(sampleVmlinux, d)).toBe(`${d}: is a directory, not a dump file`);
  });
  it('an unreadable file', () => {
    // root reads anything (chmod 000 does not stop it): a FIFO stands in for a file that cannot be read as a dump
    expect(openError(sampleVmlinux, fx.fifo)).toBe(`${fx.fifo}: not a regular file`);
  });
  it('a FIFO given as the vmlinux is refused, not waited on', () => {
    expect(openError(fx.fifo, sampleVmcore)).toBe(
      `${fx.fifo}: is a FIFO (named pipe), not a regular file: a dump or vmlinux must be a file read at offsets`,
    );
  });
  it('an empty file, as vmcore and as vmlinux', () => {
    expect(openError(sampleVmlinux, fx.empty)).toBe(`${fx.empty}: empty file`);
    expect(openError(fx.empty, sampleVmcore)).toBe(`${fx.empty}: not an ELF file (only 0 bytes)`);
  });
  it('a random file', () => {
    expect(openError(sampleVmlinux, fx.random)).toMatch(
      new RegExp(
        `^${fx.random}: not a dump file: no ELF, kdump or flattened signature \\(starts with [0-9a-f ]{47} ".{16}"\\)$`,
      ),
    );
  });
  it('the vmlinux given twice', () => {
    expect(openError(sampleVmlinux, sampleVmlinux)).toBe(
      `${sampleVmlinux}: gzip-compressed file: decompress it first (gunzip), then open the result`,
    );
  });
  it('a vmlinux without symbols (objcopy --strip-all)', () => {
    if (!fx.stripped) return void console.warn('skipped: objcopy is not installed');
    expect(openError(fx.stripped, sampleVmcore)).toBe(
      `${fx.stripped}: no symbol table (.symtab): a stripped vmlinux cannot be used`,
    );
  });
  it('a dump cut inside its header', () => {
    expect(openError(sampleVmlinux, fx.cutHeader)).toBe(
      `${fx.cutHeader}: file is cut short inside the kdump header (300 bytes)`,
    );
  });
  it('a dump cut inside its bitmaps', () => {
    expect(openError(sampleVmlinux, fx.cutBitmaps)).toMatch(
      new RegExp(
        `^${fx.cutBitmaps}: file is cut short inside the page bitmaps \\(they end at ${fx.bitmapsEnd}, the file at \\d+\\)$`,
      ),
    );
  });
  it('a dump cut inside its page data opens, with warnings that say so', () => {
    const k = openKernelSync(sampleVmlinux, fx.cutData);
    try {
      expect(k.warnings[0]).toBe('file is cut short: page data ends at 15696950, the file at 8000000');
      for (const w of k.warnings) expect(w).not.toContain('\n');
      // what is in the file still reads: the header's release
      expect(k.dump.meta.utsname?.release).toBe('6.1.0-56-cloud-amd64');
    } finally {
      k.dump.close();
      k.elf.close();
    }
  });
});

describe.runIf(corpusAvailable)('opening mismatched and cut corpus files in-process', () => {
  it('a vmcore of another kernel (6.12 vmlinux, 6.1 dump)', async () => {
    const v612 = await vmlinuxPlain('k612-sysrq-c');
    const dump = join(caseDir('k61-sysrq-c'), 'vmcore.kdump-zlib');
    expect(openError(v612, dump)).toBe(
      `${basename(v612)} does not match vmcore.kdump-zlib: build-id d74ef9d763bb... vs the dump's 3b43fad50348... (the dump is of kernel 6.1.0-56-cloud-amd64)`,
    );
  });
  it('an ELF dump cut inside its note segment', async () => {
    const elf = (await dumpPaths('k61-sysrq-c-elf')).find((d) => d.file === 'vmcore.elf-d31')!;
    const { writeFileSync } = await import('node:fs');
    const { head } = await import('./fixtures.js');
    const cut = join(fx.dir, 'elf-cut-notes');
    writeFileSync(cut, head(elf.path, 0x5b8 + 0x800)); // PT_NOTE starts at 0x5b8 and is 0xfb4 long
    const v61 = await vmlinuxPlain('k61-sysrq-c');
    expect(openError(v61, cut)).toBe(
      `elf-cut-notes carries no VMCOREINFO and the kernel of ${basename(v61)} was not found in its memory: the dump is damaged (${cut}: file is truncated: 22 of 24 PT_LOAD segments extend past its end (size 3512))`,
    );
  });
});

describe.runIf(built)('opening bad files through the CLI: one line on stderr, status 1', () => {
  const refused = (args: string[], line: string) => {
    const r = cli(args, 'sys\n');
    expect(r.timedOut).toBe(false);
    expect(r.stderr).toBe(`crash-ts: ${line}\n`);
    expect(r.stdout).toBe('');
    expect(r.status).toBe(1);
  };
  it('missing, directory, empty, random, twice', () => {
    refused([sampleVmlinux, '/nonexistent/vmcore'], '/nonexistent/vmcore: no such file');
    refused([sampleVmlinux, join(fx.dir, 'a-directory')], `${join(fx.dir, 'a-directory')}: is a directory`);
    refused([sampleVmlinux, fx.empty], `${fx.empty}: empty file`);
    refused(
      [sampleVmlinux, fx.random],
      `${fx.random}: not a vmlinux or a vmcore (neither an ELF file, a kdump file nor gzip)`,
    );
    refused(
      [sampleVmlinux, sampleVmlinux],
      `${sampleVmlinux} and ${sampleVmlinux} are both vmlinux files: give one of each`,
    );
  }, 120_000);
  it('a gzip-compressed vmcore beside a vmlinux: named as such, not "both vmlinux files"', () => {
    const gz = join(fx.dir, 'vmcore.gz');
    writeFileSync(gz, gzipSync(Buffer.from('KDUMP   ')));
    const why = 'is a gzip-compressed vmcore: unpack it first (gunzip); a dump is read at offsets';
    refused([sampleVmlinux, gz], `${gz}: ${why}`);
    refused([gz, sampleVmlinux], `${gz}: ${why}`);
  }, 120_000);
  it('a FIFO given as the vmcore or the vmlinux is refused, not waited on', () => {
    const why = 'is a FIFO (named pipe), not a regular file: a dump or vmlinux must be a file read at offsets';
    refused([sampleVmlinux, fx.fifo], `${fx.fifo}: ${why}`);
    refused([fx.fifo, sampleVmcore], `${fx.fifo}: ${why}`);
  }, 120_000);
  it('stripped vmlinux, cut header, cut bitmaps', () => {
    if (fx.stripped)
      refused(
        [fx.stripped, sampleVmcore],
        `${fx.stripped}: no symbol table (.symtab): a stripped vmlinux cannot be used`,
      );
    refused([sampleVmlinux, fx.cutHeader], `${fx.cutHeader}: file is cut short inside the kdump header (300 bytes)`);
    const r = cli([sampleVmlinux, fx.cutBitmaps], 'sys\n');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^crash-ts: ${fx.cutBitmaps}: file is cut short inside the page bitmaps \\(they end at ${fx.bitmapsEnd}, the file at \\d+\\)\\n$`,
      ),
    );
  }, 120_000);
  it.runIf(corpusAvailable)(
    'another kernel',
    async () => {
      const v612 = await vmlinuxPlain('k612-sysrq-c');
      refused(
        [v612, join(caseDir('k61-sysrq-c'), 'vmcore.kdump-zlib')],
        `${basename(v612)} does not match vmcore.kdump-zlib: build-id d74ef9d763bb... vs the dump's 3b43fad50348... (the dump is of kernel 6.1.0-56-cloud-amd64)`,
      );
    },
    120_000,
  );
  it('a dump cut in its page data: a warning, and the session answers', () => {
    const r = cli([sampleVmlinux, fx.cutData], 'sys\nps 1\neval 1+1\n');
    expect(r.status).toBe(0);
    const warnings = r.stderr.split('\n').filter(Boolean);
    expect(warnings[0]).toBe('crash-ts: WARNING: file is cut short: page data ends at 15696950, the file at 8000000');
    for (const w of warnings) expect(w).toMatch(/^(crash-ts: WARNING: |WARNING: |ps: |sys: )/);
    expect(r.stdout).toContain('     RELEASE: 6.1.0-56-cloud-amd64');
    expect(r.stdout).toContain('hexadecimal: 2');
  }, 120_000);
});
