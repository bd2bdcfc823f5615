/** View → JSON (`--json`, `set output json`). 64-bit values (bigint) become "0x…" hex strings. */
import { cellText } from './text.js';
import type { TreeNode, View } from './view.js';

function treeJson(node: TreeNode): unknown {
  return {
    label: node.label,
    ...(node.data !== undefined ? { data: node.data } : {}),
    children: node.children.map(treeJson),
  };
}

/** The plain-data form of a view (before stringifying). */
export function viewData(view: View): unknown {
  switch (view.kind) {
    case 'text':
      return view.data !== undefined ? view.data : { lines: view.lines };
    case 'table':
      if (view.data !== undefined) return view.data;
      // raw values where they are plain data; a column with a formatter and a non-plain value gets its text
      return view.rows.map((row) => {
        const o: Record<string, unknown> = {};
        for (const col of view.columns) {
          const v = row[col.key];
          o[col.key] = v !== null && typeof v === 'object' ? cellText(col, row) : v;
        }
        return o;
      });
    case 'tree':
      return view.data !== undefined ? view.data : view.roots.map(treeJson);
    case 'hexdump':
      return view.rows;
    case 'group':
      return view.views.map(viewData);
    case 'error':
      return { error: view.message };
  }
}

export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? '0x' + value.toString(16) : value;
}

/** One JSON document per command, newline-terminated. */
export function renderJson(view: View): string {
  return JSON.stringify(viewData(view), jsonReplacer, 2) + '\n';
}
