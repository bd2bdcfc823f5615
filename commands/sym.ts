/** sym: symbols by name or address, symbol lists, with the source line where DWARF gives it (crash's layout). */
import { CommandError, type Args, type Command } from '../src/command.js';
import { text, type View } from '../src/render/view.js';
import type { Session } from '../src/session.js';
import type { Kernel } from '../src/kernel/kernel.js';
import { AddressError, parseAddress } from '../src/kernel/address.js';
import {
  isTextSymbol,
  kernelSymbolList,
  moduleSymbolLists,
  neighbourSymbol,
  symbolAt,
  symbolsContaining,
  symbolsNamed,
  type ListedSymbol,
} from '../src/kernel/symbol-list.js';
import { moduleMarkerLine, symbolLine } from '../src/render/symbol-lines.js';
import { joinParenthesized } from './rd.js';

const HELP = `NAME
  sym - translate a symbol to its address or an address to its symbol

SYNOPSIS
  sym [-l] | [-M] | [-m MODULE] | [-p|-n] | [-q STRING] | [-Q STRING] | [SYMBOL | ADDRESS] ...

DESCRIPTION
  With a SYMBOL, shows its address, its type letter (as nm prints it: T/t
  code, D/d data, B/b bss, R/r read-only) and, for code when the vmlinux
  carries DWARF, the source file and line. Every symbol of that name is shown
  (a static function can exist in several files). With an ADDRESS (hexadecimal,
  or an expression such as schedule+0x40), shows the symbol it falls in and
  the offset into it: decimal, or hexadecimal under \`set radix 16\`.

  Symbols of loaded modules come from the kallsyms copy each module keeps in
  memory, so they are named without the module's .ko; they are tagged
  [module] and have no source line.

OPTIONS
  -l          list every symbol: the kernel's in address order (the per-CPU
              offsets first), then each module's between MODULE START and
              MODULE END lines
  -M          list the modules' symbols only
  -m MODULE   list one module's symbols
  -q STRING   list the symbols whose name contains STRING
  -Q STRING   count the symbols whose name contains STRING (and name the last)
  -p          also show the symbol before each one asked for
  -n          also show the symbol after each one asked for
  -s          show the ELF section of the symbol instead of its source line

  Unlike crash, an expression (panic+5, (init_task+0x10)) is taken as an
  address rather than refused as an unknown symbol.

EXAMPLES
  crash> sym schedule
  crash> sym ffffffff81a114f0
  crash> sym -q sysrq_handle
  crash> sym -m virtio_blk
  crash> sym -l | grep ' (B) '`;

interface Shown {
  lines: string[];
  data: unknown[];
}

function radixOf(session: Session): 10 | 16 {
  return session.settings.radix === 16 ? 16 : 10;
}

/** The ELF section of the vmlinux holding a runtime address (sym -s). */
function sectionOf(k: Kernel, addr: bigint): string {
  const link = addr - k.kaslrOffset;
  for (const s of k.image.sections()) {
    if (s.size === 0n) continue;
    if (link >= s.addr && link < s.addr + s.size) return s.name;
  }
  return '';
}

/** One symbol as `sym` shows it, with its source line (code with DWARF) or section (-s). */
function show(k: Kernel, session: Session, out: Shown, s: ListedSymbol, offset: bigint, args: Args): void {
  const addr = s.value + offset;
  const withSection = !!args.flags.s;
  const line = !withSection && isTextSymbol(s) && !s.module ? k.sourceLine(addr) : undefined;
  out.lines.push(
    symbolLine(s, offset, {
      radix: radixOf(session),
      showModule: true,
      line,
      section: withSection && !s.module ? sectionOf(k, addr) : undefined,
    }),
  );
  out.data.push({
    address: addr,
    type: s.type,
    name: s.name,
    offset,
    module: s.module,
    file: line?.file,
    line: line?.line,
  });
}

/** The symbols containing a string, as `sym -q` and the not-found alternatives list them. */
function queryLines(k: Kernel, session: Session, part: string, pad: string): string[] {
  return symbolsContaining(k, part).map(
    (s) => pad + symbolLine(s, 0n, { radix: radixOf(session), showModule: !!s.module }),
  );
}

function listLines(k: Kernel, session: Session, kernel: boolean, module?: string): Shown {
  const radix = radixOf(session);
  const out: Shown = { lines: [], data: [] };
  if (kernel)
    for (const s of kernelSymbolList(k)) {
      out.lines.push(symbolLine(s, 0n, { radix }));
      out.data.push({ address: s.value, type: s.type, name: s.name });
    }
  for (const m of moduleSymbolLists(k)) {
    if (module !== undefined && m.module.name !== module) continue;
    for (const s of m.symbols) {
      session.checkCancelled();
      out.lines.push(s.marker ? moduleMarkerLine(s) : symbolLine(s, 0n, { radix }));
      out.data.push({
        address: s.value,
        type: s.type || undefined,
        name: s.name,
        module: s.module,
        marker: s.marker,
        area: s.area,
      });
    }
  }
  return out;
}

/** Add a listing's lines (hundreds of thousands for sym -l: no spread into push). */
function append(out: Shown, more: Shown): void {
  for (const l of more.lines) out.lines.push(l);
  for (const d of more.data) out.data.push(d);
}

/** Is the word a plain hexadecimal address (as crash reads `sym ffffffff81000000`)? */
const isHexWord = (w: string): boolean => /^(0x)?[0-9a-f]+$/i.test(w);
/** Does the word look like an expression rather than a name (operators or parentheses)? */
const isExpression = (w: string): boolean => /[-+*/%&|^~()<>]/.test(w);

function lookupOne(k: Kernel, session: Session, word: string, args: Args, out: Shown): void {
  const named = isHexWord(word) && !isExpression(word) ? [] : symbolsNamed(k, word);
  if (named.length === 0 && (isHexWord(word) || isExpression(word))) {
    let addr: bigint;
    try {
      addr = parseAddress(k, word);
    } catch (e) {
      if (e instanceof AddressError) throw new CommandError(e.message);
      throw e;
    }
    const hit = symbolAt(k, addr);
    if (!hit) {
      out.lines.push(`sym: invalid address: ${word}`);
      return;
    }
    if (args.flags.p) {
      const prev = neighbourSymbol(k, hit.symbol, -1);
      if (prev) show(k, session, out, prev, 0n, args);
    }
    show(k, session, out, hit.symbol, hit.offset, args);
    if (args.flags.n) {
      const next = neighbourSymbol(k, hit.symbol, 1);
      if (next) show(k, session, out, next, 0n, args);
    }
    return;
  }
  if (named.length === 0) {
    out.lines.push(`symbol not found: ${word}`, 'possible alternatives:');
    const alt = queryLines(k, session, word, '  ');
    if (alt.length) append(out, { lines: alt, data: [] });
    else out.lines.push('  (none found)');
    return;
  }
  for (const s of named) {
    if (args.flags.p) {
      const prev = neighbourSymbol(k, s, -1);
      if (prev) show(k, session, out, prev, 0n, args);
    }
    show(k, session, out, s, 0n, args);
    if (args.flags.n) {
      const next = neighbourSymbol(k, s, 1);
      if (next) show(k, session, out, next, 0n, args);
    }
  }
}

const sym: Command = {
  name: 'sym',
  summary: 'translate a symbol to an address or an address to a symbol',
  help: HELP,
  needsDump: true,
  options: {
    l: 'list every symbol',
    L: 'list every symbol (old spelling of -l)',
    M: 'list the module symbols',
    m: '=module',
    q: '=string',
    Q: '=string',
    p: 'show the previous symbol too',
    n: 'show the next symbol too',
    s: 'show the section instead of the source line',
  },
  run(session: Session, args: Args): View {
    const k = session.kernel;
    if (!k) throw new CommandError('no dump is open');
    const out: Shown = { lines: [], data: [] };
    const f = args.flags;
    let listed = false;
    if (typeof f.Q === 'string') {
      const hits = symbolsContaining(k, f.Q);
      out.lines.push(`${hits.length} found ${hits.length ? `(${hits[hits.length - 1]!.name})` : ''}`.trimEnd());
      listed = true;
    }
    if (typeof f.q === 'string') {
      const lines = queryLines(k, session, f.q, '');
      if (lines.length) append(out, { lines, data: [] });
      else out.lines.push('(none found)');
      listed = true;
    }
    if (typeof f.m === 'string') {
      const name = f.m;
      if (!moduleSymbolLists(k).some((m) => m.module.name === name))
        throw new CommandError(`module not loaded: ${name}`);
      append(out, listLines(k, session, false, name));
      listed = true;
    }
    if (f.M) {
      append(out, listLines(k, session, false));
      listed = true;
    }
    if (f.l || f.L) {
      append(out, listLines(k, session, true));
      listed = true;
    }
    const words = joinParenthesized(args.positional);
    if (words.length === 0 && !listed)
      throw new CommandError('give a symbol or an address: sym [-l|-M|-m MODULE|-q STRING] [SYMBOL|ADDRESS] ...');
    for (const w of words) lookupOne(k, session, w, args, out);
    return text(out.lines, out.data);
  },
};

export default sym;
