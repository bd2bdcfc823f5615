/**
 * The peak resident set size of this process during one fuzz case. Linux keeps the high-water mark
 * (VmHWM in /proc/self/status) and resets it to the current RSS when "5" is written to
 * /proc/self/clear_refs, so a case's own peak is measured, not the largest of every case before it.
 * Elsewhere (no /proc) the RSS after the case stands in. It is the whole process's: run one case at a
 * time per process (the fuzz script's workers are child processes, not threads, for this reason).
 */
import { readFileSync, writeFileSync } from 'node:fs';

let canReset: boolean | undefined;

/** Start measuring: reset the high-water mark to the current RSS (false where the OS cannot). */
export function resetPeakRss(): boolean {
  if (canReset === false) return false;
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    canReset = true;
  } catch {
    canReset = false;
  }
  return canReset;
}

/** The most this process has held resident since resetPeakRss(), in bytes. */
export function peakRss(): number {
  if (canReset) {
    try {
      const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
      if (m) return Number(m[1]) * 1024;
    } catch {
      /* fall through */
    }
  }
  return process.memoryUsage().rss;
}

/** Collect garbage first when the process runs with --expose-gc, so a case starts from a clean heap. */
export function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}
