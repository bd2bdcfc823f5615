/**
 * The BTF reader's warm start (openBtf with the indexes of an earlier run): the same answers as a cold parse
 * while reading a small part of the section, and stored indexes that are wrong (well-formed, out of range,
 * record starts that do not fit, unreadable) dropped with one reason each, the answers still the same.
 */
import { beforeAll, expect, it } from 'vitest';
import { ElfFile } from '../../src/elf/index.js';
import {
  openBtf,
  parseBtf,
  StoredIndexError,
  type BtfEnumIndexes,
  type BtfIndexes,
  type BtfIndexStore,
  type BtfTypes,
  type Entries,
  type StoredBtfIndexes,
  type StoredEnumIndexes,
} from '../../src/kernel/types/btf.js';
import { formatTypeDecl } from '../../src/kernel/types/format.js';
import { describeCorpus, vmlinuxPlain } from '../helpers/corpus.js';

const entries = (a: Int32Array | Uint32Array, bad?: (i: number) => number | undefined): Entries => ({
  length: a.length,
  stored: true,
  get: (i) => bad?.(i) ?? a[i]!,
});

/** The name index and the enumerator index as stored, and as they were saved (to spoil the one from the other). */
interface Stored {
  names: StoredBtfIndexes;
  enums?: StoredEnumIndexes;
}
interface Saved {
  names: BtfIndexes;
  enums?: BtfEnumIndexes;
}

/** A store in memory; `spoil` changes what load() and loadEnums() give. */
function memoryStore(spoil: (ix: Stored, saved: Saved) => void = () => {}) {
  const rejected: string[] = [];
  let saved: BtfIndexes | undefined;
  let savedEnums: BtfEnumIndexes | undefined;
  let saves = 0;
  let enumSaves = 0;
  let given: Stored | undefined;
  const store: BtfIndexStore = {
    load() {
      if (!saved) return undefined;
      const names: StoredBtfIndexes = {
        count: saved.count,
        words: saved.words,
        nameHeads: entries(saved.nameHeads),
        nameNext: entries(saved.nameNext),
        offs: entries(saved.offs),
        alias: saved.alias,
      };
      const enums: StoredEnumIndexes | undefined = savedEnums && {
        count: savedEnums.count,
        words: savedEnums.words,
        heads: entries(savedEnums.heads),
        word: entries(savedEnums.word),
        type: entries(savedEnums.type),
      };
      given = { names, enums };
      spoil(given, { names: saved, enums: savedEnums });
      return given.names;
    },
    save(ix) {
      saved = ix;
      saves++;
    },
    loadEnums() {
      return given?.enums;
    },
    saveEnums(ix) {
      savedEnums = ix;
      enumSaves++;
    },
    rejected(reason) {
      rejected.push(reason);
    },
    rejectedEnums(reason) {
      rejected.push(`enums: ${reason}`);
    },
  };
  return { store, rejected, saves: () => saves, enumSaves: () => enumSaves };
}

/** What a session asks of the types. */
function answers(b: BtfTypes): string[] {
  const task = b.find('struct task_struct')!;
  return [
    `${task.size}`,
    task.members!.map((m) => `${m.name}@${m.bitOffset}:${m.type.name || m.type.kind}`).join(' '),
    formatTypeDecl(b.find('struct list_head')!),
    `${b.find('unsigned long')?.size} ${b.find('long unsigned int')?.size}`,
    `${b.enumValue('PIDTYPE_PID')} ${b.enumValue('TASK_COMM_LEN')} ${b.enumValue('NR_CPUS_NOT_AN_ENUM')}`,
    `${b.enumValue('PIDTYPE_TGID', 'pid_type')} ${b.enumValue('N_ONLINE', 'node_states')} ${b.enumValue('TASK_COMM_LEN', 'no_such_enum')}`,
    `${b.variableType('runqueues')?.name}`,
    `${b.find('struct no_such_struct_here')}`,
    `${b.functionType('schedule')?.kind}`,
  ];
}

describeCorpus('BTF read at offsets on a warm start (6.1 vmlinux)', () => {
  let raw: Buffer;
  let cold: string[];
  let read = 0;
  const section = () => ({
    size: raw.length,
    read: (off: number, len: number, into: Buffer, at: number) => {
      read += len;
      raw.copy(into, at, off, off + len);
    },
  });

  beforeAll(async () => {
    const elf = ElfFile.open(await vmlinuxPlain('k61-sysrq-c'));
    raw = elf.readSection(elf.section('.BTF')!);
    elf.close();
    cold = answers(parseBtf(raw, '.BTF'));
  });

  it('answers as a cold parse, reading a small part of the section for its first answers', () => {
    const m = memoryStore();
    const first = openBtf(section(), '.BTF', m.store);
    expect(answers(first)).toEqual(cold);
    expect(m.saves()).toBe(1);
    expect(m.enumSaves()).toBe(1);
    read = 0;
    const warm = openBtf(section(), '.BTF', m.store);
    const task = warm.find('struct task_struct')!;
    expect(task.members!.length).toBeGreaterThan(100);
    expect(warm.enumValue('PIDTYPE_PID')).toBe(0n);
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(raw.length / 8);
    expect(answers(warm)).toEqual(cold); // functionType walks every record: read whole then
    expect(warm.variableNames()).toEqual(parseBtf(raw).variableNames());
    expect(m.rejected).toEqual([]);
    expect(m.saves()).toBe(1);
    expect(m.enumSaves()).toBe(1);
  });

  it('an enumerator looked up in its own enum builds no index of every enumerator (a cold sys)', () => {
    const m = memoryStore();
    const b = openBtf(section(), '.BTF', m.store);
    expect(b.enumValue('PIDTYPE_PID', 'pid_type')).toBe(0n);
    expect(b.enumValue('PIDTYPE_TGID', 'pid_type')).toBe(1n);
    // not in that enum: every enum's index, built then (and saved)
    expect(m.enumSaves()).toBe(0);
    expect(b.enumValue('TASK_COMM_LEN', 'pid_type')).toBe(16n);
    expect(m.enumSaves()).toBe(1);
    expect(m.saves()).toBe(1);
  });

  const spoilers: [string, (ix: Stored, saved: Saved) => void, RegExp][] = [
    [
      'record starts shifted',
      ({ names: ix }, { names: s }) =>
        (ix.offs = entries(s.offs, (i) => (i >= 2 && i <= s.count ? s.offs[i]! + 1 : undefined))),
      /^the record of type \d+ is not where it says$/,
    ],
    [
      'name hash slots out of range',
      ({ names: ix }, { names: s }) => (ix.nameHeads = entries(s.nameHeads, (i) => (s.nameHeads[i] ? s.count + 9 : 0))),
      /^index entry \d+ out of range$/,
    ],
    [
      'a name chain going backwards',
      ({ names: ix }, { names: s }) => (ix.nameNext = entries(s.nameNext, () => 1)),
      /^name chain at type \d+$/,
    ],
    [
      'enumerators pointing at the wrong word',
      ({ enums: ix }, { enums: s }) => (ix!.word = entries(s!.word, (i) => s!.word[i]! + 1)),
      /^enumerator \d+$/,
    ],
    [
      'a base-type alias naming a struct',
      ({ names: ix }) => (ix.alias = ix.alias.map(([name]) => [name, 1] as [string, number])),
      /^base type /,
    ],
    ['another type count', ({ names: ix }) => (ix.count -= 1), /^its index lengths do not fit$/],
    ['another word count', ({ names: ix }) => (ix.words += 3), /type words where this BTF has/],
    ['an enumerator index of another BTF', ({ enums: ix }) => (ix!.count -= 1), /^enums: its lengths do not fit$/],
  ];
  for (const [what, spoil, want] of spoilers) {
    it(`drops stored indexes with ${what}: one reason, the same answers, stored again`, () => {
      let spoiled = false;
      const m = memoryStore((ix, s) => {
        if (!spoiled) spoil(ix, s);
        spoiled = true;
      });
      answers(openBtf(section(), '.BTF', m.store)); // a cold start stores them (both: it asks an enumerator)
      const warm = openBtf(section(), '.BTF', m.store);
      expect(answers(warm)).toEqual(cold);
      expect(m.rejected).toHaveLength(1);
      expect(m.rejected[0]).toMatch(want);
      // stored again: the name index when its entries were wrong, the enumerator index always
      expect(m.saves() + m.enumSaves()).toBeGreaterThanOrEqual(3);
      expect(m.enumSaves()).toBe(2);
      m.rejected.length = 0;
      expect(answers(openBtf(section(), '.BTF', m.store))).toEqual(cold);
      expect(m.rejected).toEqual([]);
    });
  }

  it('an unreadable stored entry (its cache page failed) is dropped without a reason of its own', () => {
    let first = true;
    const m = memoryStore(({ names: ix }, { names: s }) => {
      if (!first) return;
      first = false;
      ix.nameHeads = entries(s.nameHeads, () => {
        throw new StoredIndexError('checksum mismatch in page 3');
      });
    });
    openBtf(section(), '.BTF', m.store).find('struct task_struct');
    expect(answers(openBtf(section(), '.BTF', m.store))).toEqual(cold);
    expect(m.rejected).toEqual([]);
    expect(m.saves()).toBe(2);
  });
});
