/**
 * Zeroed memory made on libuv's thread pool (src/dump/zeroed.ts) and the symbol table built in it: the memory is
 * zeros of the size asked, an Arena hands out 8-byte aligned views one after the other and plain arrays once
 * it is used up, and a corpus vmlinux's symbol table built in an arena has exactly the columns of one built
 * without (a view made over the arena's whole buffer instead of the array's own bytes once broke it).
 */
import { describe, expect, it } from 'vitest';
import { Arena, zeroedLater } from '../../src/dump/zeroed.js';
import { ElfFile } from '../../src/elf/index.js';
import { symbolArena, vmlinuxSymbolTable } from '../../src/kernel/vmlinux-symbols.js';
import { caseNames, describeCorpus, vmlinuxPlain } from '../helpers/corpus.js';

describe('zeroed memory', () => {
  it('is zeros, of the size asked', async () => {
    const ab = await zeroedLater(3 * 1048576 + 5);
    expect(ab.byteLength).toBe(3 * 1048576 + 5);
    expect(new Uint8Array(ab).every((b) => b === 0)).toBe(true);
  });

  it('is carved into aligned views one after the other, then plain arrays', () => {
    const arena = new Arena(new ArrayBuffer(64));
    const a = arena.u8(3);
    const b = arena.u64(2);
    const c = arena.u32(4);
    expect([a.byteOffset, b.byteOffset, c.byteOffset]).toEqual([0, 8, 24]);
    expect(a.buffer).toBe(b.buffer);
    const d = arena.i32(100); // does not fit: an array of its own
    expect(d.buffer).not.toBe(a.buffer);
    expect(d.length).toBe(100);
  });
});

describeCorpus('a symbol table built in zeroed memory (k61-sysrq-c vmlinux)', () => {
  it('has the columns of one built without', async () => {
    const name = caseNames().find((n) => n === 'k61-sysrq-c') ?? caseNames()[0]!;
    const path = await vmlinuxPlain(name);
    const elf = ElfFile.open(path);
    const arena = await symbolArena(elf);
    expect(arena).toBeDefined();
    const inArena = vmlinuxSymbolTable(elf, arena)!.columns;
    const plain = vmlinuxSymbolTable(ElfFile.open(path))!.columns;
    for (const k of ['nameStart', 'values', 'sizes', 'kinds', 'percpu', 'hash'] as const) {
      expect(inArena[k].length, k).toBe(plain[k].length);
      expect(
        Buffer.compare(
          Buffer.from(inArena[k].buffer, inArena[k].byteOffset, inArena[k].byteLength),
          Buffer.from(plain[k].buffer, plain[k].byteOffset, plain[k].byteLength),
        ),
        k,
      ).toBe(0);
    }
    expect(inArena.values.buffer).toBe(inArena.hash.buffer);
  });
});
