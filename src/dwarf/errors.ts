/** A structural problem in a DWARF section: one line naming the section and the offset where reading failed. */
export class DwarfError extends Error {
  override name = 'DwarfError';
  constructor(
    readonly section: string,
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${section} at offset 0x${offset.toString(16)}: ${reason}`);
  }
}
