/**
 * Source lines in sym and dis with the full debug vmlinux (DWARF): crash 9's `sym schedule` and
 * `dis -l panic 8` byte for byte, every line of `dis -l panic` as crash prints it, and addr2line's
 * answer where the line table has one row per address. Where a statement row and a non-statement row
 * share an address, gdb (and so crash) reports the statement and addr2line the last row: the test
 * shows one such address so the difference is on record.
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
