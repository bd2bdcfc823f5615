/** mount: the mounted filesystems of the current context's mount namespace, in crash's layout. */
import { withLineLinks } from '../src/render/line-links.js';
import { MOUNT_LINKS } from './links/rules.js';
import { CommandError, type Args, type Command } from '../src/command.js';
import { mountNamespaceFor, mountTable, type MountInfo } from '../src/kernel/objects/mounts.js';
import { text, type View } from '../src/render/view.js';
import type { Session } from '../src/session.js';

const HELP = `mount - mounted filesystems

SYNOPSIS
  mount

Lists the mounts of the current context's mount namespace (\`set PID\` to see a container's), in the
order they were made, as /proc/mounts does: the struct mount, its super block, the filesystem type,
the device name given to mount(2) and the directory it is mounted on.

EXAMPLES
  mount
  mount | grep tmpfs`;

const hex16 = (v: bigint): string => v.toString(16).padStart(16, '0');

/** crash: TYPE in 6 columns and DEVNAME in 9, then trailing blanks trimmed down to one past column 17 */
function typeAndDev(m: MountInfo): string {
  let s = `${(m.type ?? 'unknown').padEnd(6)} ${(m.devName ?? '(unknown)').padEnd(9)} `;
  while (s.length > 17 && s[s.length - 2] === ' ') s = s.slice(0, -1);
  return s;
}

const mount: Command = {
  name: 'mount',
  summary: 'mounted filesystems',
  help: HELP,
  needsDump: true,
  options: {},
  run(session: Session, args: Args): View {
    const k = session.kernel;
    if (!k) throw new CommandError('no dump is open');
    if (args.positional.length) throw new CommandError(`unexpected argument: ${args.positional[0]}`);
    let table;
    try {
      table = mountTable(k, mountNamespaceFor(k, session.currentTask()));
    } catch (e) {
      throw new CommandError((e as Error).message);
    }
    const lines = ['     MOUNT           SUPERBLK     TYPE   DEVNAME   DIRNAME'];
    for (const m of table.mounts) {
      lines.push(`${hex16(m.mount)} ${hex16(m.superBlock)} ${typeAndDev(m)}${(m.dirName ?? '(unknown)').padEnd(10)}`);
    }
    const partial = table.mounts.filter((m) => m.problem);
    if (partial.length)
      lines.push(
        `mount: ${partial.length} mount${partial.length === 1 ? '' : 's'} partly unreadable ("(unknown)"): ${partial[0]!.problem}`,
      );
    if (table.broken)
      lines.push(`mount: ${table.broken} mount${table.broken === 1 ? '' : 's'} of the namespace not in the dump`);
    return text(lines, table);
  },
};

// the terminal UI's next view from a line of the table (commands/links/rules.ts)
export default withLineLinks(mount, MOUNT_LINKS);
