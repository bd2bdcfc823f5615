/**
 * struct -l on every corpus case: the address of an embedded member (init_task's tasks.next, the list_head
 * inside the first task after init_task) names the task that holds it, by member (task_struct.tasks) or by
 * byte offset; consecutive objects are separated by a blank line, as crash 9 prints them (its output on
 * k61-sysrq-c is the fixture below); an unknown member is one line.
 */
import { beforeAll, expect, it } from 'vitest';
import { caseNames, describeCorpus, skipWhenNoCases } from '../helpers/corpus.js';
import { openCaseSession, type Opened } from './session.js';

/** crash 9.0.2 on k61-sysrq-c/vmcore.kdump-zlib: `struct task_struct.pid,comm -l task_struct.tasks ffff8e71811fb890 2` */
const CRASH9_K61 = `  pid = 1,
  comm = "init\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000",

  pid = 0,
  comm = "\\031\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000\\000",
`;

skipWhenNoCases('struct -l on each corpus case');
for (const name of caseNames()) {
  describeCorpus(`struct -l on ${name}`, () => {
    let o: Opened;
    let link: bigint;
    let task: bigint;
    let offset: number;
    beforeAll(async () => {
      o = await openCaseSession(name);
      offset = o.k.offsetOf('struct task_struct', 'tasks');
      const initTasks = o.k.sym('init_task') + BigInt(offset);
      link = o.k.readU64(initTasks); // tasks.next: the list_head inside the next task
      task = link - BigInt(offset);
    }, 120_000);

    it('finds the task around its tasks list_head: pid 1, by member or by offset', async () => {
      const hex = link.toString(16);
      const byMember = await o.run(`struct task_struct.pid,comm -l task_struct.tasks ${hex}`);
      expect(byMember).toMatch(/^ {2}pid = 1,\n {2}comm = "/);
      expect(byMember).toBe(await o.run(`struct task_struct.pid,comm ${task.toString(16)}`));
      expect(await o.run(`struct task_struct.pid,comm -l ${offset} ${hex}`)).toBe(byMember);
      expect(await o.run(`struct task_struct.pid,comm -l 0x${offset.toString(16)} ${hex}`)).toBe(byMember);
      // -o shows the task's own member addresses
      expect(await o.run(`struct task_struct.tasks -o -l task_struct.tasks ${hex}`)).toBe(
        `struct task_struct {\n  [${hex}] struct list_head tasks;\n}\n`,
      );
    });

    it('one line for a member the structure lacks', async () => {
      expect(await o.run(`struct task_struct.pid -l task_struct.no_such_member ${link.toString(16)}`)).toBe(
        'struct: invalid -l option: task_struct.no_such_member\n',
      );
    });

    if (name === 'k61-sysrq-c')
      it('prints a count of objects as crash 9 does, a blank line between them', async () => {
        expect(await o.run('struct task_struct.pid,comm -l task_struct.tasks ffff8e71811fb890 2')).toBe(CRASH9_K61);
      });
  });
}
