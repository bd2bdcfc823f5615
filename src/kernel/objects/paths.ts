/**
 * The path of a dentry as d_path() builds it: the names up the d_parent chain to the root of its mount, then
 * up the mount tree (struct mount embeds the vfsmount a struct path points to: ->mnt_mountpoint is the dentry
 * it is mounted on, ->mnt_parent the mount above; the root mount is its own parent).
 */
import type { Kernel } from '../kernel.js';

/** deeper than any real path: where a walk of a damaged dentry chain stops */
const MAX_DEPTH = 256;

export function dentryPath(k: Kernel, dentry: bigint, vfsmount: bigint): string {
  const parts: string[] = [];
  let d = dentry;
  let mnt = vfsmount !== 0n ? vfsmount - BigInt(k.offsetOf('struct mount', 'mnt')) : 0n;
  for (let depth = 0; depth < MAX_DEPTH && d !== 0n; depth++) {
    const de = k.object('struct dentry', d);
    const parent = de.field('d_parent').value();
    const root = mnt !== 0n ? k.object('struct mount', mnt).field('mnt').field('mnt_root').value() : 0n;
    if (d === root || parent === d) {
      if (mnt === 0n) break;
      const m = k.object('struct mount', mnt);
      const up = m.field('mnt_parent').value();
      if (up === mnt || up === 0n) break;
      d = m.field('mnt_mountpoint').value();
      mnt = up;
      continue;
    }
    parts.push(de.field('d_name').field('name').cstring(256));
    d = parent;
  }
  return '/' + parts.reverse().join('/');
}
