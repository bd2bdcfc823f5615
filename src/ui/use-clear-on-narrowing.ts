/**
 * A narrower terminal re-wraps the lines already drawn (tmux, VTE, kitty do): the old frame then takes more rows
 * than ink erases before drawing the new one, and its top lines stay above it. A screen-filling frame (the live
 * view, the pager) clears the screen on a narrowing, before ink's own resize handler, so ink draws from the top.
 */
import { useEffect } from 'react';
import { useStdout } from 'ink';

export function useClearOnNarrowing(): void {
  const { stdout } = useStdout();
  useEffect(() => {
    let cols = stdout.columns;
    const onResize = () => {
      if (stdout.columns < cols) stdout.write('\x1b[2J\x1b[H');
      cols = stdout.columns;
    };
    stdout.prependListener('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
}
