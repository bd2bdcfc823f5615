/**
 * The transcript of a shared session on the terminal: lines others ran ("bob: ps"), what they say, the driver's
 * output when following (rendered here, for this terminal), written above the prompt as they come; held while the
 * pager or a `!command` owns the screen. When the session ends, says why and leaves.
 */
import { useEffect, useRef } from 'react';
import type { Session } from '../session.js';
import type { PairingEvent } from '../share/context.js';
import { colorText, paint } from './colorize.js';

export function pairingText(e: PairingEvent, color: boolean): string {
  const st = (s: string, style: 'dim' | 'emphasis' | 'warning' | undefined) => (color && style ? paint(s, style) : s);
  switch (e.t) {
    case 'line':
      return st(e.text, e.style) + '\n';
    case 'view':
      return st(e.header, 'emphasis') + '\n' + colorText(e.view, color);
    case 'missed':
      return (
        st(`(${e.count} transcript message${e.count === 1 ? '' : 's'} missed: this terminal fell behind)`, 'warning') +
        '\n'
      );
    case 'end':
      return st(e.reason, 'warning') + '\n';
  }
}

export function usePairingEvents(opts: {
  session: Session;
  write: (text: string) => void;
  color: boolean;
  /** the pager or a shell command has the screen: keep events until it is back */
  paused: boolean;
  onEnd: () => void;
}): void {
  const held = useRef<PairingEvent[]>([]);
  const live = useRef(opts);
  live.current = opts;
  const show = (e: PairingEvent) => {
    const o = live.current;
    o.write(pairingText(e, o.color));
    if (e.t === 'end') o.onEnd();
  };
  useEffect(() => {
    const pairing = opts.session.pairing;
    if (!pairing) return;
    return pairing.listen((e) => {
      if (live.current.paused) held.current.push(e);
      else show(e);
    });
  }, [opts.session]);
  useEffect(() => {
    if (opts.paused || held.current.length === 0) return;
    const events = held.current;
    held.current = [];
    for (const e of events) show(e);
  }, [opts.paused]);
}
