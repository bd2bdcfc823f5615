/**
 * Splitting one input line the way crash does: `cmd args | shell pipeline`, `cmd > file`,
 * `cmd >> file`, `!shell command`, `#` comments, quoting, and alias expansion of the first word.
 * `|` and `>` inside quotes or parentheses are not special, so `eval ((1 << 4) | 2)` stays whole.
 */

export type Sink =
  | { kind: 'display' }
  | { kind: 'pipe'; command: string }
  | { kind: 'file'; path: string; append: boolean };

export type ParsedLine =
  | { kind: 'empty' }
  | { kind: 'shell'; command: string }
  | { kind: 'command'; name: string; argv: string[]; sink: Sink; text: string };

export class ParseError extends Error {}

/**
 * Split words honouring '…', "…" and backslash escapes; stops at an unquoted '#' that starts a word.
 * A word that is wholly one '…' keeps its single quotes, as crash passes it on: that is how
 * `ps 'regex'` and `foreach 'regex' bt` tell a regular expression from a command name.
 */
export function splitWords(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  // true while the current word is exactly one single-quoted string
  let wholeSingle = false;
  const push = () => {
    words.push(wholeSingle ? `'${cur}'` : cur);
    cur = '';
    inWord = false;
    wholeSingle = false;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < text.length && '"\\'.includes(text[i + 1]!)) cur += text[++i];
      else cur += c;
      continue;
    }
    if (c === "'" || c === '"') {
      wholeSingle = c === "'" && !inWord;
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i];
      inWord = true;
      wholeSingle = false;
    } else if (c === ' ' || c === '\t') {
      if (inWord) push();
    } else if (c === '#' && !inWord) {
      break;
    } else {
      cur += c;
      inWord = true;
      wholeSingle = false;
    }
  }
  if (quote) throw new ParseError(`unbalanced ${quote} quote`);
  if (inWord) push();
  return words;
}

/** A wholly single-quoted word without its quotes (for commands and places that take plain words). */
export function unquoteWord(word: string): string {
  return word.length >= 2 && word.startsWith("'") && word.endsWith("'") ? word.slice(1, -1) : word;
}

/** Index of the first unquoted, unparenthesised occurrence of one of `chars`, or -1; also where a comment starts. */
function findSpecial(text: string, chars: string): { index: number; comment: number } {
  let quote: string | undefined;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"') i++;
      continue;
    }
    if (c === '\\') i++;
    else if (c === "'" || c === '"') quote = c;
    else if (c === '(') depth++;
    else if (c === ')') depth = Math.max(0, depth - 1);
    else if (c === '#' && (i === 0 || text[i - 1] === ' ' || text[i - 1] === '\t')) return { index: -1, comment: i };
    else if (c === '>' && text[i - 1] === '-')
      continue; // C's `->` (p task->comm), not a redirection
    else if (depth === 0 && chars.includes(c)) return { index: i, comment: -1 };
  }
  return { index: -1, comment: -1 };
}

/** Alias lookup: name → expansion text (user aliases first, then built-ins). */
export type AliasResolver = (name: string) => string | undefined;

/** Replace the first word by its alias expansion, repeatedly (bounded, no cycles). */
export function expandAliases(line: string, resolve: AliasResolver): string {
  const seen = new Set<string>();
  let text = line.trimStart();
  for (let n = 0; n < 16; n++) {
    const m = /^(\S+)(.*)$/s.exec(text);
    if (!m) return text;
    const first = m[1]!;
    if (seen.has(first)) return text;
    const expansion = resolve(first);
    if (expansion === undefined) return text;
    seen.add(first);
    text = expansion + m[2];
  }
  return text;
}

/** Parse one line into a command (name, argv, where its output goes), a shell escape, or nothing. */
export function parseLine(line: string, resolve: AliasResolver = () => undefined): ParsedLine {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return { kind: 'empty' };
  if (trimmed.startsWith('!')) return { kind: 'shell', command: trimmed.slice(1).trim() };
  const text = expandAliases(trimmed, resolve);
  if (text.startsWith('!')) return { kind: 'shell', command: text.slice(1).trim() };

  let commandPart = text;
  let sink: Sink = { kind: 'display' };
  const special = findSpecial(text, '|>');
  if (special.comment >= 0) commandPart = text.slice(0, special.comment);
  else if (special.index >= 0) {
    commandPart = text.slice(0, special.index);
    if (text[special.index] === '|') {
      const command = text.slice(special.index + 1).trim();
      if (!command) throw new ParseError('missing command after |');
      sink = { kind: 'pipe', command };
    } else {
      const append = text[special.index + 1] === '>';
      const target = splitWords(text.slice(special.index + (append ? 2 : 1)));
      if (target.length !== 1)
        throw new ParseError(target.length ? 'only one file after >' : 'missing file name after >');
      sink = { kind: 'file', path: unquoteWord(target[0]!), append };
    }
  }
  const words = splitWords(commandPart);
  if (words.length === 0) {
    if (sink.kind !== 'display') throw new ParseError('missing command before ' + (sink.kind === 'pipe' ? '|' : '>'));
    return { kind: 'empty' };
  }
  return { kind: 'command', name: words[0]!, argv: words.slice(1), sink, text: commandPart.trim() };
}
