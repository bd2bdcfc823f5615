/**
 * bt -t / -T (bt-format.ts formatTextScan, backtrace.ts textWordsIn) on the corpus dumps: how a text word is
 * named. A word equal to a function's first byte is either a return address (the call before it was the last
 * instruction of the previous function: a call to a noreturn function such as panic) or a function pointer.
 * The bytes before it decide: a 5-byte call (E8) there makes it a return address, named in the caller (as the
 * kernel's own %pB names it in its traces); crash 9 names every such word by the function it points at, e.g.
 * "add_taint.cold" on k61-nmi for the return from nmi_panic.cold's call to panic. Otherwise it is named by
 * itself (a timer's callback, the watchdog function: test/sample/scenario-crash-kinds).
 */
import { expect, it } from 'vitest';
import { caseNames, describeCorpus, skipWhenNoCases } from '../helpers/corpus.js';
import { openFirstDump } from '../helpers/corpus-command.js';

skipWhenNoCases('bt -t on the corpus');
for (const name of caseNames()) {
  describeCorpus(`bt -t on ${name}`, () => {
    const dump = openFirstDump(name);
    const run = dump.run;

    it("a word at a function start after a call is the call's return address, named in the caller", async () => {
      const out = await run('bt -s -t -a');
      let seen = 0;
      for (const m of out.matchAll(/^ {2}\[[0-9a-f]{16}\] ([\w.]+)(?:\+(\d+))? at ([0-9a-f]{16})/gm)) {
        const v = BigInt('0x' + m[3]);
        const exact = dump.k.symbols.nearest(v);
        if (!exact || exact.offset !== 0n) continue;
        const b = dump.k.read(v - 5n, 5);
        if (b[0] === 0xe8) {
          // the call's target, for the record: the word is where that call returns to
          const target = v + BigInt(b.readInt32LE(1));
          expect(dump.k.symbols.nearest(target)?.symbol.name, `call before ${m[3]}`).toBeDefined();
          expect(m[1], `${m[0]}: a return address`).not.toBe(exact.symbol.name);
          expect(Number(m[2])).toBeGreaterThan(0);
          seen++;
        } else expect(m[1], `${m[0]}: a function pointer`).toBe(exact.symbol.name);
      }
      if (name === 'k61-nmi') {
        expect(seen).toBeGreaterThan(0);
        expect(out).toMatch(/\] nmi_panic\.cold\+\d+ at /);
      }
    });

    it('bt -t starts with the START line and ends with the user-mode registers of a task in a system call', async () => {
      const lines = (await run('bt -t')).split('\n');
      expect(lines[1]).toMatch(/^ {14}START: \S+ at [0-9a-f]{16}$/);
      const bt = await run('bt');
      if (/CS: 0033/.test(bt)) expect(lines.filter((l) => l).at(-1)).toMatch(/^ {4}ORIG_RAX: [0-9a-f]{16} {2}CS: 0033/);
    });
  });
}
