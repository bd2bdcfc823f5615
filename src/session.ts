import type { Kernel } from './kernel/kernel.js';
import type { CommandLookup } from './command.js';
import { defaultTaskAddress } from './kernel/objects/context.js';
import type { View } from './render/view.js';
import type { Pairing } from './share/context.js';

/** User-visible settings (`set`). */
export interface Settings {
  radix: 10 | 16;
  scroll: boolean;
  output: 'text' | 'json';
  /** crash's `set zero_excluded`: read excluded pages as zeroes instead of failing */
  zeroExcluded: boolean;
  /** `set explain on`: commands that have explanations add one-line notes to their output */
  explain: boolean;
  [key: string]: unknown;
}

/**
 * Optional helpers the REPL and the built-in commands use when the kernel model offers them.
 * Nothing requires them: each caller checks for the method first.
 */
export interface KernelHooks {
  /** symbol names starting with prefix (Tab completion in the terminal UI), at most `limit` */
  completeSymbols?(prefix: string, limit?: number): string[];
}

/** A command line the user typed, as the REPL ran it: what observers (the tour) see after each command. */
export interface CommandEvent {
  /** the line as typed */
  line: string;
  /** the command's name (an alias resolved), or the unknown word */
  name: string;
  /** the words after the command name, before any `| pipe` or `> file` */
  argv: string[];
  /** what the command returned; undefined when it failed or does not exist */
  view: View | undefined;
  /** the one-line error it printed, when it failed */
  error?: string;
}

/** Sees each command after its output; may return a View to show after it (the tour's ✓/✗ and next step). */
export type CommandObserver = (event: CommandEvent, session: Session) => View | undefined | Promise<View | undefined>;

/** Where an alias came from (the `alias` list shows it). */
export type AliasOrigin = 'builtin' | 'resource' | 'runtime';

/**
 * One open dump (or none): the kernel model, the current context, the settings.
 * Every command receives it.
 */
/** how long a long loop runs between turns of the event loop (yieldAndCheck) */
const YIELD_MS = 10;

export class Session {
  kernel: Kernel | undefined;
  settings: Settings = { radix: 10, scroll: true, output: 'text', zeroExcluded: false, explain: false };
  /** user aliases (alias name → expansion), on top of the built-in ones */
  aliases = new Map<string, string>();
  /** where each user alias came from (.crashrc → 'resource', typed → 'runtime') */
  aliasOrigins = new Map<string, AliasOrigin>();
  /** current task context (task_struct address), set by `set PID|TASK`; defaults to the panic task */
  contextTask: bigint | undefined;
  /** lines printed before the start-up banner (e.g. that this is the bundled sample dump) */
  bannerNotes: string[] = [];
  /** set when the user presses Ctrl-C; long-running commands poll it */
  cancelled = false;
  /** the loaded commands (set by the REPL; `help` and `alias` read it) */
  commands: CommandLookup | undefined;
  /** set by `q`/`exit`: the REPL stops after the current command */
  quitRequested = false;
  /** true while running a .crashrc / -i file (aliases defined there are 'resource') */
  inResourceFile = false;
  /** told about each command line after it ran (src/tour registers one while a tour is on) */
  observers: CommandObserver[] = [];
  /** in a shared session (crash-ts --share / join): who else is here, the transcript (src/share) */
  pairing: Pairing | undefined;
  /**
   * false where the session runs under someone else's account (an invited guest of a shared session): no
   * `!command`, no shell pipes, no `> file`; the built-in filters (| grep, head, tail, wc -l) stay
   */
  shellAllowed = true;

  constructor(kernel?: Kernel) {
    this.kernel = kernel;
    // zero_excluded is a switch of the memory reader: the setting reads and writes it there, and a
    // change drops the kernel model's caches (answers built from failed reads, or from zeroes)
    let zeroExcluded = false;
    Object.defineProperty(this.settings, 'zeroExcluded', {
      enumerable: true,
      get: () => this.kernel?.mem.zeroExcluded ?? zeroExcluded,
      set: (on: boolean) => {
        zeroExcluded = on;
        const k = this.kernel;
        if (k && k.mem.zeroExcluded !== on) {
          k.mem.zeroExcluded = on;
          k.cache.clear();
        }
      },
    });
  }

  /** The kernel's optional helpers (see KernelHooks); empty when no dump is open. */
  get hooks(): KernelHooks {
    return (this.kernel ?? {}) as KernelHooks;
  }

  /**
   * The task commands default to (bt, rd -u, ps -a...): the one chosen with `set PID|TASK`, else
   * the panic task (or, without a panic, the task running on the first CPU). Undefined without a dump or when no panic task is known.
   */
  currentTask(): bigint | undefined {
    if (this.contextTask !== undefined) return this.contextTask;
    if (!this.kernel) return undefined;
    return defaultTaskAddress(this.kernel);
  }

  /** Throw if the user asked to cancel (checked by long loops). */
  checkCancelled(): void {
    if (this.cancelled) {
      this.cancelled = false;
      throw new Error('interrupted');
    }
  }

  /**
   * Let the event loop run (the terminal UI reads keys, so Ctrl-C can set `cancelled`), then
   * checkCancelled(). For loops of async commands that can run long (foreach over every task). The
   * loop is let run at most every YIELD_MS: a turn of the event loop per task cost foreach bt over
   * 10,000 tasks a tenth of its time, and keys are still read within a few milliseconds.
   */
  async yieldAndCheck(): Promise<void> {
    // Date.now(): the global `performance` loads Node's perf_hooks (ten modules) into every start
    if (Date.now() - this.lastYield >= YIELD_MS) {
      await new Promise<void>((r) => setImmediate(r));
      this.lastYield = Date.now();
    }
    this.checkCancelled();
  }

  private lastYield = 0;
}
