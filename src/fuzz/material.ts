/**
 * What the fuzzer mutates: real vmlinux + dump pairs, opened once per process. For each dump we
 * record where its metadata lives (kdump header, sub-header, notes, bitmaps, descriptors; ELF
 * header, program headers, notes) and which physical pages a normal session reads (per command),
 * so that mutations land where the code looks.
 */
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { RandomAccessFile } from '../dump/file.js';
import { sniffDump, openDump } from '../dump/open.js';
import { ElfFile, PT_NOTE } from '../elf/index.js';
import { openKernelOn } from '../kernel/open.js';
import { SymbolTable } from '../kernel/symbols.js';
import { sectionInfos } from '../kernel/vmlinux-symbols.js';
import { parseBtf } from '../kernel/types/btf.js';
import type { TypeSource } from '../kernel/types/type.js';
import { packageRoot } from '../version.js';
import { DumpOverlay } from './dump-overlay.js';
import { extractDwarfUnit, type DwarfUnitSample } from './dwarf-unit.js';
import type { Region } from './mutate.js';
import { runCommands, type CommandSet } from './session-run.js';

export interface VmlinuxBase {
  path: string;
  elf: ElfFile;
  symbols: SymbolTable;
  btf: Buffer;
  types: TypeSource;
  /** ELF header, program and section header tables, .symtab/.strtab heads */
  regions: Region[];
  /** vmlinux-only caches (ORC table...) taken from a first kernel, reused by every mutant's kernel */
  caches: Map<string, unknown>;
}

export interface DumpBase {
  name: string;
  path: string;
  kind: 'elf' | 'kdump' | 'flattened';
  vmlinux: VmlinuxBase;
  size: number;
  pageSize: number;
  /** metadata regions worth mutating */
  regions: Region[];
  /** physical page numbers each command read in a normal session */
  hotPages: Map<string, number[]>;
  /** kdump only: file offset and size of the stored data of each hot page */
  pageData: Map<number, { offset: number; size: number; descPos: number }>;
}

export interface Pair {
  vmlinux: string;
  dump: string;
  name: string;
}

export interface Material {
  dumps: DumpBase[];
  vmlinuxes: VmlinuxBase[];
  /** the file every flattened mutant is written to */
  scratchDir: string;
  /** small real units of debug vmlinux files, for the DWARF target */
  dwarfUnits?: DwarfUnitSample[];
}

/** Corpus and sample pairs found on this machine (for the fuzz script; tests pass their own). */
export function defaultPairs(): Pair[] {
  const root = packageRoot();
  const corpus = resolve(process.env.CRASH_TS_CORPUS ?? join(root, '..', 'shared', 'corpus'));
  const cache = process.env.CRASH_TS_CORPUS_CACHE ?? join(homedir(), '.cache', 'crash-ts-corpus');
  const v61 = pickFile(
    join(cache, 'nodwarf', 'vmlinux-6.1.0-56-cloud-amd64.nodwarf'),
    join(corpus, 'kernels', '6.1.0-56-cloud-amd64', 'vmlinux-6.1.0-56-cloud-amd64.nodwarf.gz'),
  );
  const v612 = pickFile(
    join(cache, 'nodwarf', 'vmlinux-6.12.107+deb12-cloud-amd64.nodwarf'),
    join(corpus, 'kernels', '6.12.107+deb12-cloud-amd64', 'vmlinux-6.12.107+deb12-cloud-amd64.nodwarf.gz'),
  );
  const pairs: Pair[] = [];
  const sample = join(root, 'sample-dumps');
  if (existsSync(join(sample, 'vmcore'))) {
    const vm = readdirSync(sample).find((f) => f.startsWith('vmlinux'));
    if (vm) pairs.push({ name: 'sample', vmlinux: join(sample, vm), dump: join(sample, 'vmcore') });
  }
  const add = (name: string, v: string | undefined, d: string | undefined) => {
    if (v && d) pairs.push({ name, vmlinux: v, dump: d });
  };
  const cases = join(corpus, 'cases');
  add('k61-sysrq-c/kdump-zlib', v61, pickFile(join(cases, 'k61-sysrq-c', 'vmcore.kdump-zlib')));
  add('k61-sysrq-c/flat-zlib', v61, pickFile(join(cases, 'k61-sysrq-c', 'vmcore.flat-zlib')));
  add('k61-sysrq-c-elf/elf-d31', v61, pickFile(join(cache, 'dumps', 'k61-sysrq-c-elf', 'vmcore.elf-d31')));
  add('k612-sysrq-c/kdump-zlib', v612, pickFile(join(cases, 'k612-sysrq-c', 'vmcore.kdump-zlib')));
  return pairs;
}

function pickFile(...paths: string[]): string | undefined {
  return paths.find((p) => existsSync(p));
}

/** The corpus kernels' full debug vmlinux files found on this machine (the DWARF target's units come from them). */
export function defaultDebugVmlinuxes(): string[] {
  const cache = process.env.CRASH_TS_CORPUS_CACHE ?? join(homedir(), '.cache', 'crash-ts-corpus');
  return ['6.1.0-56-cloud-amd64', '6.12.107+deb12-cloud-amd64']
    .map((r) => join(cache, r, `vmlinux-${r}`))
    .filter((p) => existsSync(p));
}

/**
 * Open every pair once, lay out its metadata, and record a normal session's page reads; copy a small unit
 * of each debug vmlinux into the scratch directory.
 */
export async function loadMaterial(
  pairs: Pair[],
  commands: CommandSet,
  scratchDir: string,
  debugVmlinuxes: string[] = [],
): Promise<Material> {
  const vmlinuxes = new Map<string, VmlinuxBase>();
  const dumps: DumpBase[] = [];
  for (const p of pairs) {
    // one symbol table per crash (KASLR offset): relocating a shared table back and forth re-sorts it
    const key = `${p.vmlinux}|${p.name.split('/')[0]}`;
    let v = vmlinuxes.get(key);
    if (!v) vmlinuxes.set(key, (v = loadVmlinux(p.vmlinux)));
    dumps.push(await loadDump(p, v, commands));
  }
  const dwarfUnits = debugVmlinuxes.map((v, i) => extractDwarfUnit(v, join(scratchDir, `dwarf-unit-${i}.elf`)));
  return { dumps, vmlinuxes: [...vmlinuxes.values()], scratchDir, dwarfUnits };
}

function loadVmlinux(path: string): VmlinuxBase {
  const elf = ElfFile.open(path);
  const symbols = new SymbolTable(elf.symbolTable()!, sectionInfos(elf));
  const btfSec = elf.section('.BTF');
  const btf = btfSec ? elf.readSection(btfSec) : Buffer.alloc(0);
  const h = elf.header;
  const regions: Region[] = [{ name: 'vmlinux ELF header', offset: 0, length: 64 }];
  if (h.phnum)
    regions.push({ name: 'vmlinux program headers', offset: Number(h.phoff), length: h.phnum * h.phentsize });
  if (h.shnum)
    regions.push({ name: 'vmlinux section headers', offset: Number(h.shoff), length: h.shnum * h.shentsize });
  for (const name of ['.symtab', '.strtab', '.notes']) {
    const s = elf.section(name);
    if (s)
      regions.push({ name: `vmlinux ${name}`, offset: Number(s.offset), length: Math.min(Number(s.size), 1 << 16) });
  }
  return { path, elf, symbols, btf, types: parseBtf(btf), regions, caches: new Map() };
}

async function loadDump(p: Pair, v: VmlinuxBase, commands: CommandSet): Promise<DumpBase> {
  const file = new RandomAccessFile(p.dump);
  const head = file.read(0, Math.min(file.size, 4096));
  const kind = sniffDump(head);
  if (!kind) throw new Error(`${p.dump}: not a dump`);
  const regions: Region[] = [];
  const pageData = new Map<number, { offset: number; size: number; descPos: number }>();
  let kdump: KdumpLayout | undefined;
  if (kind === 'kdump') {
    kdump = kdumpLayout(file);
    regions.push(...kdump.regions);
  } else if (kind === 'elf') {
    const elf = new ElfFile(file);
    const h = elf.header;
    regions.push({ name: 'ELF header', offset: 0, length: 64 });
    regions.push({ name: 'program headers', offset: Number(h.phoff), length: h.phnum * h.phentsize });
    for (const ph of elf.programHeaders) {
      if (ph.type === PT_NOTE)
        regions.push({ name: 'PT_NOTE notes', offset: Number(ph.offset), length: Number(ph.filesz) });
    }
  } else {
    regions.push({ name: 'flattened stream head', offset: 0, length: Math.min(file.size, FLAT_PREFIX) });
  }

  // a normal session, recording the pages each command reads
  const dump = openDump(p.dump);
  const pageSize = dump.meta.pageSize;
  let current = new Set<number>();
  const recorder = new DumpOverlay(dump, {
    memory: (paddr, buf) => {
      const first = Number(paddr / BigInt(pageSize));
      const last = Number((paddr + BigInt(Math.max(buf.length, 1)) - 1n) / BigInt(pageSize));
      for (let f = first; f <= last; f++) current.add(f);
    },
  });
  const hotPages = new Map<string, number[]>();
  const k = openKernelOn(v.path, p.dump, v.elf, recorder, { symbols: v.symbols, loadTypes: () => v.types });
  hotPages.set('open', [...current]);
  await runCommands(
    k,
    commands,
    (line) => {
      hotPages.set(line, [...current]);
      current = new Set<number>();
    },
    () => {},
  );
  for (const [key, value] of k.cache) if (VMLINUX_ONLY_CACHES.includes(key)) v.caches.set(key, value);
  recorder.close();

  if (kdump) {
    const all = new Set([...hotPages.values()].flat());
    for (const pfn of all) {
      const d = kdump.descriptorOf(pfn);
      if (d) pageData.set(pfn, d);
    }
  }
  file.close();
  return {
    name: p.name,
    path: p.dump,
    kind,
    vmlinux: v,
    size: statSize(p.dump),
    pageSize,
    regions,
    hotPages,
    pageData,
  };
}

/** k.cache entries that depend on the vmlinux only (safe to share between kernels of one vmlinux). */
const VMLINUX_ONLY_CACHES = ['bt.orc'];

/** How much of a flattened stream a mutant keeps (its header and first records). */
export const FLAT_PREFIX = 1 << 20;

function statSize(path: string): number {
  const f = new RandomAccessFile(path);
  const n = f.size;
  f.close();
  return n;
}

interface KdumpLayout {
  regions: Region[];
  descriptorOf(pfn: number): { offset: number; size: number; descPos: number } | undefined;
}

/** Where the parts of a kdump-compressed file are (struct disk_dump_header / kdump_sub_header). */
function kdumpLayout(file: RandomAccessFile): KdumpLayout {
  const h = file.read(0, 464);
  const bs = h.readInt32LE(428);
  const subBlocks = h.readInt32LE(432);
  const bitmapBlocks = h.readUInt32LE(436);
  const sub = file.read(bs, 104);
  const regions: Region[] = [
    { name: 'kdump header', offset: 0, length: 464 },
    { name: 'kdump sub-header', offset: bs, length: 104 },
  ];
  const noteOff = Number(sub.readBigUInt64LE(48));
  const noteSize = Number(sub.readBigUInt64LE(56));
  if (noteSize > 0) regions.push({ name: 'kdump notes', offset: noteOff, length: noteSize });
  const viOff = Number(sub.readBigUInt64LE(32));
  const viSize = Number(sub.readBigUInt64LE(40));
  if (viSize > 0) regions.push({ name: 'kdump VMCOREINFO', offset: viOff, length: viSize });
  const bmOff = (1 + subBlocks) * bs;
  const bmBytes = (bitmapBlocks * bs) / 2;
  regions.push({ name: 'kdump 1st bitmap', offset: bmOff, length: bmBytes });
  regions.push({ name: 'kdump 2nd bitmap', offset: bmOff + bmBytes, length: bmBytes });
  const dumped = file.read(bmOff + bmBytes, bmBytes);
  const descOff = bmOff + 2 * bmBytes;
  let count = 0;
  for (const b of dumped) count += popcount8(b);
  regions.push({ name: 'kdump page descriptors', offset: descOff, length: count * 24 });
  // rank of each byte of the 2nd bitmap, for descriptor positions
  const rankAt = new Uint32Array(dumped.length + 1);
  for (let i = 0; i < dumped.length; i++) rankAt[i + 1] = rankAt[i]! + popcount8(dumped[i]!);
  return {
    regions,
    descriptorOf(pfn) {
      const byte = pfn >> 3;
      if (byte >= dumped.length || !((dumped[byte]! >> (pfn & 7)) & 1)) return undefined;
      const rank = rankAt[byte]! + popcount8(dumped[byte]! & ((1 << (pfn & 7)) - 1));
      const descPos = descOff + rank * 24;
      const d = file.read(descPos, 24);
      return { offset: Number(d.readBigInt64LE(0)), size: d.readUInt32LE(8), descPos };
    },
  };
}

function popcount8(b: number): number {
  let n = 0;
  for (; b; b &= b - 1) n++;
  return n;
}
