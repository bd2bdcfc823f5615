import { useEffect, useState } from 'react';
import { useStdout } from 'ink';

/** The terminal's size, updated on resize. */
export function useTermSize(): { rows: number; cols: number } {
  const { stdout } = useStdout();
  const get = () => ({ rows: stdout.rows || 24, cols: stdout.columns || 80 });
  const [size, setSize] = useState(get);
  useEffect(() => {
    const onResize = () => setSize(get());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return size;
}
