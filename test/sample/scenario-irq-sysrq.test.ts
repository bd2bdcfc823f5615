/**
 * A panic in hard-IRQ context on kernel 6.12: Alt-SysRq-C pressed on the guest's PS/2 keyboard (QMP
 * send-key), so the crash runs in the i8042 interrupt handler on the IRQ stack, which had itself
 * interrupted softirq processing on top of the idle task. Made by
 *   scripts/qemu/make-scenario.sh k612-kbd-sysrq ~/.cache/crash-ts-corpus/scenarios/k612-kbd-sysrq
 * (about a minute under TCG; the dump is 16 MB, not committed). Ground truth is the guest's own
 * console (case.json panic.call_trace), not crash. Skips visibly when the dump is absent
 * ($CRASH_TS_SCENARIOS or ~/.cache/crash-ts-corpus/scenarios).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import btCommand from '../../commands/bt.js';
import logCommand from '../../commands/log.js';
import sysCommand from '../../commands/sys.js';
import { corpusAvailable, corpusDir, vmlinuxPlain } from '../helpers/corpus.js';
import { describeWithDumps, scenariosDir } from '../helpers/made-dumps.js';
import { openForSuite } from '../helpers/suite-dump.js';

const NAME = 'k612-kbd-sysrq';
const DIR = join(scenariosDir, NAME);
const have = corpusAvailable && existsSync(join(DIR, 'vmcore.kdump-zlib')) && existsSync(join(DIR, 'case.json'));
const title = `scenario ${NAME}: sysrq-c from the keyboard interrupt (6.12)`;

interface ScenarioCase {
  kernel_release: string;
  markers: string[];
  panic: { message: string; cpu: number; pid: number; comm: string; call_trace: string[] };
}

const missing = !corpusAvailable
  ? `no corpus at ${corpusDir} (for the vmlinux)`
  : have
    ? undefined
    : `no ${DIR}; run scripts/qemu/make-scenario.sh ${NAME} ${DIR}`;
describeWithDumps(title, missing, () => {
  let c: ScenarioCase;
  const dump = openForSuite(async () => [await vmlinuxPlain('k612-sysrq-c'), join(DIR, 'vmcore.kdump-zlib')]);
  const run = dump.run;
  beforeAll(() => {
    c = JSON.parse(readFileSync(join(DIR, 'case.json'), 'utf8')) as ScenarioCase;
  });

  it('is the crash the guest reported', async () => {
    expect(dump.k.vmcoreinfo.osrelease).toBe(c.kernel_release);
    expect(c.panic.message).toBe('Kernel panic - not syncing: sysrq triggered crash');
    // the keyboard interrupt lands wherever the CPU is: on the IRQ stack over idle or kernel code, or on
    // the task stack when it interrupts user space; the tests below follow what the console showed
    expect(c.panic.call_trace.some((f) => f === '<IRQ>' || f === '<TASK>')).toBe(true);
    const sys = await run(sysCommand, []);
    expect(sys).toContain(`PANIC: "${c.panic.message}"`);
    const log = await run(logCommand, []);
    for (const m of c.markers) expect(log).toContain(m);
  });

  it('bt follows the console Call Trace across the IRQ stack back to the idle task', async () => {
    const text = await run(btCommand, []);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(
      new RegExp(`^PID: ${c.panic.pid}\\s+TASK: [0-9a-f]{16}  CPU: ${c.panic.cpu}\\s+COMMAND: "${c.panic.comm}"$`),
    );
    const frames = lines.flatMap((l) => /^\s*#\d+ \[[0-9a-f]{16}\] (\S+) at [0-9a-f]{16}$/.exec(l)?.[1] ?? []);
    expect(frames.slice(0, 3)).toEqual(['machine_kexec', '__crash_kexec', 'panic']);
    // every reliable console frame from panic on, in order (bt may list more: the interrupted functions)
    const truth = c.panic.call_trace.filter((f) => !f.startsWith('?') && !f.startsWith('<'));
    let at = 0;
    for (const f of truth.slice(truth.indexOf('panic'))) {
      const i = frames.indexOf(f, at);
      expect(i, `${f} after frame ${at} in\n${text}`).toBeGreaterThanOrEqual(at);
      at = i + 1;
    }
    if (!c.panic.call_trace.includes('<IRQ>')) {
      // the interrupt came from user space: handled on the task stack, no switch, user registers at the end
      expect(lines).not.toContain('--- <IRQ stack> ---');
      expect(text).toMatch(/CS: 0033 {2}SS: 002b/);
      return;
    }
    // the stack switch sits between the last function of <IRQ> and the first of <TASK>
    const lastIrq = c.panic.call_trace[c.panic.call_trace.indexOf('</IRQ>') - 1]!;
    const firstTask = c.panic.call_trace[c.panic.call_trace.indexOf('<TASK>') + 1]!;
    const sw = lines.indexOf('--- <IRQ stack> ---');
    expect(sw).toBeGreaterThan(0);
    expect(lines[sw - 1]).toContain(` ${lastIrq} at `);
    expect(lines[sw + 1]).toContain(` ${firstTask} at `);
  });
});
