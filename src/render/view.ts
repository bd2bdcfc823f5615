/**
 * What a command returns: data, not strings. render/text.ts turns a View into crash-layout text
 * (pipes, batch mode, golden tests), render/json.ts into JSON, and src/ui renders it on a terminal.
 */

/**
 * Explain mode's notes (`set explain on`, `CMD --explain`), attached to a View by src/explain after the command
 * ran: a one-line note after a line of the rendered text, and the kernel structures the command read. Renderers
 * show them as `# ` lines (plain text) or dim text (terminal); the command's own lines are unchanged.
 */
export interface Explanation {
  /** `after`: index into the view's rendered lines (viewLines); the note goes on the line below it */
  notes: { after: number; text: string }[];
  /** kernel structures and fields the command read ("task_struct.__state", "the printk ring buffer (prb)") */
  reads: string[];
}

interface ViewBase {
  explain?: Explanation;
}

/** Plain lines (crash prints many things as free text: bt, log, sys). `data` is the JSON form. */
export interface TextView extends ViewBase {
  kind: 'text';
  lines: string[];
  data?: unknown;
  /** optional per-line style hints for the TUI (same length as lines when present) */
  styles?: (LineStyle | undefined)[];
  /** the terminal UI's next view from a line (Enter): a command line per line, or undefined (see rowAction) */
  lineActions?: (string | undefined)[];
}

export type LineStyle = 'error' | 'warning' | 'emphasis' | 'dim' | 'header';

export interface Column {
  /** key into each row object */
  key: string;
  header: string;
  align: 'left' | 'right';
  /** minimum width; cells are padded to max(width, widest cell) unless fixed */
  width: number;
  /** when true, never widen (crash's printf field widths) */
  fixed?: boolean;
  /** text placed before this column (default one space; '' for the first column) */
  sep?: string;
  /** formats the raw value for text output (default String(value)) */
  format?: (value: unknown, row: Record<string, unknown>) => string;
}

/** A table laid out in columns by an O(rows) formatter (crash's ps, mod, kmem tables). */
export interface TableView extends ViewBase {
  kind: 'table';
  columns: Column[];
  rows: Record<string, unknown>[];
  /** print the header line (default true) */
  header?: boolean;
  /** lines printed before/after the table (notes, warnings) */
  before?: string[];
  after?: string[];
  /**
   * The command the terminal UI runs when Enter is pressed on a row: a template where `{key}` is the row's value
   * (a bigint as 0x-hex), e.g. 'bt {task}'; a row whose value is missing has no next view. Data, so that it
   * travels with the View; text and JSON output ignore it.
   */
  rowAction?: string;
  /** the terminal UI can show the rows as a tree: `id` and `parent` keys, `group` (optional) puts rows under a leader */
  treeBy?: { id: string; parent: string; group?: string };
  /** colour by meaning in the terminal UI: the first rule whose key holds the value styles the row */
  rowStyles?: { key: string; equals: unknown; style: LineStyle }[];
  /**
   * A row holding a string under this key is printed as that line instead of in the columns (an entry the dump
   * lost, shown as crash shows it: its address and why it is unreadable); it still sorts, filters and opens.
   */
  lineKey?: string;
  /** the JSON form, when it is not the rows (a command whose JSON predates its table) */
  data?: unknown;
}

export interface TreeNode {
  label: string;
  children: TreeNode[];
  data?: unknown;
}

/** A tree (ps -p / ps -c); text layout is indentation, as crash prints it. */
export interface TreeView extends ViewBase {
  kind: 'tree';
  roots: TreeNode[];
  /** text layout: 'indent' prints each level indented by `indent` spaces (default 2) */
  indent?: number;
  data?: unknown;
  /** as TableView.rowAction, filled from each node's data */
  rowAction?: string;
}

/** A memory dump (rd): address, words, optional ASCII column. */
export interface HexDumpView extends ViewBase {
  kind: 'hexdump';
  /** already formatted lines in crash's rd layout; `rows` carries the raw data for JSON */
  lines: string[];
  rows: { address: bigint; values: (bigint | string)[]; ascii?: string }[];
}

/** Several views one after another (sys + panic context; foreach bt ...). */
export interface GroupView extends ViewBase {
  kind: 'group';
  views: View[];
}

/** A one-line error from a command ("rd: invalid address: 0x1234"); the session goes on. */
export interface ErrorView extends ViewBase {
  kind: 'error';
  message: string;
}

export type View = TextView | TableView | TreeView | HexDumpView | GroupView | ErrorView;

export const text = (lines: string[] | string, data?: unknown): TextView => ({
  kind: 'text',
  lines: typeof lines === 'string' ? lines.split('\n') : lines,
  data,
});
export const error = (message: string): ErrorView => ({ kind: 'error', message });
export const group = (...views: View[]): GroupView => ({ kind: 'group', views });

/** A rowAction template filled from a row: undefined when a named value is missing or empty. */
export function fillAction(template: string | undefined, row: unknown): string | undefined {
  if (!template || row === null || typeof row !== 'object') return undefined;
  let missing = false;
  const out = template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const v = (row as Record<string, unknown>)[key];
    if (v === undefined || v === null || v === '') missing = true;
    return typeof v === 'bigint' ? '0x' + v.toString(16) : String(v);
  });
  return missing ? undefined : out;
}
