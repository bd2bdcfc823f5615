/**
 * Address → unit: from .debug_aranges (DWARF 5 section 6.1.2), one sorted table of [start, end) ranges
 * with the .debug_info offset of the unit covering each. Built once, on the first address question.
 */
import { Cursor } from './cursor.js';
import { lastAtOrBelow } from './sorted.js';

export class AddressMap {
  private constructor(
    private readonly starts: BigUint64Array,
    private readonly ends: BigUint64Array,
    private readonly units: Float64Array,
  ) {}

  get size(): number {
    return this.starts.length;
  }

  /** Parse a whole .debug_aranges section. */
  static fromAranges(buf: Buffer): AddressMap {
    const rows: [bigint, bigint, number][] = [];
    const c = new Cursor(buf, '.debug_aranges');
    while (!c.atEnd) {
      const setStart = c.pos;
      let length = c.u32();
      let offsetSize = 4;
      if (length === 0xffffffff) {
        length = c.u64n();
        offsetSize = 8;
      }
      const setEnd = c.pos + length;
      if (setEnd > buf.length) c.fail('address range set runs past the end', setStart);
      c.u16(); // version 2
      const unit = c.uN(offsetSize);
      const addrSize = c.u8();
      const segSize = c.u8();
      if (addrSize !== 4 && addrSize !== 8) c.fail(`unsupported address size ${addrSize}`);
      // tuples are aligned to twice the address size, counted from the set's start
      const tuple = 2 * addrSize + segSize;
      const rel = c.pos - setStart;
      const align = 2 * addrSize;
      c.pos = setStart + Math.ceil(rel / align) * align;
      while (c.pos + tuple <= setEnd) {
        if (segSize) c.skip(segSize);
        const start = c.addr(addrSize);
        const len = c.addr(addrSize);
        if (start === 0n && len === 0n) break;
        if (len > 0n) rows.push([start, start + len, unit]);
      }
      c.pos = setEnd;
    }
    return AddressMap.fromRows(rows);
  }

  static fromRows(rows: [bigint, bigint, number][]): AddressMap {
    rows.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const starts = new BigUint64Array(rows.length);
    const ends = new BigUint64Array(rows.length);
    const units = new Float64Array(rows.length);
    rows.forEach(([s, e, u], i) => {
      starts[i] = s;
      ends[i] = e;
      units[i] = u;
    });
    return new AddressMap(starts, ends, units);
  }

  /** The .debug_info offset of the unit whose ranges hold `pc`, or undefined. */
  unitAt(pc: bigint): number | undefined {
    const found = lastAtOrBelow(this.starts, pc);
    // ranges may nest or overlap (rarely): look back a few for one that really holds pc
    for (let i = found, n = 0; i >= 0 && n < 8; i--, n++) if (pc < this.ends[i]!) return this.units[i];
    return undefined;
  }
}
