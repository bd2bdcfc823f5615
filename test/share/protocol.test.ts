/** The pairing protocol: one JSON message a line, bigints kept exact, Views as data the client lays out itself. */
import { describe, expect, it } from 'vitest';
import { renderText } from '../../src/render/text.js';
import type { TableView, View } from '../../src/render/view.js';
import { decode, encode, LineDecoder, type Message } from '../../src/share/protocol.js';

const roundTrip = (m: Message): Message => {
  const line = encode(m);
  expect(line.endsWith('\n')).toBe(true);
  expect(line.slice(0, -1)).not.toContain('\n');
  return decode(line.slice(0, -1));
};

describe('pairing protocol', () => {
  it('keeps 64-bit values exact, negative ones too, and only tags bigints', () => {
    const view: View = {
      kind: 'text',
      lines: ['a'],
      data: { task: 0xffff89010fb24800n, off: -5n, small: 7, tag: { $n: 'not a bigint key alone', x: 1 } },
    };
    const back = roundTrip({ t: 'view', header: 'alice: bt', view }) as Extract<Message, { t: 'view' }>;
    const data = (back.view as { data: Record<string, unknown> }).data;
    expect(data.task).toBe(0xffff89010fb24800n);
    expect(data.off).toBe(-5n);
    expect(data.small).toBe(7);
    expect(data.tag).toEqual({ $n: 'not a bigint key alone', x: 1 });
  });

  it('sends a table with formatted columns as data and renders it the same on the other side', () => {
    const table: TableView = {
      kind: 'table',
      columns: [
        { key: 'pid', header: 'PID', align: 'right', width: 5 },
        {
          key: 'task',
          header: 'TASK',
          align: 'left',
          width: 16,
          format: (v) => (v as bigint).toString(16).padStart(16, '0'),
        },
        { key: 'st', header: 'ST', align: 'left', width: 2, format: (v) => (v === 1 ? 'RU' : 'IN') },
      ],
      rows: [
        { pid: 1, task: 0xffff890100a3c000n, st: 1 },
        { pid: 192, task: 0xffff89010fb24800n, st: 2 },
      ],
    };
    const back = roundTrip({ t: 'result', id: 3, view: table, settings: { radix: 10, scroll: true, output: 'text' } });
    const v = (back as Extract<Message, { t: 'result' }>).view as TableView;
    expect(renderText(v)).toBe(renderText(table));
    expect(v.rows[1]!.task).toBe(0xffff89010fb24800n); // the raw value travels too (JSON output)
    expect(renderText(v)).toContain('192 ffff89010fb24800 IN');
  });

  it("keeps a text view's line actions (data: command lines), a missing one stays missing", () => {
    const view: View = { kind: 'text', lines: ['a', 'b', 'c'], lineActions: ['bt 1', undefined, 'bt 3'] };
    const back = roundTrip({ t: 'view', header: 'x', view }) as Extract<Message, { t: 'view' }>;
    expect((back.view as { lineActions: unknown[] }).lineActions).toEqual(['bt 1', undefined, 'bt 3']);
  });

  it('splits a stream into messages across chunk boundaries and reports a bad line', () => {
    const got: Message[] = [];
    const bad: string[] = [];
    const d = new LineDecoder(
      (m) => got.push(m),
      (w) => bad.push(w),
    );
    const s = encode({ t: 'line', text: 'bob: ps' }) + encode({ t: 'missed', count: 2 });
    for (const ch of s) d.push(ch);
    expect(got).toEqual([
      { t: 'line', text: 'bob: ps' },
      { t: 'missed', count: 2 },
    ]);
    d.push('{"no type": 1}\n');
    expect(bad[0]).toMatch(/not a crash-ts share message/);
  });
});
