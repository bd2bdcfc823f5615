/** The one task-selector parser (src/repl/task-selector.ts) on a small task table. */
import { describe, expect, it } from 'vitest';
import type { Task, TaskTable } from '../../src/kernel/objects/tasks.js';
import { parseTaskWord, selectTaskAddresses, selectTasks, tasksOfWord } from '../../src/repl/task-selector.js';

const task = (pid: number, comm: string, address: bigint, idle = false): Task => ({
  address,
  pid,
  tgid: pid,
  comm,
  state: 1,
  exitState: 0,
  flags: 0,
  parent: 0n,
  ppid: 1,
  groupLeader: address,
  cpu: 0,
  mm: 0n,
  stack: 0n,
  kernelThread: false,
  idle,
});

const tasks = [
  task(0, 'swapper/0', 0xffff000000001000n, true),
  task(0, 'swapper/1', 0xffff000000002000n, true),
  task(1, 'systemd', 0xffff000000003000n),
  task(200, 'dd', 0xffff000000004000n),
  task(201, 'bash', 0xffff000000005000n),
  task(202, 'bash', 0xffff000000006000n),
];
const table: TaskTable = {
  tasks,
  byAddress: new Map(tasks.map((t) => [t.address, t])),
  unreadable: [{ address: 0xffff000000007000n, pid: 300, reason: 'page 7000 excluded from the dump' }],
  active: new Map(),
  panicCpu: undefined,
  panicTask: undefined,
  rejected: 0,
  truncated: false,
};
const pids = (ts: Task[]) => ts.map((t) => `${t.pid}:${t.comm}`);

describe('task selectors', () => {
  it('parses PIDs, addresses, names and quoted regexes', () => {
    expect(parseTaskWord('42')).toEqual({ kind: 'pid', pid: 42 });
    expect(parseTaskWord('0xffff000000003000')).toEqual({ kind: 'address', address: 0xffff000000003000n });
    expect(parseTaskWord('ffff000000003000')).toEqual({
      kind: 'name',
      name: 'ffff000000003000',
      address: 0xffff000000003000n,
    });
    expect(parseTaskWord('bash')).toEqual({ kind: 'name', name: 'bash' });
    expect(parseTaskWord("'^sw'").kind).toBe('regex');
  });
  it('finds every task a word names, in table order, each once', () => {
    expect(pids(selectTasks(table, ['0']))).toEqual(['0:swapper/0', '0:swapper/1']);
    expect(pids(selectTasks(table, ['bash', '201']))).toEqual(['201:bash', '202:bash']);
    expect(pids(selectTasks(table, ['ffff000000003000']))).toEqual(['1:systemd']);
    expect(pids(selectTasks(table, ["'^s'"]))).toEqual(['0:swapper/0', '0:swapper/1', '1:systemd']);
    expect(pids(selectTasks(table, ['sw.*/1']))).toEqual(['0:swapper/1']);
    expect(selectTasks(table, [])).toBe(tasks);
  });
  it('a command name wins over the hex address the same word spells', () => {
    expect(pids(tasksOfWord(table, 'dd').tasks)).toEqual(['200:dd']);
  });
  it('keeps the order the words were typed in for per-task commands', () => {
    expect(selectTaskAddresses(table, ['201', '1'])).toEqual([0xffff000000005000n, 0xffff000000003000n]);
  });
  it('says which named task cannot be read, and what names nothing', () => {
    expect(() => selectTasks(table, ['300'])).toThrow(
      'PID 300: task ffff000000007000 cannot be read: page 7000 excluded from the dump',
    );
    expect(() => selectTasks(table, ['0xffff000000007000'])).toThrow(/^task 0xffff000000007000 cannot be read/);
    expect(() => selectTasks(table, ['99999'])).toThrow('invalid task or pid value: 99999');
    expect(() => selectTasks(table, ['nosuch'])).toThrow(/^no task matches "nosuch"/);
    expect(() => selectTasks(table, ["'^zz'"])).toThrow("no task name matches '^zz'");
    expect(() => selectTasks(table, ['['])).toThrow("invalid regular expression: '[': unterminated character class");
  });
  it('takes an address no task has only when the command accepts it (bt)', () => {
    expect(() => selectTaskAddresses(table, ['ffff000000009000'])).toThrow('invalid task or pid value');
    expect(selectTaskAddresses(table, ['ffff000000009000'], { acceptAddress: () => true })).toEqual([
      0xffff000000009000n,
    ]);
  });
});
