/**
 * Explain mode (`set explain on`, `CMD --explain`): after a command ran, an explainer reads its View — the lines
 * as rendered and the View's data — and attaches one-line notes about what matters in them, and which kernel
 * structures the command read to get there. Data beside the View, laid out by src/render/explain.ts; the kernel
 * model and the commands know nothing of it.
 */
import { viewLines } from '../render/text.js';
import type { Explanation, View } from '../render/view.js';
import { explainBt } from './bt.js';
import { explainLog } from './log.js';
import { explainVm, explainVtop } from './memory.js';
import { explainMod } from './modules.js';
import { explainPs } from './ps.js';
import { explainSys } from './sys.js';

/** Notes for one command's output: `lines` are the view's rendered lines, `argv` what followed the command name. */
export type Explainer = (lines: string[], view: View, argv: string[]) => Explanation | undefined;

const EXPLAINERS: Record<string, Explainer> = {
  sys: explainSys,
  bt: explainBt,
  ps: explainPs,
  log: explainLog,
  vtop: explainVtop,
  vm: explainVm,
  mod: explainMod,
};

/** The commands that have explanations. */
export const explainedCommands = (): string[] => Object.keys(EXPLAINERS).sort();

/**
 * Attach the explanation of `name`'s output to its view. A command without an explainer gets nothing under
 * `set explain on`, and one note saying so when `--explain` asked for it (`asked`).
 */
export function explainView(name: string, argv: string[], view: View, asked = false): void {
  const explain = EXPLAINERS[name];
  if (view.kind === 'error') return;
  if (!explain) {
    if (asked)
      view.explain = {
        notes: [
          {
            after: Number.MAX_SAFE_INTEGER,
            text: `no explanations for ${name} yet (${explainedCommands().join(', ')} have them)`,
          },
        ],
        reads: [],
      };
    return;
  }
  const ex = explain(viewLines(view), view, argv);
  if (ex && (ex.notes.length || ex.reads.length)) view.explain = ex;
}

/** A small builder: the first line matching each pattern gets its note (once). */
export class NoteList {
  readonly notes: Explanation['notes'] = [];
  constructor(private readonly lines: string[]) {}

  /** Note the first line matching `re` (from line `from` on); returns its index or -1. */
  first(re: RegExp, text: string | ((m: RegExpExecArray) => string), from = 0): number {
    for (let i = from; i < this.lines.length; i++) {
      const m = re.exec(this.lines[i]!);
      if (m) {
        this.notes.push({ after: i, text: typeof text === 'string' ? text : text(m) });
        return i;
      }
    }
    return -1;
  }

  at(index: number, text: string): void {
    if (index >= 0 && index < this.lines.length) this.notes.push({ after: index, text });
  }

  done(reads: string[]): Explanation {
    return { notes: [...this.notes].sort((a, b) => a.after - b.after), reads };
  }
}
