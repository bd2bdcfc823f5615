/**
 * Source lines in sym and dis with the full debug vmlinux (DWARF): crash 9's `sym schedule` and
 * `dis -l panic 8` byte for byte, every line of `dis -l panic` as crash prints it, `sym ADDRESS` naming the
 * line dis -l shows for the address, and addr2line's
 * answer where the line table has one row per address. Where a statement row and a non-statement row
 * share an address, gdb (and so crash) reports the statement and addr2line the last row: the test
 * shows one such address so the difference is on record. dis -s names the file as gdb's `list` does,
 * relative to the unit's compilation directory (crash 9's output on k61-sysrq-c, and dis -l's path minus it).
 */
import { beforeAll, expect, it } from 'vitest';
import { openKernelSync } from '../../src/kernel/open.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { caseInfo, dumpPaths } from '../helpers/corpus.js';
import { breadthNorm, crashOutput, replOn } from '../helpers/repl.js';
import { addr2line, DEBUG_KERNELS, describeDebugVmlinux, haveAddr2line } from '../dwarf/debug-vmlinux.js';

for (const dk of DEBUG_KERNELS) {
  describeDebugVmlinux(`sym and dis source lines on the ${dk.label} debug vmlinux`, dk.release, (vmlinux) => {
    let k: Kernel;
    let dumpFile = '';
    let run: (line: string) => Promise<string>;
    const kaslr = (): bigint => BigInt(caseInfo(dk.case).kaslr_offset_runtime);
    beforeAll(async () => {
      const dumps = await dumpPaths(dk.case);
      const d = dumps.find((x) => x.file.startsWith('vmcore.kdump-zlib')) ?? dumps[0]!;
      dumpFile = d.file;
      k = openKernelSync(vmlinux, d.path);
      run = await replOn(k);
    }, 300_000);

    it("sym schedule and dis -l panic 8 equal crash 9's output", async () => {
      for (const cmd of ['sym schedule', 'dis -l panic 8']) {
        const want = crashOutput(dk.case, dumpFile, cmd);
        expect(want).toBeDefined();
        expect(breadthNorm(await run(cmd))).toBe(breadthNorm(want!));
      }
    }, 120_000);

    it.skipIf(!haveAddr2line())('dis -l: each header is the line of the instruction below it', async () => {
      const out = (await run('dis -l sysrq_handle_crash')).trimEnd().split('\n');
      let header = '';
      const pcs: bigint[] = [];
      const headers: string[] = [];
      for (const l of out) {
        const m = /^0x([0-9a-f]+) /.exec(l);
        if (!m) {
          header = l;
          continue;
        }
        pcs.push(BigInt('0x' + m[1]) - kaslr());
        headers.push(header.replace(': ', ':'));
      }
      expect(pcs.length).toBeGreaterThan(3);
      expect(headers).toEqual(addr2line(vmlinux, pcs).map((w) => w.replace(/ \(discriminator \d+\)$/, '')));
    });

    it('sym ADDRESS names the file:line dis -l shows above the instruction at that address', async () => {
      const out = (await run('dis -l sysrq_handle_crash')).trimEnd().split('\n');
      let header = '';
      let checked = 0;
      for (const l of out) {
        const m = /^0x([0-9a-f]+) <([^>]+)>/.exec(l);
        if (!m) {
          header = l;
          continue;
        }
        expect((await run(`sym ${m[1]}`)).trimEnd()).toBe(`${m[1]} (t) ${m[2]} ${header}`);
        checked++;
      }
      expect(checked).toBeGreaterThan(3);
    });

    it('dis -s: the file relative to the build directory, the line of the address, and that the source is not here', async () => {
      for (const [where, off] of [
        ['panic', 0n],
        ['sysrq_handle_crash', 5n],
        ['sysrq_handle_crash', 10n],
      ] as const) {
        const at = k.symbols.address(where) + off;
        const hex = at.toString(16);
        const full = (await run(`dis -l ${hex} 1`)).split('\n')[0]!; // "debian/build/.../kernel/panic.c: 276"
        const m = /^(.*)\/((?:kernel|drivers|include|arch|mm|fs)\/.*): (\d+)$/.exec(full)!;
        expect(m, full).not.toBeNull();
        expect(await run(`dis -s ${hex}`)).toBe(
          `FILE: ${m[2]}\nLINE: ${m[3]}\n\ndis: ${hex}: source code is not available\n\n`,
        );
      }
      if (dk.label === '6.1') {
        // crash 9.0.2 on k61-sysrq-c/vmcore.kdump-zlib
        expect(await run('dis -s panic')).toBe(
          'FILE: kernel/panic.c\nLINE: 276\n\ndis: panic: source code is not available\n\n',
        );
        expect(await run('dis -s sysrq_handle_crash+5')).toBe(
          'FILE: include/linux/rcupdate.h\nLINE: 823\n\ndis: sysrq_handle_crash+5: source code is not available\n\n',
        );
      }
    });

    it.runIf(dk.label === '6.1' && haveAddr2line())(
      'where a statement row and a later row share an address, crash names the statement; addr2line the later row',
      async () => {
        const at = k.symbols.address('panic') + 82n;
        expect((await run(`sym ${at.toString(16)}`)).trimEnd()).toBe(
          `${at.toString(16)} (T) panic+82 debian/build/build_amd64_none_cloud-amd64/kernel/panic.c: 278`,
        );
        expect(addr2line(vmlinux, [at - kaslr()])).toEqual([
          'debian/build/build_amd64_none_cloud-amd64/kernel/panic.c:284',
        ]);
      },
    );
  });
}
