/** Pure helpers of the task and system readers: state letters, load average, uptime, sizes, dates. */
import { describe, expect, it } from 'vitest';
import { stateLetters, stateName } from '../../src/kernel/objects/tasks.js';
import {
  formatLoadAverage,
  formatMemorySize,
  formatUptime,
  installedMemoryBytes,
} from '../../src/kernel/objects/system.js';
import { formatCtime } from '../../src/kernel/objects/boot-time.js';

describe('task states as crash names them', () => {
  const st = (state: number, exitState = 0) => stateLetters({ state, exitState });
  it('maps __state | exit_state to two letters', () => {
    expect(st(0)).toBe('RU');
    expect(st(0x1)).toBe('IN');
    expect(st(0x2001)).toBe('IN'); // TASK_INTERRUPTIBLE | TASK_FREEZABLE (6.1)
    expect(st(0x2)).toBe('UN');
    expect(st(0x402)).toBe('ID'); // TASK_IDLE = TASK_UNINTERRUPTIBLE | TASK_NOLOAD
    expect(st(0x80, 0x20)).toBe('ZO'); // TASK_DEAD with EXIT_ZOMBIE
    expect(st(0x104)).toBe('ST'); // TASK_STOPPED = TASK_WAKEKILL | __TASK_STOPPED
    expect(st(0x8)).toBe('TR');
    expect(st(0x80, 0x10)).toBe('DE');
    expect(st(0x40)).toBe('PA');
    expect(st(0x800)).toBe('NE');
    expect(stateName({ state: 0, exitState: 0 })).toBe('TASK_RUNNING');
    expect(stateName({ state: 0x402, exitState: 0 })).toBe('TASK_IDLE');
  });
});

describe('system formats', () => {
  it('load average rounds like /proc/loadavg (values from the corpus dumps)', () => {
    expect(formatLoadAverage([328n, 68n, 22n])).toBe('0.16, 0.03, 0.01');
    expect(formatLoadAverage([479n, 102n, 33n])).toBe('0.23, 0.05, 0.02');
    expect(formatLoadAverage([2048n * 3n + 1024n, 0n, 2047n])).toBe('3.50, 0.00, 1.00');
  });
  it('uptime, memory size and date', () => {
    expect(formatUptime(9)).toBe('00:00:09');
    expect(formatUptime(228)).toBe('00:03:48');
    expect(formatUptime(86400 + 3661)).toBe('1 day, 01:01:01');
    expect(formatUptime(3 * 86400)).toBe('3 days, 00:00:00');
    expect(formatMemorySize(196475n * 4096n)).toBe('767.5 MB');
    expect(formatMemorySize(2n << 30n)).toBe('2 GB');
    expect(formatCtime(1795700854)).toBe('Thu Nov 26 13:47:34 UTC 2026');
  });
  it('a one-digit day is space-padded as C asctime/%e and crash write it, never zero-padded', () => {
    expect(formatCtime(1796455987)).toBe('Sat Dec  5 07:33:07 UTC 2026');
    expect(formatCtime(1796455987 - 4 * 86400)).toBe('Tue Dec  1 07:33:07 UTC 2026');
  });
  it('MEMORY rounds up to the next GiB within 64 MiB, as crash does', () => {
    // a 1 GiB QEMU guest has 261,994 present pages (1023.4 MB): firmware and the kernel reserve the rest
    expect(formatMemorySize(installedMemoryBytes(261994n * 4096n))).toBe('1 GB');
    // the corpus's 768 MiB guests: the next GiB is 256 MiB away, so the present size stays
    expect(formatMemorySize(installedMemoryBytes(196475n * 4096n))).toBe('767.5 MB');
    expect(formatMemorySize(installedMemoryBytes((4n << 30n) - (100n << 20n)))).toBe('3.9 GB');
    expect(formatMemorySize((3n << 30n) / 2n)).toBe('1.5 GB');
    expect(formatMemorySize(1000n << 10n)).toBe('1000 KB');
  });
});
