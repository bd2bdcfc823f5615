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
 * A buffer's bytes as lines: each message starts with SOH and its level character; the message gets `prefix`
 * (two spaces under log -s's headings, "[nmi_print_seq] " after plain log's records) and, with `level`, the
 * level as "<L>"; the lines of a message after its first are indented to the same width.
 */
export function safeBufferText(bytes: Buffer, level: boolean, prefix = '  '): string {
  const indent = ' '.repeat(prefix.length + (level ? 3 : 0));
  let out = '';
  let lineStart = true;
  for (let i = 0; i < bytes.length; i++) {
    const atStart = lineStart;
    lineStart = false;
    const c = bytes[i]!;
    if (c === SOH) {
      i++;
      if (!atStart) out += '\n';
      out += prefix;
      const l = i < bytes.length ? String.fromCharCode(bytes[i]!) : '';
      if (level && /^[0-7c]$/.test(l)) out += `<${l}>`;
      continue;
    }
    if (atStart) out += indent;
    out += shownAsIs(c) ? String.fromCharCode(c) : '.';
    if (c === 0x0a) lineStart = true;
  }
  if (!lineStart) out += '\n';
  return out;
}

/**
 * What plain `log` prints after the ring buffer's records on 4.11–5.14: the text still held in the safe
 * buffers (not yet copied into the ring), each message marked with its buffer's name unless -t.
 */
export function safeBufferTail(s: SafeBuffers, o: { level: boolean; noTime: boolean }): string[] {
  const lines: string[] = [];
  for (const b of s.buffers)
    for (const c of b.cpus)
      if (c.bytes?.length)
        lines.push(
          ...safeBufferText(c.bytes, o.level, o.noTime ? '' : `[${b.name}] `)
            .replace(/\n$/, '')
            .split('\n'),
        );
  return lines;
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
