/**
 * net -s on the made dumps, where makedumpfile may have left out the page of an open file's dentry or inode (the
 * 6.12 dumps often do): such an fd could be a socket, so net -s names it with what is missing and never says
 * "No open sockets." for that task. Every fd files reads as a socket is a row of net -s. Holds for any run: the
 * tasks judged are the ones this dump's files lists with an unreadable fd, whichever they are.
 */
import { expect, it } from 'vitest';
import { taskOpenFiles } from '../../src/kernel/objects/fs.js';
import { allTasks } from '../../src/kernel/objects/tasks.js';
import { LARGE_SCENARIOS, describeWithDumps, madeDumpsPresent, openMadeDumps } from '../helpers/made-dumps.js';
import { replOn } from '../helpers/repl.js';

const dumps = madeDumpsPresent().filter((d) => !LARGE_SCENARIOS.includes(d.name));

describeWithDumps(
  'net -s on the made dumps: fds the dump lost are named, sockets listed',
  dumps.length ? undefined : 'no made dumps',
  () => {
    const opened = openMadeDumps(dumps);

    it('a task with an unreadable fd gets a line naming it, never "No open sockets."; every SOCK fd is a row', async () => {
      let judged = 0;
      for (const { name, k } of opened) {
        const run = await replOn(k);
        for (const t of allTasks(k).tasks) {
          const files = taskOpenFiles(k, t.address);
          const socks = files?.files.filter((f) => f.type === 'SOCK') ?? [];
          if (!files?.unreadable.length && !socks.length) continue;
          const out = await run(`net -s ${t.address.toString(16)}`);
          for (const u of files!.unreadable)
            expect(out, `${name} pid ${t.pid}`).toContain(
              `net: PID ${t.pid} fd ${u.fd}: file ${u.file.toString(16)} unreadable: `,
            );
          if (files!.unreadable.length) expect(out, `${name} pid ${t.pid}`).not.toContain('No open sockets.\n');
          for (const s of socks)
            expect(out, `${name} pid ${t.pid}`).toMatch(new RegExp(`^ *${s.fd} [0-9a-f]{16} [0-9a-f]{16} `, 'm'));
          judged++;
        }
      }
      // which tasks lost an fd varies from run to run (none, some): the count is only reported
      console.log(`net -s: ${judged} tasks with sockets or lost fds judged on ${opened.length} made dumps`);
    }, 300_000);
  },
);
