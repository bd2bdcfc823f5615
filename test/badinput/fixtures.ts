/** Damaged inputs for the bad-input tests, made once per run in a temp directory (small files only). */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decompressedCopy } from '../../src/dump/file.js';
import { repoRoot } from '../helpers/corpus.js';

export const sampleVmlinux = join(repoRoot, 'sample-dumps', 'vmlinux-6.1.0-56-cloud-amd64.gz');
export const sampleVmcore = join(repoRoot, 'sample-dumps', 'vmcore');

export function head(path: string, bytes: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(bytes);
    const n = readSync(fd, b, 0, bytes, 0);
    return b.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

export interface Fixtures {
  dir: string;
  empty: string;
  random: string;
  fifo: string;
  cutHeader: string;
  cutBitmaps: string;
  cutData: string;
  /** end of the sample's bitmaps (for the message) */
  bitmapsEnd: number;
  stripped: string | undefined;
}

export function makeFixtures(): Fixtures {
  const dir = mkdtempSync(join(tmpdir(), 'crash-ts-badinput-'));
  const f = (name: string, data: Buffer) => {
    const p = join(dir, name);
    writeFileSync(p, data);
    return p;
  };
  // the sample's kdump layout: struct disk_dump_header block_size, sub_hdr_size, bitmap_blocks
  const h = head(sampleVmcore, 464);
  const bs = h.readInt32LE(428);
  const bitmapsStart = (1 + h.readInt32LE(432)) * bs;
  const bitmapsEnd = bitmapsStart + h.readUInt32LE(436) * bs;
  let rnd = 12345;
  const random = Buffer.alloc(100_000);
  for (let i = 0; i < random.length; i++) random[i] = (rnd = (Math.imul(rnd, 1103515245) + 12345) >>> 0) >>> 24;
  const fifo = join(dir, 'fifo');
  spawnSync('mkfifo', [fifo]);
  let stripped: string | undefined = join(dir, 'vmlinux-stripped');
  try {
    execFileSync('objcopy', ['--strip-all', decompressedCopy(sampleVmlinux), stripped], { stdio: 'ignore' });
  } catch {
    stripped = undefined;
  }
  mkdirSync(join(dir, 'a-directory'));
  return {
    dir,
    empty: f('empty', Buffer.alloc(0)),
    random: f('random', random),
    fifo: existsSync(fifo) ? fifo : '',
    cutHeader: f('cut-header', head(sampleVmcore, 300)),
    cutBitmaps: f('cut-bitmaps', head(sampleVmcore, Math.floor((bitmapsStart + bitmapsEnd) / 2))),
    cutData: f('cut-data', head(sampleVmcore, 8_000_000)),
    bitmapsEnd,
    stripped,
  };
}

/** Run the CLI in line mode: `crash-ts -s A B` with `input` on stdin. */
export function cli(args: string[], input: string, timeoutMs = 60_000) {
  const r = spawnSync(process.execPath, [join(repoRoot, 'bin', 'crash-ts'), '-s', ...args], {
    input,
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, timedOut: r.error !== undefined || r.signal !== null };
}

export const built = existsSync(join(repoRoot, 'dist', 'src', 'cli.js'));
