/** The README stays true: its command list is the registry's, and its two Quick start commands are the package's. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { commandTable } from '../scripts/command-table.js';
import { repoRoot } from './helpers/corpus.js';

const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');

it('README lists exactly the registered commands (regenerate: node dist/scripts/command-table.js)', async () => {
  const table = await commandTable();
  expect(readme).toContain(table);
});

it('README quick start uses the package scripts that exist', () => {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  expect(readme).toMatch(/npm install && npm start/);
  expect(readme).toMatch(/npm test/);
  expect(pkg.scripts.start).toBeDefined();
  expect(pkg.scripts.test).toBeDefined();
});
