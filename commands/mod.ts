/** mod: the loaded kernel modules, read from the dump's module list, in crash's layout. */
import { withLineLinks } from '../src/render/line-links.js';
import { MOD_LINKS } from './links/rules.js';
import { CommandError, type Args, type Command } from '../src/command.js';
import { loadedModules, moduleSymbols } from '../src/kernel/objects/modules.js';
import { text, type View } from '../src/render/view.js';
import { fit } from '../src/render/mem/fields.js';
import type { Session } from '../src/session.js';

const hex16 = (v: bigint): string => v.toString(16).padStart(16, '0');

const HELP = `mod - loaded kernel modules

SYNOPSIS
  mod [-s MODULE]

Lists every module on the kernel's module list: the address of its struct module, its name, where
its code starts (BASE up to 6.3; TEXT_BASE from 6.4, whose modules are split into text, data,
rodata and ro_after_init areas) and its size (all of those areas). Symbols come from the copy of the
module's symbol table the kernel keeps for /proc/kallsyms, which is in the dump: bt, rd -s and
symbol arguments name module functions without the .ko file ("[CONFIG_KALLSYMS]"). Debug
information of a module (its .ko) is not loaded ("(not loaded)").

OPTIONS
  -s MODULE   the symbols of one module, address order ("ADDRESS TYPE NAME")

EXAMPLES
  mod
  lsmod
  mod -s virtio_blk`;

const mod: Command = {
  name: 'mod',
  summary: 'loaded kernel modules',
  help: HELP,
  needsDump: true,
  options: { s: '=module' },
  run(session: Session, args: Args): View {
    const k = session.kernel;
    if (!k) throw new CommandError('no dump is open');
    const list = loadedModules(k);
    if (args.flags.s !== undefined) {
      const name = String(args.flags.s);
      const m = list.modules.find((x) => x.name === name);
      if (!m) throw new CommandError(`module not loaded: ${name}`);
      const syms = moduleSymbols(k, m).symbols;
      return text(
        syms.map((s) => `${hex16(s.address)} ${s.kind} ${s.name}`),
        syms.map((s) => ({ address: s.address, type: s.kind, name: s.name })),
      );
    }
    const mods = list.modules;
    // crash's words for an empty list (checked against crash 9 on a dump without modules)
    if (!mods.length) return text([list.problem ? `mod: ${list.problem}` : 'no modules installed'], []);
    // 6.4+ modules are split into mem[] areas: crash then calls the column TEXT_BASE
    const newLayout = k.hasMember('struct module', 'mem');
    const nameWidth = Math.max(4, ...mods.map((m) => m.name.length));
    const sizeWidth = Math.max(4, ...mods.map((m) => String(m.size).length));
    const lines = [
      `${fit('MODULE', 16, 'center')}  ${'NAME'.padEnd(nameWidth)}  ${fit(newLayout ? 'TEXT_BASE' : 'BASE', 16, 'center')}  ${'SIZE'.padStart(sizeWidth)}  OBJECT FILE`,
      ...mods.map(
        (m) =>
          `${hex16(m.address)}  ${m.name.padEnd(nameWidth)}  ${hex16(m.base)}  ${String(m.size).padStart(sizeWidth)}  (not loaded)  [CONFIG_KALLSYMS]`,
      ),
    ];
    if (list.problem) lines.push(`mod: ${list.problem}`);
    return text(
      lines,
      mods.map((m) => ({ module: m.address, name: m.name, base: m.base, size: m.size })),
    );
  },
};

// the terminal UI's next view from a line of the table (commands/links/rules.ts)
export default withLineLinks(mod, MOD_LINKS);
