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

function pad(s: string, width: number, align: 'left' | 'right'): string {
  if (s.length >= width) return s;
  const fill = ' '.repeat(width - s.length);
  return align === 'right' ? fill + s : s + fill;
}

/** Lay out a table: each column as wide as max(width, widest cell) unless fixed; the last left column is not padded. */
export function tableLines(view: TableView): string[] {
  const { columns, rows } = view;
  const cells: string[][] = new Array(rows.length);
  const widths = columns.map((c) =>
    c.fixed ? c.width : Math.max(c.width, view.header === false ? 0 : c.header.length),
  );
  const whole = (row: Record<string, unknown>) => {
    const v = view.lineKey === undefined ? undefined : row[view.lineKey];
    return typeof v === 'string' ? v : undefined;
  };
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const line: string[] = new Array(columns.length);
    if (whole(row) !== undefined) {
      cells[r] = line;
      continue;
    }
    for (let c = 0; c < columns.length; c++) {
      const col = columns[c]!;
      const s = cellText(col, row);
      line[c] = s;
      if (!col.fixed && s.length > widths[c]!) widths[c] = s.length;
    }
    cells[r] = line;
  }
  const last = columns.length - 1;
  const layout = (line: string[]): string => {
    let out = '';
    for (let c = 0; c < columns.length; c++) {
      const col = columns[c]!;
      out += col.sep ?? (c === 0 ? '' : ' ');
      const s = line[c]!;
      out += c === last && col.align === 'left' ? s : pad(s, widths[c]!, col.align);
    }
    return out;
  };
  const lines: string[] = [...(view.before ?? [])];
  if (view.header !== false) lines.push(layout(columns.map((c) => c.header)));
  for (let r = 0; r < rows.length; r++) lines.push(whole(rows[r]!) ?? layout(cells[r]!));
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
