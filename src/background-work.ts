/**
 * Work a session started that may still run when it is done: warm-start cache files being written on libuv's
 * thread pool (src/cache/vmlinux-cache.ts, cacheWrites). The CLI waits for it before process.exit, which would
 * otherwise stop a write half-way (a temporary file never renamed into place).
 */
const pending = new Set<Promise<unknown>>();

/** Keep `work` in the list until it settles. */
export function addBackgroundWork(work: Promise<unknown>): void {
  const p = work.finally(() => pending.delete(p));
  pending.add(p);
}

/** Wait until every piece of background work has settled (at most `ms`; failures are their own business). */
export async function settleBackgroundWork(ms = 10_000): Promise<void> {
  if (pending.size === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((r) => (timer = setTimeout(r, ms)));
  await Promise.race([Promise.allSettled([...pending]), late]);
  clearTimeout(timer);
}
