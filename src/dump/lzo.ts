/**
 * A bounded LZO1X decompressor (the stream liblzo2's lzo1x_1 / lzo1x_999 compressors write, which
 * is what makedumpfile -l stores per page). Written from the documented bitstream format: a stream
 * is a sequence of instructions; each is either a literal run or a back-reference ("match") into the
 * output already produced, and every match may be followed by 0..3 literal bytes whose count is in
 * the match's low two bits. How an instruction byte below 16 is read depends on how many literals
 * the previous instruction copied ("state" below).
 *
 * Every read is checked against the input, every write against `maxOut`, every back-reference
 * against the output produced so far; anything else throws LzoError.
 */

export class LzoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LzoError';
  }
}

/** Instruction-byte classes (upper bits of the opcode). */
const LONG_MATCH_MIN = 128; // 1LLDDDSS: 5..8 bytes, distance <= 2 KiB, one extra distance byte
const SHORT_MATCH_MIN = 64; // 01LDDDSS: 3..4 bytes, distance <= 2 KiB, one extra distance byte
const NEAR_MATCH_MIN = 32; // 001LLLLL: any length, distance <= 16 KiB, then a LE16 (distance<<2 | state)
const FAR_MATCH_MIN = 16; // 0001HLLL: any length, distance 16..48 KiB, then a LE16; distance 16 KiB = end

/**
 * Decompress one LZO1X stream into at most `maxOut` bytes: into `into` when given (a buffer of at least `maxOut`
 * bytes the caller no longer needs: a new buffer per page was most of a page read's cost), else a new Buffer.
 * Returns exactly the bytes produced (the caller checks the length it expects).
 */
export function lzo1xDecompress(src: Uint8Array, maxOut: number, into?: Buffer): Buffer {
  if (src.length === 0) throw new LzoError('empty input');
  const s = new LzoStream(src, maxOut, into && into.length >= maxOut ? into : Buffer.alloc(maxOut));

  /** literals copied by the previous instruction: 0, 1..3, or 4 meaning "a run of 4 or more" */
  let state = 0;
  // The first byte may be a literal-run count biased by 17 (values 18..255). 17 itself would
  // announce a versioned (lzo-rle) stream, which liblzo2 never writes: it decodes as a far match
  // into the empty window below and fails there.
  if (src[0] > 17) {
    s.ip = 1;
    const n = src[0] - 17;
    s.copyLiterals(n);
    state = n < 4 ? n : 4;
  }

  for (;;) {
    // bounded: every iteration consumes at least one input byte
    const inst = s.nextByte();
    let length: number;
    let distance: number;
    let trailing: number; // literals after the match (low two bits)

    if (inst >= LONG_MATCH_MIN) {
      length = 5 + ((inst >> 5) & 3);
      distance = (s.nextByte() << 3) + ((inst >> 2) & 7) + 1;
      trailing = inst & 3;
    } else if (inst >= SHORT_MATCH_MIN) {
      length = 3 + ((inst >> 5) & 1);
      distance = (s.nextByte() << 3) + ((inst >> 2) & 7) + 1;
      trailing = inst & 3;
    } else if (inst >= NEAR_MATCH_MIN) {
      length = 2 + (inst & 31 || s.extendedLength(31));
      const w = s.nextLe16();
      distance = (w >> 2) + 1;
      trailing = w & 3;
    } else if (inst >= FAR_MATCH_MIN) {
      length = 2 + (inst & 7 || s.extendedLength(7));
      const w = s.nextLe16();
      distance = 16384 + ((inst & 8) << 11) + (w >> 2);
      trailing = w & 3;
      if (distance === 16384) {
        // end-of-stream marker
        if (s.ip !== src.length) throw new LzoError(`${src.length - s.ip} bytes of input after the end marker`);
        return s.op === s.out.length ? s.out : s.out.subarray(0, s.op);
      }
    } else if (state === 0) {
      // 0000LLLL after a match without trailing literals: a literal run of 4 or more bytes
      s.copyLiterals(3 + (inst & 15 || s.extendedLength(15)));
      state = 4;
      continue;
    } else {
      // 0000DDSS after literals: a 2-byte match within 1 KiB, or (after a long run) 3 bytes at 2..3 KiB
      distance = (s.nextByte() << 2) + ((inst >> 2) & 3) + 1;
      if (state === 4) {
        distance += 2048;
        length = 3;
      } else {
        length = 2;
      }
      trailing = inst & 3;
    }
    s.copyMatch(distance, length);
    if (trailing) s.copyLiterals(trailing);
    state = trailing;
  }
}

/** Input and output cursors with bounds-checked primitives. */
class LzoStream {
  ip = 0; // input position
  op = 0; // output position
  constructor(
    private readonly src: Uint8Array,
    private readonly maxOut: number,
    /** the output (its bytes before `op` are the ones produced: a back-reference never reaches past them) */
    readonly out: Buffer,
  ) {}

  nextByte(): number {
    if (this.ip >= this.src.length) throw new LzoError(`input ends early (at byte ${this.ip})`);
    return this.src[this.ip++];
  }

  nextLe16(): number {
    const ip = this.ip;
    if (ip + 2 > this.src.length) throw new LzoError(`input ends early (at byte ${ip})`);
    this.ip = ip + 2;
    return this.src[ip] | (this.src[ip + 1] << 8);
  }

  /** A length field of 0 is continued in the following bytes: each 0 byte adds 255, the first non-zero byte ends it. */
  extendedLength(base: number): number {
    let extra = 0;
    for (;;) {
      const b = this.nextByte(); // bounded: every iteration consumes input
      if (b !== 0) return base + extra + b;
      extra += 255;
    }
  }

  copyLiterals(n: number): void {
    let { ip, op } = this;
    const { src, out } = this;
    if (ip + n > src.length) throw new LzoError(`literal run of ${n} bytes runs past the input (at byte ${ip})`);
    if (op + n > this.maxOut) throw new LzoError(`output would exceed ${this.maxOut} bytes`);
    if (n > 16) {
      out.set(src.subarray(ip, ip + n), op);
      ip += n;
      op += n;
    } else {
      for (let i = 0; i < n; i++) out[op++] = src[ip++];
    }
    this.ip = ip;
    this.op = op;
  }

  copyMatch(distance: number, length: number): void {
    let op = this.op;
    const out = this.out;
    if (distance > op) throw new LzoError(`back-reference ${distance} bytes behind output position ${op}`);
    if (op + length > this.maxOut) throw new LzoError(`output would exceed ${this.maxOut} bytes`);
    if (distance >= length && length > 16) {
      // no overlap: one native copy
      out.copyWithin(op, op - distance, op - distance + length);
      this.op = op + length;
      return;
    }
    // byte by byte: source and destination may overlap (a run repeating its last bytes)
    for (let i = 0; i < length; i++, op++) out[op] = out[op - distance];
    this.op = op;
  }
}
