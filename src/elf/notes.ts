import type { Note } from '../dump/types.js';

/**
 * Parse a buffer of ELF notes (Elf64_Nhdr / Elf32_Nhdr have the same layout: namesz, descsz,
 * type as 32-bit words; name and desc each padded to 4 bytes). Stops at the first malformed
 * note instead of throwing: dumps from dying machines may have a cut note segment.
 */
export function parseNotes(buf: Buffer, littleEndian = true): { notes: Note[]; error?: string } {
  const notes: Note[] = [];
  let off = 0;
  const u32 = (o: number) => (littleEndian ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  while (off + 12 <= buf.length) {
    const namesz = u32(off);
    const descsz = u32(off + 4);
    const type = u32(off + 8);
    if (namesz === 0 && descsz === 0 && type === 0) break; // zero padding at the end
    const nameStart = off + 12;
    const descStart = nameStart + align4(namesz);
    const end = descStart + align4(descsz);
    if (namesz > buf.length || descsz > buf.length || descStart + descsz > buf.length) {
      return { notes, error: `note ${notes.length} at offset ${off} runs past the end of the note data` };
    }
    const name = trimNulText(buf.subarray(nameStart, nameStart + namesz));
    notes.push({ name, type, desc: buf.subarray(descStart, descStart + descsz) });
    off = end;
  }
  return { notes };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * Text of a NUL-padded byte area, without the trailing NULs. A loop, not /\0+$/: on a damaged dump
 * the area can be megabytes of mostly NULs, where that regular expression takes quadratic time.
 */
export function trimNulText(buf: Buffer): string {
  let end = buf.length;
  while (end > 0 && buf[end - 1] === 0) end--;
  return buf.toString('latin1', 0, end);
}
