/** files: a task's open files, root and working directory; files -d: one dentry. */
import { CommandError, parseNumber, type Args, type Command } from '../src/command.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { dentryInfo, inodePageCache, taskFsPaths, taskOpenFiles, type OpenFile } from '../src/kernel/objects/fs.js';
import { allTasks, findTaskByPid, taskHeader, type Task } from '../src/kernel/objects/tasks.js';
import { parseTaskWord, targetTasks, tasksOfWord } from '../src/repl/task-selector.js';
import { group, text, type Column, type TableView, type View } from '../src/render/view.js';
import type { Session } from '../src/session.js';

const HELP = `files - open files of a task

SYNOPSIS
  files [PID | TASK | COMMAND | 'regex'] ...
  files -d DENTRY
  files -c | -R REF [PID | TASK ...]

With no argument, the current context task (the panic task until "set" chooses another).

For each task: its root and current working directory (task->fs), then one line per open file
descriptor (task->files->fdt: each bit of open_fds with a file in fd[]):

  FD      the file descriptor
  FILE    the struct file address
  DENTRY  f_path.dentry
  INODE   the dentry's inode
  TYPE    REG DIR CHR BLK LNK FIFO SOCK (PIPE for an anonymous pipe where the kernel lets it be told)
  PATH    the full path, through the mount tree as the kernel's d_path walks it; a socket shows its
          protocol (TCP, UNIX), an anonymous inode its name ([eventpoll]), a pipe nothing

Threads share one file table, so "foreach files" reads each table once.

OPTIONS
  -c         instead of FILE and DENTRY: the inode's i_mapping and its number of cached pages
  -R REF     only the fds that refer to REF: an fd number, a file/dentry/inode address, or part of a
             path (tasks without one print nothing)
  -d DENTRY  the inode, super block, type and path of one dentry (the path through a mount of
             its super block in pid 1's mount namespace)

EXAMPLES
  files              the panic task's open files
  files 1            init's
  files -d ffff897c0146fa80
  foreach files      every task's`;

const hex = (v: bigint): string => v.toString(16).padStart(16, '0');
const FILES_HEADER = ' FD       FILE            DENTRY           INODE       TYPE PATH';
const DENTRY_HEADER = '     DENTRY           INODE           SUPERBLK     TYPE PATH';

/** One fd line in crash's layout: "%3d" and three 16-digit addresses, TYPE padded to 4. */
function fileLine(f: OpenFile): string {
  if (f.dentry === 0n) return `${String(f.fd).padStart(3)} ${hex(f.file)} ${hex(0n)}        ?         ?    ?`;
  if (f.inode === 0n) return `${String(f.fd).padStart(3)} ${hex(f.file)} ${hex(f.dentry)} ${hex(0n)} ?    ?`;
  return `${String(f.fd).padStart(3)} ${hex(f.file)} ${hex(f.dentry)} ${hex(f.inode)} ${f.type.padEnd(4)} ${f.path}`;
}

const NRPAGES_HEADER = ' FD      INODE          I_MAPPING     NRPAGES TYPE PATH';

/** -c: an fd's inode, its i_mapping and how many pages of it are cached. */
function pagesLine(k: Kernel, f: OpenFile): string {
  if (!f.inode) return fileLine(f);
  try {
    const { mapping, nrpages } = inodePageCache(k, f.inode);
    return `${String(f.fd).padStart(3)} ${hex(f.inode)} ${hex(mapping)} ${String(nrpages).padStart(7)} ${f.type.padEnd(4)} ${f.path}`;
  } catch (e) {
    return `${String(f.fd).padStart(3)} ${hex(f.inode)} (page cache unreadable: ${(e as Error).message})`;
  }
}

/** -R: does an fd refer to REF (a decimal fd number, a hex file/dentry/inode address, or part of its path)? */
function refersTo(f: OpenFile, ref: string): boolean {
  // a small decimal number is an fd, other hex words addresses, anything else part of a path (as crash reads REF)
  if (/^\d+$/.test(ref) && Number(ref) < 1 << 20) return Number(ref) === f.fd;
  if (/^(0x)?[0-9a-f]+$/i.test(ref)) {
    const v = BigInt(ref.startsWith('0x') ? ref : '0x' + ref);
    return v === f.file || v === f.dentry || v === f.inode;
  }
  return ref === '/' ? f.path === '/' : f.path.includes(ref);
}

/** files -R: only the tasks and fds that refer to REF (crash's layout: "ROOT: ... CWD: ... " then the rows). */
function referenceBlock(k: Kernel, t: Task, ref: string): string[] {
  let rootCwd = '';
  let rootHit = false;
  try {
    const fs = taskFsPaths(k, t.address);
    if (fs) {
      rootCwd = `ROOT: ${fs.root}    CWD: ${fs.cwd} `;
      const hit = (p: string): boolean => (ref === '/' ? p === '/' : ref !== '/' && p.includes(ref));
      rootHit = hit(fs.root) || hit(fs.cwd);
    }
  } catch {
    /* no root line */
  }
  let rows: OpenFile[] = [];
  try {
    rows = (taskOpenFiles(k, t.address)?.files ?? []).filter((f) => refersTo(f, ref));
  } catch {
    /* nothing to match */
  }
  if (!rootHit && !rows.length) return [];
  const out = [taskHeader(t), rootCwd];
  if (rows.length) out.push(FILES_HEADER, ...rows.map(fileLine));
  return [...out, ''];
}

/** The lines and data of one task's files. */
/** The column of FILES_HEADER between two offsets (the header words sit over crash's fields). */
const filesColumn = (key: string, from: number, to: number | undefined, extra: Partial<Column> = {}): Column => ({
  key,
  header: FILES_HEADER.slice(from, to),
  align: 'left',
  width: to === undefined ? 0 : to - from,
  fixed: to !== undefined,
  format: (v) => (typeof v === 'bigint' ? hex(v) : String(v ?? '')),
  ...extra,
});

/** A task's open files as crash lays them out: task line, ROOT/CWD, then one row per fd (the table). */
export function taskFilesTable(k: Kernel, t: Task, pages = false): TableView {
  const before = [taskHeader(t)];
  const data: Record<string, unknown> = { pid: t.pid, task: t.address, command: t.comm };
  const view: TableView = {
    kind: 'table',
    columns: [
      filesColumn('fd', 0, 3, { align: 'right', sep: '' }),
      filesColumn('file', 4, 20),
      filesColumn('dentry', 21, 37),
      filesColumn('inode', 38, 54),
      filesColumn('type', 55, 59),
      filesColumn('path', 60, undefined),
    ],
    rows: [],
    before,
    header: false,
    lineKey: 'line',
    rowAction: 'struct file {file}',
    data,
  };
  try {
    const fs = taskFsPaths(k, t.address);
    if (fs) {
      before.push(`ROOT: ${fs.root}    CWD: ${fs.cwd}`);
      Object.assign(data, { root: fs.root, cwd: fs.cwd });
    }
  } catch (e) {
    before.push(`files: root and working directory unreadable: ${(e as Error).message}`);
  }
  let open;
  try {
    open = taskOpenFiles(k, t.address);
  } catch (e) {
    before.push(`files: the file table of PID ${t.pid} cannot be read: ${(e as Error).message}`);
    data.problem = (e as Error).message;
    return view;
  }
  if (open?.problem) {
    before.push(`files: the file table ${open.filesStruct.toString(16)} cannot be read: ${open.problem}`);
    data.problem = open.problem;
  }
  if (!open || (!open.files.length && !open.unreadable.length)) {
    if (!open?.problem) before.push('No open files');
    data.files = [];
    return view;
  }
  if (pages) before.push(NRPAGES_HEADER);
  else view.header = true;
  // fd order, readable and unreadable ones together; a row the columns cannot show keeps crash's line
  view.rows = [
    ...open.files.map((f) => ({
      ...f,
      line: pages ? pagesLine(k, f) : f.dentry === 0n || f.inode === 0n ? fileLine(f) : undefined,
    })),
    ...open.unreadable.map((u) => ({
      fd: u.fd,
      file: u.file,
      line: `${String(u.fd).padStart(3)} ${hex(u.file)} (unreadable: ${u.reason})`,
    })),
  ].sort((a, b) => a.fd - b.fd);
  data.filesStruct = open.filesStruct;
  data.files = open.files.map((f) => ({
    fd: f.fd,
    file: f.file,
    dentry: f.dentry,
    inode: f.inode,
    type: f.type,
    path: f.path,
  }));
  if (open.unreadable.length) data.unreadable = open.unreadable;
  return view;
}

function dentryView(k: Kernel, word: string): View {
  const addr = parseNumber(word);
  if (addr === undefined) throw new CommandError(`invalid dentry address: ${word}`);
  let info;
  try {
    info = dentryInfo(k, addr, findTaskByPid(k, 1)?.address);
  } catch (e) {
    throw new CommandError(`dentry ${addr.toString(16)} cannot be read: ${(e as Error).message}`);
  }
  const inode = info.inode ? hex(info.inode) : ' '.repeat(16);
  return text(
    [DENTRY_HEADER, `${hex(info.dentry)} ${inode} ${hex(info.superBlock)} ${info.type.padEnd(4)} ${info.path}`],
    info,
  );
}

type Named = { task: Task; byPid: boolean } | { error: string };

/**
 * The tasks the words name (the current one without words), each with whether a PID (or name) named it; a
 * word that names none is its error line, in its place (crash goes on with the next word).
 */
function namedTasks(k: Kernel, words: string[], current: bigint | undefined): Named[] {
  const table = allTasks(k);
  if (!words.length) return targetTasks(table, words, current).map((task) => ({ task, byPid: false }));
  return words.flatMap((w): Named[] => {
    let tasks: Task[];
    try {
      tasks = tasksOfWord(table, w).tasks;
    } catch (e) {
      if (words.length === 1) throw e;
      return [{ error: `files: ${(e as Error).message}` }];
    }
    const sel = parseTaskWord(w);
    const address = sel.kind === 'address' || sel.kind === 'name' ? sel.address : undefined;
    const byAddress = address !== undefined && tasks.length === 1 && tasks[0]!.address === address;
    return tasks.map((task) => ({ task, byPid: !byAddress }));
  });
}

const files: Command = {
  name: 'files',
  summary: 'open files of a task, its root and working directory',
  help: HELP,
  needsDump: true,
  keepQuotes: true,
  options: { d: '=dentry', c: 'page cache pages', R: '=reference' },
  run(s: Session, args: Args): View {
    const k = s.kernel;
    if (!k) throw new CommandError('no dump is open');
    if (args.flags.d !== undefined) return dentryView(k, String(args.flags.d));
    const tasks = namedTasks(k, args.positional, s.currentTask());
    const lines: string[] = [];
    const data: unknown[] = [];
    if (args.flags.R !== undefined) {
      // crash: a task's block ends with a blank line when it matched; a task named by PID gets one more after
      for (const n of tasks) {
        if ('error' in n) {
          lines.push(n.error);
          continue;
        }
        const { task: t, byPid } = n;
        const block = referenceBlock(k, t, String(args.flags.R));
        if (block.length) lines.push(...block);
        if (block.length) data.push({ pid: t.pid, task: t.address });
        if (byPid) lines.push('');
      }
      return text(lines, data);
    }
    // crash starts each task's table after the first with a blank line, and ends the table of a task named by
    // PID with another (not one named by address, as foreach names them, nor the current task)
    const tables = tasks.map((n, i): View => {
      s.checkCancelled();
      if ('error' in n) return text([n.error]);
      const { task: t, byPid } = n;
      const v = taskFilesTable(k, t, !!args.flags.c);
      if (i > 0) v.before!.unshift('');
      if (byPid) v.after = [''];
      return v;
    });
    return tables.length === 1 ? tables[0]! : group(...tables);
  },
};

export default files;
