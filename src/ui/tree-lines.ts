/** A TreeView drawn for the terminal: box-drawing connectors instead of crash's plain indentation. */
import type { TreeNode } from '../render/view.js';

/** Lines of the trees, each child under its parent with ├─ / └─ and │ rails; `rail` styles the connectors. */
export function treeDrawLines(roots: TreeNode[], rail: (s: string) => string = (s) => s): string[] {
  const lines: string[] = [];
  // iterative, so a deep tree cannot overflow the stack: [node, prefix of rails, connector]
  const stack: [TreeNode, string, string][] = [];
  for (let i = roots.length - 1; i >= 0; i--) stack.push([roots[i]!, '', '']);
  while (stack.length) {
    const [node, prefix, connector] = stack.pop()!;
    lines.push(prefix || connector ? rail(prefix + connector) + node.label : node.label);
    const below = connector === '' ? prefix : prefix + (connector.startsWith('└') ? '   ' : '│  ');
    const n = node.children.length;
    for (let i = n - 1; i >= 0; i--) stack.push([node.children[i]!, below, i === n - 1 ? '└─ ' : '├─ ']);
  }
  return lines;
}
