/**
 * Signals of a task: the handlers of its thread group (task->sighand->action[], one k_sigaction per
 * signal 1.._NSIG), what is blocked (task->blocked) and pending, per thread (task->pending) and for
 * the whole group (task->signal->shared_pending), with the queued siginfo of each (struct sigqueue
 * on the sigpending list). Signal numbers and SA_ flags are the x86_64 ABI's.
 */
import type { Kernel } from '../kernel.js';
import type { KObject } from '../value.js';
import { walkListBothWays } from './task-lists.js';

/** _NSIG on x86_64; SIGRTMIN is 32 (the kernel's; glibc reserves two more) */
export const NSIG = 64;
export const SIGRTMIN = 32;

const NAMES: (string | undefined)[] = [
  undefined,
  'SIGHUP',
  'SIGINT',
  'SIGQUIT',
  'SIGILL',
  'SIGTRAP',
  'SIGABRT',
  'SIGBUS',
  'SIGFPE',
  'SIGKILL',
  'SIGUSR1',
  'SIGSEGV',
  'SIGUSR2',
  'SIGPIPE',
  'SIGALRM',
  'SIGTERM',
  'SIGSTKFLT',
  'SIGCHLD',
  'SIGCONT',
  'SIGSTOP',
  'SIGTSTP',
  'SIGTTIN',
  'SIGTTOU',
  'SIGURG',
  'SIGXCPU',
  'SIGXFSZ',
  'SIGVTALRM',
  'SIGPROF',
  'SIGWINCH',
  'SIGIO',
  'SIGPWR',
  'SIGSYS',
];
/** Other names of the same signals. */
export const SIGNAL_ALIASES: Record<number, string> = { 6: 'SIGIOT', 17: 'SIGCLD', 29: 'SIGPOLL', 31: 'SIGUNUSED' };

/** A signal's name: SIGHUP..SIGSYS, SIGRTMIN, SIGRTMIN+1..+16, SIGRTMAX-15..-1, SIGRTMAX. */
export function signalName(sig: number): string {
  if (sig < SIGRTMIN) return NAMES[sig] ?? `signal ${sig}`;
  if (sig === SIGRTMIN) return 'SIGRTMIN';
  if (sig === NSIG) return 'SIGRTMAX';
  const half = Math.floor((NSIG - SIGRTMIN - 1) / 2); // 15: SIGRTMAX-15 .. SIGRTMAX-1
  const low = NSIG - SIGRTMIN - 1 - half; // 16: SIGRTMIN+1 .. SIGRTMIN+16
  return sig - SIGRTMIN <= low ? `SIGRTMIN+${sig - SIGRTMIN}` : `SIGRTMAX-${NSIG - sig}`;
}

/** The names of the signals in a sigset (bit n-1 is signal n). */
export function sigsetNames(set: bigint): string[] {
  const out: string[] = [];
  for (let i = 1; i <= NSIG; i++) if ((set >> BigInt(i - 1)) & 1n) out.push(signalName(i));
  return out;
}

/** sa_flags bits (arch/x86/include/uapi/asm/signal.h, include/uapi/asm-generic/signal-defs.h), in crash's order. */
export const SA_FLAGS: [bigint, string][] = [
  [0x1n, 'SA_NOCLDSTOP'],
  [0x04000000n, 'SA_RESTORER'],
  [0x2n, 'SA_NOCLDWAIT'],
  [0x4n, 'SA_SIGINFO'],
  [0x08000000n, 'SA_ONSTACK'],
  [0x10000000n, 'SA_RESTART'],
  [0x40000000n, 'SA_NODEFER'],
  [0x80000000n, 'SA_RESETHAND'],
];

/** TIF_SIGPENDING (arch/x86/include/asm/thread_info.h): thread_info.flags bit 2. */
const TIF_SIGPENDING = 2n;

export interface SigAction {
  signal: number;
  /** address of the k_sigaction in the kernel */
  address: bigint;
  /** user handler address; 0 SIG_DFL, 1 SIG_IGN, -1 (all ones) SIG_ERR */
  handler: bigint;
  mask: bigint;
  flags: bigint;
}

export interface QueuedSignal {
  signal: number;
  /** address of the queued siginfo (sigqueue.info) */
  info: bigint;
}

export interface PendingSet {
  signal: bigint;
  queue: QueuedSignal[];
}

export interface TaskSignals {
  signalStruct: bigint;
  nrThreads: number | undefined;
  sighand: bigint;
  actions: SigAction[];
  /** TIF_SIGPENDING in thread_info.flags */
  sigpending: boolean;
  blocked: bigint;
  privatePending: PendingSet;
  sharedPending: PendingSet | undefined;
}

/** The first 64 bits of a sigset_t (sig[0]: _NSIG_WORDS is 1 on 64-bit). */
const sigset = (o: KObject): bigint => o.field('sig').index(0).value();

function pendingSet(k: Kernel, p: KObject): PendingSet {
  const head = p.field('list').address;
  const listOff = BigInt(k.offsetOf('struct sigqueue', 'list'));
  const infoOff = BigInt(k.offsetOf('struct sigqueue', 'info'));
  const queue: QueuedSignal[] = [];
  for (const node of walkListBothWays(k, head, 100_000).nodes) {
    const q = node - listOff;
    queue.push({ signal: k.object('struct sigqueue', q).field('info').field('si_signo').num(), info: q + infoOff });
  }
  return { signal: sigset(p.field('signal')), queue };
}

/** The thread group's handlers (task->sighand; older kernels kept them in signal_struct). */
export function signalActions(k: Kernel, task: bigint): { sighand: bigint; actions: SigAction[] } {
  const t = k.object('struct task_struct', task);
  const sighand = t.field('sighand').value();
  if (sighand === 0n) return { sighand, actions: [] };
  const action = k.object('struct sighand_struct', sighand).field('action');
  const actions: SigAction[] = [];
  for (let i = 1; i <= NSIG; i++) {
    const sa = action.index(i - 1).field('sa');
    actions.push({
      signal: i,
      address: action.index(i - 1).address,
      handler: sa.field('sa_handler').value(),
      mask: sigset(sa.field('sa_mask')),
      flags: sa.field('sa_flags').value(),
    });
  }
  return { sighand, actions };
}

/** Everything `sig` shows of a task. */
export function taskSignals(k: Kernel, task: bigint): TaskSignals {
  const t = k.object('struct task_struct', task);
  const signalStruct = t.field('signal').value();
  const ss = signalStruct ? k.object('struct signal_struct', signalStruct) : undefined;
  const { sighand, actions } = signalStruct ? signalActions(k, task) : { sighand: 0n, actions: [] };
  const tiFlags = t.has('thread_info.flags') ? t.field('thread_info.flags').value() : 0n;
  return {
    signalStruct,
    nrThreads: ss?.has('nr_threads') ? ss.field('nr_threads').num() : undefined,
    sighand,
    actions,
    sigpending: ((tiFlags >> TIF_SIGPENDING) & 1n) === 1n,
    blocked: sigset(t.field('blocked')),
    privatePending: pendingSet(k, t.field('pending')),
    sharedPending: ss?.has('shared_pending') ? pendingSet(k, ss.field('shared_pending')) : undefined,
  };
}
