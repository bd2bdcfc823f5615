/**
 * The DWARF reader on the corpus kernels' debug vmlinux files (6.1 and 6.12), checked against binutils'
 * addr2line (line tables, inline chains), against the BTF of the same vmlinux (every struct both know:
 * same size, same member offsets), and for the on-disk index cache being reused.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cacheNotes, PAGE } from '../../src/cache/vmlinux-cache.js';
import { DwarfDebugInfo } from '../../src/dwarf/debug-info.js';
import { Kind } from '../../src/dwarf/name-index.js';
import { ElfFile } from '../../src/elf/index.js';
import { parseBtf, type BtfTypes } from '../../src/kernel/types/btf.js';
import { declare } from '../../src/kernel/types/format.js';
import type { Type } from '../../src/kernel/types/type.js';
import { addr2line, DEBUG_KERNELS, describeDebugVmlinux, haveAddr2line } from './debug-vmlinux.js';

for (const k of DEBUG_KERNELS) {
  describeDebugVmlinux(`DWARF of the ${k.label} debug vmlinux`, k.release, (vmlinux) => {
    let elf: ElfFile;
    let di: DwarfDebugInfo;
    let cacheDir: string;
    let symbols: Map<string, { value: bigint; size: bigint }> | undefined;
    const sym = (name: string) => {
      symbols ??= new Map(elf.symbols().map((s) => [s.name, s]));
      const s = symbols.get(name);
      if (!s) throw new Error(`no symbol ${name}`);
      return s;
    };
    const symbol = (name: string): bigint => sym(name).value;

    beforeAll(() => {
      cacheDir = mkdtempSync(join(tmpdir(), 'crash-ts-dwarf-'));
      elf = ElfFile.open(vmlinux);
      di = new DwarfDebugInfo(elf, { cacheDir });
      di.index();
    }, 300_000);

    afterAll(() => {
      elf?.close();
      if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
    });

    it('builds the name index once and caches it on disk by build-id', () => {
      expect(di.indexStats?.source).toBe('built');
      expect(di.indexStats!.entries).toBeGreaterThan(100_000);
      expect(statSync(di.indexStats!.cacheFile!).size).toBeGreaterThan(1_000_000);
      const again = new DwarfDebugInfo(elf, { cacheDir });
      expect(again.variableType('jiffies')).toBeDefined();
      expect(again.indexStats?.source).toBe('cache');
      expect(again.indexStats?.cacheFile).toBe(di.indexStats?.cacheFile);
      expect(again.indexStats!.entries).toBe(di.indexStats!.entries);
      expect(again.index().lookup(Kind.Struct, 'task_struct')).toEqual(di.index().lookup(Kind.Struct, 'task_struct'));
    });

    it('reads the cached index at offsets: a garbled page is found by the lookup that reads it, one note', () => {
      const file = di.indexStats!.cacheFile!;
      const good = readFileSync(file);
      const bad = Buffer.from(good);
      // every page of the payload past its first two (header, dies): the first slot a lookup reads fails, and
      // the names are then found as without a cached index (walking .debug_info)
      const payload = good.length - good.readDoubleLE(32);
      for (let at = payload + 2 * PAGE + 5; at < bad.length; at += PAGE) bad[at] ^= 0x08;
      writeFileSync(file, bad);
      const notes: string[] = [];
      const sink = cacheNotes.sink;
      cacheNotes.sink = (line) => notes.push(line);
      try {
        const warm = new DwarfDebugInfo(elf, { cacheDir });
        expect(warm.names.lookup(Kind.Struct, 'task_struct')).toEqual(di.index().lookup(Kind.Struct, 'task_struct'));
        expect(notes).toHaveLength(1);
        expect(notes[0]).toMatch(
          /^the dwarf-index cache of .* is corrupt \(checksum mismatch in page \d+\): ignored, rebuilt$/,
        );
        expect(warm.names.lookup(Kind.Variable, 'jiffies', () => true)).toEqual(
          di.index().lookup(Kind.Variable, 'jiffies'),
        );
        expect(notes).toHaveLength(1);
      } finally {
        cacheNotes.sink = sink;
        writeFileSync(file, good);
      }
    });

    it("gives jiffies the type of its declarations (it has no definition: it is jiffies_64's linker alias)", () => {
      expect(declare(di.variableType('jiffies')!, 'jiffies', 0)).toBe('volatile unsigned long jiffies');
      expect(di.index().lookup(Kind.Variable, 'jiffies')?.declaration).toBe(true);
      expect(declare(di.variableType('jiffies_64')!, 'jiffies_64', 0)).toBe('u64 jiffies_64');
      expect(declare(di.variableType('init_task')!, 'init_task', 0)).toBe('struct task_struct init_task');
      // defined through DW_AT_specification: the type is the declaration's, an array of unknown size
      const banner = di.variableType('linux_banner')!;
      expect(banner.kind).toBe('array');
      expect(declare(banner.target!, '', 0)).toBe('const char');
    });

    it("before the index exists, finds a name by the units that hold its string, with the walk's answer", () => {
      const empty = mkdtempSync(join(tmpdir(), 'crash-ts-dwarf-cold-'));
      try {
        const cold = new DwarfDebugInfo(elf, { cacheDir: empty });
        // jiffies: declarations only; the first unit that declares it answers, no unit before it is walked
        expect(cold.names.lookup(Kind.Variable, 'jiffies', () => true)).toEqual(
          di.index().lookup(Kind.Variable, 'jiffies'),
        );
        expect(cold.names.progress.unitsWalked).toBe(0);
        expect(declare(cold.variableType('jiffies')!, 'jiffies', 0)).toBe('volatile unsigned long jiffies');
        // definitions asked for: the first definition in section order, as the full index has it
        for (const name of ['jiffies_64', 'init_task', 'init_uts_ns', 'linux_banner', 'max_pfn'])
          expect(
            cold.names.lookup(Kind.Variable, name, () => false),
            name,
          ).toEqual(di.index().lookup(Kind.Variable, name));
      } finally {
        rmSync(empty, { recursive: true, force: true });
      }
    });

    it('gives function prototypes with parameter names', () => {
      expect(declare(di.functionType('schedule')!, 'schedule', 0)).toBe('void schedule(void)');
      const f = di.functionType('vfs_write')!;
      expect(f.params!.map((p) => p.name)).toEqual(['file', 'buf', 'count', 'pos']);
      expect(declare(f.target!, '', 0)).toBe('ssize_t');
    });

    it('finds enumerators, also of anonymous enums', () => {
      expect(di.types.enumValue!('PIDTYPE_TGID')).toBe(1n);
      expect(di.types.enumValue!('TASK_COMM_LEN')).toBe(16n);
    });

    it.skipIf(!haveAddr2line())("gives addr2line's source line, or gdb's statement row where the two differ", () => {
      const names = [
        'panic',
        'schedule',
        'vfs_write',
        'do_syscall_64',
        'machine_kexec',
        '__crash_kexec',
        'sysrq_handle_crash',
        'ksys_write',
      ];
      const pcs: bigint[] = [];
      // inside each function (past its end, addr2line may still answer from the padding's line rows)
      for (const n of names) {
        const { value, size } = sym(n);
        for (const off of [0n, 7n, size / 3n, size / 2n, size - 1n]) pcs.push(value + off);
      }
      const want = addr2line(vmlinux, pcs).map((w) => w.replace(/ \(discriminator \d+\)$/, ''));
      let differ = 0;
      pcs.forEach((pc, i) => {
        const l = di.lineAt(pc);
        const got = l ? `${l.file}:${l.line}` : '??:0';
        if (got === want[i]) return;
        // addr2line takes the last row at an address; gdb (so crash) a statement row before a non-statement one
        differ++;
        const rows = di.lineRowsAt(pc).map((r) => ({ at: `${r.file}:${r.line}`, stmt: r.stmt }));
        expect(rows.at(-1)).toEqual({ at: want[i], stmt: false });
        expect(rows.filter((r) => r.stmt).map((r) => r.at)).toContain(got);
      });
      expect(differ).toBeLessThan(pcs.length / 4);
    });

    it.skipIf(!haveAddr2line())('gives the inline chain addr2line -i gives', () => {
      const pcs = [symbol('__crash_kexec') + 0x77n, symbol('proc_reg_write') + 0x76n, symbol('panic') + 0x13dn];
      for (const pc of pcs) {
        const want = addr2line(vmlinux, [pc], true); // function, file:line pairs, innermost first
        const frames = di.inlineFramesAt(pc);
        // addr2line: [inlined fn, its line, caller, call-site line, ...]; ours: each frame's function and call site
        expect(frames.map((f) => f.function)).toEqual(want.filter((_, i) => i % 2 === 0).slice(0, frames.length));
        expect(frames.map((f) => `${f.callSite.file}:${f.callSite.line}`)).toEqual(
          want
            .filter((_, i) => i % 2 === 1)
            .slice(1, frames.length + 1)
            .map((w) => w.replace(/ \(discriminator \d+\)$/, '')),
        );
      }
    });

    it('agrees with BTF on every struct and union both describe: size and member offsets', () => {
      const btfSec = elf.section('.BTF')!;
      const btf: BtfTypes = parseBtf(elf.readSection(btfSec));
      // names that BTF itself defines more than once (static structs of different files, e.g. irq_info)
      // have no one answer: which definition each source keeps is arbitrary
      const definitions = new Map<string, number>();
      for (let id = 1; id <= btf.count; id++) {
        const t = btf.typeById(id);
        if ((t.kind === 'struct' || t.kind === 'union') && t.name && t.members?.length) {
          const key = `${t.kind} ${t.name}`;
          definitions.set(key, (definitions.get(key) ?? 0) + 1);
        }
      }
      let compared = 0;
      let ambiguous = 0;
      const mismatches: string[] = [];
      for (const kind of [Kind.Struct, Kind.Union] as const) {
        const word = kind === Kind.Struct ? 'struct' : 'union';
        for (const [name, entry] of di.index().entries(kind)) {
          if (entry.declaration) continue;
          const b = btf.find(`${word} ${name}`);
          if (!b || !b.members || b.members.length === 0) continue;
          if ((definitions.get(`${word} ${name}`) ?? 0) > 1) {
            ambiguous++;
            continue;
          }
          const d = di.types.find(`${word} ${name}`)!;
          compared++;
          const diff = compareLayout(b, d);
          if (diff) mismatches.push(`${word} ${name}: ${diff}`);
        }
      }
      expect(compared).toBeGreaterThan(3000);
      expect(ambiguous).toBeLessThan(compared / 20);
      expect(mismatches).toEqual([]);
    }, 300_000);
  });
}

function compareLayout(b: Type, d: Type): string | undefined {
  if (b.size !== d.size) return `size ${b.size} (BTF) vs ${d.size} (DWARF)`;
  const bm = b.members ?? [];
  const dm = d.members ?? [];
  if (bm.length !== dm.length) return `${bm.length} members (BTF) vs ${dm.length} (DWARF)`;
  for (let i = 0; i < bm.length; i++) {
    const x = bm[i]!,
      y = dm[i]!;
    if (x.name !== y.name || x.bitOffset !== y.bitOffset || x.bitSize !== y.bitSize)
      return `member ${i}: ${x.name}@${x.bitOffset}:${x.bitSize} (BTF) vs ${y.name}@${y.bitOffset}:${y.bitSize} (DWARF)`;
  }
  return undefined;
}
