/**
 * dis on every corpus case: crash 9's stored `dis` outputs byte for byte, code read from the dump (the
 * ftrace NOP the running kernel patched over `call __fentry__`, not the vmlinux's call), module
 * functions named from the dump's kallsyms, and the instruction text against objdump on the
 * vmlinux's own bytes where objdump is installed.
 */
import { execFileSync } from 'node:child_process';
import { beforeAll, expect, it } from 'vitest';
import { openKernelSync } from '../../src/kernel/open.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { loadedModules, moduleSymbols } from '../../src/kernel/objects/modules.js';
import { Disassembler } from '../../src/disasm/x86_64.js';
import { caseInfo, caseNames, describeCorpus, dumpPaths, skipWhenNoCases, vmlinuxPlain } from '../helpers/corpus.js';
import { breadthNorm, crashOutput, replOn } from '../helpers/repl.js';

skipWhenNoCases('dis on the corpus');

/** the golden dis commands crash 9 ran on the corpus (golden/crash-9 and crash-9-ext) */
const GOLDEN = ['dis panic 8', 'dis sysrq_handle_crash'];

function hasObjdump(): boolean {
  try {
    execFileSync('objdump', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

for (const name of caseNames()) {
  describeCorpus(`dis on ${name}`, () => {
    const info = caseInfo(name);
    const kaslr = BigInt(info.kaslr_offset_runtime);
    let k: Kernel;
    let vmlinux = '';
    let dumpFile = '';
    let run: (line: string) => Promise<string>;
    beforeAll(async () => {
      const dumps = await dumpPaths(name);
      const d = dumps.find((x) => x.file.startsWith('vmcore.kdump-zlib')) ?? dumps[0]!;
      dumpFile = d.file;
      vmlinux = await vmlinuxPlain(name);
      k = openKernelSync(vmlinux, d.path);
      run = await replOn(k);
    }, 120_000);

    it("equals crash 9's dis output byte for byte", async () => {
      let compared = 0;
      for (const cmd of GOLDEN) {
        const want = crashOutput(name, dumpFile, cmd);
        if (want === undefined) continue;
        expect(breadthNorm(await run(cmd))).toBe(breadthNorm(want));
        compared++;
      }
      expect(compared).toBe(GOLDEN.length);
    });

    it('dis -b N skips N bytes after each ud2 (BUG()), as crash does; -b alone tells N', async () => {
      // a function with a WARN (call __warn_printk; ud2) on every corpus kernel
      const out = (await run('dis partition_sched_domains_locked')).split('\n');
      const i = out.findIndex((l) => /:\tud2$/.test(l));
      expect(i).toBeGreaterThan(0);
      const ud2 = BigInt(out[i]!.split(' ')[0]!);
      expect(BigInt(out[i + 1]!.split(' ')[0]!)).toBe(ud2 + 2n);
      expect(await run('dis -b')).toBe('encoded bytes being skipped after ud2a: 0\n');
      expect(await run('dis -b 2')).toBe('');
      expect(await run('dis -b')).toBe('encoded bytes being skipped after ud2a: 2\n');
      const skipped = (await run(`dis 0x${ud2.toString(16)} 2`)).split('\n');
      expect(BigInt(skipped[1]!.split(' ')[0]!)).toBe(ud2 + 4n);
      expect(await run('dis -b 0 partition_sched_domains_locked')).toBe(out.join('\n'));
      expect(await run('dis -b x')).toBe('dis: -b takes a number of bytes (0 to 15), not x\n');
    });

    it("dis -l panic 8: crash 9's lines; the file:line headers once DWARF is there", async () => {
      const want = crashOutput(name, dumpFile, 'dis -l panic 8');
      if (want === undefined) return;
      const got = breadthNorm(await run('dis -l panic 8')).split('\n');
      if (k.debugInfo) {
        expect(got.join('\n')).toBe(breadthNorm(want));
        return;
      }
      // without DWARF: one line saying so, then the instructions crash printed
      expect(got[0]).toMatch(/^dis: line numbers are not available/);
      expect(got.slice(1)).toEqual(
        breadthNorm(want)
          .split('\n')
          .filter((l) => l.startsWith('0x')),
      );
    });

    it('reads the code from the dump: the vmlinux calls __fentry__, the running kernel has the NOP', async () => {
      const panic = k.symbols.address('panic');
      // 6.12 (IBT) starts functions with endbr64; the call site follows it
      const endbr = k.elf.readVirtual(panic - kaslr, 4)!.equals(Buffer.from('f30f1efa', 'hex'));
      const site = panic + (endbr ? 4n : 0n);
      const file = k.elf.readVirtual(site - kaslr, 5)!;
      expect(file[0]).toBe(0xe8); // call rel32 (__fentry__) as linked
      const target = site + 5n + BigInt(file.readInt32LE(1));
      expect(k.symbols.describe(target)).toBe('__fentry__');
      expect(k.read(site, 5).toString('hex')).toBe('0f1f440000');
      const first = (await run(`dis ${site.toString(16)} 1`)).trimEnd();
      expect(first).toBe(
        `0x${site.toString(16)} <panic${endbr ? '+4' : ''}>:\tnopl   0x0(%rax,%rax,1)${endbr ? '' : ' [FTRACE NOP]'}`,
      );
    });

    it('dis -r ends at the address, dis -f starts there, a count limits both', async () => {
      const panic = k.symbols.address('panic');
      const whole = (await run('dis panic')).trimEnd().split('\n');
      expect(whole.length).toBeGreaterThan(100);
      const tenth = whole[9]!.split(' ')[0]!;
      const r = (await run(`dis -r ${tenth}`)).trimEnd().split('\n');
      expect(r).toEqual(whole.slice(0, 10));
      expect((await run(`dis -r ${tenth} 3`)).trimEnd().split('\n')).toEqual(whole.slice(7, 10));
      const f = (await run(`dis -f ${tenth}`)).trimEnd().split('\n');
      expect(f).toEqual(whole.slice(9));
      expect(whole[0]!.startsWith(`0x${panic.toString(16)} <panic>:\t`)).toBe(true);
      // an expression or a mid-function address is one instruction
      expect((await run(`dis ${tenth}`)).trimEnd()).toBe(whole[9]);
    });

    it("a module function is disassembled and named from the module's kallsyms", async () => {
      const mods = loadedModules(k).modules;
      if (mods.length === 0) return;
      const m = mods[0]!;
      const fn = moduleSymbols(k, m).symbols.find((s) => 'tT'.includes(s.kind) && !s.name.startsWith('__pfx_'))!;
      const out = (await run(`dis ${fn.address.toString(16)} 3`)).trimEnd().split('\n');
      expect(out).toHaveLength(3);
      expect(out[0]!.startsWith(`0x${fn.address.toString(16)} <${fn.name.replace(/\.(isra|part)\..*$/, '')}>:\t`)).toBe(
        true,
      );
    });

    it('one clear line for what cannot be disassembled', async () => {
      expect(await run('dis panic 0')).toBe('dis: invalid count argument: 0\n');
      expect(await run('dis no_such_function_here')).toBe(
        'symbol not found: no_such_function_here\npossible alternatives:\n  (none found)\n',
      );
    });

    it.runIf(hasObjdump())('prints what objdump prints for the same bytes (__schedule, panic)', async () => {
      const d = await Disassembler.load();
      for (const fn of ['__schedule', 'panic']) {
        const s = k.symbols.lookup(fn)!;
        const start = s.address - kaslr;
        const end = start + s.size;
        const dump = execFileSync(
          'objdump',
          [
            '-d',
            '--no-show-raw-insn',
            `--start-address=0x${start.toString(16)}`,
            `--stop-address=0x${end.toString(16)}`,
            vmlinux,
          ],
          { encoding: 'latin1', maxBuffer: 64 << 20 },
        );
        const want = dump
          .split('\n')
          .map((l) => /^([0-9a-f]{16}):\t(.*)$/.exec(l))
          .filter((m): m is RegExpExecArray => !!m)
          .map((m) =>
            `${m[1]}: ${m[2]!}`
              .replace(/ <[^>]*>$/, '')
              .replace(/^(\S+ (?:[a-z0-9]+ )*(?:call|jmp|j[a-z]+)\s+)([0-9a-f]+)$/, '$10x$2')
              .replace(/# ([0-9a-f]+)$/, '# 0x$1')
              // binutils before 2.41 leaves out the count of a shift by one; gdb 16 (crash 9) writes $1
              .replace(/^(\S+ (?:sh[lr]|sa[lr]|ro[lr]|rc[lr])[bwlq]? +)(?=[^ $])/, '$1$$1,')
              .trimEnd(),
          );
        const bytes = k.elf.readVirtual(start, Number(s.size))!;
        const got = d.decode(bytes, start).map((i) => `${i.address.toString(16)}: ${i.text}`);
        expect(want.length).toBeGreaterThan(20);
        expect(got).toEqual(want);
      }
    });
  });
}
