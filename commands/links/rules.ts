/**
 * Which command a line of a free-text output opens in the terminal UI (src/render/line-links.ts). Outputs that
 * are tables (kmem -s, mod, mount, files, net, irq) declare their rows' next view as the table's rowAction.
 */
import type { LineLink } from '../../src/render/line-links.js';

/** runq: lines naming a task (PID: N TASK: ADDR) → its backtrace */
export const TASK_LINKS: LineLink[] = [{ pattern: /PID: +\d+ +TASK: +([0-9a-f]{16})/, action: (m) => `bt 0x${m[1]}` }];
