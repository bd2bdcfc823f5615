import { describe, expect, it } from 'vitest';
import { renderText, tableLines } from '../../src/render/text.js';
import { renderJson } from '../../src/render/json.js';
import { group, text, type Column, type TableView } from '../../src/render/view.js';

const columns: Column[] = [
  { key: 'pid', header: 'PID', align: 'right', width: 7 },
  { key: 'task', header: 'TASK', align: 'left', width: 16, sep: '  ', format: (v) => (v as bigint).toString(16) },
  { key: 'st', header: 'ST', align: 'left', width: 2, fixed: true },
  { key: 'comm', header: 'COMM', align: 'left', width: 0 },
];

describe('text renderer', () => {
  it('lays a table out in columns: right/left alignment, separators, no padding after the last column', () => {
    const view: TableView = {
      kind: 'table',
      columns,
      rows: [
        { pid: 0, task: 0xffffffff82a0c940n, st: 'RU', comm: '[swapper/0]' },
        { pid: 12345678, task: 0xffff8e71824c8000n, st: 'IN', comm: 'sh' },
      ],
      before: ['note'],
    };
    expect(tableLines(view)).toEqual([
      'note',
      '     PID  TASK             ST COMM',
      '       0  ffffffff82a0c940 RU [swapper/0]',
      '12345678  ffff8e71824c8000 IN sh',
    ]);
  });
  it('formats 10k rows in well under a second', () => {
    const rows = Array.from({ length: 10_000 }, (_, i) => ({
      pid: i,
      task: 0xffff888000000000n + BigInt(i) * 0x2000n,
      st: 'IN',
      comm: `kworker/${i}`,
    }));
    const t0 = performance.now();
    const out = renderText({ kind: 'table', columns, rows });
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(out.split('\n')).toHaveLength(10_002);
  });
  it('renders trees by indentation, groups one after another, errors as their message', () => {
    const tree = {
      kind: 'tree' as const,
      roots: [{ label: 'PID: 1', children: [{ label: 'PID: 2', children: [{ label: 'PID: 3', children: [] }] }] }],
    };
    expect(renderText(group(tree, text(['x']), { kind: 'error', message: 'rd: bad' }))).toBe(
      'PID: 1\n  PID: 2\n    PID: 3\nx\nrd: bad\n',
    );
    expect(renderText(text([]))).toBe('');
  });
});

describe('JSON renderer', () => {
  it('writes bigints as 0x hex strings and tables as row objects', () => {
    const out = renderJson({
      kind: 'table',
      columns,
      rows: [{ pid: 1, task: 0xffff8e71824c8000n, st: 'RU', comm: 'init' }],
    });
    expect(JSON.parse(out)).toEqual([{ pid: 1, task: '0xffff8e71824c8000', st: 'RU', comm: 'init' }]);
    expect(JSON.parse(renderJson(text(['a'], { addr: 0x10n })))).toEqual({ addr: '0x10' });
    expect(JSON.parse(renderJson(text(['a', 'b'])))).toEqual({ lines: ['a', 'b'] });
  });
});
