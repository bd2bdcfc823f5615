/**
 * Next views for the lines of a command's text View (the terminal UI's Enter on a line), declared as data by
 * patterns: a line a pattern matches opens the command the pattern's action makes from the match. For commands
 * whose crash layout is free text with a table inside (kmem -s, mod, mount, files, net, irq, runq): text and JSON
 * output are unchanged, only `lineActions` is added.
 */
import type { Command } from '../command.js';
import type { View } from './view.js';

export interface LineLink {
  pattern: RegExp;
  action: (m: RegExpExecArray) => string | undefined;
}

/** Add lineActions to the text Views in `view` (groups included) where a link matches. */
export function linkLines(view: View, links: LineLink[]): View {
  if (view.kind === 'group') view.views.forEach((v) => linkLines(v, links));
  if (view.kind !== 'text' || view.lineActions) return view;
  let any = false;
  const actions = view.lines.map((line) => {
    for (const l of links) {
      const m = l.pattern.exec(line);
      if (m) {
        const a = l.action(m);
        if (a) {
          any = true;
          return a;
        }
      }
    }
    return undefined;
  });
  if (any) view.lineActions = actions;
  return view;
}

/** The command with line links added to every View it returns. */
export function withLineLinks(cmd: Command, links: LineLink[]): Command {
  const run = cmd.run.bind(cmd);
  return {
    ...cmd,
    run(session, args) {
      const v = run(session, args);
      return v instanceof Promise ? v.then((x) => linkLines(x, links)) : linkLines(v, links);
    },
  };
}
