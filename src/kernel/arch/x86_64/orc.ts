/**
 * The x86_64 kernel's ORC unwind tables (objtool's output, arch/x86/include/asm/orc_types.h):
 *
 *   .orc_unwind_ip  s32 per entry, relative to its own address: ip[i] = section_addr + 4*i + value
 *   .orc_unwind     struct orc_entry per entry (6 bytes, packed):
 *                     s16 sp_offset; s16 bp_offset; u16 bitfields (low bits first):
 *                     sp_reg:4, bp_reg:4, then a version-dependent tail (see `OrcVersion`)
 *   .orc_header     (6.4+, backported to 6.3.10) 20-byte hash naming the layout
 *   .orc_lookup     boot-time fast index (NOBITS in vmlinux): not needed, we binary-search
 *
 * Entries are sorted by ip at build time (since 5.6), so lookup(ip) is "the last entry whose ip <= ip".
 * All addresses here are link-time addresses; callers subtract the KASLR offset first.
 */

/**
 * Layout generations of struct orc_entry's third word (bits above sp_reg/bp_reg):
 * - 1 (up to 6.2):  type:2 (CALL=0, REGS=1, REGS_PARTIAL=2), end:1. No UNDEFINED/END types:
 *                   sp_reg == UNDEFINED && !end means "undefined", sp_reg == UNDEFINED && end "end of stack".
 * - 2 (6.3):        type:2, signal:1, end:1 (commit "x86/unwind/orc: Add 'signal' field").
 * - 3 (6.4+):       type:3 (UNDEFINED=0, END_OF_STACK=1, CALL=2, REGS=3, REGS_PARTIAL=4), signal:1
 *                   (commit "x86,objtool: Split UNWIND_HINT_EMPTY in two").
 * - 4 (7.x):        version 3's bits, base registers renumbered: AX=1, DX=2, SP=3, BP=4, DI=5, R10=6,
 *                   R13=7, PREV_SP=8, SP_INDIRECT=9, BP_INDIRECT=10 (Debian's 7.2 orc_types.h).
 *                   Entries are decoded to the ORC_REG numbering below, whatever the version.
 */
export type OrcVersion = 1 | 2 | 3 | 4;

export type OrcType = 'undefined' | 'end' | 'call' | 'regs' | 'regs-partial';

/** ORC_REG_* base register numbers (the same in every version). */
export const ORC_REG = {
  UNDEFINED: 0,
  PREV_SP: 1,
  DX: 2,
  DI: 3,
  BP: 4,
  SP: 5,
  R10: 6,
  R13: 7,
  BP_INDIRECT: 8,
  SP_INDIRECT: 9,
  /** only in version 4 */
  AX: 16,
} as const;

/** Version 4's raw base register numbers, as ORC_REG values (index = raw number). */
const V4_REGS = [
  ORC_REG.UNDEFINED,
  ORC_REG.AX,
  ORC_REG.DX,
  ORC_REG.SP,
  ORC_REG.BP,
  ORC_REG.DI,
  ORC_REG.R10,
  ORC_REG.R13,
  ORC_REG.PREV_SP,
  ORC_REG.SP_INDIRECT,
  ORC_REG.BP_INDIRECT,
];
/** a raw register number no known numbering defines: matches no ORC_REG, so the unwinder stops there */
const UNKNOWN_REG = 64;

export interface OrcEntry {
  /** index in the table */
  index: number;
  /** link-time address where this entry starts to apply */
  ip: bigint;
  spOffset: number;
  bpOffset: number;
  spReg: number;
  bpReg: number;
  type: OrcType;
  /** the ip of this frame is exact (interrupted), not a return address: look it up without -1 */
  signal: boolean;
}

export class OrcError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OrcError';
  }
}

/** bytes of one struct orc_entry */
const ENTRY_SIZE = 6;

/** sha1-style id in .orc_header of the 6.4+ layout (scripts/orc_hash.sh over orc_types.h). */
const ORC_HASH_V3 = 'fe5d32bf581bd63b2ca9a5c65ba5a625eab3fe24';
/** ... of the 6.3 layout (signal bit added, type still 2 bits). */
const ORC_HASH_V2 = 'db84aed4103b31dd51e017f8f79783ca985c2c51';
/** ... of the 7.x layout (registers renumbered; Debian 7.2.13). */
const ORC_HASH_V4 = '137c36ad7627c4dd55932176bb0ecdbd5041fc82';

/**
 * The layout of a table whose .orc_header hash is not one we know (any edit of orc_types.h changes
 * it): decided from the entries themselves. In every layout since 6.4 most code is described by
 * "previous SP = SP + n" call frames, so the commonest sp_reg of CALL entries (type 2 in bits 8-10)
 * names SP's number: 5 in version 3, 3 in version 4. undefined when that does not decide it.
 */
export function inferOrcVersion(unwind: Buffer): OrcVersion | undefined {
  const counts = new Array<number>(16).fill(0);
  const n = Math.floor(unwind.length / ENTRY_SIZE);
  for (let i = 0; i < n; i++) {
    const flags = unwind.readUInt16LE(i * ENTRY_SIZE + 4);
    if (((flags >> 8) & 7) === 2) counts[flags & 0xf]!++;
  }
  const top = counts.indexOf(Math.max(...counts));
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0 || counts[top]! < total / 2) return undefined;
  return top === 5 ? 3 : top === 3 ? 4 : undefined;
}

/**
 * Which entry layout a vmlinux uses. The .orc_header hash decides when the section exists (6.4+ and
 * 6.3.10+); without it the kernel is older than 6.4, and only the kernel release can tell 6.3 (v2)
 * from earlier (v1): major.minor == 6.3 gives 2, anything else 1.
 */
export function orcVersion(header: Buffer | undefined, osrelease: string | undefined, unwind?: Buffer): OrcVersion {
  if (header && header.length === 20) {
    const hex = header.toString('hex');
    if (hex === ORC_HASH_V4) return 4;
    if (hex === ORC_HASH_V3) return 3;
    if (hex === ORC_HASH_V2) return 2;
    const guess = unwind ? inferOrcVersion(unwind) : undefined;
    if (guess !== undefined) return guess;
    throw new OrcError(`unrecognized .orc_header ${hex}: unknown ORC layout (and its entries do not show one we know)`);
  }
  const m = /^(\d+)\.(\d+)/.exec(osrelease ?? '');
  if (m && Number(m[1]) === 6 && Number(m[2]) === 3) return 2;
  if (m && (Number(m[1]) > 6 || (Number(m[1]) === 6 && Number(m[2]) >= 4))) return 3;
  return 1;
}

export interface OrcSections {
  /** sh_addr of .orc_unwind_ip (link-time) */
  ipSectionAddr: bigint;
  /** contents of .orc_unwind_ip */
  ip: Buffer;
  /** contents of .orc_unwind */
  unwind: Buffer;
  /** contents of .orc_header when the vmlinux has one */
  header?: Buffer;
  /** kernel release (VMCOREINFO OSRELEASE or the banner), used only when there is no .orc_header */
  osrelease?: string;
  /** the layout, when known already (a module's table has the vmlinux's layout) */
  version?: OrcVersion;
}

export class OrcTable {
  readonly version: OrcVersion;
  readonly length: number;
  private readonly base: bigint;
  /** ip[i] - base, as plain numbers (the sections span far less than 2^53) */
  private readonly rel: Float64Array;
  private readonly unwind: Buffer;

  constructor(s: OrcSections) {
    if (s.ip.length % 4 !== 0) throw new OrcError(`.orc_unwind_ip size ${s.ip.length} is not a multiple of 4`);
    const n = s.ip.length / 4;
    if (s.unwind.length !== n * ENTRY_SIZE)
      throw new OrcError(`.orc_unwind holds ${s.unwind.length / ENTRY_SIZE} entries, .orc_unwind_ip ${n}`);
    this.version = s.version ?? orcVersion(s.header, s.osrelease, s.unwind);
    this.length = n;
    this.base = s.ipSectionAddr;
    this.unwind = s.unwind;
    this.rel = new Float64Array(n);
    for (let i = 0; i < n; i++) this.rel[i] = 4 * i + s.ip.readInt32LE(4 * i);
  }

  /** Link-time ip where entry i starts. */
  ipAt(i: number): bigint {
    return this.base + BigInt(this.rel[i]!);
  }

  /** Decode entry i. */
  entry(i: number): OrcEntry {
    const off = i * ENTRY_SIZE;
    const flags = this.unwind.readUInt16LE(off + 4);
    let spReg = flags & 0xf;
    let bpReg = (flags >> 4) & 0xf;
    if (this.version === 4) {
      spReg = V4_REGS[spReg] ?? UNKNOWN_REG;
      bpReg = V4_REGS[bpReg] ?? UNKNOWN_REG;
    }
    let type: OrcType;
    let signal: boolean;
    if (this.version >= 3) {
      type = (['undefined', 'end', 'call', 'regs', 'regs-partial'] as const)[(flags >> 8) & 7] ?? 'undefined';
      signal = ((flags >> 11) & 1) === 1;
    } else {
      const t = (flags >> 8) & 3;
      const end = this.version === 2 ? (flags >> 11) & 1 : (flags >> 10) & 1;
      if (spReg === ORC_REG.UNDEFINED) type = end ? 'end' : 'undefined';
      else type = (['call', 'regs', 'regs-partial'] as const)[t] ?? 'undefined';
      // version 1 has no signal bit: REGS and REGS_PARTIAL frames are the signal (interrupt) frames
      signal = this.version === 2 ? ((flags >> 10) & 1) === 1 : type === 'regs' || type === 'regs-partial';
    }
    return {
      index: i,
      ip: this.ipAt(i),
      spOffset: this.unwind.readInt16LE(off),
      bpOffset: this.unwind.readInt16LE(off + 2),
      spReg,
      bpReg,
      type,
      signal,
    };
  }

  /** Index of the last entry whose ip <= `linkIp`, or -1 when `linkIp` is below the table. */
  indexOf(linkIp: bigint): number {
    const d = linkIp - this.base;
    if (d < -(1n << 52n) || d > 1n << 52n) return -1;
    const x = Number(d);
    let lo = 0;
    let hi = this.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.rel[mid]! <= x) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }

  /** The entry covering `linkIp` (link-time address), or undefined when it is outside the table. */
  find(linkIp: bigint): OrcEntry | undefined {
    const i = this.indexOf(linkIp);
    if (i < 0) return undefined;
    let e = this.entry(i);
    // A compilation unit's end terminator (type undefined) can share its ip with the next unit's
    // first entry; the build sorts terminators first, but prefer the real entry whatever the order.
    for (let j = i - 1; e.type === 'undefined' && j >= 0 && j >= i - 4 && this.rel[j] === this.rel[i]; j--) {
      const alt = this.entry(j);
      if (alt.type !== 'undefined') e = alt;
    }
    return e;
  }
}
