/**
 * The command dispatcher both modes share: parse a line, expand aliases, find the command, parse its options,
 * run it, render the View (text or JSON) and send it where the line says (screen, `| pipeline`, `> file`).
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { CommandError, type Command, type CommandLookup } from '../command.js';
import { renderJson } from '../render/json.js';
import { renderText } from '../render/text.js';
import type { View } from '../render/view.js';
import type { CommandEvent, Session } from '../session.js';
import { BUILTIN_ALIASES, resolveAlias } from './aliases.js';
import { parseArgs } from './options.js';
import { parseLine, ParseError, unquoteWord, type Sink } from './parse.js';
import { applyFilters, FILTER_SYNOPSIS, FilterError, parseFilters, type Filter } from './filters.js';
import { runShell } from './shell.js';
import { suggestNames } from './suggest.js';

/** The registry as the REPL sees it (commands/index.ts Registry). */
export interface Registry extends CommandLookup {
  names(): string[];
}

export interface ReplIO {
  /** show command output (line mode: stdout; terminal UI: above the prompt, or the pager) */
  display(text: string): void | Promise<void>;
  /** show a one-line error (no newline at the end) */
  error(line: string): void;
  /** terminal UI: shell output is captured and displayed; line mode: it goes straight to stdout */
  capture: boolean;
  /** text output for the screen, if it differs from the plain text (colour in the terminal UI) */
  renderDisplay?(view: View): string;
  /**
   * terminal UI: run a `!command` on the terminal itself (the UI steps aside while it runs), so that
   * interactive programs (vi, less, a shell) work as under crash
   */
  interactive?(command: string): Promise<void>;
}

export function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return (msg.split('\n')[0] ?? '').trim() || (err instanceof Error ? err.name : 'error');
}

/** Warnings the kernel model collected while opening the dump (shown once, after the banner). */
export function kernelWarnings(session: Session): string[] {
  const w = (session.kernel as { warnings?: unknown } | undefined)?.warnings;
  return Array.isArray(w) ? w.map(String) : [];
}

export class Repl {
  /** the error the last command run printed (for the observers' CommandEvent) */
  private lastError: string | undefined;

  constructor(
    readonly session: Session,
    readonly registry: Registry,
    readonly io: ReplIO,
  ) {
    session.commands = registry;
  }

  /** Every word the user may type as a command (for completion and suggestions). */
  commandNames(): string[] {
    return [...this.registry.names(), ...BUILTIN_ALIASES.map((a) => a[0]), ...this.session.aliases.keys()];
  }

  /** Run one input line to completion. Errors are printed, never thrown. */
  async execute(line: string): Promise<void> {
    let parsed;
    try {
      parsed = parseLine(line, (n) => resolveAlias(this.session, n));
    } catch (err) {
      if (err instanceof ParseError) return this.io.error(`crash-ts: ${err.message}`);
      throw err;
    }
    if (parsed.kind === 'empty') return;
    if (parsed.kind === 'shell') {
      if (!this.session.shellAllowed)
        return this.io.error(`crash-ts: !: no shell here (this session runs under the host's account)`);
      if (!parsed.command)
        return this.io.error('crash-ts: !: give a shell command (an interactive shell is not offered)');
      if (this.io.interactive) return this.io.interactive(parsed.command);
      const r = await runShell(parsed.command, undefined, this.io.capture);
      if (this.io.capture && r.output) await this.io.display(r.output);
      return;
    }
    let cmd = this.registry.get(parsed.name);
    let argv = parsed.argv;
    // gdb's `p/x EXPR`: a format glued to the command name is its first argument
    const glued = /^([a-z]+)(\/[a-z0-9]+)$/.exec(parsed.name);
    if (!cmd && glued && this.registry.get(glued[1]!)) {
      cmd = this.registry.get(glued[1]!)!;
      argv = [glued[2]!, ...argv];
    }
    if (!cmd) {
      const error = this.missingAliasTarget(line, parsed.name) ?? this.unknown(parsed.name);
      this.io.error(error);
      return this.notify({ line, name: parsed.name, argv, view: undefined, error });
    }
    let filters: Filter[] | undefined;
    if (!this.session.shellAllowed && parsed.sink.kind !== 'display') {
      // no shell and no files of ours: refuse before running anything; a pipe may be the built-in filters
      if (parsed.sink.kind === 'file')
        return this.io.error(
          `crash-ts: > ${parsed.sink.path}: no files here (this session runs under the host's account)`,
        );
      try {
        filters = parseFilters(parsed.sink.command);
      } catch (err) {
        if (!(err instanceof FilterError)) throw err;
        return this.io.error(`crash-ts: | ${err.message}; no shell here, only ${FILTER_SYNOPSIS}`);
      }
    }
    // `CMD --explain`: this once, as `set explain on` does for every command
    const explain = argv.includes('--explain');
    if (explain) argv = argv.filter((a) => a !== '--explain');
    // `CMD --json`: this once, as `set output json` (or the command line's --json) does for every command
    const json = argv.includes('--json');
    if (json) argv = argv.filter((a) => a !== '--json');
    this.lastError = undefined;
    const pairing = this.session.pairing;
    const view = pairing ? await pairing.exclusive(() => this.run(cmd!, argv)) : await this.run(cmd, argv);
    if (view && (explain || this.session.settings.explain)) {
      // the explainers (seven modules) load only when asked for: not on every start
      const { explainView } = await import('../explain/index.js');
      explainView(cmd.name, argv, view, explain);
    }
    pairing?.ran(parsed.text, cmd.name, view);
    if (view) await this.deliverAs(json ? 'json' : undefined, () => this.deliver(cmd!, view, parsed.sink, filters));
    const error = view ? (view.kind === 'error' ? view.message : undefined) : this.lastError;
    await this.notify({ line, name: cmd.name, argv, view, error });
  }

  /** Tell the session's observers (the tour) what ran, show what they answer, and hand it to a shared session. */
  private async notify(event: CommandEvent): Promise<void> {
    for (const reply of await this.observe(event)) {
      const text = this.io.renderDisplay ? this.io.renderDisplay(reply) : renderText(reply);
      if (text) await this.io.display(text);
      this.session.pairing?.aside?.(reply);
    }
  }

  /** What the session's observers answer to a command that ran (a shared session's host calls it for guests). */
  async observe(event: CommandEvent): Promise<View[]> {
    const out: View[] = [];
    for (const observe of [...this.session.observers]) {
      try {
        const reply = await observe(event, this.session);
        if (reply) out.push(reply);
      } catch (err) {
        this.io.error(`crash-ts: ${firstLine(err)}`);
      }
    }
    return out;
  }

  /** The line's first word is an alias whose expansion names no command: say that, not "no such command". */
  private missingAliasTarget(line: string, name: string): string | undefined {
    const typed = /^\S+/.exec(line.trim())?.[0];
    if (typed === undefined || typed === name) return undefined;
    const expansion = resolveAlias(this.session, typed);
    if (expansion === undefined) return undefined;
    return `crash-ts: ${typed}: an alias of "${expansion}", but there is no "${name}" command in this crash-ts ("help" lists the commands)`;
  }

  private unknown(name: string): string {
    const ideas = suggestNames(name, this.commandNames());
    const hint = ideas.length ? `; did you mean ${ideas.map((i) => `"${i}"`).join(' or ')}?` : '';
    return `crash-ts: ${name}: no such command${hint} ("help" lists them)`;
  }

  /** Run a command; print its error and return undefined when it fails. */
  async run(
    cmd: Command,
    argv: string[],
    flags?: Record<string, string | boolean | number>,
  ): Promise<View | undefined> {
    const s = this.session;
    if (cmd.needsDump && !s.kernel) {
      this.lastError = `${cmd.name}: no dump is open (start crash-ts with a VMLINUX and a VMCORE)`;
      this.io.error(this.lastError);
      return undefined;
    }
    s.cancelled = false;
    try {
      const args = parseArgs(cmd.keepQuotes ? argv : argv.map(unquoteWord), cmd.options);
      if (flags) Object.assign(args.flags, flags);
      return await cmd.run(s, args);
    } catch (err) {
      if (process.env.CRASH_TS_DEBUG && !(err instanceof CommandError))
        process.stderr.write(`${(err as Error).stack}\n`);
      this.lastError = `${cmd.name}: ${firstLine(err)}`;
      this.io.error(this.lastError);
      return undefined;
    } finally {
      s.cancelled = false;
    }
  }

  /** Deliver in another output format this once (`CMD --json`), the session's own afterwards. */
  private async deliverAs(output: 'json' | undefined, deliver: () => Promise<void>): Promise<void> {
    const settings = this.session.settings;
    const before = settings.output;
    if (output) settings.output = output;
    try {
      await deliver();
    } finally {
      settings.output = before;
    }
  }

  /** Render a view in the session's output format. */
  render(view: View): string {
    return this.session.settings.output === 'json' ? renderJson(view) : renderText(view);
  }

  private async deliver(cmd: Command, view: View, sink: Sink, filters?: Filter[]): Promise<void> {
    if (view.kind === 'error' && this.session.settings.output !== 'json') {
      const m = view.message;
      return this.io.error(m.startsWith(`${cmd.name}:`) ? m : `${cmd.name}: ${m}`);
    }
    const onScreen = sink.kind === 'display' && this.io.renderDisplay && this.session.settings.output === 'text';
    const text = onScreen ? this.io.renderDisplay!(view) : this.render(view);
    if (sink.kind === 'display') {
      if (text) await this.io.display(text);
    } else if (sink.kind === 'file') {
      try {
        (sink.append ? appendFileSync : writeFileSync)(sink.path, text);
      } catch (err) {
        this.io.error(
          `${cmd.name}: cannot write ${sink.path}: ${(err as NodeJS.ErrnoException).code ?? firstLine(err)}`,
        );
      }
    } else if (filters) {
      const out = applyFilters(filters, text);
      if (out) await this.io.display(out);
    } else {
      const r = await runShell(sink.command, text, this.io.capture);
      if (this.io.capture && r.output) await this.io.display(r.output);
    }
  }

  /** Run a named command directly (the banner: `sys` with {banner: true}); false when it is not registered. */
  async runNamed(name: string, flags: Record<string, string | boolean | number>): Promise<boolean> {
    const cmd = this.registry.get(name);
    if (!cmd) return false;
    const view = await this.run(cmd, [], flags);
    if (view) await this.deliver(cmd, view, { kind: 'display' });
    return true;
  }

  /** Run each line of a file (.crashrc, -i FILE); stops early on `q`. */
  async runFile(path: string, resource: boolean): Promise<void> {
    const lines = readFileSync(path, 'utf8').split(/\r?\n/);
    const prev = this.session.inResourceFile;
    this.session.inResourceFile = resource;
    try {
      for (const line of lines) {
        if (this.session.quitRequested) break;
        await this.execute(line);
      }
    } finally {
      this.session.inResourceFile = prev;
    }
  }
}
