/** ipcs: System V shared memory segments, semaphore sets and message queues, in crash's layout. */
import { CommandError, type Args, type Command } from '../src/command.js';
import {
  ipcNamespaceOf,
  ipcObjects,
  shmPages,
  type IpcKind,
  type IpcObject,
  type IpcTable,
  type ShmPages,
} from '../src/kernel/objects/ipc.js';
import { allTasks } from '../src/kernel/objects/tasks.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { tasksOfWord } from '../src/repl/task-selector.js';
import { text, type View } from '../src/render/view.js';
import type { Session } from '../src/session.js';

const HELP = `ipcs - System V IPC facilities

SYNOPSIS
  ipcs [-s] [-m] [-M] [-q] [-n PID|TASK] [ID | ADDRESS]...

Lists the System V IPC objects of an IPC namespace (the initial one, or with -n a task's):
shared memory segments (SHMID_KERNEL address, KEY, SHMID, owner UID, PERMS, BYTES, NATTCH,
STATUS dest/locked), semaphore sets (SEM_ARRAY, ..., NSEMS) and message queues (MSG_QUEUE, ...,
USED-BYTES, MESSAGES). With no option all three; "(none allocated)" for a kind with none.
Each ID or ADDRESS (decimal digits are an id, anything else hex) shows only the objects whose id
or structure address it is, each under its own header; "invalid id or address" when none is.

OPTIONS
  -m         shared memory segments only
  -M         shared memory segments, each with its pages: allocated (the size in pages),
             resident (in the page cache) and swapped out, and the address of its inode
  -s         semaphore sets only
  -q         message queues only
  -n PID|TASK  the IPC namespace of this task instead of the initial one

EXAMPLES
  ipcs
  ipcs -M
  ipcs -q 0
  ipcs -n 1234 -m`;

const SHM_DEST = 0o1000;
const SHM_LOCKED = 0o2000;

const HEADERS: Record<IpcKind, string> = {
  shm: 'SHMID_KERNEL     KEY      SHMID      UID   PERMS BYTES      NATTCH STATUS',
  sem: 'SEM_ARRAY        KEY      SEMID      UID   PERMS NSEMS     ',
  msg: 'MSG_QUEUE        KEY      MSQID      UID   PERMS USED-BYTES   MESSAGES    ',
};

function row(o: IpcObject): string {
  const head = `${o.address.toString(16).padEnd(16)} ${o.key.toString(16).padStart(8, '0')} ${String(o.id).padEnd(10)} ${String(o.uid).padEnd(5)} ${(o.mode & 0o777).toString(8).padEnd(5)}`;
  if (o.kind === 'shm') {
    const status = `${o.mode & SHM_DEST ? 'dest' : ''} ${o.mode & SHM_LOCKED ? 'locked' : ''}`;
    return `${head} ${String(o.bytes).padEnd(10)} ${String(o.nattch).padEnd(6)} ${status}`;
  }
  if (o.kind === 'sem') return `${head} ${String(o.nsems).padEnd(10)}`;
  return `${head} ${String(o.bytes).padEnd(12)} ${String(o.messages).padEnd(12)}`;
}

/** -M: the segment's pages and inode, or one line saying what could not be read */
function pageLines(k: Kernel, o: IpcObject, pages: Map<IpcObject, ShmPages | string>): string[] {
  try {
    const p = shmPages(k, o);
    pages.set(o, p);
    return [
      `PAGES ALLOCATED/RESIDENT/SWAPPED: ${p.allocated}/${p.resident}/${p.swapped}`,
      `INODE: ${p.inode.toString(16)}`,
    ];
  } catch (e) {
    pages.set(o, (e as Error).message);
    return [`PAGES ALLOCATED/RESIDENT/SWAPPED: unreadable (${(e as Error).message})`];
  }
}

function unreadableNote(t: IpcTable): string[] {
  return t.unreadable ? [`(${t.unreadable} IDR node${t.unreadable === 1 ? '' : 's'} not in the dump)`] : [];
}

/** The whole table of one kind: one header, the rows, a blank line; -M: header, row and pages per segment. */
function tableLines(k: Kernel, t: IpcTable, verbose: boolean, pages: Map<IpcObject, ShmPages | string>): string[] {
  if (!t.objects.length) return [HEADERS[t.kind], '(none allocated)', ...unreadableNote(t), ''];
  if (!verbose) return [HEADERS[t.kind], ...t.objects.map(row), ...unreadableNote(t), ''];
  const lines: string[] = [];
  for (const o of t.objects) lines.push(HEADERS[t.kind], row(o), ...pageLines(k, o, pages), '');
  return [...lines, ...unreadableNote(t)];
}

/** ID | ADDRESS as crash reads it: all decimal digits are decimal, anything else hex */
function parseValue(word: string): bigint {
  if (/^\d+$/.test(word)) return BigInt(word);
  if (/^(0x)?[0-9a-f]+$/i.test(word))
    return BigInt(word.startsWith('0x') || word.startsWith('0X') ? word : `0x${word}`);
  throw new CommandError(`not a valid number: ${word}`);
}

const ipcs: Command = {
  name: 'ipcs',
  summary: 'System V IPC: shared memory, semaphores, message queues',
  help: HELP,
  needsDump: true,
  options: {
    m: 'shared memory',
    M: 'shared memory with pages and inode',
    s: 'semaphores',
    q: 'message queues',
    n: '=PID|TASK: that task’s IPC namespace',
  },
  run(session: Session, args: Args): View {
    const k = session.kernel;
    if (!k) throw new CommandError('no dump is open');
    const values = args.positional.map((w) => ({ word: w, value: parseValue(w) }));
    const verbose = Boolean(args.flags.M);
    const picked = (['shm', 'sem', 'msg'] as const).filter((kind) =>
      kind === 'shm' ? args.flags.m || verbose : args.flags[kind === 'sem' ? 's' : 'q'],
    );
    const kinds: IpcKind[] = picked.length ? picked : ['shm', 'sem', 'msg'];
    let task: bigint | undefined;
    if (typeof args.flags.n === 'string') {
      const word = args.flags.n;
      let found;
      try {
        found = tasksOfWord(allTasks(k), word).tasks[0];
      } catch {
        found = undefined;
      }
      if (!found || !/^(\d+|(0x)?[0-9a-f]+)$/i.test(word)) throw new CommandError(`invalid task or pid value: ${word}`);
      task = found.address;
    }
    const ns = ipcNamespaceOf(k, task);
    const tables = new Map<IpcKind, IpcTable | string>();
    for (const kind of kinds) {
      try {
        tables.set(kind, ipcObjects(k, ns, kind));
      } catch (e) {
        tables.set(kind, (e as Error).message);
      }
    }
    const pages = new Map<IpcObject, ShmPages | string>();
    const lines: string[] = [];
    const matches: IpcObject[] = [];
    const invalid: string[] = [];
    if (!values.length) {
      for (const kind of kinds) {
        const t = tables.get(kind)!;
        if (typeof t === 'string') lines.push(HEADERS[kind], `(unreadable: ${t})`, '');
        else lines.push(...tableLines(k, t, verbose && kind === 'shm', pages));
      }
    } else {
      for (const { word, value } of values) {
        let found = 0;
        for (const kind of kinds) {
          const t = tables.get(kind)!;
          if (typeof t === 'string') continue;
          const o = t.objects.find((x) => BigInt(x.id) === value || x.address === value);
          if (!o) continue;
          found++;
          matches.push(o);
          lines.push(HEADERS[kind], row(o), ...(verbose && kind === 'shm' ? pageLines(k, o, pages) : []), '');
        }
        if (!found) invalid.push(`invalid id or address: ${word}`, '');
      }
      // crash prints the misses as it meets them and the objects found only at the end
      lines.unshift(...invalid);
    }
    // JSON: sizes and counts as numbers (addresses stay bigint, shown in hex)
    const counts = (o: IpcObject) => ({
      ...o,
      ...(o.bytes !== undefined ? { bytes: Number(o.bytes) } : {}),
      ...(o.nattch !== undefined ? { nattch: Number(o.nattch) } : {}),
      ...(o.messages !== undefined ? { messages: Number(o.messages) } : {}),
    });
    const data = {
      namespace: ns,
      tables: [...tables].map(([kind, t]) =>
        typeof t === 'string' ? { kind, unreadable: t } : { ...t, objects: t.objects.map(counts) },
      ),
      ...(values.length ? { matches: matches.map(counts) } : {}),
      ...(verbose
        ? {
            pages: [...pages].map(([o, p]) => ({
              address: o.address,
              id: o.id,
              ...(typeof p === 'string'
                ? { unreadable: p }
                : {
                    ...p,
                    allocated: Number(p.allocated),
                    resident: Number(p.resident),
                    swapped: Number(p.swapped),
                  }),
            })),
          }
        : {}),
    };
    return text(lines, data);
  },
};

export default ipcs;
