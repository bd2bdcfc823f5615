/**
 * The terminal UI: command output is written to stdout above the prompt (never kept in React state), long output
 * opens the pager, typed lines queue up and run one after another.
 */
import React, { useEffect, useMemo, useRef, useState } from 'react';
import { Box, render, useApp, useStdout } from 'ink';
import type { Session } from '../session.js';
import { Repl, kernelWarnings, type Registry } from '../repl/engine.js';
import { resolveAlias } from '../repl/aliases.js';
import { spawnSync } from 'node:child_process';
import { version } from '../version.js';
import { colorText, paint, useColor } from './colorize.js';
import type { CompletionSource } from './complete.js';
import { defaultHistoryFile, History } from './history.js';
import { Pager } from './Pager.js';
import { usePairingEvents } from './pairing.js';
import { Prompt } from './Prompt.js';
import { useLiveViews } from './live/use-live.js';
import { useTermSize } from './useTermSize.js';

export interface AppProps {
  session: Session;
  registry: Registry;
  history: History;
  silent?: boolean;
  /** .crashrc and -i files */
  startup?: (repl: Repl) => Promise<void>;
  /** open the dump (behind the prompt, before the banner); sets session.quitRequested when it fails */
  open?: () => Promise<void>;
  /** where output goes (default: ink's stdout writer, above the prompt); tests pass a collector */
  write?: (text: string) => void;
  color?: boolean;
}

export function completionSource(repl: Repl): CompletionSource {
  return {
    commands: () => repl.commandNames(),
    options: (name) => {
      const first = (resolveAlias(repl.session, name) ?? name).split(/\s+/)[0]!;
      return Object.keys(repl.registry.get(first)?.options ?? {});
    },
    symbols: (prefix) => {
      const k = repl.session.kernel as { symbols?: { complete?(p: string, limit?: number): string[] } } | undefined;
      return repl.session.hooks.completeSymbols?.(prefix, 200) ?? k?.symbols?.complete?.(prefix, 200) ?? [];
    },
  };
}

type Mode = 'starting' | 'ready' | 'pager';

/** longer than ink's render throttle (1000 / 30 fps) */
const PAGER_SETTLE_MS = 60;

export function App(props: AppProps): React.ReactElement {
  const { session, registry, history } = props;
  const { stdout, write: inkWrite } = useStdout();
  const write = props.write ?? inkWrite;
  const color = props.color ?? useColor(stdout);
  const { exit } = useApp();
  const size = useTermSize();
  const sizeRef = useRef(size);
  sizeRef.current = size;

  const [mode, setMode] = useState<Mode>('starting');
  const [running, setRunning] = useState(true);
  const [pagerLines, setPagerLines] = useState<string[]>([]);
  /** a `!command` owns the terminal: nothing is drawn and no key is read */
  const [suspended, setSuspended] = useState(false);
  const pagerDone = useRef<(() => void) | undefined>(undefined);
  const queue = useRef<string[]>([]);
  const busy = useRef(true);
  const live = useLiveViews({
    session,
    registry,
    color,
    size,
    write,
    submit: (lines) => {
      queue.current.push(...lines);
      void drain();
    },
    recall: () => history.prev(''),
  });

  const repl = useMemo(
    () =>
      new Repl(session, registry, {
        capture: true,
        display(text) {
          const lines = (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n');
          const opened = live.tryOpen(lines.length);
          if (opened) return opened;
          if (session.settings.scroll && lines.length > sizeRef.current.rows - 2) {
            return new Promise<void>((resolve) => {
              pagerDone.current = resolve;
              setPagerLines(lines);
              setMode('pager');
            });
          }
          write(text);
        },
        error: (line) => write((color ? paint(line, 'error') : line) + '\n'),
        // the screen's rendering: colour when allowed, trees with connectors always
        renderDisplay: (view) => {
          live.noteView(view);
          return colorText(view, color);
        },
        async interactive(command) {
          // unmounting every input hook drops ink's raw mode and its stdin listener: the child reads the
          // terminal alone; the wait lets ink erase the prompt (its renders are throttled)
          setSuspended(true);
          await new Promise((r) => setTimeout(r, PAGER_SETTLE_MS));
          try {
            runOnTerminal(command);
          } finally {
            // ink erases its last frame (the empty one) before drawing the prompt again: give it a fresh line
            // to erase, so the command's last line of output stays
            stdout.write('\n');
            setSuspended(false);
          }
        },
      }),
    [],
  );
  const completion = useMemo(() => completionSource(repl), [repl]);
  // a shared session's transcript (src/share): others' lines and the driver's output, above the prompt
  usePairingEvents({ session, write, color, paused: mode === 'pager' || suspended, onEnd: () => exit() });

  const drain = async () => {
    if (busy.current) return;
    busy.current = true;
    setRunning(true);
    try {
      while (queue.current.length) {
        const line = queue.current.shift()!;
        write(`crash> ${line}\n`);
        live.noteLine(line);
        history.add(line);
        await repl.execute(line);
        if (session.quitRequested) return exit();
      }
    } finally {
      busy.current = false;
      setRunning(false);
    }
  };

  useEffect(() => {
    void (async () => {
      try {
        if (props.open) {
          await new Promise((r) => setTimeout(r, 0)); // the prompt is on the screen first
          await props.open();
          if (session.quitRequested) return exit();
        }
        if (!props.silent) {
          write(`crash-ts ${version()}: "help" lists the commands, "q" leaves\n`);
          if (session.bannerNotes.length) write(session.bannerNotes.join('\n') + '\n');
          await repl.runNamed('sys', { banner: true });
        }
        for (const w of kernelWarnings(session)) write(`WARNING: ${w}\n`);
        await props.startup?.(repl);
      } finally {
        busy.current = false;
        setRunning(false);
      }
      if (session.quitRequested) return exit();
      setMode('ready');
      void drain();
    })();
  }, []);

  if (suspended) return <></>;
  if (live.element) return live.element;
  if (mode === 'pager')
    return (
      <Pager
        lines={pagerLines}
        rows={size.rows}
        cols={size.cols}
        color={color}
        onQuit={(shown) => {
          setPagerLines([]);
          setMode('ready');
          // as crash's `less -X`: what was paged through stays on the screen and in the scrollback. Written
          // once ink has drawn the prompt in place of the pager (its renders are throttled to ~30 per second),
          // so that the text lands above the prompt and not above a frame about to be erased
          setTimeout(() => {
            if (shown.length) write(shown.join('\n') + '\n');
            pagerDone.current?.();
            pagerDone.current = undefined;
          }, PAGER_SETTLE_MS);
        }}
      />
    );
  return (
    <Box flexDirection="column">
      {
        <Prompt
          key={live.seed.key}
          initial={live.seed.text}
          history={history}
          completion={completion}
          running={running}
          active={true}
          onLines={(lines) => {
            queue.current.push(...lines);
            void drain();
          }}
          onCandidates={(c) => write(c.join('  ') + '\n')}
          onCancel={() => {
            session.cancelled = true;
          }}
          onQuit={() => exit()}
        />
      }
    </Box>
  );
}

/**
 * Run a shell command on our terminal, synchronously: while it runs our event loop does not turn, so Node
 * does not read the terminal and every key goes to the command (an async child would race us for them).
 * Ctrl-C in it reaches our process group too: runTerminal ignores SIGINT for the whole session.
 */
function runOnTerminal(command: string): void {
  // the command gets the terminal as a shell would give it (cooked: Enter ends a line, Ctrl-C is a signal),
  // whether or not ink has let go of raw mode yet
  const tty = process.stdin.isTTY ? process.stdin : undefined;
  const wasRaw = tty?.isRaw ?? false;
  if (wasRaw) tty!.setRawMode(false);
  try {
    const r = spawnSync('/bin/sh', ['-c', command], { stdio: 'inherit' });
    if (r.error) process.stdout.write(`sh: ${r.error.message}\n`);
  } finally {
    if (wasRaw) tty!.setRawMode(true);
  }
}

/** Start the terminal UI and resolve when the user leaves. */
export async function runTerminal(
  opts: Omit<AppProps, 'history'> & { history?: History; earlyPrompt?: boolean },
): Promise<void> {
  const history = opts.history ?? new History(defaultHistoryFile());
  // the prompt cli.ts drew before ink loaded: ink draws its own on this line
  if (opts.earlyPrompt) process.stdout.write('\r\x1b[2K');
  // Ctrl-C never ends the session: in raw mode it is a key (the prompt handles it); while a `!command` owns
  // the terminal it is a signal to our whole process group, which the command handles and we ignore
  process.on('SIGINT', () => {});
  const instance = render(<App {...opts} history={history} />, { exitOnCtrlC: false });
  await instance.waitUntilExit();
}
