/** A file that is not ELF, or whose ELF structures are cut or inconsistent. One line: "<file>: <problem>". */
export class ElfError extends Error {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
    this.name = 'ElfError';
  }
}
