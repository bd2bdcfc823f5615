/**
 * A Node module hook for tests that check what a start loads: `--import <moduleTraceImport(dir)>` makes Node
 * print `MODULE file:///...` on stderr for every file module it resolves (require() inside the bundle does not
 * pass through it). The two small files are written into `dir` once.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The file URL to give `node --import`; writes dir/hooks.mjs and dir/register.mjs when absent. */
export function moduleTraceImport(dir: string): string {
  const hooks = join(dir, 'hooks.mjs');
  const register = join(dir, 'register.mjs');
  if (!existsSync(register)) {
    writeFileSync(
      hooks,
      `export async function resolve(s, c, next) {
  const r = await next(s, c);
  if (r.url.startsWith('file:')) process.stderr.write('MODULE ' + r.url + '\\n');
  return r;
}\n`,
    );
    writeFileSync(
      register,
      `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`,
    );
  }
  return pathToFileURL(register).href;
}
