/** Record layout and ring arithmetic on hand-made values: what the corpus cannot exercise. */
import { describe, expect, it } from 'vitest';
import { recordLines } from '../../commands/log.js';
import { textBlockExtent, findPanicLine, findPanicRecord, type PrintkRecord } from '../../src/kernel/objects/printk.js';
import { formatCtime } from '../../src/kernel/objects/boot-time.js';

const rec = (text: string, extra: Partial<PrintkRecord> = {}): PrintkRecord => ({
  id: 1n,
  seq: 1n,
  tsNsec: 1_863_715_000n,
  level: 6,
  facility: 0,
  flags: 2,
  callerId: 542,
  text,
  dataless: false,
  subsystem: '',
  device: '',
  ...extra,
});
const ctx = { callerWidth: 6 };

describe('recordLines', () => {
  it('prints [%5lu.%06lu] with microseconds truncated', () => {
    expect(recordLines(rec('hello'), {}, ctx)).toEqual(['[    1.863715] hello']);
    expect(recordLines(rec('x', { tsNsec: 123456_999_999_999n }), {}, ctx)).toEqual(['[123456.999999] x']);
  });
  it('time stamps past 2^53 ns (~104 days) stay exact', () => {
    // 2^63 + 123456789 ns = 9223372036 s and 978232597 ns
    expect(recordLines(rec('x', { tsNsec: 2n ** 63n + 123_456_789n }), {}, ctx)).toEqual(['[9223372036.978232] x']);
    expect(recordLines(rec('x', { tsNsec: 2n ** 53n + 1n }), {}, ctx)).toEqual(['[9007199.254740] x']);
  });
  it('indents continuation lines under the text, by the prefix width', () => {
    expect(recordLines(rec('a\n  b\nc'), {}, ctx)).toEqual([
      '[    1.863715] a',
      '                 b',
      '               c',
    ]);
    expect(recordLines(rec('a\nb'), { noTime: true, level: true }, ctx)).toEqual(['<6>a', '   b']);
  });
  it('shows non-printable bytes as dots but keeps tabs and trailing spaces', () => {
    expect(recordLines(rec('a\x01\tb\xe9  '), { noTime: true }, ctx)).toEqual(['a.\tb.  ']);
  });
  it('-c: [T542] / [C1] right-aligned to the pid_max width', () => {
    expect(recordLines(rec('x'), { noTime: true, caller: true }, ctx)).toEqual(['[  T542] x']);
    expect(recordLines(rec('x', { callerId: 0x80000001 }), { noTime: true, caller: true }, { callerWidth: 7 })).toEqual(
      ['[     C1] x'],
    );
  });
  it('-m: the level in hex, -d: SUBSYSTEM= and DEVICE= lines', () => {
    expect(
      recordLines(
        rec('x', { level: 3, subsystem: 'pci', device: '+pci:0000:00:01.0' }),
        { level: true, dict: true },
        ctx,
      ),
    ).toEqual(['[    1.863715] <3>x', '                  SUBSYSTEM=pci', '                  DEVICE=+pci:0000:00:01.0']);
  });
  it('-T: the boot time plus whole seconds, in ctime layout', () => {
    expect(recordLines(rec('x'), { ctime: true }, { ...ctx, bootSec: 1_795_700_845 })).toEqual([
      `[${formatCtime(1_795_700_846)}] x`,
    ]);
    expect(formatCtime(1_795_700_845)).toBe('Thu Nov 26 13:47:25 UTC 2026');
    expect(formatCtime(0)).toBe('Thu Jan  1 00:00:00 UTC 1970');
  });
  it('a record without text is an empty line', () => {
    expect(recordLines(rec('', { dataless: true }), {}, ctx)).toEqual(['']);
  });
});

describe('textBlockExtent', () => {
  const bits = 12; // a 4 KiB ring
  it('a block inside one wrap', () => {
    expect(textBlockExtent(0x1010n, 0x1040n, bits)).toEqual({ start: 0x10, size: 0x30 });
  });
  it('a block that would cross the end is stored at offset 0', () => {
    // begins at 0xff0 of wrap 1, ends 0x28 into wrap 2: the text is at 0..0x28
    expect(textBlockExtent(0x1ff0n, 0x2028n, bits)).toEqual({ start: 0, size: 0x28 });
  });
  it('a block that crosses the end of the first lap, where lpos overflows 2^64 to 0, is stored at offset 0', () => {
    // the first lap's positions are negative (BLK0_LPOS = -ring size): seen on a full 1 MB ring (log_buf_len=1M,
    // 6.12), whose last record began 16 bytes before the end at lpos 2^64 - 16 and ended at 0x60
    expect(textBlockExtent(2n ** 64n - 16n, 0x60n, 20)).toEqual({ start: 0, size: 0x60 });
    expect(textBlockExtent(2n ** 64n - 0x40n, 2n ** 64n - 0x10n, 20)).toEqual({ start: 0xfffc0, size: 0x30 });
  });
  it('data-less and failed blocks', () => {
    expect(textBlockExtent(0x1000n, 0x1000n, bits)).toBe('dataless');
    expect(textBlockExtent(3n, 3n, bits)).toBe('dataless');
    expect(textBlockExtent(1n, 1n, bits)).toBe('dataless');
  });
  it('positions two wraps apart or blocks too small are errors', () => {
    expect(textBlockExtent(0x1000n, 0x3010n, bits)).toBe('invalid logical positions');
    expect(textBlockExtent(0x1000n, 0x1004n, bits)).toMatch(/invalid block size/);
  });
});

describe('findPanicLine', () => {
  it('takes the first line holding a fatal-message prefix, from the prefix on, as crash does', () => {
    const oops = [
      rec('sysrq: Trigger a crash'),
      rec('BUG: kernel NULL pointer dereference, address: 0000000000000000'),
      rec('Oops: Oops: 0002 [#1] PREEMPT SMP NOPTI'),
      rec('Kernel panic - not syncing: Fatal exception'),
    ];
    expect(findPanicLine(oops)?.text).toBe('Oops: Oops: 0002 [#1] PREEMPT SMP NOPTI');
    expect(findPanicRecord(oops)).toBe(oops[2]);
    const sysrq = [rec('sysrq: Trigger a crash'), rec('Kernel panic - not syncing: sysrq triggered crash\n')];
    expect(findPanicLine(sysrq)?.text).toBe('Kernel panic - not syncing: sysrq triggered crash');
    expect(findPanicLine([rec('sysrq: SysRq : Trigger a crash')])?.text).toBe('SysRq : Trigger a crash');
    expect(findPanicLine([rec('kernel BUG at mm/slub.c:435!'), rec('Oops: invalid opcode: 0000 [#1]')])?.text).toBe(
      'kernel BUG at mm/slub.c:435!',
    );
    // none of crash's prefixes (a GPF with panic_on_oops: the dump is taken before any panic line): the header
    const gpf =
      'general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1] PREEMPT SMP NOPTI';
    expect(findPanicLine([rec('all fine'), rec(gpf)])?.text).toBe(gpf);
    expect(findPanicLine([rec('all fine'), rec('booted')])).toBeUndefined();
  });
});
