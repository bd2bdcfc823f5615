/**
 * The mounts of a mount namespace as `mount` shows them: for each struct mount, its super block, the
 * filesystem type (super_block->s_type->name), the device name given to mount(2) (mount->mnt_devname)
 * and where it is mounted (the path of mnt_mountpoint seen through mnt_parent).
 */
import type { Kernel } from '../kernel.js';
import { dentryPath, namespaceMounts, taskMountNamespace, vfsmountOfMount } from './fs.js';

export interface MountInfo {
  mount: bigint;
  superBlock: bigint;
  type: string | undefined;
  devName: string | undefined;
  dirName: string | undefined;
  /** the first thing that could not be read of it (the fields it left unknown are undefined) */
  problem?: string;
}

export interface MountTable {
  namespace: bigint;
  mounts: MountInfo[];
  /** list or tree nodes on pages the dump lacks */
  broken: number;
}

/** The mount namespace of the task, or of init_task when that task has none (it has exited). */
export function mountNamespaceFor(k: Kernel, task: bigint | undefined): bigint {
  for (const t of [task, k.sym('init_task')]) {
    if (t === undefined) continue;
    try {
      const ns = taskMountNamespace(k, t);
      if (ns !== 0n) return ns;
    } catch {
      /* next */
    }
  }
  throw new Error('no task with a mount namespace');
}

export function mountTable(k: Kernel, ns: bigint): MountTable {
  const { mounts, broken } = namespaceMounts(k, ns);
  return {
    namespace: ns,
    broken,
    mounts: mounts.map((mount) => {
      const info: MountInfo = { mount, superBlock: 0n, type: undefined, devName: undefined, dirName: undefined };
      const m = k.object('struct mount', mount);
      // each field alone: on a dump that lost pages, what can be read is shown and the rest is unknown
      const attempt = <T>(read: () => T): T | undefined => {
        try {
          return read();
        } catch (e) {
          info.problem ??= (e as Error).message;
          return undefined;
        }
      };
      info.superBlock = attempt(() => m.field('mnt').field('mnt_sb').value()) ?? 0n;
      info.devName = attempt(() => k.readCString(m.field('mnt_devname').value(), 4096));
      info.type = attempt(() =>
        k.readCString(k.object('struct super_block', info.superBlock).field('s_type').field('name').value(), 4096),
      );
      info.dirName = attempt(() =>
        dentryPath(k, m.field('mnt_mountpoint').value(), vfsmountOfMount(k, m.field('mnt_parent').value())),
      );
      return info;
    }),
  };
}
