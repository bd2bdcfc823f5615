/**
 * rd on every dump of the corpus: crash 9's golden rd outputs byte for byte, the banner as the
 * console printed it, symbol+offset / physical / reverse / network order agreeing with plain reads,
 * and one-line errors (excluded page, unknown symbol, bounded huge counts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import rdCommand from '../../commands/rd.js';
import { CommandError } from '../../src/command.js';
import { PageError } from '../../src/dump/types.js';
import { openKernelSync } from '../../src/kernel/open.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { findTaskByPid } from '../../src/kernel/objects/tasks.js';
import { symbolizeValue } from '../../src/kernel/address.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { caseDir, caseInfo, caseNames, describeCorpus, dumpPaths, vmlinuxPlain } from '../helpers/corpus.js';
import { crashGolden } from '../helpers/corpus.js';

/** Run rd as the REPL would; an error view or CommandError comes back as its "rd: ..." line. */
function rd(k: Kernel, line: string, session = new Session(k)): string {
  try {
    const view = rdCommand.run(
      session,
      parseArgs(line.split(/\s+/).filter(Boolean).slice(1), rdCommand.options),
    ) as View;
    if (view.kind === 'error') return view.message + '\n';
    return renderText(view);
  } catch (e) {
    if (e instanceof CommandError) return `rd: ${e.message}\n`;
    throw e;
  }
}

const golden = crashGolden;

/** A page of the direct map whose physical page makedumpfile excluded (a free or user page). */
function excludedDirectMapPage(k: Kernel): bigint {
  const base = k.mem.translator.cfg.pageOffsetBase;
  for (let p = 0x1000000n; p < 0x30000000n; p += 0x1000n) {
    if (k.dump.isPresent(p)) continue;
    try {
      k.dump.readPhys(p, 8);
    } catch (e) {
      if (e instanceof PageError && e.reason === 'excluded') return base + p;
    }
  }
  throw new Error('no excluded page found in the first 768 MiB');
}

const GOLDEN_RD = [
  ['rd linux_banner 8', '12_rd_linux_banner_8.out'],
  ['rd -8 linux_banner 48', '14_rd_-8_linux_banner_48.out'],
  ['rd -32 linux_banner 12', '15_rd_-32_linux_banner_12.out'],
  ['rd -s init_task 16', '16_rd_-s_init_task_16.out'],
  ['rd -d jiffies', '17_rd_-d_jiffies.out'],
] as const;

describeCorpus('rd on the corpus', () => {
  for (const name of caseNames()) {
    describe(name, () => {
      const info = caseInfo(name);
      const serial = readFileSync(join(caseDir(name), 'serial-first-kernel.log'), 'latin1');
      const banner = /\]\s?(Linux version .*)$/m.exec(serial)![1]!.trimEnd();
      let dumps: Awaited<ReturnType<typeof dumpPaths>> = [];
      const kernels = new Map<string, Kernel>();
      beforeAll(async () => {
        dumps = await dumpPaths(name);
        const vml = await vmlinuxPlain(name);
        for (const d of dumps) kernels.set(d.file, openKernelSync(vml, d.path));
      });

      it("equals crash 9's rd output byte for byte", () => {
        let compared = 0;
        for (const d of dumps) {
          const k = kernels.get(d.file)!;
          for (const [cmd, file] of GOLDEN_RD) {
            const g = golden(name, d.file, file);
            if (g === undefined) continue;
            expect(rd(k, cmd), `${d.file}: ${cmd}`).toBe(g);
            compared++;
          }
          // crash ends rd -a (no count) at the NUL without a newline; we end the line
          const g = golden(name, d.file, '13_rd_-a_linux_banner.out');
          if (g !== undefined) expect(rd(k, 'rd -a linux_banner'), d.file).toBe(g + '\n');
        }
        expect(compared).toBeGreaterThan(0);
      });

      it('rd -a linux_banner is the banner the console printed', () => {
        for (const d of dumps) {
          const out = rd(kernels.get(d.file)!, 'rd -a linux_banner');
          expect(out.replace(/^[0-9a-f]{16}:\s+/gm, '').replace(/\n/g, '')).toBe(banner + '\n'.replace('\n', ''));
          // 60 characters a line, each line at its own address
          const lines = out.trimEnd().split('\n');
          const first = BigInt('0x' + lines[0]!.slice(0, 16));
          lines.forEach((l, i) => expect(BigInt('0x' + l.slice(0, 16))).toBe(first + BigInt(60 * i)));
        }
      });

      it('symbol+offset, expressions, -o, -R, -N, -x, -D and -p read the same bytes', () => {
        const k = kernels.get(dumps[0]!.file)!;
        const words = rd(k, 'rd linux_banner 4')
          .split('\n')
          .flatMap((l) => l.split(/\s+/).slice(1, 3))
          .filter((w) => /^[0-9a-f]{16}$/.test(w));
        expect(words).toHaveLength(4);
        expect(rd(k, 'rd linux_banner+8')).toContain(`:  ${words[1]}`);
        expect(rd(k, 'rd linux_banner+0x10')).toContain(`:  ${words[2]}`);
        expect(rd(k, 'rd (linux_banner + 3*8)')).toContain(`:  ${words[3]}`);
        expect(rd(k, 'rd -o 16 linux_banner')).toContain(`:  ${words[2]}`);
        expect(rd(k, 'rd -R linux_banner+8 2').split('\n')[0]).toBe(rd(k, 'rd linux_banner 2').split('\n')[0]);
        expect(rd(k, 'rd -e linux_banner+0x20 linux_banner')).toBe(rd(k, 'rd linux_banner 4'));
        // "Linu" as a little-endian word is 756e694c; in network order 4c696e75
        expect(rd(k, 'rd -32 linux_banner')).toMatch(/:  756e694c {30}Linu\n$/);
        expect(rd(k, 'rd -32 -N linux_banner')).toMatch(/:  4c696e75 {30}uniL\n$/);
        expect(rd(k, 'rd -x linux_banner 2')).toMatch(new RegExp(`:  ${words[0]} ${words[1]} \\n$`));
        expect(rd(k, 'rd -D linux_banner')).toContain(
          BigInt('0x' + words[0])
            .toString()
            .padStart(20),
        );
        expect(rd(k, 'rd -8 -d linux_banner 2')).toMatch(/:   76 105 \n$/);
        // physical: the kernel image's own translation
        const pa = k.mem.vtop(k.sym('linux_banner'));
        const phys = rd(k, `rd -p ${pa.toString(16)} 4`);
        expect(phys.replace(/^ *[0-9a-f]+:/gm, '')).toBe(rd(k, 'rd linux_banner 4').replace(/^ *[0-9a-f]+:/gm, ''));
        expect(phys.split('\n')[0]!.slice(0, 17)).toBe(`${pa.toString(16).padStart(16)}:`);
      });

      it('rd -s names kernel pointers symbol+offset (decimal, hex under radix 16)', () => {
        const k = kernels.get(dumps[0]!.file)!;
        const s = new Session(k);
        const sched = k.sym('schedule');
        expect(symbolizeValue(k, sched)).toBe('schedule');
        expect(symbolizeValue(k, sched + 16n)).toBe('schedule+16');
        expect(symbolizeValue(k, sched + 16n, 16)).toBe('schedule+0x10');
        expect(symbolizeValue(k, 0x4000n)).toBeUndefined();
        expect(symbolizeValue(k, k.mem.translator.cfg.pageOffsetBase + 0x1000n)).toBeUndefined();
        // init_task.stack is init_stack, the first object of .data: crash names it by the section
        const stackWord = `(init_task+${k.offsetOf('struct task_struct', 'stack')})`;
        expect(rd(k, `rd -s ${stackWord}`, s)).toMatch(/^[0-9a-f]{16}:  \.data {12}\n$/);
        // init_task.tasks.next points into a task_struct on the heap: not a symbol, shown in hex
        const tasksNext = `(init_task+${k.offsetOf('struct task_struct', 'tasks')})`;
        expect(rd(k, `rd -s ${tasksNext}`, s)).toMatch(/^[0-9a-f]{16}:  [0-9a-f]{16} \n$/);
        // init_task.sched_class (a pointer to a const struct in .rodata) is symbolic
        if (k.hasMember('struct task_struct', 'sched_class')) {
          const sc = `(init_task+${k.offsetOf('struct task_struct', 'sched_class')})`;
          expect(rd(k, `rd -s ${sc}`, s)).toMatch(/^[0-9a-f]{16}:  \w*sched_class\S* +\n$/);
        }
        s.settings.radix = 16;
        expect(rd(k, 'rd -s init_task 16', s)).toContain(':  .data            ');
      });

      it('one-line errors: excluded page, unknown symbol, bad count, bounded huge counts', () => {
        for (const d of dumps) {
          const k = kernels.get(d.file)!;
          const page = excludedDirectMapPage(k);
          const hex = page.toString(16);
          const out = rd(k, `rd ${hex}`);
          expect(out, d.file).toMatch(
            new RegExp(
              `^rd: page excluded: kernel virtual address ${hex} \\(physical [0-9a-f]+\\)  type: "64-bit KVADDR"\\n$`,
            ),
          );
          // a huge count reads up to the first missing page, then names it
          const before = rd(k, `rd -8 ${(page - 16n).toString(16)} 100000000000`);
          const lines = before.trimEnd().split('\n');
          expect(lines).toHaveLength(2);
          expect(lines[0]).toMatch(new RegExp(`^${(page - 16n).toString(16)}:  ([0-9a-f]{2} ){16}  .{16}$`));
          expect(lines[1]).toContain(`kernel virtual address ${hex} `);
          expect(rd(k, `rd -p ${(page - k.mem.translator.cfg.pageOffsetBase).toString(16)}`)).toMatch(
            /^rd: page excluded.*: physical address [0-9a-f]+.* {2}type: "64-bit PHYSADDR"\n$/,
          );
        }
        const k = kernels.get(dumps[0]!.file)!;
        expect(rd(k, 'rd no_such_symbol_here')).toBe('rd: symbol not found: no_such_symbol_here\n');
        expect(rd(k, 'rd linux_banner 0')).toBe('rd: invalid count request: 0\n');
        expect(rd(k, 'rd -8 -s linux_banner')).toMatch(/^rd: -s: .*64-bit/);
        expect(rd(k, 'rd 8000000000000000')).toMatch(/^rd: invalid kernel virtual address: 8000000000000000/);
        // a readable range larger than the per-command limit stops with a note
        const big = rd(k, `rd -8 ${k.mem.translator.cfg.pageOffsetBase.toString(16)} 0x2000000`);
        expect(big.trimEnd().split('\n').pop()).toMatch(
          /^rd: (stopped after 16777216 bytes|page excluded|.*not present)/,
        );
      });

      it('rd -u reads through the current task page tables', () => {
        const k = kernels.get(dumps[0]!.file)!;
        const s = new Session(k);
        // without `set`, the panic task is the context (or, where none is known, a one-line refusal)
        expect(rd(k, 'rd -u 400000', s).split('\n').filter(Boolean)).toHaveLength(1);
        if (info.panic.pid === null) return;
        const t = findTaskByPid(k, info.panic.pid);
        if (!t || t.mm === 0n) return;
        s.contextTask = t.address;
        const mm = k.object('struct mm_struct', t.mm);
        const stack = mm.field('start_stack').value();
        // user pages are filtered out at -d 31: the walk reaches the page and names why it is missing
        const out = rd(k, `rd -u ${stack.toString(16)}`, s);
        expect(out.split('\n').filter(Boolean)).toHaveLength(1);
        expect(out).toMatch(
          new RegExp(
            `^(rd: .*user virtual address ${stack.toString(16)}.*UVADDR"|\\s*${stack.toString(16)}:  [0-9a-f]{16} )`,
          ),
        );
        // a low address without -u is a user address too, as in crash
        expect(rd(k, `rd ${stack.toString(16)}`, s)).toBe(out);
      });
    });
  }
});
