/**
 * An alias whose command does not exist (a built-in alias such as px/pd for a command this build lacks,
 * or a user's alias with a typo) says so in one line naming the alias, its expansion and the missing
 * command, instead of "no such command" for a word the user never typed.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRegistry, type Registry } from '../../commands/index.js';
import { Repl } from '../../src/repl/engine.js';
import { Session } from '../../src/session.js';

let registry: Registry;
beforeAll(async () => {
  registry = await loadRegistry({ plugins: false });
});

async function run(lines: string[], reg: Registry = registry): Promise<string[]> {
  const out: string[] = [];
  const r = new Repl(new Session(), reg, {
    capture: true,
    display: (t) => void out.push(...t.replace(/\n$/, '').split('\n')),
    error: (l) => void out.push(l),
  });
  for (const l of lines) await r.execute(l);
  return out;
}

describe('an alias of a command that does not exist', () => {
  it("a user's alias: one line naming the alias, its expansion and the missing command", async () => {
    const out = await run(['alias ls nosuchcmd -l', 'ls /tmp']);
    expect(out.at(-1)).toBe(
      'crash-ts: ls: an alias of "nosuchcmd -l", but there is no "nosuchcmd" command in this crash-ts ("help" lists the commands)',
    );
  });

  it('the built-in px and pd, on a build without p', async () => {
    const withoutP = Object.assign(Object.create(registry) as Registry, {
      get: (n: string) => (n === 'p' ? undefined : registry.get(n)),
    });
    expect(await run(['px jiffies', 'pd jiffies'], withoutP)).toEqual([
      'crash-ts: px: an alias of "p -x", but there is no "p" command in this crash-ts ("help" lists the commands)',
      'crash-ts: pd: an alias of "p -d", but there is no "p" command in this crash-ts ("help" lists the commands)',
    ]);
  });

  it('a word that is no alias still gets "no such command"', async () => {
    expect((await run(['nosuchcmd']))[0]).toMatch(/^crash-ts: nosuchcmd: no such command/);
  });
});
