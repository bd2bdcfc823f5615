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
 * Decompress one LZO1X stream into a new Buffer of at most `maxOut` bytes. Returns exactly the
 * bytes produced (the caller checks the length it expects).
 */
export function lzo1xDecompress(src: Uint8Array, maxOut: number): Buffer {
  const out = Buffer.alloc(maxOut);
  let ip = 0; // input position
  let op = 0; // output position

  const nextByte = (): number => {
    if (ip >= src.length) throw new LzoError(`input ends early (at byte ${ip})`);
    return src[ip++];
  };
  const nextLe16 = (): number => {
    if (ip + 2 > src.length) throw new LzoError(`input ends early (at byte ${ip})`);
    const v = src[ip] | (src[ip + 1] << 8);
    ip += 2;
    return v;
  };
  /** A length field of 0 is continued in the following bytes: each 0 byte adds 255, the first non-zero byte ends it. */
  const extendedLength = (base: number): number => {
    let extra = 0;
    for (;;) {
      const b = nextByte(); // bounded: every iteration consumes input
      if (b !== 0) return base + extra + b;
      extra += 255;
    }
  };
  const copyLiterals = (n: number): void => {
    if (ip + n > src.length) throw new LzoError(`literal run of ${n} bytes runs past the input (at byte ${ip})`);
    if (op + n > maxOut) throw new LzoError(`output would exceed ${maxOut} bytes`);
    out.set(src.subarray(ip, ip + n), op);
    ip += n;
    op += n;
  };
  const copyMatch = (distance: number, length: number): void => {
    if (distance > op) throw new LzoError(`back-reference ${distance} bytes behind output position ${op}`);
    if (op + length > maxOut) throw new LzoError(`output would exceed ${maxOut} bytes`);
    // byte by byte: source and destination may overlap (a run repeating its last bytes)
    for (let i = 0; i < length; i++, op++) out[op] = out[op - distance];
  };

  if (src.length === 0) throw new LzoError('empty input');

  /** literals copied by the previous instruction: 0, 1..3, or 4 meaning "a run of 4 or more" */
  let state = 0;
  // The first byte may be a literal-run count biased by 17 (values 18..255). 17 itself would
  // announce a versioned (lzo-rle) stream, which liblzo2 never writes: it decodes as a far match
  // into the empty window below and fails there.
  if (src[0] > 17) {
    ip = 1;
    const n = src[0] - 17;
    copyLiterals(n);
    state = n < 4 ? n : 4;
  }

  for (;;) {
    // bounded: every iteration consumes at least one input byte
    const inst = nextByte();
    let length: number;
    let distance: number;
    let trailing: number; // literals after the match (low two bits)

    if (inst >= LONG_MATCH_MIN) {
      length = 5 + ((inst >> 5) & 3);
      distance = (nextByte() << 3) + ((inst >> 2) & 7) + 1;
      trailing = inst & 3;
    } else if (inst >= SHORT_MATCH_MIN) {
      length = 3 + ((inst >> 5) & 1);
      distance = (nextByte() << 3) + ((inst >> 2) & 7) + 1;
      trailing = inst & 3;
    } else if (inst >= NEAR_MATCH_MIN) {
      length = 2 + ((inst & 31) || extendedLength(31));
      const w = nextLe16();
      distance = (w >> 2) + 1;
      trailing = w & 3;
    } else if (inst >= FAR_MATCH_MIN) {
      length = 2 + ((inst & 7) || extendedLength(7));
      const w = nextLe16();
      distance = 16384 + ((inst & 8) << 11) + (w >> 2);
      trailing = w & 3;
      if (distance === 16384) {
        // end-of-stream marker
        if (ip !== src.length) throw new LzoError(`${src.length - ip} bytes of input after the end marker`);
        return out.subarray(0, op);
      }
    } else if (state === 0) {
      // 0000LLLL after a match without trailing literals: a literal run of 4 or more bytes
      copyLiterals(3 + ((inst & 15) || extendedLength(15)));
      state = 4;
      continue;
    } else {
      // 0000DDSS after literals: a 2-byte match within 1 KiB, or (after a long run) 3 bytes at 2..3 KiB
      distance = (nextByte() << 2) + ((inst >> 2) & 3) + 1;
      if (state === 4) {
        distance += 2048;
        length = 3;
      } else {
        length = 2;
      }
      trailing = inst & 3;
    }
    copyMatch(distance, length);
    if (trailing) copyLiterals(trailing);
    state = trailing;
  }
}
