/** Run a memory command line on a kernel as the REPL would: its text, or its one-line error. */
import type { Command } from '../../src/command.js';
import { CommandError } from '../../src/command.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { renderText } from '../../src/render/text.js';
import type { View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import kmem from '../../commands/kmem.js';
import vtop from '../../commands/vtop.js';
import ptov from '../../commands/ptov.js';
import ptob from '../../commands/ptob.js';
import btop from '../../commands/btop.js';
import swap from '../../commands/swap.js';

const COMMANDS: Record<string, Command> = { kmem, vtop, ptov, ptob, btop, swap };

export function run(k: Kernel, line: string): string {
  const [name, ...argv] = line.split(/\s+/).filter(Boolean);
  const cmd = COMMANDS[name!]!;
  try {
    const view = cmd.run(new Session(k), parseArgs(argv, cmd.options)) as View;
    return renderText(view);
  } catch (e) {
    if (e instanceof CommandError) return `${name}: ${e.message}\n`;
    throw e;
  }
}
