/**
 * Which commands crash 9's stored output has for a dump of a case (golden/crash-9 and golden/crash-9-ext
 * index.json), so a test can compare every stored run of a command, whatever pids the case used.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { caseDir } from './corpus.js';
import { breadthNorm } from './repl.js';

/** The stored command lines of a dump matching `re` (not marked as errors), each once. */
export function goldenCommands(caseName: string, dumpFile: string, re: RegExp): string[] {
  const out = new Set<string>();
  for (const sub of ['crash-9', 'crash-9-ext']) {
    const idx = join(caseDir(caseName), 'golden', sub, dumpFile, 'index.json');
    if (!existsSync(idx)) continue;
    const entries = (JSON.parse(readFileSync(idx, 'utf8')) as { commands: { cmd: string; error?: boolean }[] })
      .commands;
    for (const e of entries) if (!e.error && re.test(e.cmd)) out.add(e.cmd);
  }
  return [...out];
}

/** The pre-crash /proc lines of a proc-truth case (`pid=P ...`), grouped by pid. */
export function procLinesByPid(snapshot: Record<string, unknown> | undefined, key: string): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const l of (snapshot?.[key] as string[] | undefined) ?? []) {
    const m = /^pid=(\d+)\s+(.*)$/.exec(l);
    if (!m) continue;
    const pid = Number(m[1]);
    if (!out.has(pid)) out.set(pid, []);
    out.get(pid)!.push(m[2]!);
  }
  return out;
}

/** Ours equals crash's, or crash's lines come first and every further line names what the dump lacks. */
export function expectCrashOrMore(ours: string, crash: string, cmd: string): void {
  const a = breadthNorm(ours).split('\n');
  const b = breadthNorm(crash).split('\n');
  if (a.join('\n') === b.join('\n')) return;
  const shared = b.filter((l, i) => a[i] === l).length;
  expect(shared, `${cmd}: crash 9's lines first\n${ours}`).toBe(b.length);
  for (const extra of a.slice(b.length))
    if (!/^ FD {7}FILE/.test(extra)) expect(extra, cmd).toMatch(/excluded|unreadable|cannot be read|missing/);
}
