/**
 * 64-bit little-endian reads that make one bigint. Node's Buffer.readBigUInt64LE builds its answer from two
 * 32-bit halves (four bigints per read): a walk over 10,000 task_structs reads ~200,000 such words, and those
 * intermediate bigints were the largest share of its garbage. Here the 8 bytes are copied into a scratch word
 * and read once through a BigUint64Array (host order, so only on a little-endian host; otherwise Node's read).
 */
const scratch = new Uint8Array(8);
const word = new BigUint64Array(scratch.buffer);
const signedWord = new BigInt64Array(scratch.buffer);
const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function fill(b: Uint8Array, at: number): void {
  scratch[0] = b[at]!;
  scratch[1] = b[at + 1]!;
  scratch[2] = b[at + 2]!;
  scratch[3] = b[at + 3]!;
  scratch[4] = b[at + 4]!;
  scratch[5] = b[at + 5]!;
  scratch[6] = b[at + 6]!;
  scratch[7] = b[at + 7]!;
}

/** The unsigned little-endian u64 at `at` (throws RangeError past the end, as Buffer's read does). */
export function u64le(b: Buffer, at: number): bigint {
  if (!littleEndianHost || at < 0 || at + 8 > b.length) return b.readBigUInt64LE(at);
  fill(b, at);
  return word[0]!;
}

/** The signed little-endian s64 at `at`. */
export function s64le(b: Buffer, at: number): bigint {
  if (!littleEndianHost || at < 0 || at + 8 > b.length) return b.readBigInt64LE(at);
  fill(b, at);
  return signedWord[0]!;
}
