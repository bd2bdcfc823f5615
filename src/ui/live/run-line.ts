/**
 * Run a command line for a live view's next screen: the command's View (not its text), or the one-line error the
 * prompt would print. A private dispatcher, so that errors come back here instead of being written over the view.
 */
import { resolveAlias } from '../../repl/aliases.js';
import { Repl, firstLine, type Registry } from '../../repl/engine.js';
import { parseLine } from '../../repl/parse.js';
import type { View } from '../../render/view.js';
import type { Session } from '../../session.js';

export function viewRunner(session: Session, registry: Registry): (line: string) => Promise<View | string> {
  return async (line) => {
    let error = '';
    const repl = new Repl(session, registry, {
      capture: true,
      display: () => {},
      error: (l) => {
        error ||= l;
      },
    });
    let parsed;
    try {
      parsed = parseLine(line, (n) => resolveAlias(session, n));
    } catch (e) {
      return `crash-ts: ${firstLine(e)}`;
    }
    if (parsed.kind !== 'command') return `crash-ts: not a command: ${line}`;
    const cmd = registry.get(parsed.name);
    if (!cmd) return `crash-ts: ${parsed.name}: no such command`;
    const view = await repl.run(cmd, parsed.argv);
    if (!view) return error || `${cmd.name}: failed`;
    if (view.kind === 'error')
      return view.message.startsWith(`${cmd.name}:`) ? view.message : `${cmd.name}: ${view.message}`;
    return view;
  };
}
