/** Tab completion: command names for the first word, then options (-x) of that command, then symbol names. */

export interface CompletionSource {
  commands(): string[];
  /** the option letters/words of a command (without '-') */
  options(command: string): string[];
  /** symbol names starting with prefix (the kernel's optional completeSymbols) */
  symbols(prefix: string): string[];
}

export interface Completion {
  /** the new input line */
  line: string;
  /** all candidates when more than one remains (shown above the prompt) */
  candidates: string[];
}

function commonPrefix(words: string[]): string {
  let p = words[0] ?? '';
  for (const w of words) while (!w.startsWith(p)) p = p.slice(0, -1);
  return p;
}

export function complete(line: string, src: CompletionSource): Completion {
  const m = /^(.*?)(\S*)$/s.exec(line)!;
  const before = m[1]!;
  const word = m[2]!;
  let pool: string[];
  if (before.trim() === '') pool = src.commands().filter((c) => c.startsWith(word));
  else if (word.startsWith('-')) {
    const cmd = before.trim().split(/\s+/)[0]!;
    pool = src
      .options(cmd)
      .map((o) => '-' + o)
      .filter((o) => o.startsWith(word));
  } else if (word.length > 0) pool = src.symbols(word).filter((s) => s.startsWith(word));
  else pool = [];
  pool = [...new Set(pool)].sort();
  if (pool.length === 0) return { line, candidates: [] };
  if (pool.length === 1) return { line: before + pool[0] + ' ', candidates: [] };
  const prefix = commonPrefix(pool);
  return { line: before + (prefix.length > word.length ? prefix : word), candidates: pool };
}
