/**
 * Open any supported dump by looking at its CONTENT (never its name): ELF core, kdump-compressed,
 * or makedumpfile's flattened stream. Everything else gets a one-line DumpFormatError that names the
 * file and says what it looks like.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { openElfCore } from './elfcore.js';
import { isFlattenedSignature, openFlattened } from './flattened.js';
import { openKdump } from './kdump.js';
import { joinSplitDump } from './split.js';
import { DumpFormatError } from './types.js';
import type { DumpFile } from './types.js';

export type DumpKind = 'elf' | 'kdump' | 'flattened';

/** Open a dump file read-only, whatever its format. Throws DumpFormatError (one line) when it cannot. */
export function openDump(path: string): DumpFile {
  const head = readHead(path, 4096);
  const kind = sniffDump(head);
  switch (kind) {
    case 'elf':
      return openElfCore(path);
    case 'kdump':
      return openKdump(path);
    case 'flattened':
      return openFlattened(path);
    default:
      throw new DumpFormatError(`${path}: ${notADumpReason(head)}`);
  }
}

/** Open one dump, or join the files of a makedumpfile --split dump (closing them all if that fails). */
export function openDumps(paths: string[]): DumpFile {
  if (paths.length === 1) return openDump(paths[0]!);
  const opened: DumpFile[] = [];
  try {
    for (const p of paths) opened.push(openDump(p));
    return joinSplitDump(opened);
  } catch (e) {
    for (const d of opened) d.close();
    throw e;
  }
}

/** Which dump format do these first bytes announce? */
export function sniffDump(head: Buffer): DumpKind | undefined {
  if (head.length >= 4 && head.readUInt32BE(0) === 0x7f454c46) return 'elf';
  const sig = head.toString('latin1', 0, 8);
  if (sig === 'KDUMP   ' || sig === 'DISKDUMP') return 'kdump';
  if (isFlattenedSignature(head)) return 'flattened';
  return undefined;
}

/** Compressed-file magics, with the command that undoes them. */
const COMPRESSED: { magic: number[]; name: string; undo: string }[] = [
  { magic: [0x1f, 0x8b], name: 'gzip', undo: 'gunzip' },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], name: 'zstd', undo: 'zstd -d' },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], name: 'xz', undo: 'unxz' },
  { magic: [0x42, 0x5a, 0x68], name: 'bzip2', undo: 'bunzip2' },
  { magic: [0x04, 0x22, 0x4d, 0x18], name: 'lz4', undo: 'lz4 -d' },
];

function notADumpReason(head: Buffer): string {
  for (const c of COMPRESSED) {
    if (head.length >= c.magic.length && c.magic.every((b, i) => head[i] === b)) {
      return `${c.name}-compressed file: decompress it first (${c.undo}), then open the result`;
    }
  }
  const shown = head.subarray(0, 16);
  const hex = [...shown].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  const text = shown.toString('latin1').replace(/[^\x20-\x7e]/g, '.');
  return `not a dump file: no ELF, kdump or flattened signature (starts with ${hex} "${text}")`;
}

/** First bytes of the file, with one-line errors for the ways a path can fail to be a readable file. */
function readHead(path: string, max: number): Buffer {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new DumpFormatError(`${path}: ${errnoText(e)}`);
  }
  if (st.isDirectory()) throw new DumpFormatError(`${path}: is a directory, not a dump file`);
  if (!st.isFile() && !st.isBlockDevice()) throw new DumpFormatError(`${path}: not a regular file`);
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    throw new DumpFormatError(`${path}: cannot open: ${errnoText(e)}`);
  }
  try {
    const buf = Buffer.alloc(max);
    const n = readSync(fd, buf, 0, max, 0);
    if (n === 0) throw new DumpFormatError(`${path}: empty file`);
    return buf.subarray(0, n);
  } catch (e) {
    if (e instanceof DumpFormatError) throw e;
    throw new DumpFormatError(`${path}: cannot read: ${errnoText(e)}`);
  } finally {
    closeSync(fd);
  }
}

function errnoText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  switch (err?.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a dump file';
    default:
      return err?.message ?? String(e);
  }
}
