/**
 * Item 2 of "bad input": inside a session, each bad request gets one crash-style error line on
 * stderr, and the session goes on: the command after it still answers. Line mode, as a child process.
 */
import { describe, expect, it } from 'vitest';
import { built, cli, head, sampleVmcore, sampleVmlinux } from './fixtures.js';

/** The first pfn the sample's bitmaps say existed but was filtered out, and the first that is a hole. */
function samplePages(): { excluded: number; hole: number } {
  const h = head(sampleVmcore, 464);
  const bs = h.readInt32LE(428);
  const start = (1 + h.readInt32LE(432)) * bs;
  const half = (h.readUInt32LE(436) * bs) / 2;
  const maps = head(sampleVmcore, start + 2 * half);
  const bit = (base: number, p: number) => (maps[base + (p >> 3)]! >> (p & 7)) & 1;
  let excluded = -1;
  let hole = -1;
  for (let p = 0; p < half * 8 && (excluded < 0 || hole < 0); p++) {
    if (hole < 0 && !bit(start, p)) hole = p;
    if (excluded < 0 && bit(start, p) && !bit(start + half, p)) excluded = p;
  }
  return { excluded: excluded * 4096, hole: hole * 4096 };
}

const OK = 'eval 1+1';
const OK_OUT = 'hexadecimal: 2';

describe.runIf(built)('bad requests inside a session: one error line, the session goes on', () => {
  const { excluded, hole } = samplePages();
  const cases: { line: string; error: string | RegExp }[] = [
    {
      line: `rd -p ${excluded.toString(16)}`,
      error: `rd: page excluded from the dump: physical address ${excluded.toString(16)} (dump level 31)  type: "64-bit PHYSADDR"`,
    },
    {
      line: `rd -p ${hole.toString(16)}`,
      error: `rd: page not present in the dump: physical address ${hole.toString(16)}  type: "64-bit PHYSADDR"`,
    },
    {
      line: 'rd 0x1234',
      error: 'rd: not mapped: PMD entry not present: user virtual address 1234  type: "64-bit UVADDR"',
    },
    { line: 'rd nosuchsymbol', error: 'rd: symbol not found: nosuchsymbol' },
    // an address in the hole between the halves (non-canonical with 4-level paging)
    {
      line: 'rd ff00000000000000',
      error: 'rd: not canonical: kernel virtual address ff00000000000000  type: "64-bit KVADDR"',
    },
    { line: 'ps -Z', error: 'ps: invalid option: -Z' },
    // a huge count: it prints what it can and stops with one line at the first page it cannot read
    {
      line: `rd -p ${(excluded - 4096).toString(16)} 100000000000`,
      error: `rd: page excluded from the dump: physical address ${excluded.toString(16)} (dump level 31)  type: "64-bit PHYSADDR"`,
    },
    { line: 'bt 99999', error: 'bt: invalid task or pid value: 99999' },
    { line: "ps '['", error: "ps: invalid regular expression: '[': unterminated character class" },
    { line: 'ps [', error: "ps: invalid regular expression: '[': unterminated character class" },
    { line: 'nosuchcommand', error: /^crash-ts: nosuchcommand: no such command/ },
  ];

  it('every bad request: exactly its error line; the next command answers', () => {
    const input = cases.map((c) => `${c.line}\n${OK}\n`).join('');
    const r = cli([sampleVmlinux, sampleVmcore], input, 120_000);
    expect(r.timedOut).toBe(false);
    expect(r.status).toBe(0);
    // line mode writes error lines in sequence with the output: each error, then the next command's answer
    const lines = r.stdout.split('\n');
    let at = 0;
    for (const c of cases) {
      const i = lines.findIndex((l, j) => j >= at && (typeof c.error === 'string' ? l === c.error : c.error.test(l)));
      expect(i, `error line for "${c.line}"`).toBeGreaterThanOrEqual(at);
      const ok = lines.findIndex((l, j) => j > i && l.includes(OK_OUT));
      expect(ok, `"${OK}" answered after "${c.line}"`).toBeGreaterThan(i);
      // nothing but the error between the bad command's output and the next answer
      expect(lines.slice(i + 1, ok).filter((l) => /error|Error|^\s+at /.test(l))).toEqual([]);
      at = ok + 1;
    }
    expect(r.stdout.split(OK_OUT).length - 1).toBe(cases.length);
    expect(r.stdout).not.toMatch(/at .*\.(js|ts):\d+/); // no stack trace anywhere
    expect(r.stderr).not.toMatch(/at .*\.(js|ts):\d+/);
  }, 180_000);
});
