/**
 * bt -F / -FF: the frame words of bt -f, each that points into the kernel image written as its symbol, each that
 * points into a slab object as its cache ([filp]; -FF: [VALUE:filp]). Checked line by line against crash 9.0.2's
 * output on two corpus dumps (test/fixtures/bt/*.bt-F*.crash9.txt), and on every corpus dump against our own
 * bt -f: the same lines, each word either the same hex or a name.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import bt from '../../commands/bt.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { caseDir, caseNames, describeCorpus, vmlinuxPlain } from '../helpers/corpus.js';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'bt');

const run = (k: Kernel, cmd: string): string =>
  renderText(bt.run(new Session(k), parseArgs(cmd.split(' ').slice(1), bt.options)) as View);

/** The words of a frame-word line ("    ADDR: W W "), or undefined for other lines. */
const wordsOf = (line: string): string[] | undefined => {
  const m = /^ {4}([0-9a-f]{16}): (.*)$/.exec(line);
  return m ? m[2]!.trim().split(/ +/) : undefined;
};

/**
 * Ours equals crash's line by line, with one difference allowed and checked: where crash names a word by a
 * compiler-local label (.LC3+673: a string constant; such labels repeat in every object file), crash-ts keeps
 * those out of its symbol table and names the nearest real symbol, so the word must be a name+offset there.
 */
function compare(ours: string, crash: string): number {
  const a = ours.trimEnd().split('\n');
  const b = crash.trimEnd().split('\n');
  expect(a.length).toBe(b.length);
  let local = 0;
  a.forEach((x, i) => {
    const y = b[i]!;
    if (x === y) return;
    const [wx, wy] = [wordsOf(x), wordsOf(y)];
    expect(wx && wy && wx.length === wy.length, `line ${i + 1} differs:\n  ours:  ${x}\n  crash: ${y}`).toBe(true);
    wy!.forEach((w, j) => {
      if (w === wx![j]) return;
      expect(w, `line ${i + 1} word ${j}: ours ${wx![j]}`).toMatch(/^\.L\w+\+\d+$/);
      expect(wx![j]).toMatch(/^[A-Za-z_][\w.]*\+\d+$/);
      local++;
    });
  });
  return local;
}

describeCorpus('bt -F / -FF against crash 9', () => {
  for (const [name, files] of [
    ['k61-sysrq-c', ['bt -F', 'bt -FF']],
    ['k612-sysrq-c', ['bt -F']],
  ] as const) {
    const dump = join(caseDir(name), 'vmcore.kdump-zlib');
    const present = existsSync(dump);
    (present ? describe : describe.skip)(`${name}${present ? '' : ' (skipped: dump absent)'}`, () => {
      let k: Kernel;
      beforeAll(async () => {
        k = openKernelSync(await vmlinuxPlain(name), dump);
      }, 120_000);
      for (const cmd of files) {
        it(`${cmd} equals crash 9 line by line`, () => {
          const fixture = join(FIX, `${name}.${cmd.replace(' ', '')}.crash9.txt`);
          const crash = readFileSync(fixture, 'utf8');
          const local = compare(run(k, cmd), crash);
          expect(local).toBeLessThanOrEqual(2);
        });
      }
    });
  }

  it('k61-sysrq-c: the words crash 9 names, as crash 9 names them', async () => {
    const dump = join(caseDir('k61-sysrq-c'), 'vmcore.kdump-zlib');
    if (!existsSync(dump)) return void console.warn('skipped: k61-sysrq-c vmcore.kdump-zlib absent');
    const k = openKernelSync(await vmlinuxPlain('k61-sysrq-c'), dump);
    const f = run(k, 'bt -F').split('\n');
    const ff = run(k, 'bt -FF').split('\n');
    // values read from crash 9.0.2's bt -F / -FF of pid 542 (sh, sysrq-c)
    expect(f).toContain('    ffffd3e7406ab958: __crash_kexec+119 ');
    expect(f).toContain('    ffffd3e7406ab960: 0000000000000000 sysrq_crash_op   ');
    expect(f).toContain('    ffffd3e7406abaa8: 0000000000000002 [filp]           ');
    expect(f).toContain('    ffffd3e7406abac8: [kmalloc-2k]     write_sysrq_trigger+36 ');
    expect(f).toContain('    ffffd3e7406abad8: [proc_dir_entry] proc_reg_write+86 ');
    expect(f).toContain('    ffffd3e7406abe00: [vm_area_struct] 0000000000000cc0 ');
    expect(ff).toContain('    ffffd3e7406abac8: [ffff8e719e346800:kmalloc-2k] write_sysrq_trigger+36 ');
    expect(ff).toContain('    ffffd3e7406abe80: [ffff8e719c9f8390:vm_area_struct] [ffff8e7181068900:mm_struct] ');
  }, 120_000);
});

describeCorpus('bt -F on every corpus dump: bt -f with names', () => {
  for (const name of caseNames()) {
    const dump = join(caseDir(name), 'vmcore.kdump-zlib');
    it.skipIf(!existsSync(dump))(
      name,
      async () => {
        const k = openKernelSync(await vmlinuxPlain(name), dump);
        const plain = run(k, 'bt -f').split('\n');
        const named = run(k, 'bt -F').split('\n');
        expect(named.length).toBe(plain.length);
        let names = 0;
        plain.forEach((p, i) => {
          const [wp, wn] = [wordsOf(p), wordsOf(named[i]!)];
          if (!wp) return expect(named[i]).toBe(p);
          expect(wn?.length).toBe(wp.length);
          wp.forEach((w, j) => {
            if (wn![j] === w) return;
            names++;
            expect(wn![j]).toMatch(/^([A-Za-z_.][\w.$]*(\+\d+)?|\[[\w.:() -]+\])$/);
          });
        });
        // a panic task's frames hold return addresses: some words are named
        expect(names).toBeGreaterThan(0);
      },
      120_000,
    );
  }
});
