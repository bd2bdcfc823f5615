/**
 * timer -r's CURRENT (the monotonic clock at the crash) against the guest's console: the panic line's own
 * timestamp ("[   25.042637] Kernel panic") is when the crash happened, in the same clock. CURRENT counts
 * jiffies since boot at the kernel's HZ, so it lags the console by up to the ticks before the tick started
 * (about a third of a second here) and never leads it. crash 9 takes HZ 1000 on 6.12 (the kernel's is 250), so
 * it counts from INITIAL_JIFFIES = -300 * 1000 instead of -300 * 250: on k612-proc-truth it shows 231.179 s
 * (300,000 - 75,000 + 6,179 ticks read as ms) for a guest that panicked at 25.0 s, every timer long overdue.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { caseDir, caseNames, describeCorpus, skipWhenNoCases } from '../helpers/corpus.js';
import { openFirstDump } from '../helpers/corpus-command.js';

function panicSeconds(name: string): number | undefined {
  const serial = readFileSync(join(caseDir(name), 'serial-first-kernel.log'), 'latin1');
  const m = /^\[\s*(\d+\.\d+)\] Kernel panic/m.exec(serial);
  return m ? Number(m[1]) : undefined;
}

const cases = caseNames().filter((n) => panicSeconds(n) !== undefined);
skipWhenNoCases('timer -r CURRENT against the console on each corpus case');

for (const name of cases) {
  describeCorpus(`timer -r CURRENT on ${name}`, () => {
    const dump = openFirstDump(name);
    it("the monotonic clock's CURRENT is the console's panic time, less at most 2 s of ticks not yet started", async () => {
      const panic = panicSeconds(name)!;
      const out = await dump.run('timer -r');
      const blocks = [...out.matchAll(/CLOCK: 0 .*\[ktime_get\]\n\s+CURRENT\s*\n\s+(\d+)/g)];
      expect(blocks.length, out.slice(0, 400)).toBeGreaterThan(0);
      for (const b of blocks) {
        const now = Number(b[1]) / 1e9;
        expect(now).toBeLessThanOrEqual(panic + 0.05);
        expect(now).toBeGreaterThan(panic - 2);
      }
    });
  });
}
