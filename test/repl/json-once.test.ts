/**
 * `CMD --json`: one command's result as JSON, the session's text output before and after; through a pipe too.
 * On the bundled sample dump (a real 6.1 panic): the JSON carries the same facts the text shows.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replSession } from '../helpers/repl.js';
import { openForSuite } from '../helpers/suite-dump.js';

const DIR = join(import.meta.dirname, '..', '..', 'sample-dumps');
const sample = existsSync(join(DIR, 'sample.json'))
  ? (JSON.parse(readFileSync(join(DIR, 'sample.json'), 'utf8')) as {
      files: { vmlinux: string; vmcore: string };
      panic: { pid: number; comm: string };
    })
  : undefined;

describe.skipIf(!sample || !existsSync(join(DIR, sample.files.vmcore)))('CMD --json on the bundled sample', () => {
  const dump = openForSuite(() => [join(DIR, sample!.files.vmlinux), join(DIR, sample!.files.vmcore)]);

  it('prints that one result as JSON with the facts of the text, and leaves the session in text', async () => {
    const { s, run } = await replSession(dump.k);
    const text = await run('kmem -i');
    const pages = Number(/^ +TOTAL MEM +(\d+) /m.exec(text)![1]);
    const json = JSON.parse(await run('kmem -i --json')) as { totalPages: number };
    expect(json.totalPages).toBe(pages);
    expect(s.settings.output).toBe('text');
    expect(await run('kmem -i')).toBe(text);

    const ps = JSON.parse(await run(`ps --json ${sample!.panic.pid}`)) as { pid: number; comm: string }[];
    expect(ps).toEqual([expect.objectContaining({ pid: sample!.panic.pid, comm: sample!.panic.comm })]);
    // sizes are numbers in KiB, as the text's VSZ and RSS columns (a bigint would be a hex string)
    const row = (await run(`ps ${sample!.panic.pid}`)).split('\n')[1]!.trim().split(/\s+/);
    const [vsz, rss] = [Number(row.at(-3)), Number(row.at(-2))];
    expect(vsz).toBeGreaterThan(0);
    expect(ps[0]).toMatchObject({ vszKb: vsz, rssKb: rss });
    const vm = JSON.parse(await run(`vm --json ${sample!.panic.pid}`)) as { rssKb: unknown; totalVmKb: unknown };
    expect(vm).toMatchObject({ rssKb: rss, totalVmKb: vsz });
    // through a pipe: the JSON is what the shell reads
    const piped = await run(`ps --json ${sample!.panic.pid} | grep '"comm"'`);
    expect(piped.trim()).toBe(`"comm": "${sample!.panic.comm}"`);
  });
});
