/**
 * log on every dump of the corpus: the crashed kernel's own console (serial-first-kernel.log) up to
 * the panic is in our log, the case's marker lines are there, and the text equals crash 9's
 * golden output byte for byte where crash read the dump without trouble (log, log -m, log -T).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import logCommand from '../../commands/log.js';
import { openKernelSync } from '../../src/kernel/open.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { findPanicRecord, readPrintkLog, CALLER_CPU_FLAG } from '../../src/kernel/objects/printk.js';
import { bootEpochSeconds, crashEpochSeconds, formatCtime, kernelHz } from '../../src/kernel/objects/boot-time.js';
import { renderText } from '../../src/render/text.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { caseDir, caseInfo, caseNames, describeCorpus, dumpPaths, vmlinuxPlain } from '../helpers/corpus.js';
import { crashGolden } from '../helpers/corpus.js';

function log(k: Kernel, argv: string[] = []): string {
  const view = logCommand.run(new Session(k), parseArgs(argv, logCommand.options));
  return renderText(view as Exclude<typeof view, Promise<unknown>>);
}

/** The referee's reading of the console (check.py console_log_lines): [stamp] text, up to the panic line. */
function consoleLines(serial: string, stopAtPanic = true): { stamp: string; text: string }[] {
  const out: { stamp: string; text: string }[] = [];
  for (const l of serial.split('\n')) {
    const m = /^\[\s*(\d+\.\d{6})\]\s?(.*)$/.exec(l.replace(/\r$/, ''));
    if (!m) continue;
    out.push({ stamp: m[1]!, text: m[2]!.trimEnd() });
    if (stopAtPanic && l.includes('Kernel panic - not syncing')) break;
  }
  return out;
}

const golden = crashGolden;

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function parseCtime(t: string): number {
  const m = /^\w{3} (\w{3}) +(\d+) (\d\d):(\d\d):(\d\d) UTC (\d{4})$/.exec(t)!;
  return Date.UTC(+m[6]!, MONTHS.indexOf(m[1]!), +m[2]!, +m[3]!, +m[4]!, +m[5]!) / 1000;
}

const sysField = (sys: string, label: string): string | undefined =>
  new RegExp(`^\\s*${label}: (.*)$`, 'm').exec(sys)?.[1];

describeCorpus('log on the corpus', () => {
  for (const name of caseNames()) {
    describe(name, () => {
      const info = caseInfo(name);
      const serial = readFileSync(join(caseDir(name), 'serial-first-kernel.log'), 'latin1');
      let dumps: Awaited<ReturnType<typeof dumpPaths>> = [];
      const kernels = new Map<string, Kernel>();
      beforeAll(async () => {
        dumps = await dumpPaths(name);
        const vml = await vmlinuxPlain(name);
        for (const d of dumps) kernels.set(d.file, openKernelSync(vml, d.path));
      });

      it('holds every console line up to the panic, and the markers', () => {
        const want = consoleLines(serial);
        expect(want.length).toBeGreaterThan(100);
        for (const d of dumps) {
          const out = log(kernels.get(d.file)!);
          const texts = new Set(out.split('\n').map((l) => l.replace(/^\[\s*[\d.]+\]\s?/, '').trim()));
          const missing = want.filter((w) => !texts.has(w.text.trim()));
          expect(missing, `${d.file}: console lines missing from log`).toEqual([]);
          for (const mk of info.markers ?? []) expect(out, `${d.file}: marker ${mk}`).toContain(mk);
          // the stamps agree too: the console's [   1.234567] is the record's own time
          const stamped = new Set(out.split('\n'));
          const sample = want.filter((w) => w.text && !w.text.startsWith(' ')).slice(0, 50);
          for (const w of sample)
            expect(
              stamped.has(`[${w.stamp.padStart(12)}] ${w.text}`) ||
                [...stamped].some((l) => l.startsWith(`[${w.stamp.padStart(12)}] ${w.text}`)),
              `${d.file}: ${w.stamp} ${w.text}`,
            ).toBe(true);
        }
      });

      it('equals crash 9 byte for byte (log, log -m) where crash read the dump', () => {
        let compared = 0;
        for (const d of dumps) {
          const k = kernels.get(d.file)!;
          for (const [argv, file] of [
            [[], '09_log.out'],
            [['-m'], '11_log_-m.out'],
          ] as const) {
            const g = golden(name, d.file, file);
            if (g === undefined) continue;
            expect(log(k, [...argv]), `${d.file} log ${argv.join(' ')}`).toBe(g.endsWith('\n') ? g : g + '\n');
            compared++;
          }
        }
        expect(compared).toBeGreaterThan(0);
      });

      it('log -T: boot time = crash time - jiffies uptime; equals crash 9 where crash knew HZ', () => {
        for (const d of dumps) {
          const k = kernels.get(d.file)!;
          const boot = bootEpochSeconds(k)!;
          const records = readPrintkLog(k).records;
          const last = records[records.length - 1]!;
          // the last record was logged just before the crash: boot + its stamp is the crash time (±2 s)
          expect(Math.abs(boot + Number(last.tsNsec / 1_000_000_000n) - crashEpochSeconds(k)!)).toBeLessThanOrEqual(2);
          const sys = golden(name, d.file, '00_sys.out');
          if (sys) expect(formatCtime(crashEpochSeconds(k)!)).toBe(sysField(sys, 'DATE'));
          const g = golden(name, d.file, '10_log_-T.out');
          const up = sys ? sysField(sys, 'UPTIME') : undefined;
          const crashUptime = up ? up.split(':').reduce((a, x) => a * 60 + Number(x), 0) : undefined;
          const ours = crashEpochSeconds(k)! - boot;
          if (g === undefined) continue;
          if (crashUptime === ours) expect(log(k, ['-T'])).toBe(g.endsWith('\n') ? g : g + '\n');
          else {
            // crash 9 takes HZ=1000 on 6.12 (UPTIME 00:03:48 for a 12 s uptime): every stamp is shifted by the same amount
            expect(kernelHz(k)).toBe(250);
            const shift = crashUptime! - ours;
            const fix = (l: string): string =>
              l.replace(/^\[(.*?)\]/, (_m, t: string) => `[${formatCtime(parseCtime(t) + shift)}]`);
            expect(log(k, ['-T'])).toBe(
              g
                .split('\n')
                .map((l) => (l.startsWith('[') ? fix(l) : l))
                .join('\n') + (g.endsWith('\n') ? '' : '\n'),
            );
          }
        }
      });

      it('finds the panic record, logged by the panicking task or CPU', () => {
        for (const d of dumps) {
          const k = kernels.get(d.file)!;
          const log = readPrintkLog(k);
          expect(log.gaps, `${d.file}: unreadable parts of the printk buffer`).toEqual([]);
          const p = findPanicRecord(log.records);
          expect(p?.text).toBe(info.panic.message);
          if (info.panic.pid !== null && info.panic.cpu !== null) {
            const cid = p!.callerId;
            expect(cid & CALLER_CPU_FLAG ? ['C', cid & ~CALLER_CPU_FLAG] : ['T', cid]).toEqual(
              cid & CALLER_CPU_FLAG ? ['C', info.panic.cpu] : ['T', info.panic.pid],
            );
          }
          // -c shows it, in a column sized for pid_max
          expect(log.records.length).toBeGreaterThan(300);
          const seqs = log.records.map((r) => r.seq);
          for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(seqs[i - 1]! + 1n);
        }
      });
    });
  }
});
