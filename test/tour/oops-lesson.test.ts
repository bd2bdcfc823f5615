/**
 * Lesson 7 (an oops in a module) needs a dump the bundled sample is not: it runs on the scenario dumps of a NULL
 * write in a test module (scripts/qemu/make-scenario.sh k61-oops / k612-oops). The facts it checks against —
 * the faulting function, its module, the panicking task — are compared with what the guest's console printed
 * (case.json), and the scripted learner passes every step. CI remakes these dumps on every run: only the
 * scenario's own truth is asserted, never one run's addresses.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { openKernelSync } from '../../src/kernel/open.js';
import { readLessonDir } from '../../src/tour/lesson.js';
import { defaultLessonDir } from '../../src/tour/tour.js';
import { describeWithDumps, scenariosDir, vmlinuxOfRelease } from '../helpers/made-dumps.js';
import { learnerOn } from './learner.js';

interface Case {
  kernel_release: string;
  panic: { pid: number; comm: string; rip_line: string };
}

const lessons = readLessonDir(defaultLessonDir());
const n = lessons.findIndex((l) => l.needs?.facts.includes('oops.module')) + 1;

for (const NAME of ['k61-oops', 'k612-oops']) {
  const DIR = join(scenariosDir, NAME);
  const have = existsSync(join(DIR, 'vmcore.kdump-zlib')) && existsSync(join(DIR, 'case.json'));
  const c = have ? (JSON.parse(readFileSync(join(DIR, 'case.json'), 'utf8')) as Case) : undefined;
  const vmlinux = c ? await vmlinuxOfRelease(c.kernel_release) : undefined;
  const missing = !have
    ? `no ${DIR}; scripts/qemu/make-scenario.sh ${NAME} ${DIR}`
    : vmlinux
      ? undefined
      : `no vmlinux of ${c!.kernel_release}`;

  describeWithDumps(`tour lesson ${n} (an oops in a module) on ${NAME}`, missing, () => {
    it('finds the faulting function and module the console printed, and a learner passes every step', async () => {
      expect(n).toBeGreaterThan(0);
      const k = openKernelSync(vmlinux!, join(DIR, 'vmcore.kdump-zlib'));
      const me = await learnerOn(k);
      // "RIP: 0010:ct_oops_write_null+0x1b/0x24 [ct_oops]"
      const m = /RIP: \w+:(\w+)\+(0x[0-9a-f]+)\/0x[0-9a-f]+ \[(\w+)\]/.exec(c!.panic.rip_line)!;
      expect(await me.tour.facts.get('oops.function')).toBe(m[1]);
      expect(await me.tour.facts.get('oops.offset')).toBe(String(Number(m[2])));
      expect(await me.tour.facts.get('oops.module')).toBe(m[3]);
      expect(await me.tour.facts.get('panic.pid')).toBe(String(c!.panic.pid));

      const lesson = lessons[n - 1]!;
      const start = await me.type(`tour ${n}`);
      expect(start).not.toContain('This dump cannot run this lesson');
      for (const [j, step] of lesson.steps.entries()) {
        const wrong = await me.type(step.ask ? 'answer not-it' : 'ipcs');
        expect(wrong, `step ${j + 1}`).toContain(`hint: ${await me.tour.facts.fill(step.hint)}`);
        const right = await me.type(await me.tour.facts.fill(step.solution));
        expect(right, `step ${j + 1}: ${step.solution}`).toContain('✓');
      }
      expect(me.tour.progress.marks[lesson.id]!.every((x) => x === 'pass')).toBe(true);
    });
  });
}
