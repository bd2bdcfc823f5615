/**
 * Kernel symbols, struct members and layouts that a newer kernel renamed (Linux 7.x against 6.x), each found
 * by the next route the dump offers, on hand-made inputs: per-CPU pointers that wrap (non-zero-based per-CPU
 * areas), the timekeeper under its new name, HZ without tick_nsec, the panic CPU without panic_cpu, ORC's
 * renumbered registers, page->compound_info's mask form. The real 7.x dump is test/sample/scenario-k7.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { inferOrcVersion, ORC_REG, OrcTable, orcVersion } from '../../src/kernel/arch/x86_64/orc.js';
import { Kernel } from '../../src/kernel/kernel.js';
import { matchHz, uptimeReading } from '../../src/kernel/objects/boot-time.js';
import { panicCpuReading } from '../../src/kernel/objects/panic-cpu.js';
import { compoundHead } from '../../src/kernel/objects/slab.js';
import { timekeeperAddress, TIMEKEEPER_SYMBOLS } from '../../src/kernel/objects/system.js';

/** A stand-in for Kernel with only the named symbols (address -> s32 value) and CPU notes' RIPs. */
function fakeKernel(opts: {
  symbols?: Record<string, bigint>;
  s32?: Record<string, number>;
  rips?: bigint[];
  textSymbols?: [bigint, string][];
}): Kernel {
  const symbols = opts.symbols ?? {};
  const byAddr = new Map(Object.entries(symbols).map(([n, a]) => [a, n]));
  return {
    cache: new Map(),
    nrCpuIds: 2,
    onlineCpus: [0, 1],
    hasSymbol: (n: string) => n in symbols,
    sym: (n: string) => {
      if (!(n in symbols)) throw new Error(`symbol not found: ${n}`);
      return symbols[n]!;
    },
    readS32: (a: bigint) => {
      const v = opts.s32?.[byAddr.get(a) ?? ''];
      if (v === undefined) throw new Error(`page excluded: ${a.toString(16)}`);
      return v;
    },
    readU64: (a: bigint) => {
      throw new Error(`page excluded: ${a.toString(16)}`);
    },
    findType: () => undefined,
    dump: { cpus: (opts.rips ?? []).map((rip, index) => ({ index, pid: 0, regs: { rip } })) },
    symbols: {
      nearest: (a: bigint) => {
        const hit = (opts.textSymbols ?? []).filter(([s]) => s <= a).pop();
        return hit ? { symbol: { name: hit[1], address: hit[0] }, offset: a - hit[0] } : undefined;
      },
    },
  } as unknown as Kernel;
}

describe('per-CPU pointers', () => {
  it('wrap modulo 2^64: since 6.15 per-CPU symbols are image addresses and the offset is base - __per_cpu_start', () => {
    // values of a Debian 7.2.13 dump: runqueues (KASLR'd) + __per_cpu_offset[0]
    const k = { perCpuOffset: () => 0xffff896b83a5b000n } as unknown as Kernel;
    const p = Kernel.prototype.perCpuPtr.call(k, 0xffffffffa25d7100n, 0);
    expect(p).toBe(0xffff896b26032100n);
    expect(p < 1n << 64n).toBe(true);
    // the 6.x zero-based form is unchanged
    const old = { perCpuOffset: () => 0xffff88803ec00000n } as unknown as Kernel;
    expect(Kernel.prototype.perCpuPtr.call(old, 0x2f100n, 0)).toBe(0xffff88803ec2f100n);
  });
});

describe('the timekeeper', () => {
  it('is tk_core up to 6.16 and timekeeper_data[0] since', () => {
    expect(TIMEKEEPER_SYMBOLS).toEqual(['tk_core', 'timekeeper_data']);
    const k7 = fakeKernel({ symbols: { timekeeper_data: 0xffffffff83e7ab00n } });
    // no struct tk_data in this fake: the seqcount's size (4) rounded up to 8
    expect(timekeeperAddress(k7)).toBe(0xffffffff83e7ab08n);
  });

  it('without either name, the uptime comes from the next route and every missing one is named', () => {
    const k = fakeKernel({});
    expect(() => timekeeperAddress(k)).toThrow(/none of tk_core, timekeeper_data is a symbol/);
    let err = '';
    try {
      uptimeReading(k);
    } catch (e) {
      err = (e as Error).message;
    }
    expect(err).toMatch(/^no route to the uptime: timekeeper: no timekeeper: none of tk_core, timekeeper_data/);
    expect(err).toMatch(/jiffies: no jiffies_64 or no HZ/);
    expect(err).toMatch(/log: /);
  });
});

describe('HZ without tick_nsec', () => {
  it('is the Kconfig choice whose jiffies count the timekeeper uptime', () => {
    // INITIAL_JIFFIES = (u32)(-300 * HZ); 55 s at HZ=250 on the 7.2 dump
    const j = (hz: number, s: number): bigint => BigInt.asUintN(32, BigInt(-300 * hz)) + BigInt(hz * s);
    expect(matchHz(j(250, 55), 55)).toBe(250);
    expect(matchHz(j(1000, 3600), 3600)).toBe(1000);
    expect(matchHz(j(100, 10), 10)).toBe(100);
    expect(matchHz(j(250, 55), 9999)).toBeUndefined();
  });
});

describe('the panic CPU', () => {
  const text: [bigint, string][] = [
    [0xffffffff81000000n, 'native_safe_halt'],
    [0xffffffff81100000n, '__crash_kexec'],
    [0xffffffff81200000n, 'crash_nmi_callback'],
  ];
  it('is panic_cpu when it is set', () => {
    const k = fakeKernel({ symbols: { panic_cpu: 0x100n }, s32: { panic_cpu: 1 } });
    expect(panicCpuReading(k)).toEqual({ cpu: 1, route: 'panic_cpu', missing: [] });
  });

  it('falls back to crashing_cpu, then to the CPU whose saved registers are on the crash path', () => {
    const k = fakeKernel({
      symbols: { panic_cpu: 0x100n, crashing_cpu: 0x200n },
      s32: { panic_cpu: -1, crashing_cpu: -1 },
      rips: [0xffffffff81000010n, 0xffffffff81100040n],
      textSymbols: text,
    });
    const r = panicCpuReading(k);
    expect(r.cpu).toBe(1);
    expect(r.route).toBe('registers');
    expect(r.missing).toEqual(['panic_cpu: -1 (unset)', 'crashing_cpu: -1 (unset)']);
  });

  it('names every route when none decides', () => {
    const k = fakeKernel({ rips: [0xffffffff81000010n, 0xffffffff81000020n], textSymbols: text });
    const r = panicCpuReading(k);
    expect(r.cpu).toBeUndefined();
    expect(r.missing[0]).toBe('panic_cpu: not a symbol of this kernel');
    expect(r.missing[1]).toBe('crashing_cpu: not a symbol of this kernel');
    expect(r.missing[2]).toMatch(/^registers: no CPU stopped on the crash path/);
    expect(r.missing[3]).toMatch(/^console: /);
  });
});

describe('ORC layout 4 (7.x: registers renumbered)', () => {
  /** entries (sp_reg raw, bp_reg raw, type) at ip 0x10 apart */
  function raw(entries: [number, number, number][]): { ip: Buffer; unwind: Buffer } {
    const ip = Buffer.alloc(entries.length * 4);
    const unwind = Buffer.alloc(entries.length * 6);
    entries.forEach(([sp, bp, type], i) => {
      ip.writeInt32LE(0x10 * i - 4 * i, 4 * i);
      unwind.writeInt16LE(8, 6 * i);
      unwind.writeUInt16LE(sp | (bp << 4) | (type << 8), 6 * i + 4);
    });
    return { ip, unwind };
  }
  const v4 = raw([
    [3, 0, 2], // SP + 8, call
    [3, 8, 2], // SP, bp from PREV_SP
    [4, 8, 2], // BP-based
    [10, 0, 3], // BP_INDIRECT, regs
    [1, 0, 2], // AX
  ]);

  it('decodes the renumbered registers to the same ORC_REG names', () => {
    const t = new OrcTable({
      ipSectionAddr: 0x1000n,
      ...v4,
      header: Buffer.from('137c36ad7627c4dd55932176bb0ecdbd5041fc82', 'hex'),
    });
    expect(t.version).toBe(4);
    expect(t.entry(0)).toMatchObject({ spReg: ORC_REG.SP, bpReg: ORC_REG.UNDEFINED, type: 'call' });
    expect(t.entry(1)).toMatchObject({ spReg: ORC_REG.SP, bpReg: ORC_REG.PREV_SP });
    expect(t.entry(2)).toMatchObject({ spReg: ORC_REG.BP, bpReg: ORC_REG.PREV_SP });
    expect(t.entry(3)).toMatchObject({ spReg: ORC_REG.BP_INDIRECT, type: 'regs' });
    expect(t.entry(4).spReg).toBe(ORC_REG.AX);
  });

  it('an unknown .orc_header is decided from the entries: the commonest call-frame sp_reg is SP', () => {
    expect(inferOrcVersion(v4.unwind)).toBe(4);
    const v3 = raw([
      [5, 0, 2],
      [5, 1, 2],
      [4, 1, 2],
    ]);
    expect(inferOrcVersion(v3.unwind)).toBe(3);
    expect(orcVersion(Buffer.alloc(20, 7), undefined, v4.unwind)).toBe(4);
    // entries that show neither numbering: say so rather than guess
    expect(() => orcVersion(Buffer.alloc(20, 7), undefined, raw([[6, 0, 2]]).unwind)).toThrow(/unknown ORC layout/);
  });
});

describe('compound pages', () => {
  const vmemmap = 0xfffff9e780000000n;
  it('page->compound_head (6.x): the head page address + 1', () => {
    expect(compoundHead(vmemmap + 0x4ac40n, vmemmap + 0x4ac00n + 1n)).toBe(vmemmap + 0x4ac00n);
  });
  it('page->compound_info (7.x) mask form: the tail page address & mask (an order-3 slab of the 7.2 dump)', () => {
    // struct page of pfn 0x12b1 holds 0xfffffffffffffe01: 8 pages x 64 bytes, head at pfn 0x12b0
    expect(compoundHead(vmemmap + 0x12b1n * 64n, 0xfffffffffffffe01n)).toBe(vmemmap + 0x12b0n * 64n);
    expect(compoundHead(vmemmap + 0x12b7n * 64n, 0xfffffffffffffe01n)).toBe(vmemmap + 0x12b0n * 64n);
  });
  it('a head or order-0 page is its own head', () => {
    expect(compoundHead(vmemmap + 0x40n, 0xffff896b0121f300n)).toBe(vmemmap + 0x40n);
  });
});
