/**
 * Byte-level mutation operators. Each returns a short description, so that a failure report says
 * exactly what was changed ("u32@428=0xffffffff").
 */
import type { Rng } from './prng.js';

/** Values that break size, count and offset arithmetic. */
const INTERESTING_32 = [
  0, 1, 2, 3, 4, 7, 8, 16, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff,
  0x80000000, 0xfffffffe, 0xffffffff,
];
const INTERESTING_64 = [
  0n,
  1n,
  0xffffffffn,
  0x100000000n,
  1n << 40n,
  1n << 52n,
  1n << 53n,
  (1n << 63n) - 1n,
  1n << 63n,
  0xffffffffffffffffn,
  0xfffffffffffff000n,
];

export interface Region {
  /** file offset (or index into a buffer) where the region starts */
  offset: number;
  length: number;
  name: string;
}

/**
 * Mutate `buf` (the bytes of `region`) in place with 1..n operators; returns their descriptions
 * using absolute offsets (region.offset + i).
 */
export function mutateBytes(rng: Rng, buf: Buffer, base: number, maxOps = 4): string[] {
  const ops: string[] = [];
  if (buf.length === 0) return ops;
  const n = 1 + rng.below(maxOps);
  for (let k = 0; k < n; k++) {
    const op = rng.below(9);
    const at = rng.below(buf.length);
    const abs = base + at;
    switch (op) {
      case 0: {
        const bit = rng.below(8);
        buf[at] ^= 1 << bit;
        ops.push(`flip@${abs}.${bit}`);
        break;
      }
      case 1: {
        const v = rng.below(256);
        buf[at] = v;
        ops.push(`u8@${abs}=${v}`);
        break;
      }
      case 2:
      case 3: {
        if (at + 4 > buf.length) break;
        const aligned = at & ~3;
        const v = rng.chance(0.8) ? rng.pick(INTERESTING_32) : rng.u32();
        buf.writeUInt32LE(v >>> 0, aligned);
        ops.push(`u32@${base + aligned}=0x${v.toString(16)}`);
        break;
      }
      case 4:
      case 5: {
        const aligned = at & ~7;
        if (aligned + 8 > buf.length) break;
        const v = rng.chance(0.8) ? rng.pick(INTERESTING_64) : (BigInt(rng.u32()) << 32n) | BigInt(rng.u32());
        buf.writeBigUInt64LE(v, aligned);
        ops.push(`u64@${base + aligned}=0x${v.toString(16)}`);
        break;
      }
      case 6: {
        // small add/subtract to a 32-bit word: off-by-one sizes and counts
        const aligned = at & ~3;
        if (aligned + 4 > buf.length) break;
        const d = rng.below(33) - 16;
        buf.writeUInt32LE((buf.readUInt32LE(aligned) + d) >>> 0, aligned);
        ops.push(`add32@${base + aligned}${d >= 0 ? '+' : ''}${d}`);
        break;
      }
      case 7: {
        // copy a chunk from elsewhere in the region (duplicated records, shifted fields)
        const len = 1 + rng.below(Math.min(64, buf.length));
        const from = rng.below(buf.length - len + 1);
        const to = rng.below(buf.length - len + 1);
        buf.copy(buf, to, from, from + len);
        ops.push(`copy@${base + from}->${base + to}x${len}`);
        break;
      }
      default: {
        // zero or fill a run
        const len = 1 + rng.below(Math.min(32, buf.length - at));
        const v = rng.chance(0.5) ? 0 : 0xff;
        buf.fill(v, at, at + len);
        ops.push(`fill@${abs}x${len}=${v}`);
      }
    }
  }
  return ops;
}

/** Mutate the text of key=value lines (VMCOREINFO): drop, duplicate, alter values, add junk. */
export function mutateLines(rng: Rng, text: string, maxOps = 3): { text: string; ops: string[] } {
  const lines = text.split('\n');
  const ops: string[] = [];
  const n = 1 + rng.below(maxOps);
  for (let k = 0; k < n; k++) {
    const i = rng.below(lines.length);
    const line = lines[i] ?? '';
    const key = line.split('=')[0] ?? '';
    switch (rng.below(7)) {
      case 0:
        lines.splice(i, 1);
        ops.push(`drop ${key}`);
        break;
      case 1:
        lines.splice(rng.below(lines.length + 1), 0, line);
        ops.push(`dup ${key}`);
        break;
      case 2: {
        const v = rng.pick([
          '0',
          '-1',
          'ffffffffffffffff',
          '10000000000000000',
          '',
          'x',
          '4096',
          '1',
          '999999999999999999999',
        ]);
        lines[i] = `${key}=${v}`;
        ops.push(`set ${key}=${v}`);
        break;
      }
      case 3: {
        // change one character of the value
        const eq = line.indexOf('=');
        if (eq < 0 || eq + 1 >= line.length) break;
        const p = eq + 1 + rng.below(line.length - eq - 1);
        const c = rng.pick(['0', 'f', '9', 'g', ' ', '=', '\0']);
        lines[i] = line.slice(0, p) + c + line.slice(p + 1);
        ops.push(`char ${key}[${p - eq - 1}]=${JSON.stringify(c)}`);
        break;
      }
      case 4:
        lines[i] = line.slice(0, rng.below(line.length + 1));
        ops.push(`cut ${key}`);
        break;
      case 5: {
        const junk = rng.pick([
          '=',
          '==',
          'SYMBOL(',
          'OFFSET(task_struct.tasks)=',
          'PAGESIZE=0',
          'PAGESIZE=3',
          'KERNELOFFSET=zz',
          '\u00ff\u0001',
        ]);
        lines.splice(i, 0, junk);
        ops.push(`insert ${JSON.stringify(junk)}`);
        break;
      }
      default:
        lines.length = rng.below(lines.length + 1);
        ops.push(`truncate to ${lines.length} lines`);
    }
  }
  return { text: lines.join('\n'), ops };
}
