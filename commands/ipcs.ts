/** ipcs: System V shared memory segments, semaphore sets and message queues, in crash's layout. */
import { CommandError, type Args, type Command } from '../src/command.js';
import { ipcNamespaceOf, ipcObjects, type IpcKind, type IpcObject, type IpcTable } from '../src/kernel/objects/ipc.js';
import { text, type View } from '../src/render/view.js';
import type { Session } from '../src/session.js';

const HELP = `ipcs - System V IPC facilities

SYNOPSIS
  ipcs [-s] [-m] [-q]

Lists the System V IPC objects of the current context's IPC namespace: shared memory segments
(SHMID_KERNEL, KEY, SHMID, UID, PERMS, BYTES, NATTCH, STATUS dest/locked), semaphore sets
(SEM_ARRAY, ..., NSEMS) and message queues (MSG_QUEUE, ..., USED-BYTES, MESSAGES). With no option
all three; "(none allocated)" for a kind with none.

OPTIONS
  -m   shared memory segments only
  -s   semaphore sets only
  -q   message queues only

EXAMPLES
  ipcs
  ipcs -m`;

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

function tableLines(t: IpcTable): string[] {
  const lines = [HEADERS[t.kind], ...(t.objects.length ? t.objects.map(row) : ['(none allocated)'])];
  if (t.unreadable) lines.push(`(${t.unreadable} IDR node${t.unreadable === 1 ? '' : 's'} not in the dump)`);
  return [...lines, ''];
}

const ipcs: Command = {
  name: 'ipcs',
  summary: 'System V IPC: shared memory, semaphores, message queues',
  help: HELP,
  needsDump: true,
  options: { m: 'shared memory', s: 'semaphores', q: 'message queues' },
  run(session: Session, args: Args): View {
    const k = session.kernel;
    if (!k) throw new CommandError('no dump is open');
    const picked = (['shm', 'sem', 'msg'] as const).filter(
      (kind) => args.flags[{ shm: 'm', sem: 's', msg: 'q' }[kind]],
    );
    const kinds: IpcKind[] = picked.length ? picked : ['shm', 'sem', 'msg'];
    const ns = ipcNamespaceOf(k, session.currentTask());
    const tables: IpcTable[] = [];
    const lines: string[] = [];
    for (const kind of kinds) {
      try {
        const t = ipcObjects(k, ns, kind);
        tables.push(t);
        lines.push(...tableLines(t));
      } catch (e) {
        lines.push(HEADERS[kind], `(unreadable: ${(e as Error).message})`, '');
      }
    }
    return text(lines, tables);
  },
};

export default ipcs;
