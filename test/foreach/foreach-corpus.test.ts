/**
 * foreach on the corpus dumps: `foreach bt` against crash 9's golden 30_foreach_bt.out (byte for byte, except the
 * frames bt deliberately shows and crash 9 loses — see test/bt/bt-corpus.test.ts — which are checked by rule), the
 * incomplete k612 dump against the complete dump of the same crash, and the task selectors against crash 9's own
 * ps table (06_ps.out). Commands go through the real REPL (parser, aliases, registry).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { allTasks } from '../../src/kernel/objects/tasks.js';
import { caseDir, caseInfo, caseNames, describeCorpus, dumpPaths, vmlinuxPlain } from '../helpers/corpus.js';
import { openSession, type Opened } from '../expr/session.js';

const frameRe = /^\s*#(\d+) \[([0-9a-f]+)\] ([\w.]+) at ([0-9a-f]+)$/;

/**
 * Drop the frames crash 9 loses: a return address that is the first byte of the NEXT symbol (a call to a
 * noreturn function at a function's end; crash looks it up without the -1 of the kernel's unwinder).
 * Each dropped frame is checked against the symbol table; later frames of the block are renumbered.
 */
function withoutFramesCrashLoses(k: Kernel, out: string): { text: string; dropped: string[] } {
  const dropped: string[] = [];
  const lines: string[] = [];
  let shift = 0;
  for (const l of out.split('\n')) {
    if (l.startsWith('PID: ')) shift = 0;
    const m = frameRe.exec(l);
    if (!m) {
      lines.push(l);
      continue;
    }
    const at = k.symbols.nearest(BigInt('0x' + m[4]));
    if (at && at.offset === 0n && at.symbol.name !== m[3]) {
      dropped.push(`${m[3]} (returns to the start of ${at.symbol.name})`);
      shift++;
      continue;
    }
    lines.push(shift ? `${'#' + (Number(m[1]) - shift)}`.padStart(3) + l.slice(l.indexOf(' [')) : l);
  }
  return { text: lines.join('\n'), dropped };
}

/** crash 9's ps rows (06_ps.out) as {pid, st, comm, kernel, active, line}. */
function goldenPs(
  dir: string,
): { pid: number; st: string; comm: string; kernel: boolean; active: boolean; task: string; line: string }[] {
  return readFileSync(join(dir, '06_ps.out'), 'utf8')
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((line) => {
      const f = line.slice(1).trim().split(/\s+/);
      const comm = line.slice(line.lastIndexOf('  ') + 2);
      return {
        pid: Number(f[0]),
        task: f[3]!,
        st: f[4]!,
        comm: comm.replace(/^\[(.*)\]$/, '$1'),
        kernel: comm.startsWith('['),
        active: line.startsWith('>'),
        line,
      };
    });
}

const headers = (out: string): string[] => out.split('\n').filter((l) => l.startsWith('PID: '));
const headerTask = (h: string): string => /TASK: ([0-9a-f]+)/.exec(h)![1]!;

/** The dump of a case whose golden output is the reference: complete (no unreadable tasks), kdump-zlib first. */
async function goldenDump(name: string): Promise<{ path: string; golden: string } | undefined> {
  for (const d of await dumpPaths(name)) {
    const g = join(caseDir(name), 'golden', 'crash-9', d.file);
    if (!existsSync(join(g, '30_foreach_bt.out')) || d.dump.unreadable_tasks?.length) continue;
    return { path: d.path, golden: g };
  }
  return undefined;
}

describeCorpus('foreach on the corpus dumps', () => {
  for (const name of caseNames()) {
    describe(name, () => {
      let o: Opened | undefined;
      let golden = '';
      beforeAll(async () => {
        const d = await goldenDump(name);
        if (!d) return;
        golden = d.golden;
        o = await openSession(await vmlinuxPlain(name), d.path);
      }, 120_000);

      it('foreach bt equals crash 9 byte for byte (but for the frames crash 9 loses, checked by rule)', async () => {
        const want = readFileSync(join(golden, '30_foreach_bt.out'), 'utf8');
        const ours = await o!.run('foreach bt');
        expect(headers(ours).length).toBe(allTasks(o!.k).tasks.length);
        if (ours === want) return;
        const { text, dropped } = withoutFramesCrashLoses(o!.k, ours);
        expect(dropped.length).toBeGreaterThan(0);
        expect(text).toBe(want);
      });

      it('the `for` alias runs foreach', async () => {
        const a = await o!.run('for 1 bt');
        expect(a).toMatch(/^PID: 1 /);
        expect(a).toBe(await o!.run('foreach 1 bt'));
      });

      it('state, kind and name selectors pick the tasks crash 9 lists with that state/kind/name', async () => {
        const ps = goldenPs(golden);
        const pick = async (line: string): Promise<string[]> => headers(await o!.run(line)).map(headerTask);
        expect(await pick('foreach RU bt')).toEqual(ps.filter((r) => r.st === 'RU').map((r) => r.task));
        expect(await pick('foreach IN bt')).toEqual(ps.filter((r) => r.st === 'IN').map((r) => r.task));
        expect(await pick('foreach -k bt')).toEqual(ps.filter((r) => r.kernel).map((r) => r.task));
        expect(await pick('foreach -u RU bt')).toEqual(ps.filter((r) => !r.kernel && r.st === 'RU').map((r) => r.task));
        expect(await pick('foreach kernel ID bt')).toEqual(
          ps.filter((r) => r.kernel && r.st === 'ID').map((r) => r.task),
        );
        const active = ps.filter((r) => r.active).map((r) => r.task);
        expect(active.length).toBe(o!.k.onlineCpus.length);
        expect(await pick('foreach -a bt')).toEqual(active);
        const panic = caseInfo(name).panic;
        if (panic.comm) {
          expect(await pick(`foreach ${panic.comm} bt`)).toEqual(
            ps.filter((r) => r.comm === panic.comm).map((r) => r.task),
          );
        }
      });

      it('foreach ... ps prints one table, the rows crash 9 prints for those tasks', async () => {
        const ps = goldenPs(golden);
        const head = readFileSync(join(golden, '06_ps.out'), 'utf8').split('\n')[0]!;
        const users = ps.filter((r) => !r.kernel);
        expect(users.length).toBeGreaterThan(3);
        expect(await o!.run('foreach -u ps')).toBe([head, ...users.map((r) => r.line), ''].join('\n'));
        // a quoted regex (the REPL keeps the quotes of a wholly single-quoted word, as crash does)
        const corp = ps.filter((r) => /corp.*/.test(r.comm));
        if (corp.length) {
          expect(await o!.run("foreach 'corp.*' ps")).toBe([head, ...corp.map((r) => r.line), ''].join('\n'));
          expect(await o!.run("ps 'corp.*'")).toBe(await o!.run("foreach 'corp.*' ps"));
        }
        const both = ps.filter((r) => r.pid === 1 || r.pid === 2);
        expect(await o!.run('foreach 1 2 ps')).toBe([head, ...both.map((r) => r.line), ''].join('\n'));
      });

      it('bt flags after the command: foreach PID bt -f equals bt -f PID', async () => {
        const p = caseInfo(name).panic.pid;
        const pid = p ? p : 1; // pid 0 names every CPU's idle task
        const a = await o!.run(`foreach ${pid} bt -f`);
        expect(a).toContain(`PID: ${pid} `);
        expect(a).toMatch(/^ {4}[0-9a-f]{16}: /m);
        expect(a).toBe(await o!.run(`bt -f ${pid}`));
      });

      it('set per task leaves the task context as it was', async () => {
        const before = o!.s.currentTask();
        const out = await o!.run('foreach 1 2 set');
        expect(out).toMatch(/^PID: 1 .*\n {4}PID: 1\n/);
        expect(out).toMatch(/\n\nPID: 2 .*\n {4}PID: 2\n/);
        expect(o!.s.currentTask()).toBe(before);
      });

      it('bad selections and commands are one-line errors', async () => {
        expect(await o!.run('foreach 99999 bt')).toBe('foreach: invalid task or pid value: 99999\n');
        expect(await o!.run('foreach no-such-comm bt')).toMatch(/^foreach: no task matches "no-such-comm".*\n$/);
        expect(await o!.run('foreach 1')).toMatch(/^foreach: no command given/);
        expect(await o!.run('foreach log')).toMatch(
          /^foreach: log does not take a task \(foreach runs: bt, files, net, ps, set, sig, task, vm\)\n$/,
        );
        expect(await o!.run('foreach -z bt')).toMatch(/^foreach: invalid option: -z/);
      });
    });
  }
});

describeCorpus('foreach on a dump that lost task pages (k612-sysrq-c kdump-zlib)', () => {
  const name = 'k612-sysrq-c';
  it('goes through every readable task (each equals crash 9 on the complete dump) and names the lost ones', async () => {
    if (!caseNames().includes(name)) return;
    const dumps = await dumpPaths(name);
    const lossy = dumps.find((d) => d.dump.unreadable_tasks?.length);
    const complete = dumps.find(
      (d) =>
        !d.dump.unreadable_tasks?.length &&
        existsSync(join(caseDir(name), 'golden', 'crash-9', d.file, '30_foreach_bt.out')),
    );
    expect(lossy && complete).toBeTruthy();
    const o = await openSession(await vmlinuxPlain(name), lossy!.path);
    const out = await o.run('foreach bt');
    const want = readFileSync(join(caseDir(name), 'golden', 'crash-9', complete!.file, '30_foreach_bt.out'), 'utf8')
      .trimEnd()
      .split('\n\n');
    const wantByHeader = new Map(want.map((b) => [b.split('\n')[0]!, b]));
    const blocks = out.trimEnd().split('\n\n');
    const note = blocks.pop()!;
    const lost = lossy!.dump.unreadable_tasks!;
    expect(blocks.length + lost.length).toBe(want.length);
    for (const b of blocks) expect(b).toBe(wantByHeader.get(b.split('\n')[0]!));
    expect(note).toMatch(
      new RegExp(
        `^foreach: ${lost.length} tasks could not be read \\(pages excluded from the dump\\) and were skipped: `,
      ),
    );
    for (const t of lost)
      expect(note).toContain(`pid ${t.pid} (task ${BigInt((t as { task?: string }).task!).toString(16)})`);
    // naming a lost task says why it cannot be shown
    expect(await o.run(`foreach ${lost[0]!.pid} bt`)).toMatch(
      new RegExp(`^foreach: PID ${lost[0]!.pid}: task [0-9a-f]+ cannot be read: .*excluded`),
    );
  }, 120_000);
});

describeCorpus('foreach can be interrupted', () => {
  it('yields between tasks, so a Ctrl-C (session.cancelled) stops it with one line; the next command runs', async () => {
    const name = 'k61-sysrq-c';
    const o = await openSession(await vmlinuxPlain(name), (await dumpPaths(name))[0]!.path);
    let seen = 0;
    // what the terminal UI's Ctrl-C does while the command runs: set the flag from an event-loop callback
    const tick = (): void => {
      if (++seen === 3) o.s.cancelled = true;
      else setImmediate(tick);
    };
    setImmediate(tick);
    const out = await o.run('foreach bt');
    expect(out.trimEnd().split('\n').pop()).toBe('foreach: interrupted');
    expect(out.split('\n').filter((l) => l.startsWith('PID: ')).length).toBeLessThan(allTasks(o.k).tasks.length);
    expect(await o.run('eval 1+1')).toContain('hexadecimal: 2');
    o.k.dump.close();
  });
});
