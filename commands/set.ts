/** set: show or change the session's settings, and the current task context. */
import { CommandError, type Command } from '../src/command.js';
import { text } from '../src/render/view.js';
import type { Session } from '../src/session.js';
import { allTasks } from '../src/kernel/objects/tasks.js';
import { tasksOfWord } from '../src/repl/task-selector.js';
import { contextLines, contextLinesAt } from './sys.js';

const onOff = (v: boolean) => (v ? 'on' : 'off');

function parseOnOff(name: string, value: string): boolean {
  if (/^(on|1|yes|true)$/i.test(value)) return true;
  if (/^(off|0|no|false)$/i.test(value)) return false;
  throw new CommandError(`${name}: expected on or off, not "${value}"`);
}

const radixLine = (r: number) => `output radix: ${r} (${r === 16 ? 'hex' : 'decimal'})`;

export function settingsLines(s: Session): string[] {
  const st = s.settings;
  const rows: [string, string][] = [
    ['scroll', `${onOff(st.scroll)}${st.scroll ? ' (built-in pager)' : ''}`],
    ['radix', `${st.radix} (${st.radix === 16 ? 'hex' : 'decimal'})`],
    ['output', st.output],
    ['zero_excluded', onOff(st.zeroExcluded)],
    ['explain', onOff(st.explain)],
    ['dump', s.kernel ? 'open' : 'none'],
  ];
  return rows.map(([k, v]) => `${k.padStart(14)}: ${v}`);
}

/** One setting: returns the line to print after changing (or showing) it. */
function setOne(s: Session, name: string, value: string | undefined): string {
  const st = s.settings;
  switch (name) {
    case 'radix':
      if (value !== undefined) {
        if (value !== '10' && value !== '16') throw new CommandError(`radix: use 10 or 16, not "${value}"`);
        st.radix = value === '16' ? 16 : 10;
      }
      return radixLine(st.radix);
    case 'scroll':
      if (value !== undefined) st.scroll = parseOnOff(name, value);
      return `scroll: ${onOff(st.scroll)}`;
    case 'output':
      if (value !== undefined) {
        if (value !== 'text' && value !== 'json') throw new CommandError(`output: use text or json, not "${value}"`);
        st.output = value;
      }
      return `output: ${st.output}`;
    case 'zero_excluded':
      if (value !== undefined) st.zeroExcluded = parseOnOff(name, value);
      return `zero_excluded: ${onOff(st.zeroExcluded)}`;
    case 'explain':
      if (value !== undefined) st.explain = parseOnOff(name, value);
      return `explain: ${onOff(st.explain)}`;
  }
  throw new CommandError(
    `unknown setting "${name}" (radix, scroll, output, zero_excluded, explain, or a PID or task address)`,
  );
}

/** `set PID` / `set TASKADDR`: a decimal number is a PID, 0x… or anything with hex letters a task_struct address. */
function setContext(s: Session, word: string): string[] {
  const k = s.kernel;
  if (!k) throw new CommandError('no dump is open: there is no task to switch to');
  // the first task a word names: set 0 is swapper/0
  const task = tasksOfWord(allTasks(k), word).tasks[0]!;
  s.contextTask = task.address;
  return contextLines(k, task, 7);
}

const setCommand: Command = {
  name: 'set',
  summary: 'show or change settings and the current task context',
  help: `NAME
  set - settings and the task context

SYNOPSIS
  set [-v]
  set radix 10|16
  set scroll on|off
  set output text|json
  set zero_excluded on|off
  set explain on|off
  set PID | TASK-ADDRESS

DESCRIPTION
  Without arguments, shows the current task context (PID, command, task address,
  CPU, state): the task that panicked until you choose another. When the task
  model is not available it shows the settings instead. -v always shows the
  settings.

  radix          the base numbers are printed in by default (10 or 16)
  scroll         page output longer than the screen in the terminal UI
  output         text (crash's layout) or json (one JSON document per command)
  zero_excluded  read pages the dump left out as zeroes instead of failing
  explain        add one-line notes to the output of sys, bt, ps, log, vtop, vm
                 and mod: what a line means and which kernel structures were
                 read (# lines in plain text, dim on a terminal); CMD --explain
                 does it once

  A decimal number switches the context to that PID; a hexadecimal one (0x... or
  with hex letters) to that task_struct address. Commands such as bt use it.

EXAMPLES
  crash> set
  crash> set radix 16
  crash> set scroll off
  crash> set 1`,
  options: { v: 'show the settings' },
  run(session, args) {
    const p = args.positional;
    if (args.flags.v) return text(settingsLines(session));
    if (p.length === 0) {
      const k = session.kernel;
      const addr = session.currentTask();
      const lines = k && addr !== undefined ? contextLinesAt(k, addr, 7) : [];
      if (lines.length) return text(lines);
      return text(settingsLines(session));
    }
    const name = p[0]!;
    if (/^(0x)?[0-9a-f]+$/i.test(name) && p.length === 1) return text(setContext(session, name));
    if (p.length > 2) throw new CommandError(`too many arguments: set ${name} takes one value`);
    return text([setOne(session, name, p[1])]);
  },
};

export default setCommand;
