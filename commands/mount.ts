/** mount: the mounted filesystems of the current context's mount namespace, in crash's layout. */
import { CommandError, type Args, type Command } from '../src/command.js';
import { mountNamespaceFor, mountTable, type MountInfo } from '../src/kernel/objects/mounts.js';
import { text, type TableView, type View } from '../src/render/view.js';
import type { Session } from '../src/session.js';

const HELP = `mount - mounted filesystems

SYNOPSIS
  mount [-f | -i]

Lists the mounts of the current context's mount namespace (\`set PID\` to see a container's), in the
order they were made, as /proc/mounts does: the struct mount, its super block, the filesystem type,
the device name given to mount(2) and the directory it is mounted on.

OPTIONS
  -f   the open files of each super block (super_block.s_files: kernels before 3.6)
  -i   the dirty inodes of each super block (super_block.s_dirty: kernels before 2.6.32)
       Newer kernels keep neither list, and mount says so; \`files\`, \`fuser\` and \`foreach files\`
       find the open files by task instead.

EXAMPLES
  mount
  mount | grep tmpfs`;

const hex16 = (v: unknown): string => (v as bigint).toString(16).padStart(16, '0');

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
  options: { f: 'open files of each super block (old kernels)', i: 'dirty inodes of each super block (old kernels)' },
  run(session: Session, args: Args): View {
    const k = session.kernel;
    if (!k) throw new CommandError('no dump is open');
    for (const [flag, member] of [
      ['f', 's_files'],
      ['i', 's_dirty'],
    ] as const) {
      if (!args.flags[flag]) continue;
      // the per-super-block lists of open files (gone in 3.6) and dirty inodes (gone in 2.6.32)
      if (!k.findType('struct super_block') || k.object('struct super_block', 0n).has(member))
        throw new CommandError(`-${flag} is not supported yet on this kernel (super_block.${member})`);
      return text([
        `mount: the super_block.${member} linked list does not exist in this kernel`,
        `mount: -${flag} option not supported or applicable on this architecture or kernel`,
      ]);
    }
    if (args.positional.length) throw new CommandError(`unexpected argument: ${args.positional[0]}`);
    let table;
    try {
      table = mountTable(k, mountNamespaceFor(k, session.currentTask()));
    } catch (e) {
      throw new CommandError((e as Error).message);
    }
    // crash's header: MOUNT and SUPERBLK centred over their 16 digits; TYPE and DEVNAME laid out together
    const view: TableView = {
      kind: 'table',
      columns: [
        { key: 'mount', header: '     MOUNT      ', align: 'left', width: 16, fixed: true, sep: '', format: hex16 },
        { key: 'superBlock', header: '    SUPERBLK    ', align: 'left', width: 16, fixed: true, format: hex16 },
        {
          key: 'type',
          header: 'TYPE   DEVNAME   ',
          align: 'left',
          width: 17,
          fixed: true,
          format: (_v, row) => typeAndDev(row as unknown as MountInfo),
        },
        {
          key: 'dirName',
          header: 'DIRNAME',
          align: 'left',
          width: 0,
          sep: '',
          // crash pads the last column too
          format: (v) => ((v as string | undefined) ?? '(unknown)').padEnd(10),
        },
      ],
      rows: table.mounts as unknown as Record<string, unknown>[],
      rowAction: 'struct mount {mount}',
      data: table,
      after: [],
    };
    const partial = table.mounts.filter((m) => m.problem);
    if (partial.length)
      view.after!.push(
        `mount: ${partial.length} mount${partial.length === 1 ? '' : 's'} partly unreadable ("(unknown)"): ${partial[0]!.problem}`,
      );
    if (table.broken)
      view.after!.push(`mount: ${table.broken} mount${table.broken === 1 ? '' : 's'} of the namespace not in the dump`);
    return view;
  },
};

export default mount;
