/**
 * The engine on every corpus dump: KASLR offset equals the crashed machine's own /proc/kallsyms,
 * linux_banner read through the page tables equals the banner its console printed, symbols agree
 * with System.map, and a vmlinux of another kernel is refused with one line.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openKernelSync } from '../../src/kernel/open.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import {
  caseDir,
  caseInfo,
  caseNames,
  corpusDir,
  describeCorpus,
  dumpPaths,
  vmlinuxPlain,
  vmlinuxGz,
} from '../helpers/corpus.js';

const opened: Kernel[] = [];
afterAll(() =>
  opened.forEach((k) => {
    k.elf.close();
    k.dump.close();
  }),
);

function consoleBanner(name: string): string {
  const serial = readFileSync(join(caseDir(name), 'serial-first-kernel.log'), 'latin1');
  const line = serial.split('\n').find((l) => /^\[\s*[\d.]+\] Linux version /.test(l));
  if (!line) throw new Error('no banner in console log');
  return line.replace(/^\[\s*[\d.]+\] /, '').trimEnd();
}

describeCorpus('opening every corpus dump', () => {
  for (const name of caseNames()) {
    it(`${name}: every dump opens, KASLR and linux_banner are right`, async () => {
      const info = caseInfo(name);
      const vml = await vmlinuxPlain(name);
      const banner = consoleBanner(name);
      for (const d of await dumpPaths(name)) {
        const k = openKernelSync(vml, d.path);
        opened.push(k);
        expect(k.kaslrOffset, `${d.file} kaslr`).toBe(BigInt(info.kaslr_offset_runtime));
        for (const [sym, addr] of Object.entries(info.runtime_symbols)) {
          expect(k.sym(sym).toString(16), `${d.file} ${sym}`).toBe(addr.replace(/^0x/, ''));
        }
        const text = k.readCString(k.sym('linux_banner'), 512).trimEnd();
        expect(text, d.file).toBe(banner);
        expect(k.vmcoreinfo.osrelease).toBe(info.kernel_release);
      }
    });
  }

  it('symbol lookups agree with System.map (every T/D/B symbol, relocated by KASLR)', async () => {
    for (const name of ['k61-sysrq-c', 'k612-sysrq-c']) {
      if (!caseNames().includes(name)) continue;
      const info = caseInfo(name);
      const k = openKernelSync(await vmlinuxPlain(name), (await dumpPaths(name))[0]!.path);
      opened.push(k);
      const map = readFileSync(join(corpusDir, info.system_map), 'latin1').split('\n');
      let checked = 0;
      for (const line of map) {
        const [addr, kind, sym] = line.split(' ');
        if (!sym || !/^[TDB]$/.test(kind!) || sym.startsWith('__per_cpu')) continue;
        const s = k.symbols.lookup(sym);
        expect(s, sym).toBeDefined();
        const link = BigInt('0x' + addr);
        const want = link >= 0xffffffff80000000n ? link + k.kaslrOffset : link;
        expect(s!.address, sym).toBe(want);
        checked++;
      }
      expect(checked).toBeGreaterThan(20000);
      // by address: an address inside a function names it with the offset
      const sched = k.sym('schedule');
      expect(k.symbols.describe(sched + 0x10n)).toBe('schedule+0x10');
    }
  });

  it('a vmlinux of another kernel is refused with one clear line', async () => {
    if (!caseNames().includes('k61-sysrq-c') || !caseNames().includes('k612-sysrq-c')) return;
    const wrong = await vmlinuxPlain('k612-sysrq-c');
    const dump = join(caseDir('k61-sysrq-c'), 'vmcore.kdump-zlib');
    let msg = '';
    try {
      openKernelSync(wrong, dump);
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/does not match/);
    expect(msg).toContain('6.1.0-56-cloud-amd64');
    expect(msg.split('\n')).toHaveLength(1);
  });

  it('opens the gzip-compressed vmlinux directly', async () => {
    const k = openKernelSync(vmlinuxGz('k61-sysrq-c'), join(caseDir('k61-sysrq-c'), 'vmcore.kdump-zlib'));
    opened.push(k);
    expect(k.readCString(k.sym('linux_banner'), 64)).toMatch(/^Linux version 6\.1\.0-56-cloud-amd64/);
  });

  const cache = process.env.CRASH_TS_CORPUS_CACHE ?? join(homedir(), '.cache', 'crash-ts-corpus');
  const debug = join(cache, '6.1.0-56-cloud-amd64', 'vmlinux-6.1.0-56-cloud-amd64');
  it.skipIf(!existsSync(debug))(
    'opens the full debug vmlinux (DWARF) too (skips unless fetch-debug-vmlinux.sh ran)',
    async () => {
      const k = openKernelSync(debug, join(caseDir('k61-sysrq-c'), 'vmcore.kdump-zlib'));
      opened.push(k);
      expect(k.kaslrOffset).toBe(BigInt(caseInfo('k61-sysrq-c').kaslr_offset_runtime));
      expect(k.readCString(k.sym('linux_banner'), 512).trimEnd()).toBe(consoleBanner('k61-sysrq-c'));
      expect(k.type('struct task_struct').size).toBeGreaterThan(1000);
    },
  );
});
