/**
 * A process's resource limits: signal_struct->rlim[RLIM_NLIMITS] (task_struct->rlim before 2.6.10),
 * each a struct rlimit { rlim_cur, rlim_max }. Names follow include/uapi/asm-generic/resource.h.
 */
import type { Kernel } from '../kernel.js';

export const RLIMIT_NAMES = [
  'CPU',
  'FSIZE',
  'DATA',
  'STACK',
  'CORE',
  'RSS',
  'NPROC',
  'NOFILE',
  'MEMLOCK',
  'AS',
  'LOCKS',
  'SIGPENDING',
  'MSGQUEUE',
  'NICE',
  'RTPRIO',
  'RTTIME',
];

/** RLIM_INFINITY: ~0UL */
export const RLIM_INFINITY = (1n << 64n) - 1n;

export interface Rlimit {
  name: string;
  current: bigint;
  maximum: bigint;
}

export function taskRlimits(k: Kernel, task: bigint): Rlimit[] {
  const t = k.object('struct task_struct', task);
  const arr = t.has('rlim') ? t.field('rlim') : t.field('signal').field('rlim');
  const n = arr.resolved.length ?? RLIMIT_NAMES.length;
  const out: Rlimit[] = [];
  for (let i = 0; i < n; i++) {
    const r = arr.index(i);
    out.push({
      name: RLIMIT_NAMES[i] ?? '(unknown)',
      current: BigInt.asUintN(64, r.field('rlim_cur').value()),
      maximum: BigInt.asUintN(64, r.field('rlim_max').value()),
    });
  }
  return out;
}
