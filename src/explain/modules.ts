/** Explain mode for `mod`: what the columns are and where the symbols came from. */
import type { Explanation } from '../render/view.js';
import { NoteList } from './index.js';

export function explainMod(lines: string[], _view: unknown, argv: string[]): Explanation | undefined {
  if (argv.length) return undefined;
  const n = new NoteList(lines);
  if (n.first(/^\s+MODULE\s+NAME\s+/, "struct module's address, the name, where its code starts, its size") < 0)
    return undefined;
  n.first(
    /\[CONFIG_KALLSYMS\]/,
    "symbols from the copy of the module's symbol table kept in memory; (not loaded): no .ko debug info",
  );
  return n.done([
    'the modules list (struct module.list)',
    'module.core_layout or mem[] (base, size)',
    'module.kallsyms (symtab, strtab)',
  ]);
}
