/**
 * What a lesson may ask about, found in the open dump when the lesson runs — never written into a lesson. A
 * lesson names a fact in braces ("{panic.pid}") in its expected command, its answer or its text; the same lesson
 * then works on any dump that has the fact (the bundled sample, a scenario dump, the learner's own), and a
 * lesson whose facts a dump lacks says so instead of checking against nothing.
 *
 * Facts come from the kernel model (tasks, symbols, modules, the dump header) and, for the backtrace, from the
 * `bt` command's own View data, so the tour checks against what the learner's commands show.
 */
import type { Kernel } from '../kernel/kernel.js';
import { loadedModules, moduleAt, nearestModuleSymbol } from '../kernel/objects/modules.js';
import { panicMessage } from '../kernel/objects/printk.js';
import { utsname } from '../kernel/objects/system.js';
import { unreadableActiveTask } from '../kernel/objects/context.js';
import { allTasks, stateLetters, type Task, type TaskTable } from '../kernel/objects/tasks.js';
import { parseArgs } from '../repl/options.js';
import type { Session } from '../session.js';

const hex = (v: bigint): string => v.toString(16);

/** What the tour knows of the panic task; an unreadable one lacks mm, and may lack pid, comm or ppid. */
type PanicWho = Pick<Task, 'address' | 'cpu'> & Partial<Pick<Task, 'pid' | 'comm' | 'ppid' | 'mm'>>;

interface BtFrame {
  function?: string;
  address?: string;
  exception?: { registers?: Record<string, string> };
}
interface BtData {
  frames?: BtFrame[];
  userRegisters?: Record<string, string>;
}

/** The facts of one session's dump, each computed once, on first use. */
export class Facts {
  private readonly cache = new Map<string, string | undefined>();
  private table: TaskTable | undefined;

  constructor(private readonly session: Session) {}

  get kernel(): Kernel | undefined {
    return this.session.kernel;
  }

  /** Every task of the dump (for task-naming words). */
  tasks(): TaskTable | undefined {
    const k = this.kernel;
    if (!k) return undefined;
    this.table ??= allTasks(k);
    return this.table;
  }

  /** A fact's value as text, or undefined when the dump does not have it (or it could not be read). */
  async get(name: string): Promise<string | undefined> {
    if (this.cache.has(name)) return this.cache.get(name);
    let v: string | undefined;
    try {
      v = await this.compute(name);
    } catch {
      v = undefined;
    }
    this.cache.set(name, v);
    return v;
  }

  /** Replace every {fact} in a text; a missing fact stays as "{name}" (or `missing` when given). */
  async fill(text: string, missing?: (name: string) => string): Promise<string> {
    const names = [...text.matchAll(/\{([a-z_][\w.]*)\}/gi)].map((m) => m[1]!);
    let out = text;
    for (const n of new Set(names)) {
      const v = await this.get(n);
      out = out.split(`{${n}}`).join(v ?? (missing ? missing(n) : `{${n}}`));
    }
    return out;
  }

  /** The facts a text names that the dump lacks. */
  async missing(text: string): Promise<string[]> {
    const out: string[] = [];
    for (const m of text.matchAll(/\{([a-z_][\w.]*)\}/gi)) if ((await this.get(m[1]!)) === undefined) out.push(m[1]!);
    return [...new Set(out)];
  }

  private panicTask(): Task | undefined {
    return this.tasks()?.panicTask;
  }

  /**
   * Who panicked: the readable panic task, else what is known of an unreadable one (a filtered dump can lose
   * its task_struct page; pid and comm then come from the pid table and the console, as bt and sys say)
   */
  private panicWho(): PanicWho | undefined {
    const t = this.panicTask();
    if (t) return t;
    const table = this.tasks();
    const k = this.kernel;
    const address = table?.panicCpu === undefined ? undefined : table.active.get(table.panicCpu);
    if (!k || address === undefined) return undefined;
    const u = unreadableActiveTask(k, address);
    return u && { address: u.address, pid: u.pid, comm: u.comm, cpu: u.cpu, ppid: u.ppid };
  }

  /** User tasks in ps's order (kernel threads and idle tasks left out). */
  private userTasks(): Task[] {
    return (this.tasks()?.tasks ?? []).filter((t) => !t.kernelThread && !t.idle && t.pid > 0);
  }

  private async panicBacktrace(): Promise<BtData | undefined> {
    const t = this.panicWho();
    const bt = this.session.commands?.get('bt');
    if (!t || !bt) return undefined;
    const view = await bt.run(this.session, parseArgs([`0x${hex(t.address)}`], bt.options));
    return view.kind === 'text' ? (view.data as BtData | undefined) : undefined;
  }

  private async compute(name: string): Promise<string | undefined> {
    const k = this.kernel;
    if (!k) return undefined;
    const [head, ...rest] = name.split('.');
    const sub = rest.join('.');
    switch (head) {
      case 'panic': {
        if (sub === 'message') return panicMessage(k);
        // what panic() was told: the words after "not syncing: ", or an oops's first line as it is
        if (sub === 'reason') return panicMessage(k)?.replace(/^.*not syncing: /, '');
        const t = this.panicWho();
        if (!t) return undefined;
        if (sub === 'pid') return t.pid === undefined ? undefined : String(t.pid);
        if (sub === 'comm') return t.comm;
        if (sub === 'task') return hex(t.address);
        if (sub === 'cpu') return String(t.cpu);
        if (sub === 'ppid') return t.ppid === undefined ? undefined : String(t.ppid);
        if (sub === 'mm') return t.mm ? hex(t.mm) : undefined;
        if (sub === 'usersp') {
          const sp = (await this.panicBacktrace())?.userRegisters?.sp;
          return sp === undefined ? undefined : hex(BigInt(sp));
        }
        if (sub === 'caller' || sub === 'frames' || sub === 'cold' || sub === 'syscall') {
          const bt = await this.panicBacktrace();
          const frames = bt?.frames ?? [];
          if (sub === 'frames') return frames.length ? String(frames.length) : undefined;
          if (sub === 'cold') return frames.find((f) => f.function?.endsWith('.cold'))?.function;
          if (sub === 'syscall') {
            const nr = bt?.userRegisters?.orig_ax;
            return nr === undefined ? undefined : String(BigInt(nr));
          }
          // the caller of panic(): the frame below panic's (frames are innermost first)
          const i = frames.findIndex((f) => f.function === 'panic');
          return i >= 0 ? frames[i + 1]?.function : undefined;
        }
        return undefined;
      }
      case 'release':
        return utsname(k).release;
      case 'tasks':
        return String(this.tasks()?.tasks.length ?? 0);
      case 'cpus':
        return String(k.onlineCpus.length);
      case 'kaslr':
        return sub === 'offset' ? `0x${hex(k.kaslrOffset)}` : undefined;
      case 'sym':
        return k.hasSymbol(sub) ? hex(k.sym(sub)) : undefined;
      case 'link': {
        // where vmlinux put a symbol before KASLR moved it
        const v = k.symbols.linkValue(sub);
        return v === undefined ? undefined : hex(v);
      }
      case 'phys':
        return k.hasSymbol(sub) ? hex(k.mem.vtop(k.sym(sub))) : undefined;
      case 'dump':
        if (sub === 'level') return k.dump.meta.dumpLevel === undefined ? undefined : String(k.dump.meta.dumpLevel);
        if (sub === 'partial') return k.dump.meta.partial ? 'yes' : 'no';
        return undefined;
      case 'state': {
        // state.ZO.pid: the first user task in that ps state
        const [st, what] = rest;
        const t = this.userTasks().find((u) => stateLetters(u) === st);
        if (!t) return undefined;
        if (what === 'pid') return String(t.pid);
        if (what === 'comm') return t.comm;
        if (what === 'ppid') return String(t.ppid);
        if (what === 'task') return hex(t.address);
        return undefined;
      }
      case 'threads': {
        // the user process with the most threads
        const count = new Map<number, number>();
        for (const t of this.userTasks()) count.set(t.tgid, (count.get(t.tgid) ?? 0) + 1);
        const best = [...count].filter(([, n]) => n > 1).sort((a, b) => b[1] - a[1] || a[0] - b[0])[0];
        if (!best) return undefined;
        if (sub === 'tgid') return String(best[0]);
        if (sub === 'count') return String(best[1]);
        if (sub === 'comm') return this.userTasks().find((t) => t.pid === best[0])?.comm;
        return undefined;
      }
      case 'modules':
        return sub === 'count' ? String(loadedModules(k).modules.length) : undefined;
      case 'oops': {
        // where the CPU faulted: the first exception frame of the panicking task's backtrace
        const bt = await this.panicBacktrace();
        const ex = bt?.frames?.find((f) => f.exception?.registers?.ip !== undefined);
        const ip = ex?.exception?.registers?.ip;
        if (ip === undefined) return undefined;
        const rip = BigInt(ip);
        if (sub === 'rip') return hex(rip);
        if (sub === 'module') return moduleAt(k, rip)?.name;
        // the function the faulting instruction is in (a module's from its in-memory kallsyms), and how far in
        const near = nearestModuleSymbol(k, rip) ?? k.symbols.nearest(rip);
        if (sub === 'function') return near?.symbol.name;
        if (sub === 'offset') return near ? String(near.offset) : undefined;
        return undefined;
      }
    }
    return undefined;
  }
}
