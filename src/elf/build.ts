/** A small ELF writer: ELF32/ELF64, either byte order, optional extended numbering (tests, and the DWARF fuzz target's one-unit files). */

export interface SecSpec {
  name: string;
  type: number;
  flags?: bigint;
  addr?: bigint;
  data?: Buffer;
  /** for NOBITS: the size without data */
  size?: bigint;
  link?: number;
  info?: number;
  addralign?: bigint;
  entsize?: bigint;
}

export interface PhdrSpec {
  type: number;
  flags?: number;
  /** file offset; or the name of a section whose offset/size to use */
  section?: string;
  offset?: bigint;
  vaddr?: bigint;
  paddr?: bigint;
  filesz?: bigint;
  memsz?: bigint;
  align?: bigint;
}

export interface BuildOptions {
  is64: boolean;
  le: boolean;
  type?: number;
  machine?: number;
  entry?: bigint;
  sections: SecSpec[]; // section 0 (null) is added automatically
  phdrs?: PhdrSpec[];
  /** write e_shnum = 0, e_shstrndx = SHN_XINDEX and e_phnum = PN_XNUM, real values in section 0 */
  extendedNumbering?: boolean;
}

class W {
  constructor(
    readonly b: Buffer,
    readonly le: boolean,
  ) {}
  u8(o: number, v: number) {
    this.b[o] = v;
  }
  u16(o: number, v: number) {
    if (this.le) this.b.writeUInt16LE(v, o);
    else this.b.writeUInt16BE(v, o);
  }
  u32(o: number, v: number) {
    if (this.le) this.b.writeUInt32LE(v >>> 0, o);
    else this.b.writeUInt32BE(v >>> 0, o);
  }
  u64(o: number, v: bigint) {
    if (this.le) this.b.writeBigUInt64LE(v, o);
    else this.b.writeBigUInt64BE(v, o);
  }
}

export function buildElf(o: BuildOptions): Buffer {
  const ehsize = o.is64 ? 64 : 52;
  const phentsize = o.is64 ? 56 : 32;
  const shentsize = o.is64 ? 64 : 40;
  const phdrs = o.phdrs ?? [];
  const names: string[] = ['', ...o.sections.map((s) => s.name), '.shstrtab'];
  const nameOffsets: number[] = [];
  let strtab = '';
  for (const n of names) {
    nameOffsets.push(strtab.length);
    strtab += n + '\0';
  }
  const all: SecSpec[] = [
    { name: '', type: 0 },
    ...o.sections,
    { name: '.shstrtab', type: 3, data: Buffer.from(strtab, 'latin1'), addralign: 1n },
  ];
  let off = ehsize + phentsize * phdrs.length;
  const offsets: number[] = [];
  for (const s of all) {
    off = (off + 7) & ~7;
    offsets.push(s.data ? off : 0);
    off += s.data?.length ?? 0;
  }
  const shoff = (off + 7) & ~7;
  const total = shoff + shentsize * all.length;
  const b = Buffer.alloc(total);
  const w = new W(b, o.le);
  b.write('\x7fELF', 0, 'latin1');
  w.u8(4, o.is64 ? 2 : 1);
  w.u8(5, o.le ? 1 : 2);
  w.u8(6, 1);
  const word = (at: number, v: bigint) => (o.is64 ? w.u64(at, v) : w.u32(at, Number(v)));
  const ws = o.is64 ? 8 : 4;
  w.u16(16, o.type ?? 2);
  w.u16(18, o.machine ?? 62);
  w.u32(20, 1);
  word(24, o.entry ?? 0n);
  word(24 + ws, BigInt(ehsize));
  word(24 + 2 * ws, BigInt(shoff));
  const f = 24 + 3 * ws;
  w.u16(f + 4, ehsize);
  w.u16(f + 6, phentsize);
  w.u16(f + 8, o.extendedNumbering ? 0xffff : phdrs.length);
  w.u16(f + 10, shentsize);
  w.u16(f + 12, o.extendedNumbering ? 0 : all.length);
  w.u16(f + 14, o.extendedNumbering ? 0xffff : all.length - 1);

  phdrs.forEach((p, i) => {
    const at = ehsize + i * phentsize;
    let offset = p.offset ?? 0n;
    let filesz = p.filesz ?? 0n;
    if (p.section) {
      const idx = all.findIndex((s) => s.name === p.section);
      offset = BigInt(offsets[idx]!);
      filesz = p.filesz ?? BigInt(all[idx]!.data!.length);
    }
    const memsz = p.memsz ?? filesz;
    if (o.is64) {
      w.u32(at, p.type);
      w.u32(at + 4, p.flags ?? 4);
      w.u64(at + 8, offset);
      w.u64(at + 16, p.vaddr ?? 0n);
      w.u64(at + 24, p.paddr ?? 0n);
      w.u64(at + 32, filesz);
      w.u64(at + 40, memsz);
      w.u64(at + 48, p.align ?? 0n);
    } else {
      w.u32(at, p.type);
      w.u32(at + 4, Number(offset));
      w.u32(at + 8, Number(p.vaddr ?? 0n));
      w.u32(at + 12, Number(p.paddr ?? 0n));
      w.u32(at + 16, Number(filesz));
      w.u32(at + 20, Number(memsz));
      w.u32(at + 24, p.flags ?? 4);
      w.u32(at + 28, Number(p.align ?? 0n));
    }
  });

  all.forEach((s, i) => {
    if (s.data) s.data.copy(b, offsets[i]!);
    const at = shoff + i * shentsize;
    let size = s.size ?? BigInt(s.data?.length ?? 0);
    let link = s.link ?? 0;
    let info = s.info ?? 0;
    if (i === 0 && o.extendedNumbering) {
      size = BigInt(all.length);
      link = all.length - 1;
      info = phdrs.length;
    }
    w.u32(at, nameOffsets[i]!);
    w.u32(at + 4, s.type);
    word(at + 8, s.flags ?? 0n);
    word(at + 8 + ws, s.addr ?? 0n);
    word(at + 8 + 2 * ws, BigInt(offsets[i]!));
    word(at + 8 + 3 * ws, size);
    w.u32(at + 8 + 4 * ws, link);
    w.u32(at + 12 + 4 * ws, info);
    word(at + 16 + 4 * ws, s.addralign ?? 0n);
    word(at + 16 + 5 * ws, s.entsize ?? 0n);
  });
  return b;
}

/** An ELF note: namesz, descsz, type, name (padded to 4), desc (padded to 4). */
export function note(name: string, type: number, desc: Buffer, le: boolean): Buffer {
  const nameBuf = Buffer.from(name + '\0', 'latin1');
  const pad = (n: number) => (n + 3) & ~3;
  const b = Buffer.alloc(12 + pad(nameBuf.length) + pad(desc.length));
  const u32 = (o: number, v: number) => (le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  u32(0, nameBuf.length);
  u32(4, desc.length);
  u32(8, type);
  nameBuf.copy(b, 12);
  desc.copy(b, 12 + pad(nameBuf.length));
  return b;
}
