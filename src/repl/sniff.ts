/**
 * Telling a vmlinux from a vmcore by content, so the two may be given in either order.
 * ELF e_type (offset 16): ET_EXEC (2) with section headers is a vmlinux, ET_CORE (4) a vmcore; the kdump
 * formats start with "KDUMP   " or "DISKDUMP", a flattened stream with "makedumpfile"; a gzip file is taken as a
 * (compressed) vmlinux.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { constants, gunzipSync } from 'node:zlib';
import { specialFileKind } from '../dump/file.js';

export type FileKind = 'vmlinux' | 'vmcore';

export function sniffBytes(b: Buffer): FileKind | string {
  if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return 'vmlinux';
  const ascii = b.subarray(0, 12).toString('latin1');
  if (ascii.startsWith('KDUMP   ') || ascii.startsWith('DISKDUMP') || ascii.startsWith('makedumpfile')) return 'vmcore';
  if (b.length >= 20 && b[0] === 0x7f && ascii.startsWith('\x7fELF')) {
    const little = b[5] !== 2;
    const type = little ? b.readUInt16LE(16) : b.readUInt16BE(16);
    if (type === 4) return 'vmcore';
    if (type === 2) {
      // e_shnum: ELF64 at 60, ELF32 at 48
      const is64 = b[4] === 2;
      const off = is64 ? 60 : 48;
      if (b.length >= off + 2 && (little ? b.readUInt16LE(off) : b.readUInt16BE(off)) === 0)
        return 'an ELF executable with no sections';
      return 'vmlinux';
    }
    return `an ELF file of type ${type}, neither an executable nor a core`;
  }
  return 'neither an ELF file, a kdump file nor gzip';
}

/** Whether a gzip file holds a vmcore: the start of its content unpacked and sniffed (vmlinux.gz is a vmlinux). */
function gzippedVmcore(fd: number): boolean {
  const b = Buffer.alloc(16384);
  const n = readSync(fd, b, 0, b.length, 0);
  try {
    const inner = gunzipSync(b.subarray(0, n), { finishFlush: constants.Z_SYNC_FLUSH });
    return sniffBytes(inner.subarray(0, 64)) === 'vmcore';
  } catch {
    return false;
  }
}

/** 'vmlinux' | 'vmcore', or throws a one-line error naming the file. */
export function sniffFile(path: string): FileKind {
  let fd: number;
  try {
    const st = statSync(path);
    if (st.isDirectory()) throw new Error(`${path}: is a directory`);
    // opening a FIFO would wait for a writer, reading it would consume it: files only
    const special = specialFileKind(st);
    if (special)
      throw new Error(`${path}: is ${special}, not a regular file: a dump or vmlinux must be a file read at offsets`);
    fd = openSync(path, 'r');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(
      e.code === 'ENOENT' ? `${path}: no such file` : e.code ? `${path}: cannot open (${e.code})` : e.message,
    );
  }
  try {
    const b = Buffer.alloc(64);
    const n = readSync(fd, b, 0, 64, 0);
    if (n === 0) throw new Error(`${path}: empty file`);
    const kind = sniffBytes(b.subarray(0, n));
    if (kind === 'vmlinux' && b[0] === 0x1f && b[1] === 0x8b && gzippedVmcore(fd))
      throw new Error(`${path}: is a gzip-compressed vmcore: unpack it first (gunzip); a dump is read at offsets`);
    if (kind !== 'vmlinux' && kind !== 'vmcore') throw new Error(`${path}: not a vmlinux or a vmcore (${kind})`);
    return kind;
  } finally {
    closeSync(fd);
  }
}

/**
 * Tell the vmlinux from the vmcore(s): one vmlinux and one vmcore, or one vmlinux and every file of a
 * makedumpfile --split dump, in any order.
 */
export function orderDumpFiles(files: string[]): { vmlinux: string; vmcore: string; vmcores: string[] } {
  if (files.length < 2) throw new Error('give both a VMLINUX and a VMCORE');
  const kinds = files.map(sniffFile);
  const vmlinuxes = files.filter((_, i) => kinds[i] === 'vmlinux');
  const vmcores = files.filter((_, i) => kinds[i] === 'vmcore');
  if (files.length === 2 && kinds[0] === kinds[1])
    throw new Error(
      `${files[0]} and ${files[1]} are both ${kinds[0] === 'vmlinux' ? 'vmlinux files' : 'vmcores'}: give one of each`,
    );
  if (vmlinuxes.length !== 1)
    throw new Error(
      vmlinuxes.length ? `more than one vmlinux: ${vmlinuxes.join(' ')}` : `no vmlinux among ${files.join(' ')}`,
    );
  return { vmlinux: vmlinuxes[0]!, vmcore: vmcores[0]!, vmcores };
}
