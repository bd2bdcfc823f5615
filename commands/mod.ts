/** mod: the loaded kernel modules, read from the dump's module list, in crash's layout. */
import { CommandError, type Args, type Command } from '../src/command.js';
import { loadedModules, moduleSymbols, moduleTaints } from '../src/kernel/objects/modules.js';
import { text, type TableView, type View } from '../src/render/view.js';
import { fit } from '../src/render/mem/fields.js';
import type { Session } from '../src/session.js';
import type { Kernel } from '../src/kernel/kernel.js';
import type { KernelModule } from '../src/kernel/objects/modules.js';

const hex16 = (v: unknown): string => (v as bigint).toString(16).padStart(16, '0');
const NOT_LOADED = '(not loaded)  [CONFIG_KALLSYMS]';

const HELP = `mod - loaded kernel modules

SYNOPSIS
  mod [-s MODULE | -t]

Lists every module on the kernel's module list: the address of its struct module, its name, where
its code starts (BASE up to 6.3; TEXT_BASE from 6.4, whose modules are split into text, data,
rodata and ro_after_init areas) and its size (all of those areas). Symbols come from the copy of the
module's symbol table the kernel keeps for /proc/kallsyms, which is in the dump: bt, rd -s and
symbol arguments name module functions without the .ko file ("[CONFIG_KALLSYMS]"). Debug
information of a module (its .ko) is not loaded ("(not loaded)").

OPTIONS
  -s MODULE   the symbols of one module, address order ("ADDRESS TYPE NAME")
  -t          the tainted modules and the taint letters each brought (struct module.taints, named by
              the kernel's taint_flags table: O out of tree, E unsigned, P proprietary, ...)

EXAMPLES
  mod
  lsmod
  mod -s virtio_blk
  mod -t        which modules tainted the kernel, and how`;

/** mod -t: "NAME  TAINTS", one row per module with taints, the name column as wide as the longest name. */
function taintsView(k: Kernel, mods: KernelModule[]): View {
  const rows: { name: string; taints: string }[] = [];
  for (const m of mods) {
    const t = moduleTaints(k, m);
    if (t === undefined) throw new CommandError('this kernel has no taint_flags table to name module taints by');
    if (t) rows.push({ name: m.name, taints: t });
  }
  if (!rows.length) return text(['no tainted modules'], []);
  const w = Math.max(...rows.map((r) => r.name.length));
  return text([`${'NAME'.padEnd(w)}  TAINTS`, ...rows.map((r) => `${r.name.padEnd(w)}  ${r.taints}`)], rows);
}

const mod: Command = {
  name: 'mod',
  summary: 'loaded kernel modules',
  help: HELP,
  needsDump: true,
  options: { s: '=module', t: 'tainted modules' },
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
    // crash's words for an empty list (checked against crash 9 on a dump without modules; mod -t too)
    if (!mods.length) return text([list.problem ? `mod: ${list.problem}` : 'no modules installed'], []);
    if (args.flags.t) return taintsView(k, mods);
    // 6.4+ modules are split into mem[] areas: crash then calls the column TEXT_BASE
    const newLayout = k.hasMember('struct module', 'mem');
    const rows = mods.map((m) => ({ module: m.address, name: m.name, base: m.base, size: m.size }));
    // Enter: the module's symbols (mod -s), or its struct module when its symbol table cannot be read
    for (const r of rows) {
      const m = mods.find((x) => x.address === r.module)!;
      Object.defineProperty(r, 'next', {
        enumerable: false,
        get: () => {
          try {
            if (moduleSymbols(k, m).symbols.length) return `mod -s ${m.name}`;
          } catch {
            // below
          }
          return `struct module 0x${m.address.toString(16)}`;
        },
      });
    }
    const view: TableView = {
      kind: 'table',
      columns: [
        {
          key: 'module',
          header: fit('MODULE', 16, 'center'),
          align: 'left',
          width: 16,
          fixed: true,
          sep: '',
          format: hex16,
        },
        { key: 'name', header: 'NAME', align: 'left', width: 4, sep: '  ' },
        {
          key: 'base',
          header: fit(newLayout ? 'TEXT_BASE' : 'BASE', 16, 'center'),
          align: 'left',
          width: 16,
          fixed: true,
          sep: '  ',
          format: hex16,
        },
        { key: 'size', header: 'SIZE', align: 'right', width: 4, sep: '  ', format: String },
        // crash reads no module's debug information unless asked (mod -s NAME FILE): neither do we
        { key: 'object', header: 'OBJECT FILE', align: 'left', width: 0, sep: '  ', format: () => NOT_LOADED },
      ],
      rows,
      rowAction: '{next}',
      data: rows,
    };
    if (list.problem) view.after = [`mod: ${list.problem}`];
    return view;
  },
};

export default mod;
