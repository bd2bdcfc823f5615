/**
 * The mouse wheel in the live view. The terminal reports mouse events only while asked to (xterm's mode 1000,
 * with mode 1006 for the SGR encoding ESC[<B;X;YM); the view asks while it is on screen and stops on unmount,
 * on exit and before the process is stopped (SIGTSTP), so the prompt, the shell and line mode never see them.
 * ink's input parser hands an SGR report to useInput as one event, without its ESC: "[<64;10;5M".
 */
import { useEffect } from 'react';

export const MOUSE_ON = '\x1b[?1000h\x1b[?1006h';
export const MOUSE_OFF = '\x1b[?1006l\x1b[?1000l';

/** The event of a mouse report: 'up'/'down' for the wheel, 'other' for a click; undefined: not a mouse report. */
export function mouseEvent(input: string): 'up' | 'down' | 'other' | undefined {
  const m = /^\x1b?\[<(\d+);\d+;\d+[Mm]$/.exec(input);
  if (m) {
    // the button code's modifier bits (shift 4, meta 8, ctrl 16) do not change the direction
    const b = Number(m[1]) & ~(4 | 8 | 16);
    return b === 64 ? 'up' : b === 65 ? 'down' : 'other';
  }
  // the older encoding (a terminal without mode 1006): ESC[M and three bytes
  if (/^\x1b?\[M[\s\S]{3}$/.test(input)) {
    const b = (input.charCodeAt(input.length - 3) - 32) & ~(4 | 8 | 16);
    return b === 64 ? 'up' : b === 65 ? 'down' : 'other';
  }
  return undefined;
}

/** Mouse reporting on while the calling component is mounted (terminals only). */
export function useMouseReporting(stdout: NodeJS.WriteStream): void {
  useEffect(() => {
    if (!stdout.isTTY) return undefined;
    const on = () => stdout.write(MOUSE_ON);
    const off = () => stdout.write(MOUSE_OFF);
    // stopped by SIGTSTP: reporting off first, then stopped as without a handler; on again when continued
    const onStop = () => {
      off();
      process.removeListener('SIGTSTP', onStop);
      process.kill(process.pid, 'SIGTSTP');
    };
    const onCont = () => {
      on();
      if (!process.listeners('SIGTSTP').includes(onStop)) process.on('SIGTSTP', onStop);
    };
    on();
    process.on('exit', off);
    process.on('SIGTSTP', onStop);
    process.on('SIGCONT', onCont);
    return () => {
      off();
      process.removeListener('exit', off);
      process.removeListener('SIGTSTP', onStop);
      process.removeListener('SIGCONT', onCont);
    };
  }, [stdout]);
}
