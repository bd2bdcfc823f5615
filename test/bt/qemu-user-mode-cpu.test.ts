/**
 * A QEMU dump stops a live guest wherever each vCPU is; the dump's per-CPU note holds the registers of that
 * instant. A vCPU caught in user space (the workload's spinner, most runs: CS 0x33 in the note) runs no kernel
 * code, so its task has no live kernel frame: bt prints the note's user registers and nothing above them.
 * crash 9's foreach bt instead walks the task's kernel stack and prints the frames of an interrupt that had
 * already returned (hrtimer_interrupt ... irqentry_exit_to_user_mode, asm_sysvec_apic_timer_interrupt) with
 * the registers that interrupt saved (another RAX and RFLAGS than the note's; scripts/crosscheck-crash9.ts on
 * the QEMU dumps). Checked for every user-mode vCPU of every QEMU dump present, whichever the run caught.
 */
import { expect, it } from 'vitest';
import btCommand from '../../commands/bt.js';
import { allTasks } from '../../src/kernel/objects/tasks.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { describeWithDumps, madeDumpsPresent, missingMadeDumps, openMadeDumps } from '../helpers/made-dumps.js';

const qemu = madeDumpsPresent().filter((d) => d.name.startsWith('qemu-'));
const hex16 = (v: bigint): string => v.toString(16).padStart(16, '0');

describeWithDumps(
  'bt of a task a QEMU dump caught in user space: the note registers, no stale kernel frames',
  qemu.length === 0 ? `no QEMU dump (${missingMadeDumps().slice(0, 2).join(', ')} ...)` : undefined,
  () => {
    const opened = openMadeDumps(qemu);

    it('every user-mode vCPU: its task shows the note RIP, RSP, RAX and RFLAGS and no #N frame', async () => {
      expect(opened.length).toBeGreaterThan(0);
      for (const { name, k } of opened) {
        const table = allTasks(k);
        for (const [cpu, note] of k.dump.cpus.entries()) {
          if ((note.regs.cs & 3n) !== 3n) continue;
          const task = table.byAddress.get(table.active.get(cpu) ?? 0n);
          expect(task, `${name}: CPU ${cpu}'s active task`).toBeDefined();
          const out = renderText(
            (await btCommand.run(new Session(k), parseArgs([String(task!.pid)], btCommand.options))) as View,
          );
          const where = `${name} CPU ${cpu} pid ${task!.pid}`;
          expect(out, where).not.toMatch(/^\s*#\d+ \[/m);
          expect(out, where).toContain(`RIP: ${hex16(note.regs.rip)}  RSP: ${hex16(note.regs.rsp)}`);
          expect(out, where).toContain(`RFLAGS: ${hex16(note.regs.eflags).slice(8)}`);
          expect(out, where).toContain(`RAX: ${hex16(note.regs.rax)}`);
          expect(out, where).toMatch(/CS: 0033 {2}SS: 002b$/m);
        }
      }
    });
  },
);
