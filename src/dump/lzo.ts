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
 * Decompress one LZO1X stream into at most `maxOut` bytes. Returns exactly the bytes produced (the caller checks
 * the length it expects). `into`, when given and at least `maxOut` long, receives the output (a page buffer the
 * caller no longer needs: no new buffer per page); otherwise a new buffer is made.
 *
 * The cursors live in locals (helpers take and return positions): a page is hundreds of instructions, and the
 * first version's method call per byte through an object, plus a zero-filled new buffer per page, was most of the
 * cost of reading an lzo dump.
 */
export function lzo1xDecompress(src: Uint8Array, maxOut: number, into?: Buffer): Buffer {
  const inLen = src.length;
  if (inLen === 0) throw new LzoError('empty input');
  const out = into !== undefined && into.length >= maxOut ? into : Buffer.allocUnsafe(maxOut);
  let ip = 0;
  let op = 0;
  /** literals copied by the previous instruction: 0, 1..3, or 4 meaning "a run of 4 or more" */
  let state = 0;
  // The first byte may be a literal-run count biased by 17 (values 18..255). 17 itself would
  // announce a versioned (lzo-rle) stream, which liblzo2 never writes: it decodes as a far match
  // into the empty window below and fails there.
  if (src[0] > 17) {
    ip = 1;
    const n = src[0] - 17;
    copyLiterals(src, ip, out, op, n, maxOut);
    ip += n;
    op += n;
    state = n < 4 ? n : 4;
  }

  for (;;) {
    // bounded: every iteration consumes at least one input byte
    if (ip >= inLen) throw endsEarly(ip);
    const inst = src[ip++];
    let length: number;
    let distance: number;
    let trailing: number; // literals after the match (low two bits)

    if (inst >= SHORT_MATCH_MIN) {
      // 1LLDDDSS (5..8 bytes) or 01LDDDSS (3..4 bytes), distance <= 2 KiB with one extra distance byte
      length = inst >= LONG_MATCH_MIN ? 5 + ((inst >> 5) & 3) : 3 + ((inst >> 5) & 1);
      if (ip >= inLen) throw endsEarly(ip);
      distance = (src[ip++] << 3) + ((inst >> 2) & 7) + 1;
      trailing = inst & 3;
    } else if (inst >= FAR_MATCH_MIN) {
      const near = inst >= NEAR_MATCH_MIN;
      length = inst & (near ? 31 : 7);
      if (length === 0) {
        const at = nonZeroAt(src, ip);
        length = (near ? 31 : 7) + (at - ip) * 255 + src[at];
        ip = at + 1;
      }
      length += 2;
      if (ip + 2 > inLen) throw endsEarly(ip);
      const w = src[ip] | (src[ip + 1] << 8);
      ip += 2;
      trailing = w & 3;
      if (near) distance = (w >> 2) + 1;
      else {
        distance = 16384 + ((inst & 8) << 11) + (w >> 2);
        if (distance === 16384) {
          // end-of-stream marker
          if (ip !== inLen) throw new LzoError(`${inLen - ip} bytes of input after the end marker`);
          return op === out.length ? out : out.subarray(0, op);
        }
      }
    } else if (state === 0) {
      // 0000LLLL after a match without trailing literals: a literal run of 4 or more bytes
      let n = inst & 15;
      if (n === 0) {
        const at = nonZeroAt(src, ip);
        n = 15 + (at - ip) * 255 + src[at];
        ip = at + 1;
      }
      n += 3;
      copyLiterals(src, ip, out, op, n, maxOut);
      ip += n;
      op += n;
      state = 4;
      continue;
    } else {
      // 0000DDSS after literals: a 2-byte match within 1 KiB, or (after a long run) 3 bytes at 2..3 KiB
      if (ip >= inLen) throw endsEarly(ip);
      distance = (src[ip++] << 2) + ((inst >> 2) & 3) + 1;
      if (state === 4) {
        distance += 2048;
        length = 3;
      } else {
        length = 2;
      }
      trailing = inst & 3;
    }
    if (distance > op) throw new LzoError(`back-reference ${distance} bytes behind output position ${op}`);
    if (op + length > maxOut) throw new LzoError(`output would exceed ${maxOut} bytes`);
    if (length < 32) {
      // byte by byte: source and destination may overlap (a run repeating its last bytes)
      for (let i = 0; i < length; i++, op++) out[op] = out[op - distance];
    } else {
      // long matches (zero-filled page areas): a fill for a run of one byte, else block copies: the bytes from
      // op - distance on repeat with period `distance`, so each copy may take all written since (doubling)
      if (distance === 1) out.fill(out[op - 1], op, op + length);
      else {
        const from = op - distance;
        for (let done = 0; done < length; ) {
          const n = Math.min(length - done, distance + done);
          out.copyWithin(op + done, from, from + n);
          done += n;
        }
      }
      op += length;
    }
    if (trailing) {
      copyLiterals(src, ip, out, op, trailing, maxOut);
      ip += trailing;
      op += trailing;
    }
    state = trailing;
  }
}

function endsEarly(at: number): LzoError {
  return new LzoError(`input ends early (at byte ${at})`);
}

/**
 * A length field of 0 is continued in the following bytes: each 0 byte adds 255, the first non-zero byte ends it.
 * Returns that byte's position (bounded: it stops at the end of the input).
 */
function nonZeroAt(src: Uint8Array, ip: number): number {
  while (ip < src.length && src[ip] === 0) ip++;
  if (ip >= src.length) throw endsEarly(ip);
  return ip;
}

/** Copy `n` literal bytes from src[ip] to out[op], both bounds checked (the caller advances its cursors). */
function copyLiterals(src: Uint8Array, ip: number, out: Buffer, op: number, n: number, maxOut: number): void {
  if (ip + n > src.length) throw new LzoError(`literal run of ${n} bytes runs past the input (at byte ${ip})`);
  if (op + n > maxOut) throw new LzoError(`output would exceed ${maxOut} bytes`);
  if (n > 16) out.set(src.subarray(ip, ip + n), op);
  else for (let i = 0; i < n; i++) out[op + i] = src[ip + i];
}
