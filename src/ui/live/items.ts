/**
 * What a live view shows, apart from drawing it: a View becomes fixed header lines and a list of items (one screen
 * line each, with the command Enter runs on it), after the screen's sort, filter, folds and tree/text toggles.
 * Work is O(rows) when one of those changes and nothing when the cursor moves; table text is laid out once per View.
 */
import { fillAction, type LineStyle, type TableView, type TreeNode, type View } from '../../render/view.js';
import { tableLines, viewLines } from '../../render/text.js';

export interface Item {
  text: string;
  /** the command line of the next view (Enter) */
  action?: string;
  style?: LineStyle;
  /** a table row: its action and style are worked out when asked (itemAction, itemStyle), not for every row */
  table?: TableView;
  row?: number;
  /** tree items: the node (fold/unfold) and whether it has children */
  node?: TreeNode;
  /** drawn connectors before the text (tree items), without the fold mark (itemMark) */
  prefix?: string;
}

/** How one screen of the stack is looked at. */
export interface Look {
  /** column index the table is sorted by (-1: the command's own order) */
  sort: number;
  desc: boolean;
  filter: string;
  /** folded tree nodes */
  folded: Set<TreeNode>;
  /** a table with treeBy shown as its tree */
  asTree: boolean;
  /** the plain text crash prints instead of the live view */
  plain: boolean;
}

export interface Layout {
  header: string[];
  items: Item[];
  /** number of rows before the filter (for the status line) */
  total: number;
}

/** the widest connector prefix drawn: deeper levels show their last rails after a '…' */
const MAX_RAILS = 90;

/** Above this many rows a table's tree starts with thread groups folded. */
export const BIG_TREE_ROWS = 1000;

interface TableText {
  header: string[];
  body: string[];
  after: string[];
}

const tableTexts = new WeakMap<TableView, TableText>();

function tableText(view: TableView): TableText {
  let t = tableTexts.get(view);
  if (t) return t;
  const lines = tableLines(view);
  const h = (view.before?.length ?? 0) + (view.header === false ? 0 : 1);
  const n = view.rows.length;
  t = {
    header: lines.slice(0, h),
    body: lines.slice(h, h + n),
    after: lines.slice(h + n),
  };
  tableTexts.set(view, t);
  return t;
}

function compare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  if (a === undefined || a === null) return 1;
  if (b === undefined || b === null) return -1;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : 1;
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint'))
    return a < b ? -1 : a > b ? 1 : 0;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

const sortedOrders = new WeakMap<TableView, Map<string, number[]>>();

/** Row order of a table sorted by one column (stable: equal values keep the command's order); kept per View. */
export function sortedOrder(view: TableView, col: number, desc: boolean): number[] {
  const key = col < 0 ? undefined : view.columns[col]?.key;
  const id = key === undefined ? '' : `${desc ? '-' : '+'}${key}`;
  let orders = sortedOrders.get(view);
  const hit = orders?.get(id);
  if (hit) return hit;
  const order = view.rows.map((_, i) => i);
  if (key !== undefined) {
    const sign = desc ? -1 : 1;
    const values = view.rows.map((r) => r[key]);
    order.sort((x, y) => sign * compare(values[x], values[y]) || x - y);
  }
  if (!orders) sortedOrders.set(view, (orders = new Map()));
  orders.set(id, order);
  return order;
}

const rowItemsOf = new WeakMap<TableView, { rows: Item[]; after: Item[] }>();

/** One item per table row and per line after the table, made once per View (a re-sort or filter reuses them). */
function rowItems(view: TableView): { rows: Item[]; after: Item[] } {
  let r = rowItemsOf.get(view);
  if (r) return r;
  const t = tableText(view);
  r = {
    rows: t.body.map((text, row): Item => ({ text, table: view, row })),
    after: t.after.map((text): Item => ({ text })),
  };
  rowItemsOf.set(view, r);
  return r;
}

interface RowTree {
  roots: TreeNode[];
  /** synthetic "threads" nodes, folded on big tables */
  groups: TreeNode[];
}

const rowTrees = new WeakMap<TableView, RowTree>();

/**
 * The rows of a table with treeBy as a forest: each row under the first row whose id is its parent; a row of a
 * group (a thread) under a "N threads" node of its leader. Node data is the row index.
 */
export function tableTree(view: TableView): RowTree {
  let t = rowTrees.get(view);
  if (t) return t;
  const by = view.treeBy!;
  const text = tableText(view);
  // the row's line without its left padding: the connectors take that place
  const nodes: TreeNode[] = view.rows.map((_, i) => ({ label: text.body[i]!.trimStart(), children: [], data: i }));
  const firstById = new Map<unknown, number>();
  view.rows.forEach((r, i) => {
    if (!firstById.has(r[by.id])) firstById.set(r[by.id], i);
  });
  const threads = new Map<number, TreeNode[]>();
  const parentOf: (number | undefined)[] = view.rows.map((r, i) => {
    if (by.group !== undefined && r[by.group] !== undefined && r[by.group] !== r[by.id]) {
      const leader = firstById.get(r[by.group]);
      if (leader !== undefined && leader !== i) {
        (threads.get(leader) ?? threads.set(leader, []).get(leader)!).push(nodes[i]!);
        return -1;
      }
    }
    let p = firstById.get(r[by.parent]);
    // a process forked by a thread has that thread as its parent: draw it under the thread group's leader
    const pr = p === undefined ? undefined : view.rows[p]!;
    if (pr && by.group !== undefined && pr[by.group] !== pr[by.id]) p = firstById.get(pr[by.group]) ?? p;
    return p === undefined || p === i ? undefined : p;
  });
  const groups: TreeNode[] = [];
  nodes.forEach((n, i) => {
    const th = threads.get(i);
    if (th) {
      const g: TreeNode = { label: `${th.length} thread${th.length === 1 ? '' : 's'}`, children: th };
      n.children.push(g);
      groups.push(g);
    }
  });
  const roots: TreeNode[] = [];
  parentOf.forEach((p, i) => {
    if (p === -1) return;
    (p === undefined ? roots : nodes[p]!.children).push(nodes[i]!);
  });
  // a loop of parents (a damaged dump) leaves rows unreachable from the roots: cut the loop, the row becomes a root
  const seen = new Set<TreeNode>();
  const mark = (from: TreeNode) => {
    const stack = [from];
    while (stack.length) {
      const n = stack.pop()!;
      if (seen.has(n)) continue;
      seen.add(n);
      stack.push(...n.children);
    }
  };
  roots.forEach(mark);
  nodes.forEach((n, i) => {
    if (seen.has(n)) return;
    const p = parentOf[i];
    if (p !== undefined && p >= 0) nodes[p]!.children = nodes[p]!.children.filter((c) => c !== n);
    else if (p === -1) for (const g of groups) g.children = g.children.filter((c) => c !== n);
    roots.push(n);
    mark(n);
  });
  t = { roots, groups };
  rowTrees.set(view, t);
  return t;
}

const initialFoldSets = new WeakMap<View, Set<TreeNode>>();

/** The folds a screen starts with: a big table's thread groups folded (one Set per View: copy it to change it). */
export function initialFolds(view: View): Set<TreeNode> {
  let f = initialFoldSets.get(view);
  if (!f) {
    const big = view.kind === 'table' && view.treeBy && view.rows.length >= BIG_TREE_ROWS;
    f = new Set(big ? tableTree(view).groups : []);
    initialFoldSets.set(view, f);
  }
  return f;
}

/** a tree node's item: its connectors depend only on where it is in its forest, so it is made once */
const nodeItems = new WeakMap<TreeNode, Item>();
/** the rails a node's children are drawn after */
const childRails = new WeakMap<TreeNode, string>();

/** The fold mark drawn after a tree item's connectors: + folded, - open, nothing for a leaf. */
export function itemMark(it: Item, folded: Set<TreeNode>): string {
  if (!it.node) return '';
  return it.node.children.length === 0 ? '  ' : folded.has(it.node) ? '+ ' : '- ';
}

/** Items of a forest with ├─/└─ connectors, children of folded nodes left out (iterative: deep trees are fine). */
export function treeItems(
  roots: TreeNode[],
  folded: Set<TreeNode>,
  item: (node: TreeNode) => Omit<Item, 'prefix' | 'node'>,
): Item[] {
  const out: Item[] = [];
  // a node, and the rails before its connector (worked out only the first time the node is shown)
  const stack: [TreeNode, string, string][] = [];
  for (let i = roots.length - 1; i >= 0; i--) stack.push([roots[i]!, '', '']);
  while (stack.length) {
    const [node, rails, connector] = stack.pop()!;
    const n = node.children.length;
    let it = nodeItems.get(node);
    if (!it) nodeItems.set(node, (it = { ...item(node), node, prefix: rails + connector }));
    out.push(it);
    if (n === 0 || folded.has(node)) continue;
    let below = childRails.get(node);
    if (below === undefined) {
      below = connector === '' ? rails : rails + (connector.startsWith('└') ? '   ' : '│  ');
      // a very deep tree keeps its last levels' rails only (else 10,000 levels cost 10,000² characters)
      if (below.length > MAX_RAILS) below = '…' + below.slice(below.length - MAX_RAILS + 1);
      childRails.set(node, below);
    }
    for (let i = n - 1; i >= 0; i--) stack.push([node.children[i]!, below, i === n - 1 ? '└─ ' : '├─ ']);
  }
  return out;
}

function viewItems(view: View, look: Look, header: string[]): Item[] {
  switch (view.kind) {
    case 'table': {
      const t = tableText(view);
      if (look.asTree && view.treeBy) {
        header.push(...t.header);
        const rows = treeItems(tableTree(view).roots, look.folded, (node) => {
          const i = node.data as number | undefined;
          return i === undefined ? { text: node.label, style: 'dim' } : { text: node.label, table: view, row: i };
        });
        return rows.concat(rowItems(view).after);
      }
      header.push(...t.header);
      const { rows, after } = rowItems(view);
      if (look.sort < 0) return rows.concat(after);
      return sortedOrder(view, look.sort, look.desc)
        .map((i) => rows[i]!)
        .concat(after);
    }
    case 'tree':
      return treeItems(view.roots, look.folded, (node) => ({
        text: node.label,
        action: fillAction(view.rowAction, node.data),
      }));
    case 'text':
      return view.lines.map((text, i) => ({ text, action: view.lineActions?.[i], style: view.styles?.[i] }));
    case 'group': {
      // one part's header stays on top; several parts (files of several tasks) keep theirs among the lines
      const out: Item[] = [];
      for (const v of view.views) {
        const own: string[] = [];
        const items = viewItems(v, { ...look, sort: -1, asTree: false }, own);
        if (view.views.length === 1) header.push(...own);
        else for (const text of own) out.push({ text, style: 'header' });
        for (const it of items) out.push(it);
      }
      return out;
    }
    case 'error':
      return [{ text: view.message, style: 'error' }];
    default:
      return viewLines(view).map((text) => ({ text }));
  }
}

/** The command Enter runs on an item. */
export function itemAction(it: Item | undefined): string | undefined {
  if (!it) return undefined;
  if (it.table && it.row !== undefined) return fillAction(it.table.rowAction, it.table.rows[it.row]);
  return it.action;
}

/** How an item is coloured. */
export function itemStyle(it: Item): LineStyle | undefined {
  if (it.table && it.row !== undefined) {
    const r = it.table.rows[it.row]!;
    return it.table.rowStyles?.find((rule) => r[rule.key] === rule.equals)?.style;
  }
  return it.style;
}

/** per View, the last layout as a table and the last as a tree */
const lastLayouts = new WeakMap<View, Map<boolean, { look: Look; shown: Layout }>>();

const sameLook = (a: Look, b: Look) =>
  a.sort === b.sort &&
  a.desc === b.desc &&
  a.filter === b.filter &&
  a.folded === b.folded &&
  a.asTree === b.asTree &&
  a.plain === b.plain;

/**
 * The header and items of a View as the look asks; the last table and tree layouts per View are kept (the live
 * view prepares a table's tree while idle, and T then finds it). Callers do not change what they get.
 */
export function layout(view: View, look: Look): Layout {
  let kept = lastLayouts.get(view);
  const last = kept?.get(look.asTree);
  if (last && sameLook(last.look, look)) return last.shown;
  const shown = layoutNow(view, look);
  if (!kept) lastLayouts.set(view, (kept = new Map()));
  kept.set(look.asTree, { look, shown });
  return shown;
}

function layoutNow(view: View, look: Look): Layout {
  const header: string[] = [];
  let items = look.plain ? viewLines(view).map((text) => ({ text }) as Item) : viewItems(view, look, header);
  const total = items.length;
  if (look.filter) {
    const f = look.filter;
    items = items.filter((it) => it.text.includes(f));
  }
  return { header, items, total };
}

/** Views worth a live view even when short: something to open from a row, or a tree to fold. */
export function navigable(view: View): boolean {
  switch (view.kind) {
    case 'table':
      return !!view.rowAction || !!view.treeBy;
    case 'tree':
      return true;
    case 'text':
      return !!view.lineActions?.some((a) => a !== undefined);
    case 'group':
      return view.views.some(navigable);
    default:
      return false;
  }
}

/** Views the live view can show (a table or tree, or something navigable): the rest goes to the pager. */
export function liveCapable(view: View): boolean {
  if (navigable(view)) return true;
  if (view.kind === 'table') return true;
  return view.kind === 'group' && view.views.some((v) => v.kind === 'table' || v.kind === 'tree');
}

/** The sortable columns of a screen's view (a top-level table's columns with a header). */
export function sortColumns(view: View): { index: number; name: string }[] {
  if (view.kind !== 'table') return [];
  return view.columns.map((c, index) => ({ index, name: c.header || c.key })).filter((c) => c.name.trim() !== '');
}
