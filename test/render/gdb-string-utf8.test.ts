/**
 * Char arrays as gdb prints them under a UTF-8 locale (crash 9 runs under C.UTF-8 here): a valid UTF-8 sequence of a
 * printable character shows as that character, any other byte above 0x7f as an octal escape. The bytes are the
 * tail of an established TCP socket's skc_v6_daddr.u6_addr8 on the k612-ipc-swap-arp dump, where crash 9 printed
 * "\177\000\000\001\177\000\000\001\316ΜA\000\000\000" (the ports 52942 and 40001 read as bytes).
 */
import { describe, expect, it } from 'vitest';
import { quoteString } from '../../src/render/gdb-value.js';

describe('quoteString: UTF-8 as gdb in a UTF-8 locale', () => {
  it('a valid printable sequence is the character; a lone lead byte, a control or a cut sequence is octal', () => {
    const daddr = Buffer.from([127, 0, 0, 1, 127, 0, 0, 1, 0xce, 0xce, 0x9c, 0x41, 0, 0, 0, 0]);
    expect(quoteString(daddr, true)).toBe('"\\177\\000\\000\\001\\177\\000\\000\\001\\316ΜA\\000\\000\\000"');
    // U+0085 (NEL, a C1 control) is valid UTF-8 but not printable
    expect(quoteString(Buffer.from([0xc2, 0x85, 0x41]), false)).toBe('"\\302\\205A"');
    // a 3-byte sequence cut by the array's end, an overlong form, a stray continuation byte
    expect(quoteString(Buffer.from([0x41, 0xe2, 0x82]), false)).toBe('"A\\342\\202"');
    expect(quoteString(Buffer.from([0xc0, 0xaf]), false)).toBe('"\\300\\257"');
    expect(quoteString(Buffer.from([0x9c]), false)).toBe('"\\234"');
    expect(quoteString(Buffer.from('€ ü', 'utf8'), false)).toBe('"€ ü"');
  });
});
