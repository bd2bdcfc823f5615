import type { Kernel } from './kernel/kernel.js';

/** User-visible settings (`set`). */
export interface Settings {
  radix: 10 | 16;
  scroll: boolean;
  output: 'text' | 'json';
  /** crash's `set zero_excluded`: read excluded pages as zeroes instead of failing */
  zeroExcluded: boolean;
  [key: string]: unknown;
}

/**
 * One open dump (or none): the kernel model, the current context, the settings.
 * Every command receives it.
 */
export class Session {
  kernel: Kernel | undefined;
  settings: Settings = { radix: 10, scroll: true, output: 'text', zeroExcluded: false };
  /** user aliases (alias name → expansion), on top of the built-in ones */
  aliases = new Map<string, string>();
  /** current task context (task_struct address), set by `set PID|TASK`; defaults to the panic task */
  contextTask: bigint | undefined;
  /** set when the user presses Ctrl-C; long-running commands poll it */
  cancelled = false;

  constructor(kernel?: Kernel) {
    this.kernel = kernel;
  }

  /** Throw if the user asked to cancel (checked by long loops). */
  checkCancelled(): void {
    if (this.cancelled) {
      this.cancelled = false;
      throw new Error('interrupted');
    }
  }
}
