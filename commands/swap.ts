/** swap: the swap areas in use. */
import { CommandError, type Command } from '../src/command.js';
import { text } from '../src/render/view.js';
import { swapAreas } from '../src/kernel/objects/swap.js';
import { fit, hex, percent } from '../src/render/mem/fields.js';

export const SWAP_HEADER = 'SWAP_INFO_STRUCT    TYPE       SIZE       USED     PCT  PRI  FILENAME';

const swap: Command = {
  name: 'swap',
  summary: 'swap areas in use: size, use, priority and file',
  help: `swap - swap areas

SYNOPSIS
  swap

Lists each swap area the kernel has in use (swap_info[]): the address of its struct
swap_info_struct, whether it is a PARTITION (a block device) or a FILE, its size and the part in use
(in KiB), the percentage used, its priority and the path of the device or file. Without swap only the
header is shown.

EXAMPLES
  swap`,
  needsDump: true,
  options: {},
  run(session, args) {
    if (args.positional.length) throw new CommandError(`swap takes no arguments: ${args.positional.join(' ')}`);
    const info = swapAreas(session.kernel!);
    const lines = [SWAP_HEADER];
    for (const a of info.areas) {
      const size = a.pages * 4n;
      const used = a.usedPages * 4n;
      lines.push(
        `${fit(hex(a.address), 16, 'center')}  ${a.partition ? 'PARTITION' : '  FILE   '} ${fit(`${size}k`, 10, 'center-right')} ${fit(`${used}k`, 10, 'center-right')} ${fit(`${percent(used, size).toString().padStart(2)}%`, 4, 'center-right')} ${String(a.priority).padStart(4)}  ${a.path ?? '(unknown)'}`,
      );
    }
    for (const p of info.problems) if (!p.startsWith('this kernel has no')) lines.push(`swap: ${p}`);
    if (info.problems.some((p) => p.startsWith('this kernel has no'))) lines.push(`swap: ${info.problems[0]}`);
    return text(lines, info);
  },
};

export default swap;
