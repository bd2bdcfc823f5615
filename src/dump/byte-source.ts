/**
 * What the kdump parser reads from: a plain file (RandomAccessFile from ./file.ts) or the virtual
 * "reassembled file" of a flattened stream (./flattened.ts). Reads must stay within `size`.
 */
export interface ByteSource {
  /** size in bytes of the (possibly virtual) file */
  readonly size: number;
  /** exactly `length` bytes at `offset` (callers check the bounds against `size` first) */
  read(offset: number, length: number): Buffer;
  /**
   * The same bytes, read once past any block cache (one compressed page of a dump read at random: a block
   * cache would copy a whole block for a few KiB, and the block would likely be dropped before its next use).
   */
  readUncached?(offset: number, length: number): Buffer;
  /** The same, into `into` (from its start; length at most into.length): the bytes' view in it. */
  readInto?(offset: number, length: number, into: Buffer): Buffer;
  close(): void;
}
