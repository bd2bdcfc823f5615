/**
 * The README's command list, generated from the registry (so it cannot drift):
 *   node dist/scripts/command-table.js            prints the markdown table
 * test/readme.test.ts checks that README.md holds exactly this table.
 */
import { loadRegistry } from '../commands/index.js';

export async function commandTable(): Promise<string> {
  const registry = await loadRegistry();
  const rows = registry
    .list()
    .slice()
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((c) => `| \`${c.name}\` | ${(c.aliases ?? []).map((a) => `\`${a}\``).join(', ')} | ${c.summary} |`);
  return ['| command | aliases | what it does |', '|---|---|---|', ...rows].join('\n');
}

if (process.argv[1]?.endsWith('command-table.js')) {
  commandTable().then((t) => console.log(t));
}
