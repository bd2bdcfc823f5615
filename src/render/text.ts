/**
 * View → crash-layout plain text. Tables go through an O(rows) column formatter: one pass to measure,
 * one to print (cli-table3 needs half a minute for 10k rows).
 */
import { explainedLines } from './explain.js';
import type { Column, TableView, TreeNode, View } from './view.js';

export function cellText(col: Column, row: Record<string, unknown>): string {
  const value = row[col.key];
  if (col.format) return col.format(value, row);
  if (value === undefined || value === null) return '';
  if (typeof value === 'bigint') return value.toString(16);
  return String(value);
}

/** runs of spaces by length, made once: padding 10,000 rows' cells made a new string per cell */
const SPACES: string[] = Array.from({ length: 65 }, (_, n) => ' '.repeat(n));

function pad(s: string, width: number, align: 'left' | 'right'): string {
  if (s.length >= width) return s;
  const n = width - s.length;
  const fill = n < SPACES.length ? SPACES[n]! : ' '.repeat(n);
  return align === 'right' ? fill + s : s + fill;
}

/**
 * Lay out a table: each column as wide as max(width, widest cell) unless fixed; the last left column is not padded.
 * Only the cells of columns that are not fixed are kept from the measuring pass; a table whose columns are all
 * fixed (ps over 10,000 tasks) lays each row out as its cells are made, with no cell kept (a string array per row,
 * kept until the end, was most of the garbage collector's work in laying out such a table).
 */
export function tableLines(view: TableView): string[] {
  const { columns, rows } = view;
  const widths = columns.map((c) =>
    c.fixed ? c.width : Math.max(c.width, view.header === false ? 0 : c.header.length),
  );
  const lineKey = view.lineKey;
  const whole = (row: Record<string, unknown>): string | undefined => {
    const v = lineKey === undefined ? undefined : row[lineKey];
    return typeof v === 'string' ? v : undefined;
  };
  /** the measured cells of each column that is not fixed, by row (undefined for fixed columns) */
  const measured: (string[] | undefined)[] = columns.map((c) => (c.fixed ? undefined : new Array<string>(rows.length)));
  if (measured.some((m) => m !== undefined)) {
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r]!;
      if (whole(row) !== undefined) continue;
      for (let c = 0; c < columns.length; c++) {
        const cells = measured[c];
        if (cells === undefined) continue;
        const s = cellText(columns[c]!, row);
        cells[r] = s;
        if (s.length > widths[c]!) widths[c] = s.length;
      }
    }
  }
  const last = columns.length - 1;
  // a row's pieces joined at once: a flat string (appending piece by piece makes a tree of ~20 strings per row,
  // all kept alive until the table's text is joined)
  const parts: string[] = new Array<string>(2 * columns.length);
  const layout = (cellAt: (c: number) => string): string => {
    for (let c = 0; c < columns.length; c++) {
      const col = columns[c]!;
      parts[2 * c] = col.sep ?? (c === 0 ? '' : ' ');
      const s = cellAt(c);
      parts[2 * c + 1] = c === last && col.align === 'left' ? s : pad(s, widths[c]!, col.align);
    }
    return parts.join('');
  };
  const lines: string[] = [...(view.before ?? [])];
  if (view.header !== false) lines.push(layout((c) => columns[c]!.header));
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    lines.push(whole(row) ?? layout((c) => measured[c]?.[r] ?? cellText(columns[c]!, row)));
  }
  if (view.after) lines.push(...view.after);
  return lines;
}

function treeLines(roots: TreeNode[], indent: number): string[] {
  const lines: string[] = [];
  // iterative walk, so a deep tree cannot overflow the stack
  const stack: [TreeNode, number][] = roots.map((r) => [r, 0] as [TreeNode, number]).reverse();
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    lines.push(' '.repeat(depth * indent) + node.label);
    for (let i = node.children.length - 1; i >= 0; i--) stack.push([node.children[i]!, depth + 1]);
  }
  return lines;
}

/** The lines of a view, without newlines. */
export function viewLines(view: View): string[] {
  switch (view.kind) {
    case 'text':
      return view.lines;
    case 'table':
      return tableLines(view);
    case 'tree':
      return treeLines(view.roots, view.indent ?? 2);
    case 'hexdump':
      return view.lines;
    case 'group': {
      const out: string[] = [];
      for (const v of view.views) for (const l of viewLines(v)) out.push(l);
      return out;
    }
    case 'error':
      return [view.message];
  }
}

/** The whole text of a view: lines joined, each ending in '\n' ('' for an empty view). */
export function renderText(view: View): string {
  const lines = explainedLines(view, viewLines(view));
  return lines.length ? lines.join('\n') + '\n' : '';
}
