/**
 * log -s: the printk safe buffers (4.11–5.14) laid out like crash's `log -s`: a heading per buffer, a line per
 * CPU with its address, length and lost-message count, then its messages indented by two, one per line.
 */
import { text, type TextView } from '../../src/render/view.js';
import type { SafeBuffers } from '../../src/kernel/objects/printk-safe.js';

const SOH = 0x01;

/** C's isprint() || isspace() in the C locale: copied through; any other byte shows as '.'. */
function shownAsIs(c: number): boolean {
  return (c >= 0x20 && c < 0x7f) || (c >= 0x09 && c <= 0x0d);
}

/**
 * A buffer's bytes as lines: each message starts with SOH and its level character (shown as "<L>" with
 * `level`), lines are indented by two.
 */
export function safeBufferText(bytes: Buffer, level: boolean): string {
  let out = '';
  let lineStart = true;
  for (let i = 0; i < bytes.length; i++) {
    const atStart = lineStart;
    lineStart = false;
    const c = bytes[i]!;
    if (c === SOH) {
      i++;
      if (!atStart) out += '\n';
      out += '  ';
      const l = i < bytes.length ? String.fromCharCode(bytes[i]!) : '';
      if (level && /^[0-7c]$/.test(l)) out += `<${l}>`;
      continue;
    }
    if (atStart) out += level ? '     ' : '  ';
    out += shownAsIs(c) ? String.fromCharCode(c) : '.';
    if (c === 0x0a) lineStart = true;
  }
  if (!lineStart) out += '\n';
  return out;
}

export function safeBuffersView(s: SafeBuffers, level: boolean): TextView {
  if (!s.present)
    return text(['log: this kernel has no printk safe buffers (struct printk_safe_seq_buf: Linux 4.11 to 5.14)'], s);
  const lines: string[] = [];
  for (const b of s.buffers) {
    lines.push(`PRINTK_SAFE_SEQ_BUF: ${b.name}`);
    for (const c of b.cpus) {
      if (c.problem) {
        lines.push(`CPU: ${c.cpu}  ADDR: ${c.address.toString(16)} unreadable: ${c.problem}`, '');
        continue;
      }
      lines.push(`CPU: ${c.cpu}  ADDR: ${c.address.toString(16)} LEN: ${c.len}  MESSAGE_LOST: ${c.messageLost}`);
      if (c.bytes) lines.push(...safeBufferText(c.bytes, level).replace(/\n$/, '').split('\n'), '');
      else lines.push('  (empty)', '');
    }
  }
  return text(lines, s);
}
