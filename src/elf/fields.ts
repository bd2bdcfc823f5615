/**
 * Fixed-width field access in one ELF file's byte order and class. Addresses and 64-bit words come
 * back as bigint; ELF32 "word-sized" fields (Elf32_Addr, Elf32_Off) are widened to bigint too.
 */
export class Fields {
  constructor(
    readonly littleEndian: boolean,
    readonly is64: boolean,
  ) {}

  u8(b: Buffer, o: number): number {
    return b[o]!;
  }
  u16(b: Buffer, o: number): number {
    return this.littleEndian ? b.readUInt16LE(o) : b.readUInt16BE(o);
  }
  u32(b: Buffer, o: number): number {
    return this.littleEndian ? b.readUInt32LE(o) : b.readUInt32BE(o);
  }
  u64(b: Buffer, o: number): bigint {
    return this.littleEndian ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o);
  }
  /** Elf64_Addr/Off/Xword (8 bytes) or Elf32_Addr/Off/Word (4 bytes), per the file's class */
  word(b: Buffer, o: number): bigint {
    return this.is64 ? this.u64(b, o) : BigInt(this.u32(b, o));
  }
}
