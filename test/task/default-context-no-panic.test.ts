/**
 * The task commands default to on a dump taken without a panic (QEMU dump-guest-memory of a live guest): the
 * task running on the lowest-numbered CPU, so `task`, `bt` and `vm` start from what the machine was doing.
 * crash 9 finds no panic task there and falls back to its first context, init_task (swapper/0), which is not
 * running on CPU 0 when another task is (scripts/crosscheck-crash9.ts: `task -R comm,pid,prio` gives
 * swapper/0 where ps marks the workload's spinner '>' on CPU 0). Checked on every QEMU dump, whichever task
 * the run caught on CPU 0.
 */
import { expect, it } from 'vitest';
import taskCommand from '../../commands/task.js';
import { allTasks } from '../../src/kernel/objects/tasks.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { describeWithDumps, madeDumpsPresent, missingMadeDumps, openMadeDumps } from '../helpers/made-dumps.js';

const qemu = madeDumpsPresent().filter((d) => d.name.startsWith('qemu-'));

describeWithDumps(
  'the default task of a dump without a panic: the task running on the first CPU',
  qemu.length === 0 ? `no QEMU dump (${missingMadeDumps().slice(0, 2).join(', ')} ...)` : undefined,
  () => {
    const opened = openMadeDumps(qemu);

    it("task with no argument shows CPU 0's running task, the one ps marks active there", async () => {
      expect(opened.length).toBeGreaterThan(0);
      for (const { name, k } of opened) {
        const table = allTasks(k);
        expect(table.panicTask, `${name}: a live guest has no panic task`).toBeUndefined();
        const running = table.byAddress.get(table.active.get(0)!);
        expect(running, `${name}: CPU 0's running task`).toBeDefined();
        const s = new Session(k);
        expect(s.currentTask()).toBe(running!.address);
        const out = renderText((await taskCommand.run(s, parseArgs(['-R', 'pid'], taskCommand.options))) as View).split(
          '\n',
        );
        expect(out[0]).toMatch(
          new RegExp(`^PID: ${running!.pid} +TASK: ${running!.address.toString(16)}  CPU: 0 +COMMAND: "`),
        );
        expect(out[1]).toBe(`  pid = ${running!.pid},`);
      }
    });
  },
);
