/** The built-in filters (| grep, head, tail, wc -l): what a guest without a shell pipes through. */
import { describe, expect, it } from 'vitest';
import { applyFilters, FilterError, parseFilters } from '../../src/repl/filters.js';

const text = [
  '   PID    PPID  CPU  COMM',
  '      1      0   0  systemd',
  '     95      1   1  ct-sleeper',
  '    192      1   0  ct-crash',
  '',
].join('\n');
const run = (p: string) => applyFilters(parseFilters(p), text);

describe('built-in filters', () => {
  it('grep with -v, -i, combined flags and a quoted pattern', () => {
    expect(run('grep ct-')).toBe('     95      1   1  ct-sleeper\n    192      1   0  ct-crash\n');
    expect(run('grep -v ct-')).toBe('   PID    PPID  CPU  COMM\n      1      0   0  systemd\n');
    expect(run('grep -i SYSTEMD')).toBe('      1      0   0  systemd\n');
    expect(run("grep -vi 'CT-|pid'")).toBe('      1      0   0  systemd\n');
    expect(run('grep "ct-(crash"')).toBe(''); // not a regex: matched as text
  });
  it('head, tail, wc -l, chained', () => {
    expect(run('head -n 2')).toBe('   PID    PPID  CPU  COMM\n      1      0   0  systemd\n');
    expect(run('tail -1')).toBe('    192      1   0  ct-crash\n');
    expect(run('grep ct | wc -l')).toBe('2\n');
    expect(run('grep -v PID | tail -n 2 | head -n1')).toBe('     95      1   1  ct-sleeper\n');
    expect(applyFilters(parseFilters('wc -l'), '')).toBe('0\n');
  });
  it('refuses anything else with one line', () => {
    for (const [p, msg] of [
      ['sort', /sort: not a built-in filter/],
      ['grep -c x', /grep: -c: only grep \[-v\] \[-i\] PATTERN/],
      ['wc -w', /wc: only wc -l/],
      ['head -n x', /head: -n needs a number/],
      ['grep', /give a PATTERN/],
    ] as const) {
      expect(() => parseFilters(p)).toThrow(FilterError);
      expect(() => parseFilters(p)).toThrow(msg);
    }
  });
});
