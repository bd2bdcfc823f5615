/**
 * sig on every corpus dump against crash 9's stored output; the signal names and sets (sig -l, -s); a shell's
 * handlers (SA_RESTORER, its sa_mask) as the kernel holds them; the JSON data.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openKernelSync } from '../../src/kernel/open.js';
import { signalName, sigsetNames, taskSignals } from '../../src/kernel/objects/signal.js';
import { allTasks } from '../../src/kernel/objects/tasks.js';
import { caseNames, describeCorpus, dumpPaths, repoRoot, skipWhenNoCases, vmlinuxPlain } from '../helpers/corpus.js';
import { itEqualsStoredRuns, openCaseDumps } from '../helpers/corpus-command.js';
import { breadthNorm, replOn } from '../helpers/repl.js';

describe('signal names', () => {
  it('names the real-time signals from both ends, as the kernel numbers them', () => {
    expect(signalName(1)).toBe('SIGHUP');
    expect(signalName(17)).toBe('SIGCHLD');
    expect(signalName(32)).toBe('SIGRTMIN');
    expect(signalName(48)).toBe('SIGRTMIN+16');
    expect(signalName(49)).toBe('SIGRTMAX-15');
    expect(signalName(64)).toBe('SIGRTMAX');
    expect(sigsetNames(0x10000n)).toEqual(['SIGCHLD']);
    expect(sigsetNames((1n << 8n) | 1n)).toEqual(['SIGHUP', 'SIGKILL']);
  });
});

skipWhenNoCases('sig on each corpus case');

for (const name of caseNames()) {
  describeCorpus(`sig on ${name}`, () => {
    const opened = openCaseDumps(name, /^sig\b/);

    itEqualsStoredRuns('equals crash 9 on every stored sig command', name, opened, /^sig\b/);

    it("reads a shell's handlers: SIGCHLD caught with SA_RESTORER, SIGQUIT ignored; sig shows them", async () => {
      const { k, run } = opened[0]!;
      const sh = allTasks(k).tasks.find((t) => t.comm === 'sh' && t.mm !== 0n);
      if (!sh) return;
      const s = taskSignals(k, sh.address);
      const chld = s.actions[16]!;
      expect(chld.signal).toBe(17);
      expect(chld.handler > 1n).toBe(true);
      expect(chld.flags & 0x04000000n).toBe(0x04000000n);
      const out = await run(`sig ${sh.pid}`);
      expect(out).toContain(`[17] ${chld.address.toString(16)} ${chld.handler.toString(16).padStart(10)} `);
      expect(out).toMatch(/\[17\] .* \(SA_RESTORER\)/);
      await run('set output json');
      const doc = JSON.parse(await run(`sig ${sh.pid}`)) as { actions: { name: string; handlerName: string }[] };
      await run('set output text');
      expect(doc.actions[16]!.name).toBe('SIGCHLD');
      expect(doc.actions[0]!.name).toBe('SIGHUP');
    });

    it('sig -l and sig -s', async () => {
      const { run } = opened[0]!;
      const l = (await run('sig -l')).split('\n');
      expect(l[0]).toBe(' [1] SIGHUP');
      expect(l).toContain('[17] SIGCHLD/SIGCLD');
      expect(l).toContain('[49] SIGRTMAX-15');
      expect(await run('sig -s 0x10000')).toBe('SIGCHLD\n');
      expect(await run('sig -s 0')).toBe('(none)\n');
    });
  });
}

describeCorpus(
  'sig -g, sig of a shell and a kernel thread, files/vm of several tasks: crash 9 on k61-proc-truth',
  () => {
    it('equals crash 9 run on the same dump (test/fixtures/sig)', async () => {
      if (!caseNames().includes('k61-proc-truth')) return;
      const [d] = await dumpPaths('k61-proc-truth');
      const run = await replOn(openKernelSync(await vmlinuxPlain('k61-proc-truth'), d!.path));
      const text = readFileSync(join(repoRoot, 'test/fixtures/sig/k61-proc-truth.more.crash9.out'), 'latin1');
      const parts = text.split(/^@@@ (.*)\n/m).slice(1);
      expect(parts.length).toBe(18);
      for (let i = 0; i < parts.length; i += 2)
        expect(breadthNorm(await run(parts[i]!)), parts[i]).toBe(breadthNorm(parts[i + 1]!));
    });
  },
);
