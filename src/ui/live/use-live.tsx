/**
 * The App's hook for live views: it notes the View behind each screen output (renderDisplay) and the line that
 * made it, and opens a live view instead of printing when the View is navigable (something opens from a row, or a
 * tree folds) or is a table longer than the screen. `set scroll off` keeps every output as plain text.
 */
import React, { useMemo, useRef, useState } from 'react';
import type { Registry } from '../../repl/engine.js';
import type { View } from '../../render/view.js';
import type { Session } from '../../session.js';
import { liveCapable, navigable } from './items.js';
import { LiveView } from './LiveView.js';
import { viewRunner } from './run-line.js';

/** longer than ink's render throttle (1000 / 30 fps): as the pager, text is written once the prompt is back */
const SETTLE_MS = 60;

export interface LiveHook {
  /** the command line about to run (the first breadcrumb) */
  noteLine(line: string): void;
  /** the View whose text is about to be displayed */
  noteView(view: View): void;
  /** called with the displayed text's line count: a promise that ends when the live view closes, or undefined */
  tryOpen(lineCount: number): Promise<void> | undefined;
  /** the live view to draw instead of the prompt, when one is open */
  element: React.ReactElement | undefined;
  /** what the user began typing in the view: the prompt starts with it (key: remount the prompt) */
  seed: { text: string; key: number };
}

export function useLiveViews(o: {
  session: Session;
  registry: Registry;
  color: boolean;
  size: { rows: number; cols: number };
  write(text: string): void;
  /** run command lines typed at a view (each as if typed at the prompt) */
  submit(lines: string[]): void;
  /** the previous command line of the history (Up at a view at rest) */
  recall(): string | undefined;
}): LiveHook {
  const last = useRef<{ line: string; view?: View }>({ line: '' });
  const [open, setOpen] = useState<{ line: string; view: View } | undefined>(undefined);
  const done = useRef<(() => void) | undefined>(undefined);
  const [seed, setSeed] = useState({ text: '', key: 0 });
  const run = useMemo(() => viewRunner(o.session, o.registry), [o.session, o.registry]);
  const sizeRef = useRef(o.size);
  sizeRef.current = o.size;

  return {
    noteLine(line) {
      last.current = { line };
    },
    noteView(view) {
      last.current.view = view;
    },
    tryOpen(lineCount) {
      const { line, view } = last.current;
      last.current = { line };
      // explain mode's notes (set explain on, the tour) are part of the text: show the text, not a live view
      if (!view || view.explain || !o.session.settings.scroll) return undefined;
      const long = lineCount > sizeRef.current.rows - 2;
      if (!navigable(view) && !(long && liveCapable(view))) return undefined;
      return new Promise<void>((resolve) => {
        done.current = resolve;
        setOpen({ line: line || 'output', view });
      });
    },
    element: open && (
      <LiveView
        line={open.line}
        view={open.view}
        rows={o.size.rows}
        cols={o.size.cols}
        color={o.color}
        run={run}
        onQuit={(shown, typed, recall) => {
          setOpen(undefined);
          // whole lines typed at the view run once its text is written; the unfinished rest seeds the prompt
          const lines = typed?.split(/\r\n|\r|\n/) ?? [];
          const rest = recall ? o.recall() : lines.pop();
          if (rest !== undefined) setSeed((s) => ({ text: rest, key: s.key + 1 }));
          setTimeout(() => {
            if (shown.length) o.write(shown.join('\n') + '\n');
            if (lines.length) o.submit(lines);
            done.current?.();
            done.current = undefined;
          }, SETTLE_MS);
        }}
      />
    ),
    seed,
  };
}
