/**
 * The stack of live screens (ps → bt → frame → struct ...) and the cursor moves on one, apart from drawing.
 * Each screen keeps its cursor, scroll, sort, filter and folds, so going back finds it as it was left.
 */
import { renderText } from '../../render/text.js';
import type { TreeNode, View } from '../../render/view.js';
import { initialFolds, layout, sortColumns, type Item, type Layout, type Look } from './items.js';

export interface Screen {
  /** the command line that made the view (the breadcrumb) */
  line: string;
  view: View;
  look: Look;
  cursor: number;
  top: number;
  message: string;
  shown: Layout;
  /** the table's tree has been shown (its initial folds are set) */
  treeShown?: boolean;
}

export function newScreen(line: string, view: View): Screen {
  // a table's tree (and its folded thread groups) is built when first shown, not for the table's first frame
  const folded = view.kind === 'table' ? new Set<TreeNode>() : initialFolds(view);
  const look: Look = { sort: -1, desc: false, filter: '', folded, asTree: false, plain: false };
  return { line, view, look, cursor: 0, top: 0, message: '', shown: layout(view, look) };
}

/** Lay the screen out again after its look changed, keeping the cursor on the same item where it still shows. */
export function relayout(s: Screen, look: Look): void {
  const was: Item | undefined = s.shown.items[s.cursor];
  s.look = look;
  s.shown = layout(s.view, look);
  const items = s.shown.items;
  // the same node, the same table row (drawn in the table or its tree), else the same line
  let at = -1;
  if (was?.node) at = items.findIndex((it) => it.node === was.node);
  if (at < 0 && was?.table) at = items.findIndex((it) => it.row === was.row && it.table === was.table);
  if (at < 0 && was) {
    const text = was.text.trimStart();
    at = items.findIndex((it) => it.text.trimStart() === text);
  }
  if (at < 0) at = Math.min(s.cursor, Math.max(0, items.length - 1));
  s.cursor = at;
}

/** Keep the cursor inside the items and on the page. */
export function clampScroll(s: Screen, page: number): void {
  const n = s.shown.items.length;
  s.cursor = Math.max(0, Math.min(s.cursor, n - 1));
  if (s.cursor < s.top) s.top = s.cursor;
  if (s.cursor >= s.top + page) s.top = s.cursor - page + 1;
  s.top = Math.max(0, Math.min(s.top, Math.max(0, n - page)));
}

/** Scroll the page by `n` lines (the mouse wheel), the cursor kept on the page. */
export function scrollBy(s: Screen, n: number, page: number): void {
  const count = s.shown.items.length;
  s.top = Math.max(0, Math.min(s.top + n, Math.max(0, count - page)));
  s.cursor = Math.max(s.top, Math.min(s.cursor, s.top + page - 1, count - 1));
}

export type Move = 'up' | 'down' | 'pageUp' | 'pageDown' | 'first' | 'last';

export function moveCursor(s: Screen, how: Move, page: number): void {
  const n = s.shown.items.length;
  const to = {
    up: s.cursor - 1,
    down: s.cursor + 1,
    pageUp: s.cursor - page,
    pageDown: s.cursor + page,
    first: 0,
    last: n - 1,
  }[how];
  if (how === 'pageUp') s.top -= page;
  if (how === 'pageDown') s.top += page;
  s.cursor = to;
  s.message = '';
  clampScroll(s, page);
}

/** `s`: the next sortable column (after the last one, the command's own order); `S`: reverse. */
export function cycleSort(s: Screen, reverse: boolean): void {
  const cols = sortColumns(s.view);
  if (!cols.length) {
    s.message = 'no columns to sort by here';
    return;
  }
  const look = { ...s.look };
  if (reverse) look.desc = !look.desc;
  else {
    const i = cols.findIndex((c) => c.index === look.sort);
    look.sort = i + 1 < cols.length ? cols[i + 1]!.index : -1;
    look.desc = false;
  }
  relayout(s, look);
  s.message = look.sort < 0 ? 'in the command’s order' : '';
}

export function sortLabel(s: Screen): string {
  if (s.look.sort < 0) return '';
  const c = sortColumns(s.view).find((x) => x.index === s.look.sort);
  return c ? `sort ${c.name.trim()} ${s.look.desc ? '↓' : '↑'}` : '';
}

/** T: a table with treeBy as its tree, or back; the first time, a big table's thread groups start folded. */
export function toggleTree(s: Screen): void {
  if (s.view.kind !== 'table' || !s.view.treeBy) {
    s.message = 'no tree for this view';
    return;
  }
  const initial = initialFolds(s.view);
  const folded = s.treeShown ? s.look.folded : s.look.folded.size ? new Set([...s.look.folded, ...initial]) : initial;
  s.treeShown = true;
  relayout(s, { ...s.look, folded, asTree: !s.look.asTree, sort: -1 });
}

/** Fold (`open` false) or unfold the tree node under the cursor; folding a leaf or folded node goes to its parent. */
export function fold(s: Screen, open: boolean): void {
  const it = s.shown.items[s.cursor];
  if (!it?.node) {
    s.message = 'nothing to fold here';
    return;
  }
  const folded = new Set(s.look.folded);
  if (open) {
    if (!folded.delete(it.node)) return;
  } else if (it.node.children.length && !folded.has(it.node)) folded.add(it.node);
  else {
    // to the parent: the nearest item above with a shorter connector prefix
    const depth = (it.prefix ?? '').length;
    for (let i = s.cursor - 1; i >= 0; i--)
      if ((s.shown.items[i]!.prefix ?? '').length < depth) {
        s.cursor = i;
        break;
      }
    return;
  }
  relayout(s, { ...s.look, folded });
}

/** The plain text crash prints for the screen's view (t shows it, w writes it). */
export const plainText = (s: Screen): string => renderText(s.view);
