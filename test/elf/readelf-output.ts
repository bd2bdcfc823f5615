/** Parsers for GNU readelf's -SW and -sW output, so tests can compare our reader with binutils. */
import { spawnSync } from 'node:child_process';

export const readelfAvailable = spawnSync('readelf', ['--version']).status === 0;

export function readelf(args: string[], path: string): string {
  const r = spawnSync('readelf', [...args, path], { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`readelf ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export interface ReadelfSection {
  index: number;
  name: string;
  type: string;
  addr: bigint;
  offset: bigint;
  size: bigint;
  entsize: bigint;
  flags: string;
  link: number;
  info: number;
  addralign: bigint;
}

/** `readelf -SW`: "[Nr] Name Type Address Off Size ES Flg Lk Inf Al", parsed from the right (Flg may be empty). */
export function parseSectionTable(out: string): ReadelfSection[] {
  const rows: ReadelfSection[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*\[\s*(\d+)\]\s?(.*)$/.exec(line);
    if (!m) continue;
    const t = m[2]!.trim().split(/\s+/);
    const al = t.pop()!,
      inf = t.pop()!,
      lk = t.pop()!;
    let flags = '';
    if (!/^[0-9a-f]{2,}$/.test(t[t.length - 1]!)) flags = t.pop()!;
    const es = t.pop()!,
      size = t.pop()!,
      off = t.pop()!,
      addr = t.pop()!,
      type = t.pop()!;
    rows.push({
      index: Number(m[1]),
      name: t.join(' '),
      type,
      addr: BigInt('0x' + addr),
      offset: BigInt('0x' + off),
      size: BigInt('0x' + size),
      entsize: BigInt('0x' + es),
      flags,
      link: Number(lk),
      info: Number(inf),
      addralign: BigInt(al),
    });
  }
  return rows;
}

export interface ReadelfSymbol {
  index: number;
  value: bigint;
  size: bigint;
  type: string;
  bind: string;
  vis: string;
  ndx: string;
  name: string;
}

/** `readelf -sW` rows of the first table in the output ("Num: Value Size Type Bind Vis Ndx Name"). */
export function parseSymbols(out: string, table = '.symtab'): ReadelfSymbol[] {
  const rows: ReadelfSymbol[] = [];
  let inTable = false;
  for (const line of out.split('\n')) {
    if (line.startsWith('Symbol table ')) {
      inTable = line.includes(`'${table}'`);
      continue;
    }
    if (!inTable) continue;
    const m = /^\s*(\d+):\s+([0-9a-f]+)\s+(0x[0-9a-f]+|\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s?(.*)$/.exec(line);
    if (!m) continue;
    rows.push({
      index: Number(m[1]),
      value: BigInt('0x' + m[2]),
      size: BigInt(m[3]!),
      type: m[4]!,
      bind: m[5]!,
      vis: m[6]!,
      ndx: m[7]!,
      name: m[8]!,
    });
  }
  return rows;
}
