/** check.py breadth's comparison: gdb's $N history numbers and trailing blanks do not count. */
export function breadthNorm(t: string): string {
  return t
    .replace(/\$\d+ = /g, '$N = ')
    .replace(/\n+$/, '')
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n')
    .trimEnd();
}
