/**
 * The full DWARF name index, built for the next session by a detached, low-priority process. A session
 * answers its first DWARF questions by walking only the units it needs (names.ts); without this, every
 * later session would walk them again, since the full index (2,172 units, ~2 s of CPU on a 6.1 debug
 * vmlinux) is only cached when some walk completes. A lock file (created exclusively, ignored after ten
 * minutes) keeps two sessions from starting two builders.
 *
 *   node background-index.js VMLINUX      (what startBackgroundIndex runs)
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, statSync, unlinkSync, mkdirSync } from 'node:fs';
import { setPriority } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ElfFile } from '../elf/index.js';
import { DwarfDebugInfo } from './debug-info.js';
import { inBundle } from '../bundle-flag.js';

const LOCK_STALE_MS = 10 * 60 * 1000;

/** This file as a script. The bundle (dist/bundle/*.js, one folder) runs the unbundled dist/ copy beside it. */
const script = (): string =>
  fileURLToPath(inBundle ? new URL('../src/dwarf/background-index.js', import.meta.url) : import.meta.url);

/** Start the builder for `vmlinux` unless the index file exists or a builder holds the lock. */
export function startBackgroundIndex(vmlinux: string, indexFile: string): void {
  const lock = `${indexFile}.building`;
  try {
    mkdirSync(dirname(indexFile), { recursive: true });
    try {
      if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) unlinkSync(lock);
    } catch {
      // no lock
    }
    closeSync(openSync(lock, 'wx'));
  } catch {
    return; // another session is building it (or the folder is not writable)
  }
  try {
    const child = spawn(process.execPath, [script(), vmlinux, lock], {
      detached: true,
      stdio: 'ignore',
    });
    child.on('error', () => undefined);
    if (child.pid) {
      try {
        setPriority(child.pid, 19);
      } catch {
        // not allowed: it runs at normal priority
      }
    }
    child.unref();
  } catch {
    try {
      unlinkSync(lock);
    } catch {
      // gone
    }
  }
}

function main(vmlinux: string, lock: string): void {
  try {
    const di = new DwarfDebugInfo(ElfFile.open(vmlinux));
    di.index(); // walks every unit and saves the index (temporary file renamed over)
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      // gone
    }
  }
}

if (
  !inBundle &&
  process.argv[1] &&
  import.meta.url === pathToFileURL(process.argv[1]).href &&
  process.argv.length >= 4
) {
  try {
    main(process.argv[2]!, process.argv[3]!);
  } catch {
    process.exitCode = 1;
  }
}
