/**
 * A shared session's name (--share NAME, crash-ts join NAME): apart from paths.ts, which needs node:net, so that
 * parsing the command line does not load Node's net module into every start.
 */
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const DEFAULT_NAME = 'crash';
