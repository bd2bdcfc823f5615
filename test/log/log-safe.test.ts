/**
 * log -s (the printk safe buffers of 4.11–5.14).
 * - On the corpus kernels (6.1, 6.12) there is no struct printk_safe_seq_buf: log -s says so in one line
 *   (crash 9 prints nothing at all) and plain `log` is unchanged.
 * - The text layout, on the bytes such a buffer holds (SOH + level before each message, as printk_safe.c
 *   writes them): two-space indent, "<L>" with -m, non-printable bytes as '.', a message cut short ends its line.
 */
import { describe, expect, it } from 'vitest';
import { safeBufferTail, safeBufferText, safeBuffersView } from '../../commands/log/safe-buffers.js';
import { renderText } from '../../src/render/text.js';
import { caseInfo, caseNames, describeCorpus, skipWhenNoCases } from '../helpers/corpus.js';
import { openCaseDumps } from '../helpers/corpus-command.js';

describe('log -s text layout', () => {
  const bytes = Buffer.from('\x014NMI backtrace for cpu 1\n\x016CPU: 1 PID: 0\x07 x\n\x014cut sho', 'latin1');
  it('indents each message by two and shows its level with -m', () => {
    expect(safeBufferText(bytes, false)).toBe('  NMI backtrace for cpu 1\n  CPU: 1 PID: 0. x\n  cut sho\n');
    expect(safeBufferText(bytes, true)).toBe('  <4>NMI backtrace for cpu 1\n  <6>CPU: 1 PID: 0. x\n  <4>cut sho\n');
  });
  it("after plain log's records: each message marked with its buffer's name (none with -t), lines under it", () => {
    const two = Buffer.from('\x014first\nsecond line\n\x016third', 'latin1');
    const safe = {
      present: true,
      buffers: [
        {
          name: 'nmi_print_seq' as const,
          symbol: 0n,
          cpus: [{ cpu: 1, address: 0n, len: two.length, messageLost: 0, bytes: two }],
        },
        { name: 'safe_print_seq' as const, symbol: 8n, cpus: [{ cpu: 0, address: 8n, len: 0, messageLost: 0 }] },
      ],
    };
    expect(safeBufferTail(safe, { level: false, noTime: false })).toEqual([
      '[nmi_print_seq] first',
      '                second line',
      '[nmi_print_seq] third',
    ]);
    expect(safeBufferTail(safe, { level: true, noTime: true })).toEqual(['<4>first', '   second line', '<6>third']);
    expect(safeBufferTail({ present: false, buffers: [] }, { level: false, noTime: false })).toEqual([]);
  });
  it('a buffer per CPU: its address, length and lost count, its text or (empty)', () => {
    const out = renderText(
      safeBuffersView(
        {
          present: true,
          buffers: [
            {
              name: 'nmi_print_seq',
              symbol: 0x1a2c0n,
              cpus: [
                { cpu: 0, address: 0xffff88803ea1a2c0n, len: 0, messageLost: 0 },
                { cpu: 1, address: 0xffff88803eb1a2c0n, len: bytes.length, messageLost: 2, bytes },
              ],
            },
          ],
        },
        false,
      ),
    );
    expect(out.split('\n')).toEqual([
      'PRINTK_SAFE_SEQ_BUF: nmi_print_seq',
      'CPU: 0  ADDR: ffff88803ea1a2c0 LEN: 0  MESSAGE_LOST: 0',
      '  (empty)',
      '',
      `CPU: 1  ADDR: ffff88803eb1a2c0 LEN: ${bytes.length}  MESSAGE_LOST: 2`,
      '  NMI backtrace for cpu 1',
      '  CPU: 1 PID: 0. x',
      '  cut sho',
      '',
      '',
    ]);
  });
});

skipWhenNoCases('log -s on the corpus kernels');
for (const name of caseNames().slice(0, 2)) {
  describeCorpus(`log -s on ${name}`, () => {
    const opened = openCaseDumps(name);
    const [major, minor] = caseInfo(name).kernel_release.split(/[.-]/).map(Number) as [number, number];
    // struct printk_safe_seq_buf: 4.11 to 5.14 only
    const modern = !((major === 4 && minor >= 11) || (major === 5 && minor < 15));
    it(modern ? 'no safe buffers in this kernel: one line says so' : 'each safe buffer per CPU', async () => {
      const { run } = opened[0]!;
      const out = await run('log -s');
      if (modern) {
        expect(out).toBe(
          'log: this kernel has no printk safe buffers (struct printk_safe_seq_buf: Linux 4.11 to 5.14)\n',
        );
        expect(await run('log -s -m')).toBe(out);
      } else {
        expect(out).toMatch(
          /^PRINTK_SAFE_SEQ_BUF: nmi_print_seq\nCPU: 0  ADDR: [0-9a-f]+ LEN: \d+  MESSAGE_LOST: \d+\n/,
        );
      }
    });
  });
}
