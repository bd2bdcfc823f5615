/**
 * Import an ES module file through Node's own loader: a plug-in's commands, a commands folder's files. Every
 * import() of a file outside the build goes through here, because the line-mode bundle (dist/bundle/line.cjs,
 * compiled through node:vm for V8's code cache) has no module loader of its own: scripts/bundle.ts puts the
 * launcher's import() (bin/crash-ts, an ES module) in place of this one there.
 */
export function importFile(url: string): Promise<Record<string, unknown>> {
  return import(url);
}
