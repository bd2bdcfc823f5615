/** dev -i: the I/O port and I/O memory resource trees in crash's layout. */
import type { Kernel } from '../../src/kernel/kernel.js';
import { resourceTree, type ResourceEntry } from '../../src/kernel/objects/resources.js';
import { fit } from '../../src/render/mem/fields.js';
import { text, type View } from '../../src/render/view.js';

/**
 * One tree: a header, then "RESOURCE  START-END  NAME" for each node. The range is 4 hex digits a side when the
 * root ends at or below 0xffff, else 8 (wider values push the line); a name that would pass column 80 is
 * broken at a space and goes on under the NAME column, as crash does.
 */
function treeLines(k: Kernel, symbol: string): { lines: string[]; entries: ResourceEntry[] } {
  const t = resourceTree(k, k.sym(symbol));
  const root = t.entries[0];
  const size = root && root.end > 0xffffn ? 8 : 4;
  const wrap = 16 + 2 + (size * 2 + 1) + 2;
  const lines = [`${fit('RESOURCE', 16, 'center')}  ${fit('RANGE', size * 2 + 1, 'center')}  NAME`];
  for (const e of t.entries) {
    const head = `${e.address.toString(16).padStart(8)}  ${e.start.toString(16).padStart(size, '0')}-${e.end.toString(16).padStart(size, '0')}`;
    const name = e.name ?? '(unknown)';
    if (wrap + name.length <= 80) {
      lines.push(`${head}  ${name}`);
      continue;
    }
    // break at the last space that leaves the first part within 80 columns
    const over = wrap + name.length - 80;
    let cut = -1;
    for (let i = name.length - 1, c = 0; i > 0; i--, c++)
      if (name[i] === ' ' && c >= over) {
        cut = i;
        break;
      }
    if (cut < 0) lines.push(`${head}  ${name}`);
    else lines.push(`${head}  ${name.slice(0, cut)}`, `${' '.repeat(wrap)}${name.slice(cut + 1)}`);
  }
  if (t.problem) lines.push(`dev: ${symbol}: ${t.problem}`);
  return { lines, entries: t.entries };
}

export function resourcesView(k: Kernel): View {
  const io = treeLines(k, 'ioport_resource');
  const mem = treeLines(k, 'iomem_resource');
  return text([...io.lines, '', ...mem.lines], { ioport: io.entries, iomem: mem.entries });
}
