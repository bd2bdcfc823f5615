/**
 * A command's table or tree as a live view: a cursor row, sort, filter, folds, and Enter opening the row's next
 * view (the command the View declares for it: a task's bt, a frame's stack words, a pointer's struct), with a
 * breadcrumb of the screens below and Esc going back to them as they were left. Only the visible rows are drawn.
 *
 * Keys: ↑/↓ j/k move, PgUp/PgDn (b/Space) page, g/G ends, Enter open, Esc/q back, s/S sort, / filter,
 * ←/→ h/l -/+ fold, T table↔tree, t crash's plain text, w write it to a file, : the command line; the mouse
 * wheel scrolls.
 */
import React, { useEffect, useRef, useState } from 'react';
import { writeFileSync } from 'node:fs';
import { Box, Text, useInput, useStdout, type Key } from 'ink';
import type { LineStyle, View } from '../../render/view.js';
import { colorLines, paint, stripAnsi } from '../colorize.js';
import { initialFolds, itemAction, itemMark, itemStyle, layout } from './items.js';
import { mouseEvent, useMouseReporting } from './mouse.js';
import { useClearOnNarrowing } from '../use-clear-on-narrowing.js';
import {
  clampScroll,
  cycleSort,
  fold,
  moveCursor,
  newScreen,
  plainText,
  relayout,
  scrollBy,
  sortLabel,
  toggleTree,
  type Screen,
} from './screens.js';

export interface LiveViewProps {
  line: string;
  view: View;
  rows: number;
  cols: number;
  color: boolean;
  /** run a command line for the next view: its View, or the one-line error */
  run(line: string): Promise<View | string>;
  /**
   * leave: `shown` is the root view's text down to what the screen showed (left on the terminal, as the pager);
   * `typed` is what was typed for the prompt (a line end in it submits the line); `recall` asks for the previous
   * command line (Up at rest, as at crash's prompt)
   */
  onQuit(shown: string[], typed?: string, recall?: boolean): void;
}

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

/** the letters that are keys of the view; any other letter starts a command line */
const BOUND = 'qjkbgGsShlTtw';

const KEYS = 'Enter open  Esc back  s sort  / filter  t text  w write  : prompt';

/** the status line's keys while the view is at rest (see `resting`) */
const REST_KEYS = 'type a command, or Tab/↓ into this view (Enter open, s sort, / filter, t text)';

/** a key that types text: at rest it starts the next command line */
function typesText(input: string, key: Key): boolean {
  return !key.ctrl && !key.meta && !key.escape && !key.tab && !key.return && /^[\x20-\x7e]/.test(input);
}

/** how long after a table's first frame its tree is prepared (ink has written the frame by then) */
const PREPARE_TREE_MS = 50;

/** lines one notch of the mouse wheel scrolls */
const WHEEL_LINES = 3;

/** Fixed lines around the rows: breadcrumb, status, and one spare so the frame is never as tall as the terminal. */
const CHROME = 3;

export function pageSize(rows: number, header: number): number {
  return Math.max(1, rows - CHROME - 1 - header);
}

export function LiveView(p: LiveViewProps): React.ReactElement {
  const stack = useRef<Screen[]>([newScreen(p.line, p.view)]);
  const typing = useRef<{ for: 'filter' | 'write'; text: string } | undefined>(undefined);
  const busy = useRef(false);
  const closed = useRef(false);
  // A view opened by a command starts at rest: it is on the screen as crash's text would be, and what a crash
  // user types next (`kmem -i`, `sys`: letters that are also the view's keys) goes to the prompt. Tab, ↓, PgUp/PgDn
  // or the mouse wheel move into the view, where the letters are its keys.
  const resting = useRef(true);
  const [, redraw] = useState(0);
  const draw = () => redraw((n) => n + 1);
  const top = () => stack.current[stack.current.length - 1]!;
  const { stdout } = useStdout();
  useClearOnNarrowing();
  useMouseReporting(stdout);
  const page = () => pageSize(p.rows, top().shown.header.length);

  const quit = (typed?: string, recall?: boolean) => {
    closed.current = true;
    const root = stack.current[0]!;
    const lines = colorLines(root.view, p.color);
    const pg = pageSize(p.rows, root.shown.header.length);
    p.onQuit(lines.slice(0, Math.min(lines.length, root.shown.header.length + root.top + pg)), typed, recall);
  };

  const open = async (s: Screen) => {
    const action = itemAction(s.shown.items[s.cursor]);
    if (!action) {
      s.message = 'nothing opens from this line';
      return draw();
    }
    busy.current = true;
    s.message = `running: ${action}`;
    draw();
    try {
      const v = await p.run(action);
      if (typeof v === 'string') s.message = v;
      else {
        s.message = '';
        stack.current.push(newScreen(action, v));
      }
    } finally {
      busy.current = false;
      draw();
    }
  };

  const onKey = (input: string, key: Key): void => {
    const s = top();
    const t = typing.current;
    if (t) {
      if (key.return) {
        typing.current = undefined;
        if (t.for === 'filter') {
          relayout(s, { ...s.look, filter: t.text });
          s.message = t.text ? `${s.shown.items.length} of ${s.shown.total}` : '';
        } else if (t.text) {
          try {
            writeFileSync(t.text, plainText(s));
            s.message = `wrote ${t.text}`;
          } catch (e) {
            s.message = `cannot write ${t.text}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`;
          }
        }
      } else if (key.escape || (key.ctrl && input === 'c')) typing.current = undefined;
      else if (key.backspace || key.delete) t.text = t.text.slice(0, -1);
      else if (!key.ctrl && !key.meta && input) t.text += input;
      return draw();
    }
    if (busy.current) return;
    const pg = page();
    if (key.ctrl && input === 'c') return quit();
    if (resting.current && !key.escape) {
      if (key.upArrow) return quit(undefined, true);
      if (key.return) return quit('');
      resting.current = false;
      // Tab and ↓ only show the cursor where the view begins; PgUp/PgDn, Home/End and the folds act at once
      if (key.tab || key.downArrow) return draw();
    }
    if (key.escape || input === 'q') {
      if (stack.current.length === 1) return quit();
      stack.current.pop();
      // one screen per Esc: ink marks every Esc with meta (use-input), so meta cannot tell a fast double Esc
      clampScroll(top(), page());
    } else if (key.upArrow || input === 'k') moveCursor(s, 'up', pg);
    else if (key.downArrow || input === 'j') moveCursor(s, 'down', pg);
    else if (key.pageUp || input === 'b') moveCursor(s, 'pageUp', pg);
    else if (key.pageDown || input === ' ') moveCursor(s, 'pageDown', pg);
    else if (key.home || input === 'g') moveCursor(s, 'first', pg);
    else if (key.end || input === 'G') moveCursor(s, 'last', pg);
    else if (key.return) return void open(s);
    else if (input === 's' || input === 'S') cycleSort(s, input === 'S');
    else if (key.leftArrow || input === '-' || input === 'h') fold(s, false);
    else if (key.rightArrow || input === '+' || input === 'l') fold(s, true);
    else if (input === 'T') toggleTree(s);
    else if (input === 't') relayout(s, { ...s.look, plain: !s.look.plain });
    else if (input === '/') typing.current = { for: 'filter', text: '' };
    else if (input === 'w') typing.current = { for: 'write', text: '' };
    else if (input === ':') return quit('');
    else if (input && !key.ctrl && !key.meta && /^[A-Za-z!]/.test(input) && !BOUND.includes(input)) return quit(input);
    else return;
    clampScroll(top(), page());
    draw();
  };

  useInput((input, key) => {
    const mouse = mouseEvent(input);
    if (mouse !== undefined) {
      if (mouse === 'other' || closed.current || typing.current) return;
      resting.current = false;
      scrollBy(top(), mouse === 'up' ? -WHEEL_LINES : WHEEL_LINES, page());
      return draw();
    }
    if (closed.current) return;
    // at rest, text typed (or pasted, or sent in one chunk over SSH) is the next command line, line ends and all
    if (resting.current && !busy.current && typesText(input, key)) return quit(input);
    // keys typed fast (or sent by a script) arrive as one chunk: each is a key of its own
    if (input.length > 1 && !key.ctrl && !key.meta && !key.escape) {
      for (let i = 0; i < input.length && !closed.current; i++) {
        const c = input[i]!;
        const nl = c === '\r' || c === '\n';
        // the start of a command typed at the view: it goes to the prompt whole, with its line end
        if (!typing.current && !nl && !BOUND.includes(c) && /^[A-Za-z!]/.test(c)) return quit(input.slice(i));
        onKey(nl ? '' : c, { ...NO_KEY, return: nl });
      }
    } else onKey(input, key);
  });

  const s = top();
  // a table's tree and its items are made once the first frame is out, so that T shows it at once
  useEffect(() => {
    const v = s.view;
    if (v.kind !== 'table' || !v.treeBy) return undefined;
    const timer = setTimeout(() => {
      if (!closed.current) layout(v, { ...s.look, asTree: true, folded: initialFolds(v) });
    }, PREPARE_TREE_MS);
    return () => clearTimeout(timer);
  }, [s.view]);
  const pg = page();
  clampScroll(s, pg);
  const { header, items } = s.shown;
  const width = Math.max(1, p.cols);
  const fit = (text: string) => (text.length > width ? text.slice(0, width) : text);
  const styled = (text: string, style: LineStyle | undefined) => (p.color && style ? paint(text, style) : text);
  const crumbs = stack.current.map((x) => x.line).join(' › ');
  const crumb = crumbs.length > width ? '…' + crumbs.slice(crumbs.length - width + 1) : crumbs;
  const t = typing.current;
  const where = !items.length
    ? 'no lines'
    : resting.current
      ? `${items.length} lines`
      : `${s.cursor + 1}/${items.length}`;
  const info = [where, sortLabel(s), s.look.filter ? `filter "${s.look.filter}"` : '', s.look.plain ? 'text' : '']
    .filter(Boolean)
    .join('  ');
  const status = t
    ? t.for === 'filter'
      ? `filter (empty: all): ${t.text}`
      : `write the text to file: ${t.text}`
    : `${info}${s.message ? '  ' + s.message : ''}  ${resting.current ? REST_KEYS : KEYS}`;
  const visible = items.slice(s.top, s.top + pg);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate-end">{styled(crumb, 'dim') || ' '}</Text>
      {header.map((h, i) => (
        <Text key={`h${i}`} wrap="truncate-end">
          {styled(fit('  ' + h), 'header') || ' '}
        </Text>
      ))}
      {/* the rows as one text: one layout node however many rows the screen holds */}
      <Text wrap="truncate-end">
        {visible
          .map((it, i) => {
            const at = !resting.current && s.top + i === s.cursor;
            const rails = (it.prefix ?? '') + itemMark(it, s.look.folded);
            const body = fit((at ? '▶ ' : '  ') + rails + it.text);
            const style = itemStyle(it);
            if (at && p.color) return `\x1b[7m${body}\x1b[27m`;
            if (p.color && rails)
              return styled(body.slice(0, 2 + rails.length), 'dim') + styled(body.slice(2 + rails.length), style);
            return styled(body, style) || ' ';
          })
          .join('\n') || ' '}
      </Text>
      <Text inverse={p.color} wrap="truncate-end">
        {fit(p.color ? status : stripAnsi(status))}
      </Text>
    </Box>
  );
}
