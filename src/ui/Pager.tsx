/**
 * A pager for output longer than the screen: renders only the visible window of lines (a 10k-line output costs
 * no more than a screenful). Space/PgDn, b/PgUp, j/k (or arrows, Enter), g/G, / search with n/N, f (or less's &)
 * keeps only the lines containing a typed text (empty text: all lines again), q leaves.
 */
import React, { useMemo, useRef, useState } from 'react';
import { Box, Text, useInput } from 'ink';
import { filterLines, find, move, type PagerState } from './pager-state.js';
import { stripAnsi } from './colorize.js';
import { useClearOnNarrowing } from './use-clear-on-narrowing.js';

export interface PagerProps {
  lines: string[];
  rows: number;
  cols: number;
  color: boolean;
  /** `shown`: the lines from the first to the last one the screen showed (what `less -X` leaves behind) */
  onQuit(shown: string[]): void;
}

function highlight(line: string, text: string, color: boolean): string {
  if (!text || !color || line.includes('\x1b')) return line;
  return line.split(text).join(`\x1b[7m${text}\x1b[27m`);
}

export function Pager({ lines: allLines, rows, cols, color, onQuit }: PagerProps): React.ReactElement {
  // one row short of the screen besides the status line: a frame as tall as the terminal makes ink clear the
  // whole screen (and the scrollback) on every redraw, wiping what was written above the prompt
  const page = Math.max(1, rows - 3);
  useClearOnNarrowing();
  // state lives in refs so that keys arriving faster than React re-renders all count
  const stRef = useRef<PagerState>({ top: 0, search: '', message: '' });
  const typingRef = useRef<string | undefined>(undefined);
  /** what the typed text is for: a search (/) or a filter (f, &) */
  const typingFor = useRef<'search' | 'filter'>('search');
  const [filter, setFilter] = useState('');
  const filterRef = useRef('');
  const lines = useMemo(() => filterLines(allLines, filter), [allLines, filter]);
  const linesRef = useRef(lines);
  linesRef.current = lines;
  const [, redraw] = useState(0);
  const setSt = (v: PagerState) => {
    stRef.current = v;
    redraw((n) => n + 1);
  };
  const setTyping = (v: string | undefined) => {
    typingRef.current = v;
    redraw((n) => n + 1);
  };
  const applyFilter = (text: string) => {
    filterRef.current = text;
    linesRef.current = filterLines(allLines, text);
    setFilter(text);
    const n = linesRef.current.length;
    setSt({ ...stRef.current, top: 0, message: text ? `filter "${text}": ${n} of ${allLines.length} lines` : '' });
  };

  useInput((input, key) => {
    const lines = linesRef.current;
    const total = lines.length;
    const clampTop = (t: number) => Math.min(t, Math.max(0, total - page));
    const st = stRef.current;
    const typing = typingRef.current;
    const top = clampTop(st.top);
    if (typing !== undefined) {
      if (key.return) {
        setTyping(undefined);
        if (typingFor.current === 'filter') applyFilter(typing);
        else setSt(find({ ...st, top }, lines, typing || st.search, true));
      } else if (key.escape || (key.ctrl && input === 'c')) setTyping(undefined);
      else if (key.backspace || key.delete) setTyping(typing.slice(0, -1));
      else if (!key.ctrl && !key.meta && input) setTyping(typing + input);
      return;
    }
    const cur = { ...st, top };
    if (input === 'q' || input === 'Q' || key.escape || (key.ctrl && input === 'c'))
      onQuit(lines.slice(0, Math.min(total, top + page)));
    else if (input === ' ' || key.pageDown) setSt(move(cur, 'page', total, page));
    else if (input === 'b' || key.pageUp) setSt(move(cur, 'back', total, page));
    else if (input === 'j' || key.downArrow || key.return) setSt(move(cur, 'down', total, page));
    else if (input === 'k' || key.upArrow) setSt(move(cur, 'up', total, page));
    else if (input === 'g' || input === '<') setSt(move(cur, 'top', total, page));
    else if (input === 'G' || input === '>') setSt(move(cur, 'bottom', total, page));
    else if (input === '/' || input === 'f' || input === '&') {
      typingFor.current = input === '/' ? 'search' : 'filter';
      setTyping(input === '/' ? '' : filterRef.current);
    } else if (input === 'n') setSt(find(cur, lines, st.search, true));
    else if (input === 'N') setSt(find(cur, lines, st.search, false));
  });

  const total = lines.length;
  const st = stRef.current;
  const typing = typingRef.current;
  const top = Math.min(st.top, Math.max(0, total - page));
  const visible = lines.slice(top, top + page);
  const last = Math.min(total, top + page);
  const pct = total ? Math.round((last / total) * 100) : 100;
  const status =
    typing !== undefined
      ? `${typingFor.current === 'filter' ? 'filter (empty: all lines): ' : '/'}${typing}`
      : `lines ${top + 1}-${last} of ${total} (${pct}%)${st.message ? '  ' + st.message : ''}  Space/b page  j/k line  g/G ends  / search  f filter  q quit`;
  return (
    <Box flexDirection="column">
      {visible.map((l, i) => (
        <Text key={i} wrap="truncate-end">
          {highlight(l, st.search, color) || ' '}
        </Text>
      ))}
      <Text inverse={color} wrap="truncate-end">
        {color ? status.slice(0, cols) : stripAnsi(status).slice(0, cols)}
      </Text>
    </Box>
  );
}
