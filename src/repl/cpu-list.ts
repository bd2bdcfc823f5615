/** crash's CPU lists for -c/-C options and VAR:cpus: "1", "0,2-3", "a" or "all". */
import { CommandError } from '../command.js';

/**
 * The CPU numbers a list names, ascending. `n` is how many CPUs there are (nr_cpu_ids); "all"/"a" is
 * `all` when given (the online CPUs, say), else every CPU below `n`. A malformed list or a CPU past the
 * last is a one-line error.
 */
export function parseCpuList(spec: string, n: number, all?: number[]): number[] {
  if (spec === 'a' || spec === 'all') return all ? [...all] : [...Array(n).keys()];
  const out = new Set<number>();
  for (const part of spec.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new CommandError(`invalid cpu list: ${spec} (use 1,3,5-7 or all)`);
    const a = Number(m[1]);
    const b = m[2] !== undefined ? Number(m[2]) : a;
    if (b < a || b >= n) throw new CommandError(`invalid cpu list: ${spec} (CPUs are 0-${n - 1})`);
    for (let c = a; c <= b; c++) out.add(c);
  }
  return [...out].sort((x, y) => x - y);
}
