/** fuser: the tasks using a file, by path or inode address. */
import { CommandError, type Args, type Command } from '../src/command.js';
import { isKernelAddress } from '../src/kernel/address.js';
import { taskFileUses, type FileSpec, type FileUser } from '../src/kernel/objects/file-users.js';
import { allTasks } from '../src/kernel/objects/tasks.js';
import { text, type View } from '../src/render/view.js';
import type { Session } from '../src/session.js';

const HELP = `fuser - which tasks use a file

SYNOPSIS
  fuser PATH | INODE ...

For every task (threads too), whether the file is its root directory (root), its working directory
(cwd), one of its open files (fd) or mapped into its memory (mmap). The file is a full path as the
"files" command shows paths (/dev/null, /bin/busybox), or the address of its inode.

A path matches only itself: /null does not match /dev/null (crash matches any path ending the same way).

EXAMPLES
  fuser /
  fuser /dev/console
  fuser ffff897c295fd2f0`;

const HEADER = ' PID         TASK        COMM             USAGE';

/** crash's COMM column: the quoted command cut to 16 characters, the last of them a space. */
function commColumn(comm: string): string {
  const s = `"${comm}"\n`.slice(0, 16);
  return s.slice(0, s.length - 1).padEnd(16);
}

function userLine(u: FileUser): string {
  return `${String(u.task.pid).padStart(5)}  ${u.task.address.toString(16).padStart(16)}  ${commColumn(u.task.comm)} ${u.uses.map((x) => x + ' ').join('')}`;
}

function parseSpec(word: string): FileSpec {
  if (word.startsWith('/')) return { path: word.length > 1 ? word.replace(/\/+$/, '') : word };
  const hex = /^(0x)?([0-9a-f]+)$/i.exec(word);
  if (hex) {
    const inode = BigInt('0x' + hex[2]);
    if (isKernelAddress(inode)) return { inode };
  }
  throw new CommandError(`invalid argument: ${word} (a full path, or an inode address)`);
}

const fuser: Command = {
  name: 'fuser',
  summary: 'tasks using a file (root, cwd, open fd, mapping)',
  help: HELP,
  needsDump: true,
  options: {},
  run(s: Session, args: Args): View {
    const k = s.kernel;
    if (!k) throw new CommandError('no dump is open');
    if (!args.positional.length) throw new CommandError('give a full path or an inode address: fuser PATH | INODE');
    const lines: string[] = [];
    const data: unknown[] = [];
    for (const word of args.positional) {
      const spec = parseSpec(word);
      const users: FileUser[] = [];
      const incomplete: FileUser[] = [];
      for (const t of allTasks(k).tasks) {
        s.checkCancelled();
        const u = taskFileUses(k, t, spec);
        if (u.uses.length) users.push(u);
        if (u.problems.length) incomplete.push(u);
      }
      if (users.length) lines.push(HEADER, ...users.map(userLine));
      else lines.push(`No users of ${word.replace(/^0x/, '')} found`);
      if (incomplete.length)
        lines.push(
          `fuser: ${incomplete.length} task${incomplete.length === 1 ? "'s" : "s'"} files or mappings could not be read completely (pages the dump lacks): ${incomplete
            .slice(0, 8)
            .map((u) => `pid ${u.task.pid}`)
            .join(', ')}${incomplete.length > 8 ? ', ...' : ''}`,
        );
      data.push({
        file: word,
        users: users.map((u) => ({ pid: u.task.pid, task: u.task.address, command: u.task.comm, uses: u.uses })),
        incomplete: incomplete.map((u) => ({ pid: u.task.pid, problems: u.problems })),
      });
    }
    return text(lines, data.length === 1 ? data[0] : data);
  },
};

export default fuser;
