/**
 * Who uses a file (fuser): for each task, whether the file (named by its full path or by its inode
 * address) is its root or working directory, one of its open files, or mapped into its address space.
 * Reads go through fs.ts and mm.ts, whose caches make a scan of every task linear in the distinct
 * fs_structs, file tables and mms.
 */
import type { Kernel } from '../kernel.js';
import { dentryInode, taskFsPaths, taskOpenFiles } from './fs.js';
import { taskAddressSpace } from './mm.js';
import type { Task } from './tasks.js';

export type FileUse = 'root' | 'cwd' | 'fd' | 'mmap';

/** A file as fuser names it: a full path, or an inode address. */
export type FileSpec = { path: string } | { inode: bigint };

export interface FileUser {
  task: Task;
  uses: FileUse[];
  /** parts of the task that could not be read (its uses may be incomplete) */
  problems: string[];
}

function inodeOfFile(k: Kernel, file: bigint): bigint {
  const dentry = k.object('struct file', file).field('f_path').field('dentry').value();
  return dentry ? dentryInode(k, dentry) : 0n;
}

/** How one task uses the file, in crash's order: root, cwd, fd, mmap. */
export function taskFileUses(k: Kernel, t: Task, spec: FileSpec): FileUser {
  const uses: FileUse[] = [];
  const problems: string[] = [];
  const matches = (path: string, inode: () => bigint): boolean =>
    'path' in spec ? path === spec.path : inode() === spec.inode;
  try {
    const fs = taskFsPaths(k, t.address);
    if (fs) {
      if (matches(fs.root, () => dentryInode(k, fs.rootDentry))) uses.push('root');
      if (matches(fs.cwd, () => dentryInode(k, fs.cwdDentry))) uses.push('cwd');
    }
  } catch (e) {
    problems.push(`root and cwd: ${(e as Error).message}`);
  }
  try {
    const files = taskOpenFiles(k, t.address);
    if (files?.files.some((f) => matches(f.path, () => f.inode))) uses.push('fd');
    if (files?.problem) problems.push(`file table: ${files.problem}`);
    if (files?.unreadable.length) problems.push(`${files.unreadable.length} open files unreadable`);
  } catch (e) {
    problems.push(`file table: ${(e as Error).message}`);
  }
  try {
    const as = taskAddressSpace(k, t);
    if (as?.vmas.some((v) => v.file !== 0n && matches(v.path, () => inodeOfFile(k, v.file)))) uses.push('mmap');
    if (as?.problems.length) problems.push(...as.problems);
  } catch (e) {
    problems.push(`address space: ${(e as Error).message}`);
  }
  return { task: t, uses, problems };
}
