/**
 * The tour in a shared session (src/share): a teacher (the host) who drives runs the tour and the guests following
 * see each mark and next step; a guest runs its own tour in its own crash-ts (the host refuses it there).
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kernel } from '../../src/kernel/kernel.js';
import { openKernelSync } from '../../src/kernel/open.js';
import { renderText } from '../../src/render/text.js';
import type { ShareHost } from '../../src/share/host.js';
import { joinGuest, startHost, until } from '../share/helpers.js';

const DIR = join(import.meta.dirname, '..', '..', 'sample-dumps');
const sample = JSON.parse(readFileSync(join(DIR, 'sample.json'), 'utf8')) as {
  files: { vmlinux: string; vmcore: string };
};
const have = existsSync(join(DIR, sample.files.vmcore));
let k: Kernel;
const hosts: ShareHost[] = [];
const savedState = process.env.XDG_STATE_HOME;
beforeAll(() => {
  process.env.XDG_STATE_HOME = mkdtempSync(join(tmpdir(), 'crash-ts-tour-share-'));
  if (have) k = openKernelSync(join(DIR, sample.files.vmlinux), join(DIR, sample.files.vmcore));
});
afterAll(async () => {
  for (const h of hosts) await h.stop('test over');
  if (savedState === undefined) delete process.env.XDG_STATE_HOME;
  else process.env.XDG_STATE_HOME = savedState;
});

describe.skipIf(!have)('the tour in a shared session', () => {
  it("a driving teacher's tour reaches the followers; a guest's own tour is refused", async () => {
    const { host, repl } = await startHost(k);
    hosts.push(host);
    const bob = await joinGuest(host.path, 'bob');
    const eventText = () =>
      bob.events
        .map((e) => (e.t === 'view' ? `${e.header}\n${renderText(e.view)}` : e.t === 'line' ? e.text : ''))
        .join('\n');

    // a guest's own tour would read lesson files and write progress as the host: refused (src/share/host.ts)
    await bob.repl.execute('tour 1');
    expect(bob.text()).toContain('tour: runs in your own crash-ts');

    // the host drives (the teacher): bob follows by default and sees the teacher's marks
    await repl.execute('tour 3');
    await repl.execute('bt');
    await until(() => eventText().includes("(alice's tour)\n✓ Read it from the bottom up"));
    await bob.client.close?.();
  });
});
