/**
 * The DWARF part of `npm run bench`, one measurement per fresh process:
 *
 *   node dist/scripts/bench-dwarf.js lookup|full VMLINUX CACHEDIR
 *
 * lookup: the type of `jiffies` (walking .debug_info only as far as needed, or from the cached index);
 * full: the whole name index (walked and written to CACHEDIR, or read from it). Prints one JSON line:
 * how the index was had, milliseconds, CPU milliseconds, units walked and peak RSS.
 */
import { DwarfDebugInfo } from '../src/dwarf/debug-info.js';
import { ElfFile } from '../src/elf/index.js';
import { declare } from '../src/kernel/types/format.js';

const [mode, vmlinux, cacheDir] = process.argv.slice(2);
if (!vmlinux || !cacheDir || (mode !== 'lookup' && mode !== 'full')) {
  console.error('usage: bench-dwarf lookup|full VMLINUX CACHEDIR');
  process.exit(2);
}
let peak = process.memoryUsage().rss;
const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
const elf = ElfFile.open(vmlinux);
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const di = new DwarfDebugInfo(elf, { cacheDir });
let answer = '';
if (mode === 'lookup') {
  const t = di.variableType('jiffies');
  answer = t ? declare(t, 'jiffies', 0) : 'no type';
} else {
  answer = `${di.index().size} names`;
}
const ms = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
sample();
console.log(
  JSON.stringify({
    mode,
    answer,
    index: di.indexStats?.source ?? 'partial walk',
    ms: Math.round(ms),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    unitsWalked: di.names.progress.unitsWalked,
    units: di.names.progress.units,
    rssMB: Math.round(peak / 1048576),
  }),
);
