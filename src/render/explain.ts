/**
 * Explain mode on the page: a view's Explanation (src/render/view.ts) placed among its rendered lines. Each note
 * goes on its own line below the line it is about, as `# note`; what the command read closes the output. The
 * command's own lines are never changed, so `grep -v '^#'` gives back the plain output.
 */
import type { View } from './view.js';

/** The lines of a view with its explanation woven in; `style` dims the notes on a terminal. */
export function explainedLines(view: View, lines: string[], style: (note: string) => string = (s) => s): string[] {
  const ex = view.explain;
  if (!ex || (ex.notes.length === 0 && ex.reads.length === 0)) return lines;
  const byLine = new Map<number, string[]>();
  for (const n of ex.notes) {
    const at = Math.min(Math.max(n.after, 0), Math.max(lines.length - 1, 0));
    byLine.set(at, [...(byLine.get(at) ?? []), n.text]);
  }
  const out: string[] = [];
  lines.forEach((line, i) => {
    out.push(line);
    for (const t of byLine.get(i) ?? []) out.push(style(`# ${t}`));
  });
  if (lines.length === 0) for (const t of byLine.get(0) ?? []) out.push(style(`# ${t}`));
  if (ex.reads.length) out.push(style(`# read: ${ex.reads.join(', ')}`));
  return out;
}
