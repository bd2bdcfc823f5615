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

export const KNOWN_SLOW: KnownDefect[] = [
  {
    seed: 20261127,
    index: 12,
    dump: 'k612-sysrq-c/kdump-zlib',
    target: 'metadata',
    what:
      'a shifted 2nd bitmap makes every page read return another page: sys takes 17 s and ps 7 s walking garbage ' +
      'task lists (task-lists.ts walkOneWay: 100k-node limit, no back-link check; mmUsage per garbage task)',
  },
];
