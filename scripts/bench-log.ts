/**
 * `log` after open, in process: open the dump (as a session does), then time the first `log` (the ring read,
 * decoded and laid out as text) with process.cpuUsage() and the wall clock, then the same command again (the
 * records cached: layout only). Options are passed through, so `-t -m -c -d -T` variants can be timed too.
 *
 *   node dist/scripts/bench-log.js VMLINUX VMCORE [--runs N] [log options...]
 *
 * Each run is a fresh process (the first `log` of a session is the figure that matters); prints the median.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadavg } from 'node:os';
import { openKernelSync } from '../src/kernel/open.js';
import { Session } from '../src/session.js';
import { parseArgs } from '../src/repl/options.js';
import { renderText } from '../src/render/text.js';
import logCommand from '../commands/log.js';

async function once(vmlinux: string, vmcore: string, argv: string[]): Promise<void> {
  const k = openKernelSync(vmlinux, vmcore);
  const session = new Session(k);
  const args = parseArgs(argv, logCommand.options);
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  const text = renderText(await logCommand.run(session, args));
  const cpu1 = process.cpuUsage(c0);
  const wall1 = performance.now() - w0;
  const c1 = process.cpuUsage();
  renderText(await logCommand.run(session, args));
  const cpu2 = process.cpuUsage(c1);
  const ms = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;
  console.log(JSON.stringify({ cpu: ms(cpu1), wall: wall1, again: ms(cpu2), lines: text.split('\n').length - 1 }));
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--once') return once(argv[1]!, argv[2]!, argv.slice(3));
  let runs = 5;
  const ri = argv.indexOf('--runs');
  if (ri >= 0) {
    runs = Math.max(1, Number(argv[ri + 1]) || 5);
    argv.splice(ri, 2);
  }
  const [vmlinux, vmcore, ...opts] = argv;
  if (!vmlinux || !vmcore) {
    console.log('usage: bench-log VMLINUX VMCORE [--runs N] [log options...]');
    return;
  }
  const self = fileURLToPath(import.meta.url);
  const figures: { cpu: number; wall: number; again: number; lines: number }[] = [];
  for (let i = 0; i < runs; i++) {
    const r = spawnSync(process.execPath, [self, '--once', vmlinux, vmcore, ...opts], { encoding: 'utf8' });
    const last = r.stdout.trim().split('\n').pop() ?? '';
    try {
      figures.push(JSON.parse(last) as { cpu: number; wall: number; again: number; lines: number });
    } catch {
      console.log(`run ${i + 1} failed: ${r.stderr.trim().split('\n').pop() ?? ''}`);
    }
  }
  if (!figures.length) return;
  const med = (k: 'cpu' | 'wall' | 'again') =>
    [...figures].map((f) => f[k]).sort((a, b) => a - b)[figures.length >> 1]!;
  const all = (k: 'cpu' | 'wall') => figures.map((f) => f[k].toFixed(0)).join(' ');
  console.log(
    `log ${opts.join(' ')} (${figures[0]!.lines} lines), load ${loadavg()[0]!.toFixed(1)}: first ${med('cpu').toFixed(0)} ms CPU (${all('cpu')}), ${med('wall').toFixed(0)} ms wall (${all('wall')}); again ${med('again').toFixed(0)} ms CPU`,
  );
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
