/**
 * bt --frame N: the stack words of one frame as rows (the words bt -f prints under it, one a line), each with what
 * it points to: a kernel symbol, a slab object of a named cache, another place of the stack. The terminal UI opens a
 * word's next view from the row: `struct TYPE OBJECT` for an object of a cache named after its struct type, `kmem`
 * for other slab memory, `rd -s` for other readable kernel memory, `dis -r` for a return address.
 * It also gives bt's frame lines their next view (the terminal UI's Enter on a frame).
 */
import { CommandError } from '../../src/command.js';
import type { Backtrace, BtFrame } from '../../src/kernel/arch/x86_64/backtrace.js';
import type { Kernel } from '../../src/kernel/kernel.js';
import { slabCacheOf, slabObjectAt } from '../../src/kernel/objects/slab.js';
import type { TableView } from '../../src/render/view.js';

/** a frame's words are read up to the next frame; a walk that lost its way could make that range huge */
const MAX_WORDS = 4096;

const h16 = (v: bigint): string => v.toString(16).padStart(16, '0');
const hex = (v: bigint): string => '0x' + v.toString(16);

interface WordRow extends Record<string, unknown> {
  slot: bigint;
  value: bigint | null;
  what: string;
  next?: string;
}

/** Canonical kernel-half addresses (x86_64: the top 17 bits set). */
const isKernelPointer = (v: bigint): boolean => v >= 0xffff800000000000n && v < 0xfffffffffffff000n;

/** What a word points to, in a few words, and the command that shows it. */
function describe(k: Kernel, bt: Backtrace, value: bigint): { what: string; next?: string } {
  if (!isKernelPointer(value)) return { what: '' };
  const stack = bt.stacks.find((s) => value >= s.base && value < s.top);
  if (stack) return { what: `(${stack.kind} stack)`, next: `rd -s ${hex(value)} 8` };
  const near = k.symbols.nearest(value);
  if (near && (near.offset === 0n || near.offset < near.symbol.size)) {
    const off = near.offset ? `+${near.offset}` : '';
    const text = 'TtWw'.includes(near.symbol.kind);
    return {
      what: `${near.symbol.name}${off}${near.symbol.module ? ` [${near.symbol.module}]` : ''}`,
      next: text ? `dis -r ${hex(value)}` : `rd -s ${hex(value)} 8`,
    };
  }
  const cache = slabCacheOf(k, value);
  if (cache) {
    const type = `struct ${cache}`;
    if (k.findType(type)) {
      try {
        const obj = slabObjectAt(k, value);
        if (obj) {
          const off = value - obj.object;
          return { what: `[${cache}]${off ? `+${off}` : ''}`, next: `struct ${cache} ${hex(obj.object)}` };
        }
      } catch {
        /* the slab's own pages are unreadable: kmem says what it can */
      }
    }
    return { what: `[${cache}]`, next: `kmem ${hex(value)}` };
  }
  try {
    k.readU64(value);
    return { what: '', next: `rd -s ${hex(value)} 8` };
  } catch {
    return { what: '(unreadable)' };
  }
}

function frameLine(f: BtFrame): string {
  return `#${f.level} [${h16(f.slot)}] ${f.symbol ?? '(unknown)'} at ${h16(f.ip)}${f.module ? ` [${f.module}]` : ''}`;
}

/** The words of frame `level`: (its slot, the next frame's slot], as bt -f reads them. */
export function frameWordsView(k: Kernel, bt: Backtrace, level: number): TableView {
  const i = bt.frames.findIndex((f) => f.level === level);
  if (i < 0) throw new CommandError(`no frame #${level} in the backtrace of pid ${bt.task.pid}`);
  const f = bt.frames[i]!;
  const next = bt.frames[i + 1];
  const before = [frameLine(f)];
  const src = f.module ? undefined : k.sourceLine(f.ip);
  if (src) before.push(`    ${src.file}: ${src.line}`);
  else if (!k.debugInfo) before.push('    (no source line: the vmlinux has no DWARF)');
  const rows: WordRow[] = [];
  const after: string[] = [];
  if (!next) after.push('(the last frame: no words above it to show)');
  else if (next.regs || next.stack !== f.stack || next.slot <= f.slot)
    after.push('(the next frame is on another stack or after an exception: no words between them)');
  else {
    const n = Number((next.slot - f.slot) / 8n);
    if (n > MAX_WORDS) after.push(`(${n} words to the next frame: more than ${MAX_WORDS}, not shown)`);
    else
      for (let w = 0; w < n; w++) {
        const slot = f.slot + 8n + BigInt(w) * 8n;
        let value: bigint | null = null;
        try {
          value = k.readU64(slot);
        } catch {
          rows.push({ slot, value, what: '(unreadable)' });
          continue;
        }
        rows.push({ slot, value, ...describe(k, bt, value) });
      }
  }
  return {
    kind: 'table',
    header: false,
    before,
    after,
    columns: [
      {
        key: 'slot',
        header: 'SLOT',
        align: 'left',
        width: 16,
        fixed: true,
        sep: '    ',
        format: (v) => `${h16(v as bigint)}:`,
      },
      {
        key: 'value',
        header: 'VALUE',
        align: 'left',
        width: 16,
        fixed: true,
        sep: ' ',
        format: (v) => (v === null ? '????????????????' : h16(v as bigint)),
      },
      { key: 'what', header: 'WHAT', align: 'left', width: 0, sep: '', format: (v) => (v ? `  ${String(v)}` : '') },
    ],
    rows,
    rowAction: '{next}',
  };
}

/** bt's lines with the next view of each frame line: that frame's words. */
export function frameLineActions(lines: string[], task: bigint): (string | undefined)[] {
  return lines.map((l) => {
    const m = /^\s*#(\d+) \[/.exec(l);
    return m ? `bt --frame ${m[1]} ${hex(task)}` : undefined;
  });
}
