/** Colour for the terminal: only on a TTY and never when NO_COLOR is set. Same View, same text, plus SGR codes. */
import { explainedLines } from '../render/explain.js';
import { tableLines, viewLines } from '../render/text.js';
import type { LineStyle, View } from '../render/view.js';
import { treeDrawLines } from './tree-lines.js';

const SGR: Record<LineStyle, string> = { error: '31', warning: '33', emphasis: '1', dim: '2', header: '1' };

export const useColor = (stream: { isTTY?: boolean }): boolean => !!stream.isTTY && !process.env.NO_COLOR;

export const paint = (s: string, style: LineStyle): string => (s ? `\x1b[${SGR[style]}m${s}\x1b[0m` : s);

/**
 * The lines of a view for the terminal: styled when `color` (the default), and trees drawn with connectors
 * (colour or not). Text that is not a tree is the same as the plain rendering, but for the SGR codes.
 */
export function colorLines(view: View, color = true): string[] {
  const style = (s: string, st: LineStyle): string => (color ? paint(s, st) : s);
  switch (view.kind) {
    case 'text':
      return view.styles && color
        ? view.lines.map((l, i) => (view.styles![i] ? paint(l, view.styles![i]!) : l))
        : view.lines;
    case 'table': {
      const lines = tableLines(view);
      if (view.header !== false) {
        const h = view.before?.length ?? 0;
        lines[h] = style(lines[h]!, 'header');
      }
      return lines;
    }
    case 'tree':
      return treeDrawLines(view.roots, (s) => style(s, 'dim'));
    case 'group':
      return view.views.flatMap((v) => colorLines(v, color));
    case 'error':
      return [style(view.message, 'error')];
    default:
      return viewLines(view);
  }
}

export function colorText(view: View, color = true): string {
  const lines = explainedLines(view, colorLines(view, color), (s) => (color ? paint(s, 'dim') : s));
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** Text without SGR codes (for searching in the pager). */

export const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');
