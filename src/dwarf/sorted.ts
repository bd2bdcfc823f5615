/** The index of the last element at or below `key` in an ascending array of addresses, or -1. */
export function lastAtOrBelow(sorted: BigUint64Array, key: bigint): number {
  let lo = 0,
    hi = sorted.length - 1,
    found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! <= key) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}
