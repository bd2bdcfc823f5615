/**
 * The terminal's rendering of trees (ps -p / ps -c), log colours by level, and the pager's filter key;
 * the plain text of the same views stays crash's layout (checked on the corpus in test/ps and test/log).
 */
import React from 'react';
import { render } from 'ink-testing-library';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRegistry, type Registry } from '../../commands/index.js';
import { logView } from '../../commands/log.js';
import ps from '../../commands/ps.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { renderText } from '../../src/render/text.js';
import { text, type TreeView, type View } from '../../src/render/view.js';
import { parseArgs } from '../../src/repl/options.js';
import { Session } from '../../src/session.js';
import { App } from '../../src/ui/App.js';
import { colorLines, colorText, stripAnsi } from '../../src/ui/colorize.js';
import { History } from '../../src/ui/history.js';
import { filterLines } from '../../src/ui/pager-state.js';
import { treeDrawLines } from '../../src/ui/tree-lines.js';
import { caseNames, describeCorpus, dumpPaths, vmlinuxPlain } from '../helpers/corpus.js';

const leaf = (label: string) => ({ label, children: [] });

describe('trees in the terminal', () => {
  const tree: TreeView = {
    kind: 'tree',
    indent: 2,
    roots: [{ label: 'a', children: [{ label: 'b', children: [leaf('c'), leaf('d')] }, leaf('e')] }, leaf('f')],
  };
  it('draws connectors, and the plain text keeps the indentation layout', () => {
    expect(treeDrawLines(tree.roots)).toEqual(['a', '├─ b', '│  ├─ c', '│  └─ d', '└─ e', 'f']);
    expect(renderText(tree)).toBe('a\n  b\n    c\n    d\n  e\nf\n');
    // with or without colour the screen draws the tree; colour only adds SGR codes to the rails
    expect(colorLines(tree, false)).toEqual(treeDrawLines(tree.roots));
    expect(colorLines(tree, true).map(stripAnsi)).toEqual(treeDrawLines(tree.roots));
    expect(colorLines(tree, true)[1]).toBe('\x1b[2m├─ \x1b[0mb');
  });

  it('a deep chain does not overflow the stack', () => {
    let node = leaf('x0');
    for (let i = 1; i < 20000; i++) node = { label: `x${i}`, children: [node] };
    const lines = treeDrawLines([node]);
    expect(lines).toHaveLength(20000);
    expect(lines[2]).toBe('   └─ x19997');
  });
});

describe('pager filter', () => {
  it('filterLines keeps the lines containing the text, colour codes ignored', () => {
    const lines = ['\x1b[31mKernel panic\x1b[0m', 'ok', 'panic again'];
    expect(filterLines(lines, 'panic')).toEqual([lines[0], lines[2]]);
    expect(filterLines(lines, '')).toBe(lines);
  });

  let registry: Registry;
  beforeAll(async () => {
    registry = await loadRegistry({ plugins: false });
    registry.add({
      name: 'many',
      summary: '',
      help: '',
      run: () => text(Array.from({ length: 100 }, (_, i) => `line ${i + 1}`)),
    });
  });
  const tick = (ms = 30) => new Promise((r) => setTimeout(r, ms));
  async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await tick(10);
    }
    await tick(40);
  }

  it('f keeps only matching lines; f with an empty text shows all lines again', async () => {
    const t = render(
      <App session={new Session()} registry={registry} history={new History()} silent write={() => {}} color={false} />,
    );
    const frame = () => t.lastFrame() ?? '';
    await until(() => frame().includes('crash>'), 'the prompt');
    t.stdin.write('many\r');
    await until(() => frame().includes('lines 1-21 of 100'), 'the pager');
    t.stdin.write('f');
    await until(() => frame().includes('filter (empty: all lines):'), 'the filter prompt');
    t.stdin.write('line 9');
    await tick();
    t.stdin.write('\r');
    await until(() => frame().includes('lines 1-11 of 11'), 'the filtered lines');
    const shown = frame().split('\n').slice(0, 11);
    expect(shown).toEqual(['line 9', ...Array.from({ length: 10 }, (_, i) => `line ${90 + i}`)]);
    expect(frame()).toContain('filter "line 9": 11 of 100 lines');
    t.stdin.write('&');
    await until(() => frame().includes('filter (empty: all lines): line 9'), 'the filter prompt with the text');
    for (let i = 0; i < 6; i++) t.stdin.write('\x7f');
    await until(() => /filter \(empty: all lines\):$/m.test(frame()), 'an empty filter');
    t.stdin.write('\r');
    await until(() => frame().includes('lines 1-21 of 100'), 'all lines again');
    t.unmount();
  });
});

describeCorpus('ps -p / -c trees and log colours on a real dump', () => {
  let s: Session;
  beforeAll(async () => {
    const name = caseNames().includes('k61-sysrq-c') ? 'k61-sysrq-c' : caseNames()[0]!;
    const d = (await dumpPaths(name))[0]!;
    s = new Session(openKernelSync(await vmlinuxPlain(name), d.path));
  }, 120_000);
  const psView = (argv: string[]): View => ps.run(s, parseArgs(argv, ps.options)) as View;

  it('ps -p and -c return trees: connectors on screen, crash layout in text', () => {
    const init = s.kernel!.object('struct task_struct', s.currentTask()!).field('real_parent').value();
    for (const flag of ['-p', '-c']) {
      const v = psView([flag, init.toString(16)]);
      expect(v.kind).toBe('group');
      const kinds = v.kind === 'group' ? v.views.map((x) => x.kind) : [];
      expect(kinds).toEqual(['tree', 'text']);
      const screen = colorText(v, false).split('\n');
      const plain = renderText(v).split('\n');
      expect(screen.length).toBe(plain.length);
      expect(screen[0]).toBe(plain[0]);
      expect(screen.slice(1, -2).every((l) => /^ *[├└│ ]*─? ?PID: /.test(l) || l.includes('─ '))).toBe(true);
      expect(screen.slice(1, -2).map((l) => l.replace(/^[│├└─ ]+/, ''))).toEqual(
        plain.slice(1, -2).map((l) => l.trimStart()),
      );
    }
  });

  it('log lines are coloured by level on screen and identical in plain text', () => {
    const v = logView(s.kernel!, {});
    const screen = colorLines(v, true);
    expect(screen.map(stripAnsi)).toEqual(v.lines);
    expect(renderText(v)).toBe(v.lines.join('\n') + '\n');
    const panic = v.lines.findIndex((l) => l.includes('Kernel panic - not syncing'));
    expect(panic).toBeGreaterThan(0);
    expect(screen[panic]).toMatch(/^\x1b\[31m/); // emerg: red
    expect(screen.some((l) => l.startsWith('\x1b[33m'))).toBe(true); // some warning: yellow
    expect(screen.some((l, i) => l === v.lines[i] && l.length > 0)).toBe(true); // info: unstyled
    expect(colorLines(v, false)).toEqual(v.lines); // NO_COLOR / not a TTY: no codes
  });
});
