import type { Session } from '../session.js';

/** The aliases every session starts with (crash's usual set, minus those for gdb commands we lack). */
export const BUILTIN_ALIASES: ReadonlyArray<readonly [string, string]> = [
  ['man', 'help'],
  ['?', 'help'],
  ['quit', 'q'],
  ['exit', 'q'],
  ['sf', 'set scroll off'],
  ['sn', 'set scroll on'],
  ['hex', 'set radix 16'],
  ['dec', 'set radix 10'],
  ['px', 'p -x'],
  ['pd', 'p -d'],
  ['for', 'foreach'],
  ['dmesg', 'log'],
  ['lsmod', 'mod'],
  ['last', 'ps -l'],
];

const builtinMap = new Map(BUILTIN_ALIASES.map(([a, b]) => [a, b]));

/** The expansion of `name`: the session's own aliases win over the built-in ones. */
export function resolveAlias(session: Session, name: string): string | undefined {
  return session.aliases.get(name) ?? builtinMap.get(name);
}

export function builtinAlias(name: string): string | undefined {
  return builtinMap.get(name);
}
