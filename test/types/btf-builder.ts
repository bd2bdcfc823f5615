/** A tiny writer of BTF blobs (btf.h layout) for unit tests of cases the corpus kernels lack. */

export const K = {
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

export class BtfBuilder {
  private strings = '\0';
  private readonly stringAt = new Map<string, number>([['', 0]]);
  readonly words: number[] = [];
  private nextId = 1;

  str(s: string): number {
    let off = this.stringAt.get(s);
    if (off === undefined) {
      off = this.strings.length;
      this.strings += s + '\0';
      this.stringAt.set(s, off);
    }
    return off;
  }

  /** Append one record; returns its type id. `extra` is the kind-specific words. */
  add(
    kind: number,
    name: string,
    opts: { vlen?: number; kflag?: boolean; sizeOrType?: number; extra?: number[] } = {},
  ): number {
    const info = ((opts.kflag ? 1 : 0) << 31) | (kind << 24) | (opts.vlen ?? 0);
    this.words.push(this.str(name), info >>> 0, opts.sizeOrType ?? 0, ...(opts.extra ?? []));
    return this.nextId++;
  }

  int(name: string, size: number, signed: boolean): number {
    return this.add(K.INT, name, { sizeOrType: size, extra: [((signed ? 1 : 0) << 24) | (size * 8)] });
  }

  /** members: [name, type id, bit offset, bitfield width (0 = none)] */
  struct(name: string, size: number, members: [string, number, number, number?][], union = false): number {
    const kflag = members.some((m) => (m[3] ?? 0) > 0);
    const extra = members.flatMap(([n, t, off, bits]) => [this.str(n), t, kflag ? ((bits ?? 0) << 24) | off : off]);
    return this.add(union ? K.UNION : K.STRUCT, name, { vlen: members.length, kflag, sizeOrType: size, extra });
  }

  build(): Buffer {
    const types = Buffer.alloc(this.words.length * 4);
    this.words.forEach((w, i) => types.writeUInt32LE(w >>> 0, i * 4));
    const strs = Buffer.from(this.strings, 'latin1');
    const hdr = Buffer.alloc(24);
    hdr.writeUInt16LE(0xeb9f, 0);
    hdr[2] = 1; // version
    hdr.writeUInt32LE(24, 4); // hdr_len
    hdr.writeUInt32LE(0, 8); // type_off
    hdr.writeUInt32LE(types.length, 12); // type_len
    hdr.writeUInt32LE(types.length, 16); // str_off
    hdr.writeUInt32LE(strs.length, 20); // str_len
    return Buffer.concat([hdr, types, strs]);
  }
}
