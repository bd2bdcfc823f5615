/** Colour for the terminal: only on a TTY and never when NO_COLOR is set. Same View, same text, plus SGR codes. */
import { tableLines, viewLines } from '../render/text.js';
import type { LineStyle, View } from '../render/view.js';

const SGR: Record<LineStyle, string> = { error: '31', warning: '33', emphasis: '1', dim: '2', header: '1' };

export const useColor = (stream: { isTTY?: boolean }): boolean => !!stream.isTTY && !process.env.NO_COLOR;

export const paint = (s: string, style: LineStyle): string => (s ? `\x1b[${SGR[style]}m${s}\x1b[0m` : s);

export function colorLines(view: View): string[] {
  switch (view.kind) {
    case 'text':
      return view.styles ? view.lines.map((l, i) => (view.styles![i] ? paint(l, view.styles![i]!) : l)) : view.lines;
    case 'table': {
      const lines = tableLines(view);
      if (view.header !== false) {
        const h = view.before?.length ?? 0;
        lines[h] = paint(lines[h]!, 'header');
      }
      return lines;
    }
    case 'group':
      return view.views.flatMap(colorLines);
    case 'error':
      return [paint(view.message, 'error')];
    default:
      return viewLines(view);
  }
}

export function colorText(view: View): string {
  const lines = colorLines(view);
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** Text without SGR codes (for searching in the pager). */
// eslint-disable-next-line no-control-regex
export const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');
