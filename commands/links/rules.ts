/**
 * Which command a line of each table-like text output opens in the terminal UI (src/render/line-links.ts): the
 * address column's object as a struct, a slab cache's objects, a task's backtrace.
 */
import type { LineLink } from '../../src/render/line-links.js';

const HEX16 = '([0-9a-f]{16})';
const struct = (type: string) => (m: RegExpExecArray) => `struct ${type} 0x${m[1]}`;

/** kmem -s: CACHE OBJSIZE ALLOCATED TOTAL SLABS SSIZE NAME → the cache's objects (kmem -S NAME) */
export const KMEM_LINKS: LineLink[] = [
  { pattern: new RegExp(`^${HEX16} +\\d+ +\\d+ +\\d+ +\\d+ +\\d+k +(\\S+)$`), action: (m) => `kmem -S ${m[2]}` },
];
/** mod: MODULE NAME ... */
export const MOD_LINKS: LineLink[] = [
  { pattern: new RegExp(`^${HEX16} +\\S+ +[0-9a-f]{16} `), action: struct('module') },
];
/** mount: MOUNT SUPERBLK TYPE DEVNAME DIRNAME */
export const MOUNT_LINKS: LineLink[] = [{ pattern: new RegExp(`^${HEX16} ${HEX16} `), action: struct('mount') }];
/** files: FD FILE DENTRY INODE TYPE PATH */
export const FILES_LINKS: LineLink[] = [
  { pattern: new RegExp(`^ *\\d+ ${HEX16} [0-9a-f]{16} `), action: struct('file') },
];
/** net: NET_DEVICE NAME IP ADDRESS(ES) */
export const NET_LINKS: LineLink[] = [{ pattern: new RegExp(`^${HEX16}  \\S`), action: struct('net_device') }];
/** irq: IRQ IRQ_DESC/_DATA IRQACTION NAME */
export const IRQ_LINKS: LineLink[] = [{ pattern: new RegExp(`^ *\\d+ +${HEX16} `), action: struct('irq_desc') }];
/** runq: lines naming a task (PID: N TASK: ADDR) → its backtrace */
export const TASK_LINKS: LineLink[] = [{ pattern: /PID: +\d+ +TASK: +([0-9a-f]{16})/, action: (m) => `bt 0x${m[1]}` }];
