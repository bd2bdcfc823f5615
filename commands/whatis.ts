/** whatis: the declaration of a variable or function, or the definition of a type. */
import { CommandError, type Command } from '../src/command.js';
import {
  ExprError,
  UnknownTypeError,
  evaluate,
  parseTypeName,
  typeFromSpec,
  variableType,
} from '../src/kernel/expr/index.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { declare, formatTypeDecl } from '../src/kernel/types/format.js';
import { resolve, type Type } from '../src/kernel/types/type.js';
import { text } from '../src/render/view.js';

/** A type named by the words: 'struct list_head', 'list_head', 'pid_t', 'enum pid_type', 'struct page *'. */
function namedType(k: Kernel, name: string): Type | undefined {
  const direct = k.findType(name) ?? k.debugInfo?.types.find(name);
  if (direct) return direct;
  try {
    const spec = parseTypeName(name, {
      dialect: 'c',
      fail: (m) => new ExprError(m),
      isTypeName: (n) => !!(k.findType(n) ?? k.debugInfo?.types.find(n)),
    });
    return spec ? typeFromSpec(k, spec) : undefined;
  } catch {
    return undefined;
  }
}

/** The definition a `whatis TYPE` shows: pointers and arrays of a struct show the struct. */
function definitionOf(t: Type): Type {
  let cur = t;
  for (let i = 0; i < 16 && (cur.kind === 'pointer' || cur.kind === 'array') && cur.target; i++) cur = cur.target;
  return cur;
}

const whatis: Command = {
  name: 'whatis',
  summary: "show a variable's or function's declaration, or a type's definition",
  needsDump: true,
  options: { o: 'member offsets' },
  help: `NAME
  whatis - what a symbol or type is

SYNOPSIS
  whatis [-o] SYMBOL | TYPE | EXPRESSION

DESCRIPTION
  For a variable, prints its declaration (volatile unsigned long jiffies;);
  for a function, its prototype (void schedule(void);). For a type - struct X,
  union X, enum X, a typedef, or a bare structure name - prints its
  definition and size, as the struct command does; an enum lists each
  enumerator with its value. For any other expression (init_task.tasks),
  prints the expression's type.

  Types come from the kernel's BTF, else DWARF; the types of ordinary
  global variables need the vmlinux's DWARF (per-CPU variables and functions
  are known from BTF too).

OPTIONS
  -o  show member offsets in a structure definition

EXAMPLES
  crash> whatis jiffies
  crash> whatis schedule
  crash> whatis struct list_head
  crash> whatis pid_t`,
  run(session, args) {
    const k = session.kernel!;
    const words = args.positional.join(' ').trim();
    if (!words) throw new CommandError('give a symbol, a type or an expression');
    const offsets = !!args.flags.o;

    if (/^[A-Za-z_][A-Za-z0-9_.]*$/.test(words) && k.symbols.lookupAny(words)) {
      const t = variableType(k, words);
      if (!t) {
        throw new CommandError(
          `${words}: its type is in DWARF, which ${k.dwarfLacker} lacks (open the debug vmlinux to see it)`,
        );
      }
      return text([`${declare(t, words, 0)};`], { symbol: words, type: declare(t, '', 0) });
    }
    const t = namedType(k, words);
    if (t) {
      const def = definitionOf(t);
      const shown = resolve(def).kind === 'struct' || resolve(def).kind === 'union' ? def : t;
      return text(formatTypeDecl(shown, { offsets }), { type: words, size: shown.size });
    }
    try {
      const v = evaluate(k, words);
      return text([declare(v.type, '', 0)], { expression: words, type: declare(v.type, '', 0) });
    } catch (err) {
      if (err instanceof UnknownTypeError) throw new CommandError(err.message);
      if (err instanceof ExprError) throw new CommandError(`cannot resolve: ${words}`);
      throw err;
    }
  },
};

export default whatis;
