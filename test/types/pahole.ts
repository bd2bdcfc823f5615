/**
 * pahole as an independent referee: run `pahole -C <names> vmlinux` (it reads the BTF itself) and
 * turn its struct and enum listings into plain data the tests compare with our reader.
 */
import { execFileSync } from 'node:child_process';

export interface PaholeMember {
  /** dotted path below the struct; members of anonymous structs/unions are listed by their own name */
  path: string;
  byteOffset: number;
  /** bit position inside the storage unit, for bitfields */
  bit?: number;
  bitSize?: number;
  /** pahole's size column: the member's size, or the storage unit's size for bitfields */
  size: number;
}

export interface PaholeStruct {
  name: string;
  size: number;
  members: PaholeMember[];
}

export const havePahole = (() => {
  try {
    execFileSync('pahole', ['--version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
})();

export function runPahole(vmlinux: string, names: string[]): string {
  return execFileSync('pahole', ['-C', names.join(','), vmlinux], { encoding: 'utf8', maxBuffer: 64 << 20 });
}

/** Every `struct X {...};` block of pahole output, by name. */
export function parsePaholeStructs(text: string): Map<string, PaholeStruct> {
  const out = new Map<string, PaholeStruct>();
  let cur: PaholeStruct | undefined;
  // One frame per open anonymous struct/union: the members seen inside it.
  let frames: PaholeMember[][] = [];
  for (const raw of text.split('\n')) {
    const head = /^(?:struct|union) (\w+) \{$/.exec(raw);
    if (head) {
      cur = { name: head[1], size: -1, members: [] };
      frames = [[]];
      continue;
    }
    if (!cur) continue;
    const size = /\/\* size: (\d+),/.exec(raw);
    if (size) cur.size = Number(size[1]);
    if (raw === '};') {
      cur.members = frames[0];
      out.set(cur.name, cur);
      cur = undefined;
      continue;
    }
    const line = raw.trim();
    if (/^(struct|union) \{$/.test(line)) {
      frames.push([]);
      continue;
    }
    const m = /^(.*?);\s*\/\*\s*(\d+)(?::\s*(\d+))?\s+(\d+)\s*\*\/$/.exec(line);
    if (!m) continue;
    let decl = m[1].replace(/\s*__attribute__\(\(.*\)\)\s*$/, '').trim();
    const entry: PaholeMember = { path: '', byteOffset: Number(m[2]), size: Number(m[4]) };
    if (m[3] !== undefined) entry.bit = Number(m[3]);
    if (decl.startsWith('}')) {
      // The end of an anonymous struct/union: `}` alone merges its members up, `} name` nests them.
      const inner = frames.pop() ?? [];
      const name = decl.slice(1).trim();
      const parent = frames[frames.length - 1];
      if (name) {
        parent.push({ ...entry, path: name });
        for (const e of inner) parent.push({ ...e, path: `${name}.${e.path}` });
      } else parent.push(...inner);
      continue;
    }
    const bits = /:(\d+)$/.exec(decl);
    if (bits) {
      entry.bitSize = Number(bits[1]);
      decl = decl.slice(0, bits.index).trim();
    }
    const fn = /\(\*\s*(\w+)\)/.exec(decl);
    const name = fn ? fn[1] : (/(\w+)(\[\d*\])*$/.exec(decl)?.[1] ?? '');
    entry.path = name;
    frames[frames.length - 1].push(entry);
  }
  return out;
}

/** `enum X { A = 0, ... };` blocks of pahole output: enum name -> enumerator -> value. */
export function parsePaholeEnums(text: string): Map<string, Map<string, bigint>> {
  const out = new Map<string, Map<string, bigint>>();
  let cur: Map<string, bigint> | undefined;
  for (const raw of text.split('\n')) {
    const head = /^enum (\w+) \{$/.exec(raw);
    if (head) out.set(head[1], (cur = new Map()));
    else if (raw === '};') cur = undefined;
    else if (cur) {
      const m = /^\s*(\w+)\s*=\s*(-?\d+),?$/.exec(raw);
      if (m) cur.set(m[1], BigInt(m[2]));
    }
  }
  return out;
}
