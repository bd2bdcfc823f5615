/**
 * The mutation targets: each turns (rng, a real dump) into a mutant that opens cheaply (patched
 * byte ranges over the real file, or an overlay on an already open dump) and says what it changed.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ElfCore } from '../dump/elfcore.js';
import { RandomAccessFile } from '../dump/file.js';
import { KdumpFile } from '../dump/kdump.js';
import { openDump } from '../dump/open.js';
import type { CpuRegisters, DumpFile } from '../dump/types.js';
import { ElfFile } from '../elf/index.js';
import { parseBtf } from '../kernel/types/btf.js';
import type { TypeSource } from '../kernel/types/type.js';
import { DumpOverlay, type MemoryMutator } from './dump-overlay.js';
import { FLAT_PREFIX, type DumpBase, type Material, type VmlinuxBase } from './material.js';
import { mutateBytes, mutateLines, type Region } from './mutate.js';
import { PatchedFile, Patches, PatchedSource } from './patched-file.js';
import type { Rng } from './prng.js';

export interface Mutant {
  description: string;
  /** the mutated dump (throws when it cannot be opened: that is judged like any error) */
  openDump(): DumpFile;
  /** a mutated vmlinux, when the target changes it (the caller closes it) */
  openElf?(): ElfFile;
  /** mutated types, when the target changes them */
  loadTypes?: () => TypeSource;
}

export interface Target {
  name: string;
  weight: number;
  applies(d: DumpBase): boolean;
  make(rng: Rng, d: DumpBase, m: Material, bases: Bases): Mutant;
}

/** Long-lived read-only handles shared by every mutant of a run. */
export class Bases {
  private readonly files = new Map<string, RandomAccessFile>();
  private readonly dumps = new Map<string, DumpFile>();

  file(path: string): RandomAccessFile {
    let f = this.files.get(path);
    if (!f) this.files.set(path, (f = new RandomAccessFile(path)));
    return f;
  }

  /** the unmutated dump, opened once (mutants overlay it without closing it) */
  dump(path: string): DumpFile {
    let d = this.dumps.get(path);
    if (!d) this.dumps.set(path, (d = openDump(path)));
    return d;
  }

  close(): void {
    for (const f of this.files.values()) f.close();
    for (const d of this.dumps.values()) d.close();
    this.files.clear();
    this.dumps.clear();
  }
}

/** A window of at most `max` bytes inside a region. */
function windowIn(rng: Rng, r: Region, max: number): Region {
  const length = Math.min(r.length, 1 + rng.below(max));
  const offset = r.offset + rng.below(r.length - length + 1);
  return { name: r.name, offset, length };
}

function patchRegion(rng: Rng, file: RandomAccessFile, r: Region, patches: Patches): string {
  const w = windowIn(rng, r, r.length <= 512 ? r.length : 256);
  const bytes = file.read(w.offset, Math.min(w.length, file.size - w.offset));
  const ops = mutateBytes(rng, bytes, w.offset);
  patches.set(w.offset, bytes);
  return `${r.name}: ${ops.join(' ')}`;
}

function openPatched(d: DumpBase, bases: Bases, patches: Patches): DumpFile {
  if (d.kind === 'kdump') return new KdumpFile(new PatchedSource(bases.file(d.path), patches), d.path);
  const elf = new ElfFile(new PatchedFile(d.path, patches), { tolerateCutSections: true });
  try {
    return new ElfCore(d.path, elf);
  } catch (e) {
    elf.close();
    throw e;
  }
}

const metadata: Target = {
  name: 'metadata',
  weight: 30,
  applies: (d) => d.kind !== 'flattened',
  make(rng, d, _m, bases) {
    const patches = new Patches();
    const descs: string[] = [];
    const n = rng.chance(0.7) ? 1 : 2;
    for (let i = 0; i < n; i++) descs.push(patchRegion(rng, bases.file(d.path), rng.pick(d.regions), patches));
    return { description: descs.join('; '), openDump: () => openPatched(d, bases, patches) };
  },
};

const cut: Target = {
  name: 'cut',
  weight: 8,
  applies: (d) => d.kind !== 'flattened',
  make(rng, d, _m, bases) {
    const patches = new Patches();
    // cut inside a metadata region half of the time, anywhere in the file otherwise
    const at = rng.chance(0.5)
      ? (() => {
          const r = rng.pick(d.regions);
          return r.offset + rng.below(r.length + 1);
        })()
      : rng.below(d.size);
    patches.cutAt = at;
    return { description: `cut at ${at} of ${d.size}`, openDump: () => openPatched(d, bases, patches) };
  },
};

const kdumpDescriptor: Target = {
  name: 'page-descriptor',
  weight: 8,
  applies: (d) => d.kind === 'kdump' && d.pageData.size > 0,
  make(rng, d, _m, bases) {
    const pfn = rng.pick([...d.pageData.keys()]);
    const pd = d.pageData.get(pfn)!;
    const patches = new Patches();
    const bytes = bases.file(d.path).read(pd.descPos, 24);
    const ops = mutateBytes(rng, bytes, pd.descPos, 2);
    patches.set(pd.descPos, bytes);
    return {
      description: `descriptor of pfn ${pfn}: ${ops.join(' ')}`,
      openDump: () => openPatched(d, bases, patches),
    };
  },
};

const kdumpPageData: Target = {
  name: 'page-data',
  weight: 6,
  applies: (d) => d.kind === 'kdump' && d.pageData.size > 0,
  make(rng, d, _m, bases) {
    const pfn = rng.pick([...d.pageData.keys()]);
    const pd = d.pageData.get(pfn)!;
    const patches = new Patches();
    const r = {
      name: `stored data of pfn ${pfn}`,
      offset: pd.offset,
      length: Math.max(1, Math.min(pd.size, bases.file(d.path).size - pd.offset)),
    };
    return {
      description: patchRegion(rng, bases.file(d.path), r, patches),
      openDump: () => openPatched(d, bases, patches),
    };
  },
};

const flattened: Target = {
  name: 'flattened-records',
  weight: 6,
  applies: (d) => d.kind === 'flattened',
  make(rng, d, m, bases) {
    const file = bases.file(d.path);
    const head = file.read(0, Math.min(file.size, FLAT_PREFIX));
    // the record headers in the prefix (big-endian offset, size)
    const headers: number[] = [];
    for (let pos = 4096; pos + 16 <= head.length && headers.length < 10000; ) {
      headers.push(pos);
      const size = head.readBigInt64BE(pos + 8);
      if (size < 0n || size > BigInt(head.length)) break;
      pos += 16 + Number(size);
    }
    const ops: string[] = [];
    const n = 1 + rng.below(3);
    for (let i = 0; i < n; i++) {
      if (headers.length && rng.chance(0.6)) {
        const at = rng.pick(headers);
        const field = at + (rng.chance(0.5) ? 0 : 8);
        const v = rng.pick([0n, 1n, 4096n, -1n, 1n << 40n, (1n << 63n) - 1n, BigInt(rng.below(1 << 24))]);
        head.writeBigInt64BE(v, field);
        ops.push(`record@${at}.${field === at ? 'offset' : 'size'}=${v}`);
      } else {
        const w = windowIn(rng, { name: 'head', offset: 0, length: Math.min(head.length, 1 << 16) }, 64);
        ops.push(...mutateBytes(rng, head.subarray(w.offset, w.offset + w.length), w.offset));
      }
    }
    const keep = rng.chance(0.3) ? rng.below(head.length) : head.length;
    const path = join(m.scratchDir, `flat-mutant-${process.pid}`);
    return {
      description: `first ${keep} bytes of the stream, ${ops.join(' ')}`,
      openDump: () => {
        writeFileSync(path, head.subarray(0, keep));
        return openDump(path);
      },
    };
  },
};

const vmcoreinfo: Target = {
  name: 'vmcoreinfo',
  weight: 10,
  applies: () => true,
  make(rng, d, _m, bases) {
    const base = bases.dump(d.path);
    const { text, ops } = mutateLines(rng, base.vmcoreinfo ?? '');
    return {
      description: `VMCOREINFO: ${ops.join('; ')}`,
      openDump: () => new DumpOverlay(base, { vmcoreinfo: text }, false),
    };
  },
};

const REG_NAMES = ['rip', 'rsp', 'rbp', 'cs', 'ss', 'gs_base'] as const;
const registers: Target = {
  name: 'registers',
  weight: 5,
  applies: () => true,
  make(rng, d, _m, bases) {
    const base = bases.dump(d.path);
    const cpus: CpuRegisters[] = base.cpus.map((c) => ({ ...c, regs: { ...c.regs } }));
    const ops: string[] = [];
    if (cpus.length && rng.chance(0.85)) {
      for (let i = 0, n = 1 + rng.below(3); i < n; i++) {
        const c = rng.pick(cpus);
        const r = rng.pick(REG_NAMES);
        const old = c.regs[r];
        const v = rng.pick([
          0n,
          1n,
          0xffffffffffffffffn,
          old + 8n,
          old - 8n,
          old ^ 0x1000n,
          old + 0x100000n,
          0xffffffff81000000n,
        ]);
        c.regs[r] = v & 0xffffffffffffffffn;
        ops.push(`cpu${c.index}.${r}=0x${c.regs[r].toString(16)}`);
      }
      if (rng.chance(0.2)) {
        const c = rng.pick(cpus);
        c.pid = rng.pick([0, -1, 1, 99999, 0x7fffffff]);
        ops.push(`cpu${c.index}.pid=${c.pid}`);
      }
    } else {
      const keep = rng.below(cpus.length + 1);
      cpus.length = keep;
      ops.push(`only ${keep} NT_PRSTATUS notes`);
    }
    return { description: `registers: ${ops.join(' ')}`, openDump: () => new DumpOverlay(base, { cpus }, false) };
  },
};

/** Corrupt a few 8-byte words of a few of these pages, the same way on every read. */
function pageCorrupter(rng: Rng, pages: number[], pageSize: number): { mutator: MemoryMutator; description: string } {
  const words = new Map<
    bigint,
    { kind: 'set'; value: bigint } | { kind: 'add'; delta: bigint } | { kind: 'copy'; from: bigint }
  >();
  const desc: string[] = [];
  const ps = BigInt(pageSize);
  for (let i = 0, n = 1 + rng.below(3); i < n && pages.length; i++) {
    const pfn = BigInt(rng.pick(pages));
    for (let j = 0, c = 1 + rng.below(8); j < c; j++) {
      const at = pfn * ps + BigInt(rng.below(pageSize / 8) * 8);
      const kind = rng.below(3);
      if (kind === 0) {
        const value = rng.pick([
          0n,
          0xffffffffffffffffn,
          0x7fffffffn,
          0xffff888000000000n,
          0xffffffff81000000n,
          0x4141414141414141n,
        ]);
        words.set(at, { kind: 'set', value });
        desc.push(`${at.toString(16)}=${value.toString(16)}`);
      } else if (kind === 1) {
        const delta = rng.pick([8n, -8n, 16n, 0x1000n, -0x1000n, 1n]);
        words.set(at, { kind: 'add', delta });
        desc.push(`${at.toString(16)}+=${delta}`);
      } else {
        // a copy of another word of the same page: pointers that point back (cycles)
        const from = pfn * ps + BigInt(rng.below(pageSize / 8) * 8);
        words.set(at, { kind: 'copy', from });
        desc.push(`${at.toString(16)}:=${from.toString(16)}`);
      }
    }
  }
  const mutator: MemoryMutator = (paddr, buf) => {
    const end = paddr + BigInt(buf.length);
    for (const [at, w] of words) {
      if (at + 8n <= paddr || at >= end) continue;
      const word = Buffer.alloc(8);
      const inside = at >= paddr && at + 8n <= end;
      if (w.kind === 'set') word.writeBigUInt64LE(w.value);
      else if (!inside) continue;
      else if (w.kind === 'add')
        word.writeBigUInt64LE((buf.readBigUInt64LE(Number(at - paddr)) + w.delta) & 0xffffffffffffffffn);
      else if (w.from >= paddr && w.from + 8n <= end)
        buf.copy(word, 0, Number(w.from - paddr), Number(w.from - paddr) + 8);
      else continue;
      // copy the part of the word that falls in this read
      for (let b = 0; b < 8; b++) {
        const a = at + BigInt(b);
        if (a >= paddr && a < end) buf[Number(a - paddr)] = word[b]!;
      }
    }
  };
  return { mutator, description: desc.join(' ') };
}

function memoryTarget(name: string, weight: number, commands: (d: DumpBase) => number[]): Target {
  return {
    name,
    weight,
    applies: (d) => commands(d).length > 0,
    make(rng, d, _m, bases) {
      const base = bases.dump(d.path);
      const { mutator, description } = pageCorrupter(rng, commands(d), d.pageSize);
      return {
        description: `${name}: ${description}`,
        openDump: () => new DumpOverlay(base, { memory: mutator }, false),
      };
    },
  };
}

const pagesOf = (d: DumpBase, pred: (line: string) => boolean) => [
  ...new Set([...d.hotPages].filter(([l]) => pred(l)).flatMap(([, p]) => p)),
];

const printk = memoryTarget('printk-records', 10, (d) => pagesOf(d, (l) => l.startsWith('log')));
const kernelData = memoryTarget('kernel-memory', 10, (d) => pagesOf(d, (l) => !l.startsWith('log')));

const btf: Target = {
  name: 'btf',
  weight: 5,
  applies: (d) => d.vmlinux.btf.length > 24,
  make(rng, d, _m, bases) {
    const blob = Buffer.from(d.vmlinux.btf);
    const hdrLen = blob.readUInt32LE(4);
    const typeLen = blob.readUInt32LE(12);
    const region = rng.weighted<Region>([
      [3, { name: 'BTF header', offset: 0, length: Math.min(24, blob.length) }],
      [5, { name: 'BTF types', offset: hdrLen, length: Math.min(typeLen, blob.length - hdrLen) }],
      [2, { name: 'BTF strings', offset: hdrLen + typeLen, length: Math.max(1, blob.length - hdrLen - typeLen) }],
    ]);
    const w = windowIn(rng, region, 64);
    const ops = mutateBytes(rng, blob.subarray(w.offset, w.offset + w.length), w.offset);
    const base = bases.dump(d.path);
    return {
      description: `${region.name}: ${ops.join(' ')}`,
      openDump: () => new DumpOverlay(base, {}, false),
      loadTypes: () => parseBtf(blob),
    };
  },
};

const vmlinux: Target = {
  name: 'vmlinux',
  weight: 2,
  applies: () => true,
  make(rng, d, _m, bases) {
    const v: VmlinuxBase = d.vmlinux;
    const patches = new Patches();
    const desc = patchRegion(rng, v.elf.file, rng.pick(v.regions), patches);
    const base = bases.dump(d.path);
    return {
      description: desc,
      openDump: () => new DumpOverlay(base, {}, false),
      openElf: () => new ElfFile(new PatchedFile(v.elf.file.path, patches, v.path)),
    };
  },
};

export const TARGETS: Target[] = [
  metadata,
  cut,
  kdumpDescriptor,
  kdumpPageData,
  flattened,
  vmcoreinfo,
  registers,
  printk,
  kernelData,
  btf,
  vmlinux,
];
