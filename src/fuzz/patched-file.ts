/**
 * Cheap mutants of big files: the real file read-only underneath, a few patched byte ranges in
 * memory on top, and optionally a shorter size (a cut file). Nothing is copied or written.
 */
import type { ByteSource } from '../dump/byte-source.js';
import { FileError, RandomAccessFile } from '../dump/file.js';

/** Byte ranges that replace the file's own bytes, and an optional cut. */
export class Patches {
  private readonly list: { offset: number; bytes: Buffer }[] = [];
  /** a cut file ends here (undefined: the real size) */
  cutAt: number | undefined;

  /** later patches win where they overlap earlier ones */
  set(offset: number, bytes: Buffer): void {
    this.list.push({ offset, bytes: Buffer.from(bytes) });
  }

  get empty(): boolean {
    return this.list.length === 0 && this.cutAt === undefined;
  }

  sizeOf(realSize: number): number {
    return this.cutAt === undefined ? realSize : Math.min(realSize, this.cutAt);
  }

  /** Apply the patches that overlap [offset, offset + out.length) to `out` (bytes of that range). */
  apply(offset: number, out: Buffer): Buffer {
    const end = offset + out.length;
    for (const p of this.list) {
      const from = Math.max(offset, p.offset);
      const to = Math.min(end, p.offset + p.bytes.length);
      if (from < to) p.bytes.copy(out, from - offset, from - p.offset, to - p.offset);
    }
    return out;
  }
}

/** A RandomAccessFile whose reads see the patches (for ElfFile, which takes a RandomAccessFile). */
export class PatchedFile extends RandomAccessFile {
  private readonly realSize: number;

  constructor(
    path: string,
    private readonly patches: Patches,
    displayName: string = path,
  ) {
    super(path, displayName);
    this.realSize = this.size;
    // the size a reader sees is the cut size
    Object.defineProperty(this, 'size', { value: patches.sizeOf(this.realSize), writable: false });
  }

  override read(offset: number | bigint, length: number): Buffer {
    const off = typeof offset === 'bigint' ? Number(offset) : offset;
    if (
      Number.isSafeInteger(off) &&
      off >= 0 &&
      Number.isSafeInteger(length) &&
      length >= 0 &&
      off + length > this.size
    ) {
      throw new FileError(
        `${this.displayName}: read of ${length} bytes at offset 0x${off.toString(16)} runs past the end of the file (size ${this.size})`,
      );
    }
    const b = super.read(offset, length);
    return this.patches.apply(off, Buffer.from(b));
  }
}

/** A ByteSource (what KdumpFile reads) over a file, with patches. */
export class PatchedSource implements ByteSource {
  readonly size: number;

  constructor(
    private readonly file: RandomAccessFile,
    private readonly patches: Patches,
  ) {
    this.size = patches.sizeOf(file.size);
  }

  read(offset: number, length: number): Buffer {
    if (offset + length > this.size) {
      throw new FileError(
        `${this.file.displayName}: read of ${length} bytes at ${offset} runs past the end of the file (size ${this.size})`,
      );
    }
    return this.patches.apply(offset, Buffer.from(this.file.read(offset, length)));
  }

  /** the underlying file is shared between mutants: closing one mutant leaves it open */
  close(): void {}
}
