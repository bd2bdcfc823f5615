/** Types for the installed `snappyjs` package (it ships none). Only what src/dump uses. */
declare module 'snappyjs' {
  /** Decompress a raw snappy block; throws when the uncompressed length exceeds maxLength or the data is bad. */
  export function uncompress<T extends Uint8Array | ArrayBuffer>(compressed: T, maxLength?: number): T;
  export function compress<T extends Uint8Array | ArrayBuffer>(uncompressed: T): T;
  const snappy: { uncompress: typeof uncompress; compress: typeof compress };
  export default snappy;
}
