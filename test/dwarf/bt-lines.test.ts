/**
 * bt -l on every corpus case, with the case kernel's full debug vmlinux: the file:line under each frame
 * (and under an exception's register block) equals crash 9's stored `bt -l` output, and binutils' addr2line
 * for the frame's address. Frames are matched
 * by "function at address", so a frame our unwinder and crash's disagree on does not shift the rest.
 * Also: --inline only adds the indented "inlined ..." lines; a vmlinux without DWARF says so in one line.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openKernelSync } from '../../src/kernel/open.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { caseDir, caseInfo, caseNames, dumpPaths, skipWhenNoCases, vmlinuxPlain } from '../helpers/corpus.js';
import { replOn } from '../helpers/repl.js';
import { addr2line, debugVmlinux, haveAddr2line } from './debug-vmlinux.js';

/** "function at address" → the lines under that frame line up to the next frame or separator */
function linesByFrame(out: string): Map<string, string[]> {
  const m = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const l of out.split('\n')) {
    const f = /^\s*#\d+ \[[0-9a-f]+\] (.* at [0-9a-f]+)/.exec(l);
    if (f) {
      cur = [];
      m.set(f[1]!, cur);
    } else if (/^(PID:|---)/.test(l)) cur = undefined;
    else if (cur && l.startsWith('    ') && !/^\s+(RIP|RAX|RDX|RBP|R10|R13|ORIG_RAX|\[exception)/.test(l))
      cur.push(l.trimEnd());
  }
  return m;
}

skipWhenNoCases('bt -l against crash 9');
const tmp = mkdtempSync(join(tmpdir(), 'crash-ts-btl-'));
process.env.CRASH_TS_CACHE_DIR = tmp;
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

for (const name of caseNames()) {
  const info = caseInfo(name);
  const vmlinux = debugVmlinux(info.kernel_release);
  const title = `bt -l on ${name}`;
  if (!vmlinux) {
    describe.skip(`${title} (skipped: no debug vmlinux for ${info.kernel_release})`, () => undefined);
    continue;
  }
  describe(title, () => {
    let k: Kernel;
    let run: (line: string) => Promise<string>;
    let golden: string | undefined;

    beforeAll(async () => {
      for (const d of await dumpPaths(name)) {
        const g = join(caseDir(name), 'golden', 'crash-9', d.file, '05_bt_-l.out');
        if (!existsSync(g)) continue;
        golden = readFileSync(g, 'latin1');
        k = openKernelSync(vmlinux, d.path);
        run = await replOn(k);
        return;
      }
    }, 120_000);

    afterAll(() => {
      k?.elf.close();
      k?.dump.close();
    });

    it('prints the file:line crash 9 prints under every frame both unwinders find', async () => {
      if (!golden) return;
      const ours = linesByFrame(await run('bt -l'));
      const theirs = linesByFrame(golden);
      let matched = 0;
      for (const [frame, want] of theirs) {
        const got = ours.get(frame);
        if (!got) continue;
        expect({ frame, lines: got }).toEqual({ frame, lines: want });
        matched++;
      }
      expect(matched).toBeGreaterThanOrEqual(Math.min(5, theirs.size));
    });

    it.skipIf(!haveAddr2line())(
      "each frame's file:line is addr2line's for the frame's address, unless crash 9 printed ours",
      async () => {
        if (!golden) return;
        const ours = linesByFrame(await run('bt -l'));
        const theirs = linesByFrame(golden);
        const frames = [...ours].filter(([, l]) => l.length > 0 && /: \d+$/.test(l[0]!));
        expect(frames.length).toBeGreaterThanOrEqual(3);
        const kaslr = BigInt(info.kaslr_offset_runtime);
        const pcs = frames.map(([f]) => BigInt('0x' + f.split(' at ')[1]!) - kaslr);
        const a2l = addr2line(vmlinux, pcs).map((w) => w.replace(/ \(discriminator \d+\)$/, ''));
        let agreed = 0;
        frames.forEach(([frame, lines], i) => {
          const mine = lines[0]!.trim().replace(/: (\d+)$/, ':$1');
          if (mine === a2l[i]) agreed++;
          // where a statement row and a later row share an address gdb (and crash) name the statement
          else expect({ frame, line: lines[0] }).toEqual({ frame, line: theirs.get(frame)?.[0] });
        });
        expect(agreed).toBeGreaterThanOrEqual(frames.length - 2);
      },
    );

    it('--inline adds only indented "inlined" lines, and some', async () => {
      if (!golden) return;
      const plain = await run('bt -l');
      const inl = await run('bt -l --inline');
      const extra = inl.split('\n').filter((l) => l.startsWith('      inlined '));
      expect(extra.length).toBeGreaterThan(0);
      expect(
        inl
          .split('\n')
          .filter((l) => !l.startsWith('      inlined '))
          .join('\n'),
      ).toBe(plain);
      expect(extra[0]).toMatch(/^ {6}inlined \w+ from \S+: \d+$/);
    });
  });
}

describe('bt -l without DWARF', () => {
  const name = caseNames().find((c) => c === 'k61-sysrq-c');
  it.skipIf(!name)('says in one line that the vmlinux has no DWARF, then the usual backtrace', async () => {
    const d = (await dumpPaths(name!))[0]!;
    const k = openKernelSync(await vmlinuxPlain(name!), d.path);
    try {
      expect(k.debugInfo).toBeUndefined();
      const out = (await (await replOn(k))('bt -l')).split('\n');
      expect(out[0]).toMatch(/^bt: -l: no line numbers: vmlinux-.*\.nodwarf has no DWARF \(\.debug_info\)$/);
      expect(out[1]).toMatch(/^PID: /);
    } finally {
      k.elf.close();
      k.dump.close();
    }
  });
});
