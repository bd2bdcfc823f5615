/** Command history for the terminal prompt, kept across runs in ~/.crash-ts_history. */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export const defaultHistoryFile = (): string => join(homedir(), '.crash-ts_history');
const KEEP = 1000;

export class History {
  readonly entries: string[] = [];
  /** position while walking with Up/Down: entries.length means "the line being typed" */
  private pos = 0;
  private draft = '';

  constructor(private readonly file?: string) {
    if (file && existsSync(file)) {
      try {
        const lines = readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l.trim() !== '');
        this.entries.push(...lines.slice(-KEEP));
        if (lines.length > KEEP * 2) writeFileSync(file, this.entries.join('\n') + '\n');
      } catch {
        // an unreadable history is not worth an error
      }
    }
    this.pos = this.entries.length;
  }

  add(line: string): void {
    const l = line.trim();
    this.pos = this.entries.length;
    if (!l || this.entries[this.entries.length - 1] === l) return;
    this.entries.push(l);
    this.pos = this.entries.length;
    if (this.file) {
      try {
        appendFileSync(this.file, l + '\n');
      } catch {
        // read-only home: keep the history in memory only
      }
    }
  }

  /** Up: the previous entry (current text kept as the draft), or undefined at the oldest. */
  prev(current: string): string | undefined {
    if (this.pos === 0) return undefined;
    if (this.pos === this.entries.length) this.draft = current;
    return this.entries[--this.pos];
  }

  /** Down: the next entry, or the draft after the newest. */
  next(): string | undefined {
    if (this.pos >= this.entries.length) return undefined;
    this.pos++;
    return this.pos === this.entries.length ? this.draft : this.entries[this.pos];
  }

  reset(): void {
    this.pos = this.entries.length;
    this.draft = '';
  }
}
