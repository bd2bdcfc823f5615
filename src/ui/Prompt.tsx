/**
 * The `crash> ` prompt: ink-text-input plus history (Up/Down), Tab completion, Ctrl-C (clear the line, or stop
 * the running command), Ctrl-D (quit). A chunk with '\r' or '\n' in it (a paste, fast typing) is split into lines
 * that run, the rest stays in the box.
 */
import React, { useRef, useState } from 'react';
import { Box, Text, useInput } from 'ink';
import TextInput from 'ink-text-input';
import { complete, type CompletionSource } from './complete.js';
import type { History } from './history.js';

export interface PromptProps {
  history: History;
  completion: CompletionSource;
  /** complete lines to run, in order */
  onLines(lines: string[]): void;
  /** several completions are possible: show them */
  onCandidates(candidates: string[]): void;
  /** Ctrl-C while a command runs */
  onCancel(): void;
  onQuit(): void;
  running: boolean;
  active: boolean;
  /** text the line starts with (what was typed in a live view to get back here) */
  initial?: string;
}

export function Prompt(p: PromptProps): React.ReactElement {
  const [value, setValueState] = useState(p.initial ?? '');
  // the handlers read the line from a ref: a key that arrives before React re-registers them sees the latest text
  const valueRef = useRef(p.initial ?? '');
  const setValue = (v: string) => {
    valueRef.current = v;
    setValueState(v);
  };
  // remounting the input (new key) puts its cursor at the end after we replace the text
  const [rev, setRev] = useState(0);
  const replace = (v: string) => {
    setValue(v);
    setRev((r) => r + 1);
  };

  useInput(
    (input, key) => {
      if (key.ctrl && input === 'c') {
        if (p.running) p.onCancel();
        else {
          replace('');
          p.history.reset();
        }
      } else if (key.ctrl && input === 'd') p.onQuit();
      else if (key.upArrow) {
        const h = p.history.prev(value);
        if (h !== undefined) replace(h);
      } else if (key.downArrow) {
        const h = p.history.next();
        if (h !== undefined) replace(h);
      } else if (key.tab) {
        const c = complete(valueRef.current, p.completion);
        if (c.line !== valueRef.current) replace(c.line);
        else if (c.candidates.length > 1) p.onCandidates(c.candidates);
      }
    },
    { isActive: p.active },
  );

  const onChange = (v: string) => {
    if (v.includes('\t')) {
      // a Tab that arrived in one chunk with other keys: complete what is before it
      const c = complete(v.slice(0, v.indexOf('\t')), p.completion);
      replace(c.line);
      if (c.candidates.length > 1) p.onCandidates(c.candidates);
      return;
    }
    if (/[\r\n]/.test(v)) {
      const parts = v.split(/\r\n|\r|\n/);
      const rest = parts.pop()!;
      replace(rest);
      p.history.reset();
      p.onLines(parts);
    } else setValue(v);
  };

  // ink-text-input passes the text it last saw; the ref has the latest (see valueRef)
  const onSubmit = () => {
    const v = valueRef.current;
    replace('');
    p.history.reset();
    p.onLines([v]);
  };

  return (
    <Box>
      <Text>crash&gt; </Text>
      <TextInput key={rev} value={value} onChange={onChange} onSubmit={onSubmit} focus={p.active} />
    </Box>
  );
}
