/**
 * Fuzz cases that still show a defect in code this suite does not own, with the reproducer. The
 * normal run skips them (so it stays fast and green for everyone) and regressions.test.ts lists
 * them as todo; remove an entry once its owner fixes it (and move it to REGRESSIONS).
 */
export interface KnownDefect {
  seed: number;
  index: number;
  dump: string;
  target: string;
  what: string;
}

export const KNOWN_SLOW: KnownDefect[] = [];
