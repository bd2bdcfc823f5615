/**
 * sys on every dump of the corpus: RELEASE, NODENAME, CPUS, PANIC and the panic task's
 * PID/COMMAND/CPU against case.json; the other fields against crash 9's golden block; UPTIME
 * against the dump's own last log timestamp (crash 9 is wrong there on 6.12).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import sysCommand from '../../commands/sys.js';
import { openKernelSync } from '../../src/kernel/open.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { renderText } from '../../src/render/text.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import type { View } from '../../src/render/view.js';
import {
  caseDir,
  caseInfo,
  caseNames,
  describeCorpus,
  dumpPaths,
  skipWhenNoCases,
  vmlinuxPlain,
} from '../helpers/corpus.js';

async function sys(k: Kernel, argv: string[] = [], banner = false): Promise<string> {
  const args = parseArgs(argv, sysCommand.options);
  if (banner) args.flags.banner = true;
  return renderText((await sysCommand.run(new Session(k), args)) as View);
}

function fields(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z ]+?):\s(.*)$/.exec(line);
    if (m) out[m[1]!.trim()] = m[2]!.trim();
  }
  return out;
}

function golden(caseName: string, dumpFile: string, name: string): string | undefined {
  const p = join(caseDir(caseName), 'golden', 'crash-9', dumpFile, name);
  return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
}

skipWhenNoCases('sys on each corpus case');

for (const name of caseNames()) {
  describeCorpus(`sys on ${name}`, () => {
    const info = caseInfo(name);
    const opened: { file: string; k: Kernel; lossy: boolean }[] = [];
    beforeAll(async () => {
      const vml = await vmlinuxPlain(name);
      for (const d of await dumpPaths(name))
        opened.push({ file: d.file, k: openKernelSync(vml, d.path), lossy: !!d.dump.unreadable_tasks });
    }, 120_000);

    it('RELEASE, NODENAME, CPUS and PANIC are those of the crashed machine', async () => {
      for (const { file, k } of opened) {
        const f = fields(await sys(k));
        expect(f.RELEASE, file).toBe(info.kernel_release);
        const snapshotHost = (info.pre_crash_snapshot as { hostname?: string } | undefined)?.hostname;
        if (snapshotHost) expect(f.NODENAME).toBe(snapshotHost);
        expect(f.NODENAME).toMatch(/^\S+$/);
        expect(Number(f.CPUS)).toBe(k.dump.cpus.length);
        if (info.panic.message) expect(f.PANIC).toBe(`"${info.panic.message}"`);
      }
    });

    it('the banner names the panic task: PID, COMMAND, CPU, STATE', async () => {
      if (info.panic.pid === null) return;
      for (const { file, k } of opened) {
        const out = await sys(k, [], true);
        expect(out, file).toContain(`         PID: ${info.panic.pid}\n     COMMAND: "${info.panic.comm}"\n`);
        expect(out).toMatch(new RegExp(`\\n {9}CPU: ${info.panic.cpu}\\n {7}STATE: TASK_RUNNING \\(PANIC\\)\\n\\n`));
        expect(out).toMatch(/^ {8}TASK: ([0-9a-f]{16}) {2}\[THREAD_INFO: \1\]$/m);
      }
    });

    it("equals crash 9's block except KERNEL (we open the .nodwarf file), UPTIME, and TASKS on a lossy dump", async () => {
      for (const { file, k, lossy } of opened) {
        const g = golden(name, file, '00_sys.out');
        if (!g) continue;
        const mine = fields(await sys(k));
        const theirs = fields(g);
        for (const key of [
          'CPUS',
          'DATE',
          'LOAD AVERAGE',
          'NODENAME',
          'RELEASE',
          'VERSION',
          'MACHINE',
          'MEMORY',
          'PANIC',
          ...(lossy ? [] : ['TASKS']),
        ]) {
          expect({ file, key, value: mine[key] }).toEqual({ file, key, value: theirs[key] });
        }
        const labels = (t: string): string[] => [...t.matchAll(/^( *[A-Z][A-Z ]*?: )/gm)].map((m) => m[1]!);
        const mineLabels = new Set(labels(await sys(k)));
        for (const l of labels(g)) expect(mineLabels.has(l), `label ${JSON.stringify(l)}`).toBe(true);
        expect(await sys(k, ['-t'])).toBe(golden(name, file, '01_sys_-t.out'));
      }
    });

    it('UPTIME agrees with the last timestamp of the dump log (within 3 s)', async () => {
      const dmesg = join(caseDir(name), 'capture', 'dmesg.txt');
      if (!existsSync(dmesg)) return;
      const stamps = [...readFileSync(dmesg, 'utf8').matchAll(/^\[\s*(\d+\.\d+)\]/gm)].map((m) => Number(m[1]));
      const last = stamps[stamps.length - 1]!;
      for (const { file, k } of opened) {
        const up = fields(await sys(k)).UPTIME!;
        const m = /^(?:(\d+) days?, )?(\d+):(\d\d):(\d\d)$/.exec(up);
        expect(m, `${file} UPTIME ${up}`).not.toBeNull();
        const secs = Number(m![1] ?? 0) * 86400 + Number(m![2]) * 3600 + Number(m![3]) * 60 + Number(m![4]);
        expect(Math.abs(secs - last)).toBeLessThanOrEqual(3);
      }
    });

    it('says when tasks are lost, and that the kernel carries no config', async () => {
      for (const { k, lossy } of opened) {
        const out = await sys(k);
        if (lossy) expect(out).toMatch(/WARNING: \d+ tasks could not be read/);
        else expect(out).not.toMatch(/could not be read/);
        // Debian builds without CONFIG_IKCONFIG: no kernel_config_data, and crash 9's line for it
        expect(k.hasSymbol('kernel_config_data')).toBe(false);
        await expect(sys(k, ['config'])).rejects.toThrow(/^kernel_config_data does not exist in this kernel$/);
      }
    });
  });
}
