/** bt's options on one real dump: -t/-T hold every unwound frame, -l says why there are no lines, JSON data. */
import { beforeAll, expect, it } from 'vitest';
import bt from '../../commands/bt.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { renderText } from '../../src/render/text.js';
import { renderJson } from '../../src/render/json.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import type { View } from '../../src/render/view.js';
import { caseInfo, caseNames, describeCorpus, dumpPaths, vmlinuxPlain } from '../helpers/corpus.js';

const CASE = 'k61-sysrq-c';

describeCorpus('bt options', () => {
  let s: Session;
  const view = (cmd: string): View => bt.run(s, parseArgs(cmd.split(' ').slice(1).filter(Boolean), bt.options)) as View;
  beforeAll(async () => {
    if (!caseNames().includes(CASE)) return;
    const d = (await dumpPaths(CASE))[0]!;
    s = new Session(openKernelSync(await vmlinuxPlain(CASE), d.path));
  }, 120_000);

  it('-t lists every unwound return address at its slot; -T starts lower on the stack', () => {
    const frames = [...renderText(view('bt')).matchAll(/^\s*#(\d+) \[([0-9a-f]+)\] ([\w.]+) at ([0-9a-f]+)$/gm)];
    const t = renderText(view('bt -t')).split('\n');
    expect(t[1]).toBe(`              START: ${frames[0]![3]} at ${frames[0]![4]}`);
    for (const f of frames.slice(1)) expect(t).toContain(`  [${f[2]}] ${f[3]} at ${f[4]}`);
    const T = renderText(view('bt -T')).split('\n');
    expect(T.length).toBeGreaterThan(t.length);
  });

  it('-l: one line saying line numbers need DWARF, then the backtrace', () => {
    const lines = renderText(view('bt -l')).split('\n');
    expect(lines[0]).toMatch(/^bt: -l: no line numbers: .*DWARF/);
    expect(lines[1]).toMatch(new RegExp(`^PID: ${caseInfo(CASE).panic.pid}\\s`));
  });

  it('JSON carries the frames with addresses', () => {
    const j = JSON.parse(renderJson(view('bt'))) as {
      pid: number;
      frames: { function: string; stackAddress: string; address: string }[];
      userRegisters: { ip: string };
    };
    expect(j.pid).toBe(caseInfo(CASE).panic.pid);
    expect(j.frames.map((f) => f.function)).toContain('panic');
    expect(j.frames[0]!.stackAddress).toMatch(/^0x[0-9a-f]+$/);
    expect(j.userRegisters.ip).toMatch(/^0x[0-9a-f]+$/);
  });

  it('-p is the panic task, after `set` made another task the current context', () => {
    const panicked = renderText(view('bt'));
    expect(renderText(view('bt -p'))).toBe(panicked);
    const other = caseInfo(CASE).workload![0]!.pid;
    const before = s.contextTask;
    s.contextTask = BigInt('0x' + /TASK: ([0-9a-f]+)/.exec(renderText(view(`bt ${other}`)))![1]!);
    try {
      expect(renderText(view('bt'))).toMatch(new RegExp(`^PID: ${other}\\s`));
      expect(renderText(view('bt -p'))).toBe(panicked);
    } finally {
      s.contextTask = before;
    }
  });

  it('bad selectors are one-line errors', () => {
    expect(() => view('bt 999999')).toThrow(/invalid task or pid value: 999999/);
    expect(() => view('bt -c 7')).toThrow(/invalid cpu: 7/);
  });
});
