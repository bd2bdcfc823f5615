/** "Did you mean" for a mistyped command: prefix matches first, then names within a small edit distance. */

export function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/** Up to `max` likely intended names, best first. */
export function suggestNames(word: string, names: Iterable<string>, max = 3): string[] {
  const scored: [number, string][] = [];
  const limit = word.length <= 2 ? 1 : 2;
  for (const n of new Set(names)) {
    if (n === word) continue;
    let score: number;
    if (n.startsWith(word)) score = 0 + (n.length - word.length) / 100;
    else {
      const d = editDistance(word, n);
      if (d > limit) continue;
      score = d;
    }
    scored.push([score, n]);
  }
  scored.sort((x, y) => x[0] - y[0]); // stable: earlier names (commands before aliases) win ties
  return scored.slice(0, max).map((s) => s[1]);
}
