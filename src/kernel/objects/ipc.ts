/**
 * System V IPC objects of an IPC namespace (ipc/util.c): ipc_namespace.ids[IPC_SEM_IDS=0,
 * IPC_MSG_IDS=1, IPC_SHM_IDS=2], each a struct ipc_ids whose ipcs_idr (an IDR over an XArray)
 * maps ids to the struct kern_ipc_perm embedded in a sem_array, msg_queue or shmid_kernel.
 */
import type { Kernel } from '../kernel.js';
import { walkXarray } from './task-lists.js';

export type IpcKind = 'shm' | 'sem' | 'msg';

export interface IpcObject {
  kind: IpcKind;
  /** the containing object: shmid_kernel, sem_array or msg_queue */
  address: bigint;
  key: number;
  id: number;
  uid: number;
  /** mode bits of kern_ipc_perm (the low 9 are the permissions; shm adds SHM_DEST, SHM_LOCKED) */
  mode: number;
  /** shm: segment size; msg: bytes queued */
  bytes?: bigint;
  /** shm: attach count */
  nattch?: bigint;
  /** sem: semaphores in the set */
  nsems?: number;
  /** msg: messages queued */
  messages?: bigint;
}

export interface IpcTable {
  kind: IpcKind;
  objects: IpcObject[];
  /** ipc_ids.in_use: how many the kernel counted */
  inUse: number;
  /** XArray nodes on pages the dump lacks */
  unreadable: number;
}

const SLOT: Record<IpcKind, number> = { sem: 0, msg: 1, shm: 2 };
const CONTAINER: Record<IpcKind, [string, string]> = {
  shm: ['struct shmid_kernel', 'shm_perm'],
  sem: ['struct sem_array', 'sem_perm'],
  msg: ['struct msg_queue', 'q_perm'],
};

/** task->nsproxy->ipc_ns, else init_ipc_ns. */
export function ipcNamespaceOf(k: Kernel, task: bigint | undefined): bigint {
  if (task !== undefined) {
    try {
      const ns = k.object('struct task_struct', task).field('nsproxy').value();
      const ipc = ns !== 0n ? k.object('struct nsproxy', ns).field('ipc_ns').value() : 0n;
      if (ipc !== 0n) return ipc;
    } catch {
      /* the initial namespace */
    }
  }
  return k.sym('init_ipc_ns');
}

export function ipcObjects(k: Kernel, ns: bigint, kind: IpcKind): IpcTable {
  const ids = k.object('struct ipc_namespace', ns).field('ids').index(SLOT[kind]);
  const inUse = ids.field('in_use').num();
  if (inUse === 0) return { kind, objects: [], inUse, unreadable: 0 };
  const walk = walkXarray(k, ids.field('ipcs_idr').field('idr_rt').address, 1 << 20);
  const [type, member] = CONTAINER[kind];
  const permOff = BigInt(k.offsetOf(type, member));
  const objects: IpcObject[] = [];
  for (const { value } of walk.entries) {
    const perm = k.object('struct kern_ipc_perm', value);
    if (perm.field('deleted').value() !== 0n) continue;
    const obj = k.object(type, value - permOff);
    const o: IpcObject = {
      kind,
      address: obj.address,
      key: Number(BigInt.asUintN(32, perm.field('key').value())),
      id: perm.field('id').num(),
      uid: perm.field('uid').field('val').num(),
      mode: perm.field('mode').num(),
    };
    if (kind === 'shm') {
      o.bytes = obj.field('shm_segsz').value();
      o.nattch = obj.field('shm_nattch').value();
    } else if (kind === 'sem') {
      o.nsems = obj.field('sem_nsems').num();
    } else {
      o.bytes = obj.field('q_cbytes').value();
      o.messages = obj.field('q_qnum').value();
    }
    objects.push(o);
  }
  return { kind, objects, inUse, unreadable: walk.broken.length };
}

/** What a shared memory segment holds in memory (ipcs -M): its shmem (or hugetlbfs) inode and its pages. */
export interface ShmPages {
  /** the inode of shm_file (the vfs_inode inside a shmem_inode_info, or a hugetlbfs inode) */
  inode: bigint;
  /** pages the segment's size spans */
  allocated: bigint;
  /** pages in memory: the mapping's nrpages, times the pages of one huge page for hugetlbfs */
  resident: bigint;
  /** pages in swap (shmem_inode_info.swapped; none for hugetlbfs) */
  swapped: bigint;
  hugetlb: boolean;
}

const PAGE_SIZE = 4096n;

/**
 * The pages of a shared memory segment, as the kernel counts them for /proc/sysvipc/shm (ipc/shm.c
 * shm_add_rss_swap): shm_file -> f_inode; a hugetlbfs file (f_op is hugetlbfs_file_operations) counts
 * huge pages of its hstate's order, a shmem one its page-cache pages and shmem_inode_info.swapped.
 */
export function shmPages(k: Kernel, o: IpcObject): ShmPages {
  if (o.kind !== 'shm') throw new Error('not a shared memory segment');
  const shp = k.object('struct shmid_kernel', o.address);
  const file = k.object('struct file', shp.field('shm_file').value());
  const inodeAddr = file.field('f_inode').value();
  if (inodeAddr === 0n) throw new Error(`shm_file ${file.address.toString(16)} has no inode`);
  const inode = k.object('struct inode', inodeAddr);
  const nrpages = BigInt(k.object('struct address_space', inode.field('i_mapping').value()).field('nrpages').value());
  const allocated = ((o.bytes ?? 0n) + PAGE_SIZE - 1n) / PAGE_SIZE;
  const hugetlb =
    k.hasSymbol('hugetlbfs_file_operations') && file.field('f_op').value() === k.sym('hugetlbfs_file_operations');
  if (hugetlb) {
    // hugetlbfs_sb_info.hstate->order: the pages of one huge page of this mount
    const sbInfo = k.object('struct super_block', inode.field('i_sb').value()).field('s_fs_info').value();
    const hstate = k.object('struct hugetlbfs_sb_info', sbInfo).field('hstate').value();
    const order = BigInt(k.object('struct hstate', hstate).field('order').num());
    return { inode: inodeAddr, allocated, resident: nrpages << order, swapped: 0n, hugetlb };
  }
  const info = k.containerOf(inodeAddr, 'struct shmem_inode_info', 'vfs_inode');
  return { inode: inodeAddr, allocated, resident: nrpages, swapped: BigInt(info.field('swapped').value()), hugetlb };
}
