/**
 * x86_64 machine code → instruction text in the AT&T syntax gdb and objdump print (GNU libopcodes),
 * through the iced-x86 decoder and its GAS formatter (WebAssembly, loaded on the first use: ~0.2–0.4 s).
 *
 * iced's GAS output differs from libopcodes in a few settled ways that are corrected here:
 * - the operand column: libopcodes pads the mnemonic (with its prefixes) to 6 characters plus a space;
 * - a memory operand with an index always shows its scale (`(%rax,%rax,1)`), and a displacement the
 *   encoding carries is shown even when zero (`0x0(%rax,%rax,1)` for the 5-byte NOP);
 * - branch targets and rip-relative addresses: gdb prints `0x` + lowercase hex, and a rip-relative
 *   operand gets a `        # 0xADDRESS` comment with the address it refers to.
 * Symbol names (`<panic+5>`) are not this layer's business: each instruction carries the addresses a
 * caller may name (branch target, rip-relative address).
 */

/** The part of iced-x86 used here (its own .d.ts is larger; typed structurally to keep the import lazy). */
type Iced = typeof import('iced-x86');
type IcedInstruction = import('iced-x86').Instruction;

export interface Instruction {
  address: bigint;
  /** bytes the instruction takes (1 for an undecodable byte) */
  length: number;
  /** gdb's text: mnemonic, operands, and the rip-relative `# 0x...` comment; `(bad)` when undecodable */
  text: string;
  /** a direct call/jump target (shown in `text` as 0x...; a caller appends ` <symbol>`) */
  branchTarget?: bigint;
  /** the address a rip-relative memory operand refers to (in the `#` comment) */
  ripTarget?: bigint;
  /** true for a byte sequence that is no instruction */
  bad: boolean;
}

/** gdb pads the mnemonic to this width, then one space, before the operands. */
const MNEMONIC_WIDTH = 6;
/** gdb's separator before a rip-relative address comment */
const RIP_COMMENT = '        # ';

let loading: Promise<Iced> | undefined;

/** Import iced-x86 once (the WebAssembly module is compiled on the first import). */
export function loadIced(): Promise<Iced> {
  loading ??= import('iced-x86').then((m) => ((m as { default?: Iced }).default ?? m) as Iced);
  return loading;
}

export class Disassembler {
  private readonly formatter: InstanceType<Iced['Formatter']>;

  private constructor(private readonly iced: Iced) {
    const f = new iced.Formatter(iced.FormatterSyntax.Gas);
    f.uppercaseHex = false;
    f.alwaysShowScale = false;
    f.showZeroDisplacements = false;
    f.firstOperandCharIndex = 0;
    f.spaceAfterOperandSeparator = false;
    f.gasShowMnemonicSizeSuffix = false;
    f.ripRelativeAddresses = true;
    f.branchLeadingZeros = false;
    f.leadingZeros = false;
    f.signedImmediateOperands = false;
    f.signedMemoryDisplacements = true;
    f.smallHexNumbersInDecimal = false;
    f.showBranchSize = false;
    this.formatter = f;
  }

  /** The disassembler, loading iced-x86 on the first call. */
  static async load(): Promise<Disassembler> {
    return new Disassembler(await loadIced());
  }

  /**
   * Decode `bytes` (code at `address`), at most `max` instructions; stops where the bytes end (an
   * instruction cut by the end of `bytes` is not returned). `afterUd2` bytes following each ud2 are
   * skipped, not decoded (old kernels put BUG()'s file and line there; crash's dis -b).
   */
  decode(bytes: Uint8Array, address: bigint, max = Infinity, afterUd2 = 0): Instruction[] {
    const { Decoder, DecoderOptions } = this.iced;
    const out: Instruction[] = [];
    const dec = new Decoder(64, bytes, DecoderOptions.None);
    try {
      dec.ip = address;
      while (out.length < max && dec.canDecode) {
        const pos = dec.position;
        const ins = dec.decode();
        try {
          if (ins.isInvalid) {
            // an instruction that runs past the end of the bytes: the caller reads more and retries
            if (dec.lastError === this.iced.DecoderError.NoMoreBytes) break;
            out.push({ address: address + BigInt(pos), length: 1, text: '(bad)', bad: true });
            dec.position = pos + 1;
            dec.ip = address + BigInt(pos + 1);
            continue;
          }
          const described = this.describe(ins, bytes, pos);
          out.push(described);
          if (afterUd2 > 0 && described.text === 'ud2') {
            const next = pos + described.length + afterUd2;
            if (next >= bytes.length) break;
            dec.position = next;
            dec.ip = address + BigInt(next);
          }
        } finally {
          ins.free();
        }
      }
    } finally {
      dec.free();
    }
    return out;
  }

  private describe(ins: IcedInstruction, bytes: Uint8Array, at: number): Instruction {
    const iced = this.iced;
    const f = this.formatter;
    const code = iced.Code[ins.code] ?? '';
    let mnemonic = gnuMnemonic(f.formatMnemonic(ins), code);
    const prefixes = this.unusedPrefixes(ins, bytes, at, mnemonic);
    if (prefixes) mnemonic = prefixes + ' ' + mnemonic;
    let operands = f.formatAllOperands(ins);
    const out: Instruction = { address: ins.ip, length: ins.length, text: '', bad: false };
    const fc = ins.flowControl;
    const FC = iced.FlowControl;
    if ((fc === FC.Call || fc === FC.UnconditionalBranch || fc === FC.ConditionalBranch) && isNearBranch(iced, ins)) {
      out.branchTarget = ins.nearBranchTarget;
      operands = '0x' + out.branchTarget.toString(16);
    }
    if (ins.isIpRelMemoryOperand) out.ripTarget = ins.ipRelMemoryAddress;
    operands = gnuOperands(operands, code, ins, iced);
    let text = operands ? mnemonic.padEnd(MNEMONIC_WIDTH) + ' ' + operands : mnemonic;
    if (out.ripTarget !== undefined) text += `${RIP_COMMENT}0x${out.ripTarget.toString(16)}`;
    out.text = text;
    return out;
  }

  /**
   * Legacy prefixes the instruction does not use, named as libopcodes names them before the mnemonic
   * (`data16 cs nopw`, `ds call`), in byte order. iced drops segment overrides that mean nothing in
   * 64-bit mode and repeated operand-size prefixes; libopcodes shows both. Prefixes iced already
   * names (lock, rep, notrack, bnd, branch hints) are left to it.
   */
  private unusedPrefixes(ins: IcedInstruction, bytes: Uint8Array, at: number, mnemonic: string): string {
    const words: string[] = [];
    let n66 = 0;
    let end = at;
    for (; end < at + ins.length - 1; end++) {
      const b = bytes[end]!;
      if (b === 0x66) n66++;
      else if (!LEGACY_PREFIXES.has(b)) break;
    }
    const rex = this.unusedRex(ins, bytes, at, end);
    if (end === at) return rex;
    // the last operand-size prefix is used when dropping every one of them changes the instruction
    const used66 = n66 > 0 && this.codeWithout(bytes, at, end, ins.length, 0x66) !== ins.code ? 1 : 0;
    let left66 = n66 - used66;
    const branchHint = /,p[nt]$/.test(mnemonic);
    for (let i = at; i < end; i++) {
      const b = bytes[i]!;
      if (b === 0x66) {
        if (left66-- > 0) words.push('data16');
      } else if (b === 0x67) {
        if (this.codeWithout(bytes, at, end, ins.length, 0x67) === ins.code && !hasMemoryOperand(ins, this.iced))
          words.push('addr32');
      } else if (SEGMENT_NAMES[b] && !(b === 0x3e && mnemonic.includes('notrack')) && !branchHint) {
        words.push(SEGMENT_NAMES[b]!);
      }
    }
    if (rex) words.push(rex);
    return words.join(' ');
  }

  /**
   * A REX prefix (0x40-0x4f, right before the opcode) with a bit the instruction does not use is named
   * whole before the mnemonic, as libopcodes does: `rex.WR and $0x10,%al`, `rex.RB mov $0x4c,%r8b` (B
   * picks r8b, R is unused), `rex add %cl,(%rdi)` (a bare 0x40 that selects no byte register). Such bytes
   * turn up where decoding starts mid-instruction, as after `dis -b N`. A bit is unused when clearing it
   * (a bare prefix: dropping it) leaves the instruction's text the same.
   */
  private unusedRex(ins: IcedInstruction, bytes: Uint8Array, at: number, p: number): string {
    const b = bytes[p]!;
    if (p >= at + ins.length - 1 || (b & 0xf0) !== 0x40) return '';
    const same = (code: Uint8Array, ip: bigint): boolean =>
      this.textOf(code, ip) === this.textOf(bytes.subarray(at, at + ins.length), ins.ip);
    const copy = (): Uint8Array => Uint8Array.from(bytes.subarray(at, at + ins.length));
    let unused = false;
    if ((b & 0xf) === 0) {
      const dropped = copy();
      unused = same(Uint8Array.from([...dropped.subarray(0, p - at), ...dropped.subarray(p - at + 1)]), ins.ip + 1n);
    } else
      for (const bit of [8, 4, 2, 1]) {
        if (!(b & bit)) continue;
        const cleared = copy();
        cleared[p - at] = b & ~bit;
        if (same(cleared, ins.ip)) unused = true;
      }
    if (!unused) return '';
    const letters = (b & 8 ? 'W' : '') + (b & 4 ? 'R' : '') + (b & 2 ? 'X' : '') + (b & 1 ? 'B' : '');
    return letters ? `rex.${letters}` : 'rex';
  }

  /** The formatted text of the one instruction in `code` at `ip` ('' if it does not decode whole). */
  private textOf(code: Uint8Array, ip: bigint): string {
    const dec = new this.iced.Decoder(64, code, this.iced.DecoderOptions.None);
    try {
      dec.ip = ip;
      const ins = dec.decode();
      try {
        return ins.isInvalid || ins.length !== code.length ? '' : this.formatter.format(ins);
      } finally {
        ins.free();
      }
    } finally {
      dec.free();
    }
  }

  /** The iced Code of the instruction decoded again without any `drop` byte among its prefixes. */
  private codeWithout(bytes: Uint8Array, at: number, prefixEnd: number, length: number, drop: number): number {
    const kept: number[] = [];
    for (let i = at; i < prefixEnd; i++) if (bytes[i] !== drop) kept.push(bytes[i]!);
    const rest = Buffer.concat([Buffer.from(kept), Buffer.from(bytes.subarray(prefixEnd, at + length))]);
    const dec = new this.iced.Decoder(64, rest, this.iced.DecoderOptions.None);
    try {
      const again = dec.decode();
      const c = again.code;
      again.free();
      return c;
    } finally {
      dec.free();
    }
  }
}

/** legacy prefix bytes (segment overrides, operand/address size, lock, rep) */
const LEGACY_PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);
/** segment overrides that have no effect in 64-bit mode: libopcodes prints them as words */
const SEGMENT_NAMES: Record<number, string> = { 0x26: 'es', 0x2e: 'cs', 0x36: 'ss', 0x3e: 'ds' };

/**
 * iced's mnemonic → libopcodes' one: no size suffix on indirect call/jmp and push/pop of memory
 * (`call *0x8(%rax)`), `repz`/`repnz` for the comparing string instructions and `repz ret`.
 */
function gnuMnemonic(m: string, code: string): string {
  m = m.replace(/\brepe\b/, 'repz').replace(/\brepne\b/, 'repnz');
  if (code.startsWith('Retn')) m = m.replace(/\brep\b/, 'repz');
  return m.replace(/\b(call|jmp|push|pop)q$/, '$1').replace(/\b(lcall|ljmp)l$/, '$1');
}

/** Operand text in libopcodes' forms where iced's GAS formatter differs. */
function gnuOperands(ops: string, code: string, ins: IcedInstruction, iced: Iced): string {
  if (!ops) {
    // libopcodes names the implicit register operands of these
    if (code === 'Monitorq') return '%rax,%ecx,%edx';
    if (code === 'Mwait') return '%eax,%ecx';
    if (code === 'Monitorxq') return '%rax,%ecx,%edx';
    if (code === 'Mwaitx') return '%eax,%ecx,%ebx';
    return ops;
  }
  // debug registers are %db0-%db7 to libopcodes
  if (code.startsWith('Mov_') && ops.includes('%dr')) ops = ops.replace(/%dr([0-7])\b/, '%db$1');
  // shifts and rotates by one (opcodes D0/D1): gdb 16's libopcodes writes the count as `$1`
  // (binutils before 2.41 left it out: `shr %eax`)
  if (/_1$/.test(code)) ops = ops.replace(/^\$(0x)?1,/, '$$1,');
  // imul $imm,%reg,%reg: iced shortens it when source and destination are the same register
  if (code.startsWith('Imul_r') && code.includes('_imm') && !ops.includes('(') && ops.split(',').length === 2)
    ops = ops + ops.slice(ops.lastIndexOf(','));
  // in/out and ins/outs take the port as (%dx)
  if (/^(In_|Out_|Ins|Outs)/.test(code)) ops = ops.replace(/(^|,)%dx($|,)/, '$1(%dx)$2');
  // string instructions show their implicit segments
  if (/^(Movs[bwdq]_m|Cmps[bwdq]_m|Stos[bwdq]_m|Lods[bwdq]_|Scas[bwdq]_|Ins[bwd]_m|Outs[bwd]_DX)/.test(code)) {
    ops = ops.replace(/(^|,)\((%[er]?di)\)/, '$1%es:($2)').replace(/(^|,)\((%[er]?si)\)/, '$1%ds:($2)');
  }
  // a memory operand with an index always shows its scale
  if (ins.memoryIndex !== iced.Register.None && ins.memoryIndexScale === 1)
    ops = ops.replace(/\((%[a-z0-9]*),(%[a-z0-9]+)\)/, '($1,$2,1)');
  // a displacement the encoding carries is shown even when zero (`0x0(%rax,%rax,1)`, `0x0(%rip)`)
  if (ins.memoryDisplSize !== 0) ops = ops.replace(/(^|,|:|\*)\(/, '$10x0(');
  return ops;
}

function hasMemoryOperand(ins: IcedInstruction, iced: Iced): boolean {
  for (let i = 0; i < ins.opCount; i++) if (ins.opKind(i) === iced.OpKind.Memory) return true;
  return false;
}

function isNearBranch(iced: Iced, ins: IcedInstruction): boolean {
  const k = ins.op0Kind;
  return k === iced.OpKind.NearBranch64 || k === iced.OpKind.NearBranch32 || k === iced.OpKind.NearBranch16;
}
