/**
 * Files, dentries and mounts: the path of a dentry (d_path through the mount tree), what kind of
 * inode a file is, a task's open files (files_struct -> fdtable) and its root and working directory
 * (fs_struct), and every task that uses a given inode (fuser).
 *
 * Layouts, read by name: since 3.3 a mount is `struct mount` with the public `struct vfsmount` embedded
 * as `mnt` (mnt_parent, mnt_mountpoint live in struct mount); since 2.6.25 fs_struct holds `struct path`
 * root/pwd; since 2.6.14 the fd array hangs off files_struct->fdt. 6.8 moved dentry->d_subdirs to
 * d_children and 6.12 reordered struct file: nothing here depends on where, only on the names.
 *
 * Reads are cached per kernel: threads share one files_struct and one fs_struct, and most dentries
 * (/, /dev, /dev/console) are on every task's path, so `foreach files` stays linear in the number of
 * distinct objects, not in tasks x depth.
 */
import type { Kernel } from '../kernel.js';
import { rbRootInorder } from './rbtree.js';
import { walkListBothWays } from './task-lists.js';

/** include/uapi/linux/stat.h: the file type bits of i_mode. */
const S_IFMT = 0o170000;
const S_IF: [number, FileType][] = [
  [0o140000, 'SOCK'],
  [0o120000, 'LNK'],
  [0o100000, 'REG'],
  [0o060000, 'BLK'],
  [0o040000, 'DIR'],
  [0o020000, 'CHR'],
  [0o010000, 'FIFO'],
];
/** A path has at most PATH_MAX bytes; a dentry chain deeper than this is a damaged dump. */
const MAX_DEPTH = 4096;
/** fdtable.max_fds is at most sysctl_nr_open_max (1 << 30 on 64-bit); more is a damaged dump. */
const MAX_FDS = 1 << 30;

export type FileType = 'REG' | 'DIR' | 'CHR' | 'BLK' | 'FIFO' | 'PIPE' | 'SOCK' | 'LNK' | 'UNKN';

/** Member offsets read once per kernel (as bigint, ready to add to addresses). */
interface FsLayout {
  dParent: bigint;
  dNameLen: bigint;
  dNameName: bigint;
  dInode: bigint;
  dSb: bigint;
  mountMnt: bigint;
  mountParent: bigint;
  mountMountpoint: bigint;
  vfsmntRoot: bigint;
  fPathMnt: bigint;
  fPathDentry: bigint;
  fInode: bigint;
  iMode: bigint;
  iModeSize: number;
  iOp: bigint;
  iFop: bigint | undefined;
  iIno: bigint;
  iSb: bigint;
  taskFs: bigint;
  taskFiles: bigint;
}

function layout(k: Kernel): FsLayout {
  const key = 'objects/fs-layout';
  let l = k.cache.get(key) as FsLayout | undefined;
  if (l) return l;
  const off = (t: string, m: string): bigint => BigInt(k.offsetOf(t, m));
  const fPath = off('struct file', 'f_path');
  l = {
    dParent: off('struct dentry', 'd_parent'),
    dNameLen: off('struct dentry', 'd_name') + off('struct qstr', 'len'),
    dNameName: off('struct dentry', 'd_name') + off('struct qstr', 'name'),
    dInode: off('struct dentry', 'd_inode'),
    dSb: off('struct dentry', 'd_sb'),
    mountMnt: off('struct mount', 'mnt'),
    mountParent: off('struct mount', 'mnt_parent'),
    mountMountpoint: off('struct mount', 'mnt_mountpoint'),
    vfsmntRoot: off('struct vfsmount', 'mnt_root'),
    fPathMnt: fPath + off('struct path', 'mnt'),
    fPathDentry: fPath + off('struct path', 'dentry'),
    fInode: off('struct file', 'f_inode'),
    iMode: off('struct inode', 'i_mode'),
    iModeSize: k.object('struct inode', 0n).field('i_mode').size,
    iOp: off('struct inode', 'i_op'),
    iFop: k.hasMember('struct inode', 'i_fop') ? off('struct inode', 'i_fop') : undefined,
    iIno: off('struct inode', 'i_ino'),
    iSb: off('struct inode', 'i_sb'),
    taskFs: off('struct task_struct', 'fs'),
    taskFiles: off('struct task_struct', 'files'),
  };
  k.cache.set(key, l);
  return l;
}

function memo<V>(k: Kernel, name: string): Map<bigint, V> {
  const key = `objects/fs-${name}`;
  let m = k.cache.get(key) as Map<bigint, V> | undefined;
  if (!m) {
    m = new Map();
    k.cache.set(key, m);
  }
  return m;
}

/** A dentry's own name (d_name), decoded as UTF-8. */
export function dentryName(k: Kernel, dentry: bigint): string {
  const names = memo<string>(k, 'dname');
  const hit = names.get(dentry);
  if (hit !== undefined) return hit;
  const l = layout(k);
  const len = k.readU32(dentry + l.dNameLen);
  const ptr = k.readU64(dentry + l.dNameName);
  const name = len === 0 || ptr === 0n ? '' : k.read(ptr, Math.min(len, 4096)).toString('utf8');
  names.set(dentry, name);
  return name;
}

/** dentry->d_parent (a root or a pseudo dentry is its own parent). */
export function dentryParent(k: Kernel, dentry: bigint): bigint {
  return k.readU64(dentry + layout(k).dParent);
}

/** dentry->d_inode (0 for a negative dentry). */
export function dentryInode(k: Kernel, dentry: bigint): bigint {
  return k.readU64(dentry + layout(k).dInode);
}

/** dentry->d_sb. */
export function dentrySuperBlock(k: Kernel, dentry: bigint): bigint {
  return k.readU64(dentry + layout(k).dSb);
}

/** The struct mount that embeds a struct vfsmount. */
export const mountOfVfsmount = (k: Kernel, vfsmnt: bigint): bigint => vfsmnt - layout(k).mountMnt;
/** The struct vfsmount embedded in a struct mount. */
export const vfsmountOfMount = (k: Kernel, mount: bigint): bigint => mount + layout(k).mountMnt;

/**
 * The full path of a dentry seen through a mount (struct vfsmount *, 0 when unknown), as the kernel's
 * d_path builds it: names up to the mount's root dentry, then on from the mount point in the parent
 * mount, until the mount that is its own parent (the root of its namespace).
 *
 * A dentry that is no directory's child (sockets, pipes, anon inodes: d_alloc_pseudo) has only its own
 * name, which is returned as is ("TCP", "[eventpoll]", "" for a pipe), as crash shows it; the kernel
 * instead asks the filesystem's d_dname ("socket:[11215]").
 */
export function dentryPath(k: Kernel, dentry: bigint, vfsmnt = 0n): string {
  const byMnt = memo<Map<bigint, string>>(k, 'path');
  let known = byMnt.get(vfsmnt);
  if (!known) byMnt.set(vfsmnt, (known = new Map()));
  const cached = known.get(dentry);
  if (cached !== undefined) return cached;
  const l = layout(k);
  const parts: string[] = [];
  let d = dentry;
  let mnt = vfsmnt;
  let mntRoot = mnt ? k.readU64(mnt + l.vfsmntRoot) : 0n;
  for (let i = 0; i < MAX_DEPTH; i++) {
    const parent = dentryParent(k, d);
    if (d === mntRoot || parent === d) {
      if (mnt) {
        const mount = mnt - l.mountMnt;
        const up = k.readU64(mount + l.mountParent);
        if (up !== mount && up !== 0n) {
          d = k.readU64(mount + l.mountMountpoint);
          mnt = up + l.mountMnt;
          mntRoot = k.readU64(mnt + l.vfsmntRoot);
          continue;
        }
      }
      // a pseudo dentry (its own parent, not a filesystem's "/") stands for itself
      if (parent === d && d !== mntRoot && !parts.length) {
        const own = dentryName(k, d);
        if (own !== '/') {
          known.set(dentry, own);
          return own;
        }
      }
      break;
    }
    parts.unshift(dentryName(k, d));
    d = parent;
  }
  const path = '/' + parts.join('/');
  known.set(dentry, path);
  return path;
}

/** inode->i_mode. */
export function inodeMode(k: Kernel, inode: bigint): number {
  const l = layout(k);
  return l.iModeSize === 4 ? k.readU32(inode + l.iMode) : k.read(inode + l.iMode, 2).readUInt16LE(0);
}

/** inode->i_ino. */
export const inodeNumber = (k: Kernel, inode: bigint): bigint => k.readU64(inode + layout(k).iIno);

/**
 * What kind of file an inode is, from i_mode; a FIFO whose operations are the kernel's anonymous pipe
 * ones (pipe_inode_operations, or rdwr_pipe_fops before it, where the kernel has them) is a PIPE.
 */
export function inodeType(k: Kernel, inode: bigint): FileType {
  const fmt = inodeMode(k, inode) & S_IFMT;
  const type = S_IF.find(([bits]) => bits === fmt)?.[1] ?? 'UNKN';
  if (type !== 'FIFO') return type;
  const l = layout(k);
  if (k.hasSymbol('pipe_inode_operations')) {
    if (k.readU64(inode + l.iOp) === k.sym('pipe_inode_operations')) return 'PIPE';
  } else if (k.hasSymbol('rdwr_pipe_fops') && l.iFop !== undefined) {
    if (k.readU64(inode + l.iFop) === k.sym('rdwr_pipe_fops')) return 'PIPE';
  }
  return type;
}

/** One struct file as `files` shows it. */
export interface FileInfo {
  file: bigint;
  /** f_path.dentry (0: none) */
  dentry: bigint;
  /** dentry->d_inode (0: none) */
  inode: bigint;
  /** f_path.mnt */
  vfsmnt: bigint;
  type: FileType | '?';
  path: string;
}

/** The dentry, inode, type and full path of a struct file. */
export function fileInfo(k: Kernel, file: bigint): FileInfo {
  const cache = memo<FileInfo>(k, 'file');
  const hit = cache.get(file);
  if (hit) return hit;
  const l = layout(k);
  const dentry = k.readU64(file + l.fPathDentry);
  const vfsmnt = k.readU64(file + l.fPathMnt);
  let info: FileInfo;
  if (dentry === 0n) info = { file, dentry, inode: 0n, vfsmnt, type: '?', path: '?' };
  else {
    const inode = dentryInode(k, dentry);
    if (inode === 0n) info = { file, dentry, inode, vfsmnt, type: '?', path: '?' };
    else {
      let path = dentryPath(k, dentry, vfsmnt);
      const type = inodeType(k, inode);
      // a socket on the pseudo root, an anonymous pipe: crash leaves the name out
      if (type === 'PIPE' || (type === 'SOCK' && path === '/')) path = '';
      info = { file, dentry, inode, vfsmnt, type, path };
    }
  }
  cache.set(file, info);
  return info;
}

/** The full path of a struct file's f_path (as d_path, see dentryPath); '' when it has no dentry. */
export function filePath(k: Kernel, file: bigint): string {
  const l = layout(k);
  const dentry = k.readU64(file + l.fPathDentry);
  return dentry ? dentryPath(k, dentry, k.readU64(file + l.fPathMnt)) : '';
}

export interface OpenFile extends FileInfo {
  fd: number;
}

/** A task's root and working directory (task->fs). */
export interface FsPaths {
  fsStruct: bigint;
  root: string;
  rootDentry: bigint;
  rootMnt: bigint;
  cwd: string;
  cwdDentry: bigint;
  cwdMnt: bigint;
}

/** task->fs's root and pwd as paths; undefined when the task has no fs_struct (it exited). */
export function taskFsPaths(k: Kernel, task: bigint): FsPaths | undefined {
  const fs = k.readU64(task + layout(k).taskFs);
  if (fs === 0n) return undefined;
  const cache = memo<FsPaths>(k, 'fs-struct');
  const hit = cache.get(fs);
  if (hit) return hit;
  const o = k.object('struct fs_struct', fs);
  const rootDentry = o.field('root').field('dentry').value();
  const rootMnt = o.field('root').field('mnt').value();
  const cwdDentry = o.field('pwd').field('dentry').value();
  const cwdMnt = o.field('pwd').field('mnt').value();
  const out: FsPaths = {
    fsStruct: fs,
    rootDentry,
    rootMnt,
    cwdDentry,
    cwdMnt,
    root: rootDentry ? dentryPath(k, rootDentry, rootMnt) : '',
    cwd: cwdDentry ? dentryPath(k, cwdDentry, cwdMnt) : '',
  };
  cache.set(fs, out);
  return out;
}

/** A task's open file table (task->files). */
export interface OpenFiles {
  filesStruct: bigint;
  files: OpenFile[];
  /** file descriptors whose struct file (or its dentry/inode) could not be read, and why */
  unreadable: { fd: number; file: bigint; reason: string }[];
  /** the table itself could not be read (the fds are unknown) */
  problem?: string;
}

/**
 * The open files of a task: each set bit of fdtable->open_fds below max_fds whose fd[] slot holds a
 * file, in fd order. undefined when the task has no files_struct (it exited, or a kernel thread
 * between files). Threads share one files_struct: it is read once.
 */
export function taskOpenFiles(k: Kernel, task: bigint): OpenFiles | undefined {
  const files = k.readU64(task + layout(k).taskFiles);
  if (files === 0n) return undefined;
  const cache = memo<OpenFiles>(k, 'files-struct');
  const hit = cache.get(files);
  if (hit) return hit;
  const out: OpenFiles = { filesStruct: files, files: [], unreadable: [] };
  cache.set(files, out);
  try {
    const fdt = k.object('struct files_struct', files).field('fdt').deref();
    const maxFds = fdt.field('max_fds').num();
    if (maxFds > MAX_FDS) throw new Error(`fdtable max_fds ${maxFds} is not a file table (damaged)`);
    const fdArray = fdt.field('fd').value();
    const openFds = fdt.field('open_fds').value();
    if (!fdArray || !openFds) return out;
    const words = Math.ceil(maxFds / 64);
    const bitmap = k.read(openFds, words * 8);
    for (let w = 0; w < words; w++) {
      let bits = bitmap.readBigUInt64LE(w * 8);
      if (bits === 0n) continue;
      // read the 64 slots of a bitmap word at once
      const slots = k.read(fdArray + BigInt(w * 64 * 8), Math.min(64, maxFds - w * 64) * 8);
      for (let b = 0; bits !== 0n && b < 64; b++, bits >>= 1n) {
        if (!(bits & 1n) || b * 8 >= slots.length) continue;
        const file = slots.readBigUInt64LE(b * 8);
        if (file === 0n) continue;
        const fd = w * 64 + b;
        try {
          out.files.push({ fd, ...fileInfo(k, file) });
        } catch (e) {
          out.unreadable.push({ fd, file, reason: (e as Error).message });
        }
      }
    }
  } catch (e) {
    out.problem = (e as Error).message;
  }
  return out;
}

/** A bound on the mounts of one namespace (sysctl fs.mount-max defaults to 100,000). */
const MAX_MOUNTS = 1_000_000;

/** The mount namespace a task sees (task->nsproxy->mnt_ns); 0 when it has none (exited). */
export function taskMountNamespace(k: Kernel, task: bigint): bigint {
  const ns = k.object('struct task_struct', task).field('nsproxy').value();
  return ns === 0n ? 0n : k.object('struct nsproxy', ns).field('mnt_ns').value();
}

/**
 * The mounts of a namespace (struct mount addresses) in the order they were mounted, as
 * /proc/mounts lists them: the namespace's rb-tree `mounts` keyed by mount id (6.8+), or its
 * `list` of mount.mnt_list (before).
 */
export function namespaceMounts(k: Kernel, mntNs: bigint): { mounts: bigint[]; broken: number } {
  const ns = k.object('struct mnt_namespace', mntNs);
  if (k.hasMember('struct mnt_namespace', 'list')) {
    const w = walkListBothWays(k, ns.field('list').address, MAX_MOUNTS);
    const off = BigInt(k.offsetOf('struct mount', 'mnt_list'));
    return { mounts: w.nodes.map((n) => n - off), broken: w.broken.length };
  }
  const w = rbRootInorder(k, ns.field('mounts').address, MAX_MOUNTS);
  const off = BigInt(k.offsetOf('struct mount', 'mnt_node'));
  return { mounts: w.nodes.map((n) => n - off), broken: w.broken.length };
}

/** struct vfsmount->mnt_sb of a struct mount. */
export function mountSuperBlock(k: Kernel, mount: bigint): bigint {
  return k.object('struct mount', mount).field('mnt').field('mnt_sb').value();
}

/** inode->i_sb. */
export const inodeSuperBlock = (k: Kernel, inode: bigint): bigint => k.readU64(inode + layout(k).iSb);

/** What `files -d` shows of a dentry: its inode, super block, type and path through a mount of its super block. */
export interface DentryInfo {
  dentry: bigint;
  inode: bigint;
  superBlock: bigint;
  type: FileType | '';
  path: string;
}

/**
 * A dentry on its own: the path is found through the last mount of init's namespace (pid 1's, the
 * machine's) whose super block is the dentry's; a dentry of a filesystem mounted nowhere there gets
 * the path within its filesystem.
 */
export function dentryInfo(k: Kernel, dentry: bigint, initTask: bigint | undefined): DentryInfo {
  const inode = dentryInode(k, dentry);
  const superBlock = inode ? inodeSuperBlock(k, inode) : dentrySuperBlock(k, dentry);
  let vfsmnt = 0n;
  if (superBlock && initTask !== undefined) {
    const ns = taskMountNamespace(k, initTask);
    if (ns)
      for (const m of namespaceMounts(k, ns).mounts)
        if (mountSuperBlock(k, m) === superBlock) vfsmnt = vfsmountOfMount(k, m);
  }
  const type = inode ? inodeType(k, inode) : '';
  let path = superBlock ? dentryPath(k, dentry, vfsmnt) : '';
  if (type === 'PIPE') path = '';
  return { dentry, inode, superBlock, type, path };
}

/** The page cache of an inode: inode->i_mapping and its number of cached pages (address_space.nrpages). */
export function inodePageCache(k: Kernel, inode: bigint): { mapping: bigint; nrpages: bigint } {
  const mapping = k.object('struct inode', inode).field('i_mapping').value();
  return { mapping, nrpages: mapping ? k.object('struct address_space', mapping).field('nrpages').value() : 0n };
}
