/**
 * Zero-filled memory whose pages are made on libuv's thread pool. In a VM a page fault costs ~10-15 µs (measured
 * here: 8 MB of fresh memory, ~30 ms of CPU), and the thread that first writes fresh memory pays it: a read of
 * /dev/zero into the buffer makes the kernel fault its pages in on a pool thread (another core) while this one
 * works, and the bytes are zeros as a new ArrayBuffer's are.
 */
import { closeSync, openSync, read } from 'node:fs';

/** `bytes` zero bytes, their pages already present; an ordinary new ArrayBuffer when /dev/zero cannot be read. */
export function zeroedLater(bytes: number): Promise<ArrayBuffer> {
  let fd: number;
  try {
    fd = openSync('/dev/zero', 'r');
  } catch {
    return Promise.resolve(new ArrayBuffer(bytes));
  }
  // not zero-filled here (allocUnsafeSlow): the read writes every byte
  const buf = Buffer.allocUnsafeSlow(bytes);
  return new Promise((resolve) => {
    const next = (done: number): void => {
      if (done >= bytes) return finish(buf.buffer as ArrayBuffer);
      read(fd, buf, done, bytes - done, null, (e, n) =>
        e || n === 0 ? finish(new ArrayBuffer(bytes)) : next(done + n),
      );
    };
    const finish = (ab: ArrayBuffer): void => {
      closeSync(fd);
      resolve(ab);
    };
    next(0);
  });
}

/**
 * Typed arrays carved one after the other out of one zeroed buffer (each 8-byte aligned), then plain new ones
 * once it is used up.
 */
export class Arena {
  private at = 0;

  constructor(private readonly buf: ArrayBuffer) {}

  private take(bytes: number): number | undefined {
    const at = this.at;
    if (at + bytes > this.buf.byteLength) return undefined;
    this.at = (at + bytes + 7) & ~7;
    return at;
  }

  u8(n: number): Uint8Array {
    const at = this.take(n);
    return at === undefined ? new Uint8Array(n) : new Uint8Array(this.buf, at, n);
  }

  u32(n: number): Uint32Array {
    const at = this.take(4 * n);
    return at === undefined ? new Uint32Array(n) : new Uint32Array(this.buf, at, n);
  }

  i32(n: number): Int32Array {
    const at = this.take(4 * n);
    return at === undefined ? new Int32Array(n) : new Int32Array(this.buf, at, n);
  }

  u64(n: number): BigUint64Array {
    const at = this.take(8 * n);
    return at === undefined ? new BigUint64Array(n) : new BigUint64Array(this.buf, at, n);
  }
}
