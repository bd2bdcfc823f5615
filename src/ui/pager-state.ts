/** The pager's movement and search, apart from rendering (so it is easy to test). */
import { stripAnsi } from './colorize.js';

export interface PagerState {
  top: number;
  /** the last search text, for n/N */
  search: string;
  message: string;
}

export const maxTop = (total: number, page: number): number => Math.max(0, total - page);

const clamp = (top: number, total: number, page: number) => Math.min(Math.max(0, top), maxTop(total, page));

/** Move: 'page' 'back' 'down' 'up' 'top' 'bottom'. */
export function move(
  st: PagerState,
  how: 'page' | 'back' | 'down' | 'up' | 'top' | 'bottom',
  total: number,
  page: number,
): PagerState {
  const delta = { page: page, back: -page, down: 1, up: -1, top: -Infinity, bottom: Infinity }[how];
  const top = how === 'top' ? 0 : how === 'bottom' ? maxTop(total, page) : clamp(st.top + delta, total, page);
  return { ...st, top, message: '' };
}

/** Find `text` forward (from the line after top) or backward; put the match on the top line. */
export function find(st: PagerState, lines: string[], text: string, forward: boolean): PagerState {
  if (!text) return st;
  const n = lines.length;
  for (let k = 1; k <= n; k++) {
    const i = forward ? (st.top + k) % n : (st.top - k + n * 2) % n;
    if (stripAnsi(lines[i]!).includes(text)) {
      return { top: i, search: text, message: i <= st.top === forward ? 'search wrapped' : '' };
    }
  }
  return { ...st, search: text, message: `not found: ${text}` };
}

/** The lines that contain `text` (colour codes ignored); all lines for an empty text. */
export function filterLines(lines: string[], text: string): string[] {
  if (!text) return lines;
  return lines.filter((l) => stripAnsi(l).includes(text));
}
