/**
 * bt ADDRESS takes an address as a task only when the model knows the task there, or a task_struct
 * validates there (readable, pid and tgid in range, printable comm, kernel pointers, consistent thread
 * link, an aligned kernel stack holding its saved stack pointer). Any other kernel address is one line
 * saying it is not a task, never a backtrace of garbage ("PID: 1212648425 ... COMMAND: "éKBX...").
 * On the bundled sample dump.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import bt from '../../commands/bt.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { allTasks, taskStructProblem } from '../../src/kernel/objects/tasks.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { sampleVmcore, sampleVmlinux } from '../badinput/fixtures.js';

let k: Kernel;
let s: Session;
const run = (words: string[]): string => renderText(bt.run(s, parseArgs(words, bt.options)) as View);

beforeAll(() => {
  k = openKernelSync(sampleVmlinux, sampleVmcore);
  s = new Session(k);
}, 60_000);
afterAll(() => {
  k?.dump.close();
  k?.elf.close();
});

describe('bt ADDRESS', () => {
  it('every task the model lists (with a stack) validates as a task_struct', () => {
    const tasks = allTasks(k).tasks.filter((t) => t.stack !== 0n);
    expect(tasks.length).toBeGreaterThan(50);
    expect(tasks.map((t) => [t.pid, taskStructProblem(k, t.address)]).filter(([, why]) => why)).toEqual([]);
  });

  it('a kernel address inside a task, or in kernel data, is one line saying it is not a task', () => {
    const init = allTasks(k).tasks.find((t) => t.pid === 1)!;
    for (const addr of [init.address + 8n, init.address + 0x40n, k.sym('linux_banner'), k.sym('jiffies_64')]) {
      const hex = addr.toString(16);
      expect(() => run([hex]), hex).toThrow(new RegExp(`^${hex} is not a task: no task the dump lists, and .+`));
      let message = '';
      try {
        run([hex]);
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).not.toMatch(/\n/);
      expect(message).not.toMatch(/PID:/);
    }
  });

  it('an address of the image map below the kernel image has no physical address (not a negative one)', () => {
    // the sample's kernel was loaded below its link address (phys_base < 0): the page of the image map before physical 0
    expect(k.physBase).toBeLessThan(0n);
    const below = 0xffffffff80000000n - k.physBase - 4096n;
    expect(() => k.read(below, 8)).toThrow(/^below the kernel image \(kernel image map\): kernel virtual address /);
    expect(() => run([below.toString(16)])).toThrow(/is not a task: .*below the kernel image/);
  });

  it('a listed task by address still gets its backtrace', () => {
    const init = allTasks(k).tasks.find((t) => t.pid === 1)!;
    const out = run([init.address.toString(16)]);
    expect(out.split('\n')[0]).toMatch(
      new RegExp(`^PID: 1\\s+TASK: ${init.address.toString(16)}\\s+CPU: \\d+\\s+COMMAND: "init"`),
    );
    expect(out).toMatch(/ #0 \[/);
  });
});
