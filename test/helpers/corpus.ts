/**
 * Where the shared corpus of real dumps lives, and small helpers to reach its files.
 * Tests that need it use `describeCorpus` / `corpusAvailable` and skip with a visible message when
 * it is absent, so a fresh clone elsewhere still passes.
 */
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  createReadStream,
  createWriteStream,
} from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '..', '..');
export const corpusDir = resolve(process.env.CRASH_TS_CORPUS ?? join(repoRoot, '..', 'shared', 'corpus'));
export const corpusAvailable = existsSync(join(corpusDir, 'cases'));

export interface CaseDump {
  file: string;
  format: string;
  producer?: string;
  unreadable_tasks?: { pid: number; comm: string }[];
  tasks_in_complete_dump?: number;
}

export interface CaseInfo {
  case: string;
  kernel_release: string;
  kaslr: boolean;
  kaslr_offset_runtime: string;
  runtime_symbols: Record<string, string>;
  vmlinux: string;
  system_map: string;
  panic: { message: string | null; cpu: number | null; pid: number | null; comm: string | null };
  workload: { pid: number; ppid: number; comm: string; state_in_proc_before_crash?: string }[];
  workload_threads?: { pid: number; comm: string }[];
  markers?: string[];
  dumps: CaseDump[];
  [k: string]: unknown;
}

export function caseNames(): string[] {
  if (!corpusAvailable) return [];
  return readdirSync(join(corpusDir, 'cases'))
    .filter((c) => existsSync(join(corpusDir, 'cases', c, 'case.json')))
    .sort();
}

export function caseDir(name: string): string {
  return join(corpusDir, 'cases', name);
}

export function caseInfo(name: string): CaseInfo {
  return JSON.parse(readFileSync(join(caseDir(name), 'case.json'), 'utf8')) as CaseInfo;
}

const cacheRoot = process.env.CRASH_TS_CORPUS_CACHE ?? join(homedir(), '.cache', 'crash-ts-corpus');

/** Decompress a .gz corpus file once into the same cache check.py uses; return the plain path. */
export async function gunzipCached(path: string, sub: string): Promise<string> {
  const out = join(cacheRoot, sub, basename(path).replace(/\.gz$/, ''));
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(path).mtimeMs) return out;
  mkdirSync(dirname(out), { recursive: true });
  await pipeline(createReadStream(path), createGunzip(), createWriteStream(out + '.part'));
  renameSync(out + '.part', out);
  return out;
}

/** The compressed nodwarf vmlinux of a case, as stored. */
export function vmlinuxGz(name: string): string {
  return join(corpusDir, caseInfo(name).vmlinux);
}

/** The plain (decompressed) nodwarf vmlinux of a case. */
export async function vmlinuxPlain(name: string): Promise<string> {
  return gunzipCached(vmlinuxGz(name), 'nodwarf');
}

/** Every dump file of a case, decompressed if stored .gz (as check.py does). */
export async function dumpPaths(name: string): Promise<{ file: string; path: string; dump: CaseDump }[]> {
  const info = caseInfo(name);
  const out = [];
  for (const d of info.dumps) {
    const p = join(caseDir(name), d.file);
    if (!existsSync(p)) continue;
    const path = p.endsWith('.gz') ? await gunzipCached(p, join('dumps', info.case)) : p;
    out.push({ file: d.file.replace(/\.gz$/, ''), path, dump: d });
  }
  return out;
}

/** describe() that skips with a visible reason when the corpus is absent. */
export function describeCorpus(title: string, fn: () => void): void {
  if (corpusAvailable) describe(title, fn);
  else describe.skip(`${title} (skipped: no corpus at ${corpusDir})`, fn);
}

/**
 * A file whose suites are one per corpus case registers none without the corpus, and vitest fails such a
 * file ("No test suite found"): this stands in for them with one visibly skipped suite.
 */
export function skipWhenNoCases(title: string): void {
  if (caseNames().length > 0) return;
  describeCorpus(title, () => {
    it('needs ../shared/corpus', () => undefined);
  });
}

/**
 * crash 9's golden output of a command on one dump of a case, or undefined where absent or where crash
 * reported trouble in it (the same rule check.py applies).
 */
export function crashGolden(name: string, dumpFile: string, file: string): string | undefined {
  const p = join(caseDir(name), 'golden', 'crash-9', dumpFile, file);
  if (!existsSync(p)) return undefined;
  const text = readFileSync(p, 'latin1');
  if (/^(crash|\w+): .*(cannot|invalid|excluded|not found|failed)|^WARNING/m.test(text)) return undefined;
  return text;
}
