/** Running `/bin/sh -c …` for `cmd | pipeline` and `!command`. */

export interface ShellResult {
  status: number;
  /** what the command printed (stdout then stderr interleaved as it came), when captured */
  output: string;
}

/**
 * Run a shell command. `input` (if given) is written to its stdin; an early-closing reader (`| head`) is fine.
 * With `capture`, its stdout/stderr are collected (the terminal UI shows them above the prompt); otherwise they go
 * straight to ours (line mode), so nothing is buffered.
 */
export async function runShell(command: string, input: string | undefined, capture: boolean): Promise<ShellResult> {
  // loaded on first use: child_process (with net and dgram) costs every start ~8 ms of CPU otherwise
  const { spawn } = await import('node:child_process');
  return new Promise((resolvePromise) => {
    const child = spawn('/bin/sh', ['-c', command], {
      stdio: [input === undefined ? 'ignore' : 'pipe', capture ? 'pipe' : 'inherit', capture ? 'pipe' : 'inherit'],
    });
    const chunks: Buffer[] = [];
    child.stdout?.on('data', (b: Buffer) => chunks.push(b));
    child.stderr?.on('data', (b: Buffer) => chunks.push(b));
    child.on('error', (err) => resolvePromise({ status: 127, output: `sh: ${err.message}\n` }));
    child.on('close', (code, signal) =>
      resolvePromise({ status: code ?? (signal ? 128 : 0), output: Buffer.concat(chunks).toString('utf8') }),
    );
    if (input !== undefined && child.stdin) {
      child.stdin.on('error', () => {}); // EPIPE when the reader stops early: not an error for us
      child.stdin.end(input);
    }
  });
}
