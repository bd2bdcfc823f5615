/**
 * Benchmark (not a test) of the terminal UI's live view on a 10,000-row ps-shaped table, with ink's test renderer:
 * the first frame after the View is ready, then the render work of each key (cursor, page, sort, tree, fold,
 * filter), and the heap the live view adds over the text line mode would print.
 *
 *   npx tsc -p tsconfig.json && node --expose-gc dist/scripts/bench-live-view.js [ROWS | VMLINUX VMCORE]
 *
 * With a dump, the View is that dump's own ps (k612-10k-threads: 10,079 tasks), the first frame timed from the
 * View being ready, as in the terminal UI.
 */
import React from 'react';
import { render } from 'ink-testing-library';
import { renderText } from '../src/render/text.js';
import type { TableView } from '../src/render/view.js';
import { LiveView } from '../src/ui/live/LiveView.js';

const DUMP = process.argv[3] !== undefined ? [process.argv[2]!, process.argv[3]] : undefined;
const ROWS = DUMP ? 0 : Number(process.argv[2] ?? 10_000);

/** The ps View of a real dump. */
async function dumpPs(vmlinux: string, vmcore: string): Promise<TableView> {
  const { openKernelSync } = await import('../src/kernel/open.js');
  const { Session } = await import('../src/session.js');
  const { parseArgs } = await import('../src/repl/options.js');
  const ps = (await import('../commands/ps.js')).default;
  const k = openKernelSync(vmlinux, vmcore);
  return (await ps.run(new Session(k), parseArgs([], ps.options))) as TableView;
}

/** A ps-like View: processes under random earlier parents, every fourth process with three threads. */
function syntheticPs(n: number): TableView {
  const rows: Record<string, unknown>[] = [];
  let seed = 42;
  const rand = (m: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % m;
  };
  for (let pid = 1; rows.length < n; pid++) {
    const ppid = pid === 1 ? 0 : 1 + rand(pid - 1);
    const proc = { pid, ppid, tgid: pid, cpu: rand(8), task: 0xffff888000000000n + BigInt(pid) * 0x2000n };
    rows.push({ ...proc, st: 'IN', comm: `proc-${pid}`, active: false });
    if (pid % 4 === 0)
      for (let t = 0; t < 3 && rows.length < n; t++) {
        pid++;
        rows.push({ ...proc, pid, task: proc.task + BigInt(t + 1) * 0x1000n, st: 'IN', comm: `thr-${pid}` });
      }
  }
  const hex = (v: unknown) => (v as bigint).toString(16).padStart(16, '0');
  return {
    kind: 'table',
    columns: [
      { key: 'pid', header: 'PID', align: 'right', width: 8, fixed: true, sep: '' },
      { key: 'ppid', header: 'PPID', align: 'right', width: 8, fixed: true, sep: '' },
      { key: 'cpu', header: 'CPU', align: 'right', width: 4, fixed: true, sep: '' },
      { key: 'task', header: 'TASK', align: 'left', width: 16, fixed: true, sep: '  ', format: hex },
      { key: 'st', header: 'ST', align: 'left', width: 2, fixed: true, sep: '  ' },
      { key: 'comm', header: 'COMM', align: 'left', width: 0, sep: '  ' },
    ],
    rows,
    rowAction: 'bt {task}',
    treeBy: { id: 'pid', parent: 'ppid', group: 'tgid' },
  };
}

const gc = (globalThis as { gc?: () => void }).gc;
const heap = () => {
  gc?.();
  return process.memoryUsage().heapUsed;
};
const ms = (t0: number) => (performance.now() - t0).toFixed(1);
/** CPU time (user + system) this process spent since c0: the render work, apart from waiting for a shared CPU */
const cpu = (c0: NodeJS.CpuUsage) => {
  const d = process.cpuUsage(c0);
  return ((d.user + d.system) / 1000).toFixed(1);
};

async function main(): Promise<void> {
  const view = DUMP ? await dumpPs(DUMP[0]!, DUMP[1]!) : syntheticPs(ROWS);
  const base = heap();
  const c1 = process.cpuUsage();
  const text = renderText(view); // what line mode builds for the screen
  const textCpu = cpu(c1);
  const lineMode = heap() - base;

  // the session's prompt has drawn with ink already: warm React, Yoga and the view's code on a small table first
  const warm = render(
    <LiveView
      line="ps"
      view={syntheticPs(100)}
      rows={50}
      cols={120}
      color={true}
      run={async () => 'no'}
      onQuit={() => {}}
    />,
  );
  warm.stdin.write('j');
  await new Promise((r) => setTimeout(r, 50));
  warm.unmount();

  let t0 = performance.now();
  let c0 = process.cpuUsage();
  const app = render(
    <LiveView line="ps" view={view} rows={50} cols={120} color={true} run={async () => 'no'} onQuit={() => {}} />,
  );
  let frame = app.lastFrame() ?? '';
  console.log(`rows: ${view.rows.length}  (text ${text.length} bytes, laid out by line mode in ${textCpu} ms CPU)`);
  console.log(
    `first frame: ${ms(t0)} ms wall, ${cpu(c0)} ms CPU  (${frame.includes('▶') ? 'cursor shown' : 'NO CURSOR'})`,
  );
  const live = heap() - base;
  console.log(
    `heap: line-mode text ${(lineMode / 2 ** 20).toFixed(1)} MB, live view ${(live / 2 ** 20).toFixed(1)} MB (+${((live - lineMode) / 2 ** 20).toFixed(1)} MB)${gc ? '' : ' (run with --expose-gc for steady figures)'}`,
  );

  /** one key: the time until the frame changes (handler, React, ink's layout and output) */
  async function key(name: string, input: string, times = 1): Promise<void> {
    const each: number[] = [];
    const cpus: number[] = [];
    for (let i = 0; i < times; i++) {
      const before = app.lastFrame();
      t0 = performance.now();
      c0 = process.cpuUsage();
      app.stdin.write(input);
      while (app.lastFrame() === before && performance.now() - t0 < 5000) await new Promise((r) => setImmediate(r));
      each.push(performance.now() - t0);
      cpus.push(Number(cpu(c0)));
    }
    const med = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!.toFixed(2);
    console.log(
      `${name.padEnd(26)} median ${med(each)} ms wall, ${med(cpus)} ms CPU; max ${Math.max(...each).toFixed(1)} ms wall  (${times}×)`,
    );
    frame = app.lastFrame() ?? '';
  }
  await key('j (cursor down)', 'j', 200);
  await key('k (cursor up)', 'k', 100);
  await key('PgDn (Space)', ' ', 50);
  await key('G (last row)', 'G', 1);
  await key('g (first row)', 'g', 1);
  await key('s (sort by next column)', 's', 3);
  await key('T (process tree)', 'T', 1);
  await key('j in the tree', 'j', 100);
  await key('g (first row)', 'g', 1);
  await key('← (fold the root)', '\u001B[D', 1);
  await key('→ (unfold it)', '\u001B[C', 1);
  await key('T (back to the table)', 'T', 1);
  await key('/ then "proc-99" Enter', '/proc-99\r', 1);
  app.unmount();
  process.exit(0);
}

void main();
